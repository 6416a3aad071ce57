import { z } from 'zod';
import { FeatureSchema } from './schema';
import { type AudienceBudget, audienceBudget, availability } from './audience-rules';
import {
  acceptedInstant,
  issueReason,
  MAX_FLOAT4,
  MAX_TITLE_LENGTH,
  storableId,
  storableString,
} from './storable';

/** `song.released` as DESIGN.md §4 defines it. */
export interface SongReleasedEvent {
  eventId: string;
  songId: string;
  title: string;
  artistId: string;
  language: string | null;
  genres: string[];
  releasedAt: string;
  features: Record<string, number[]>;
  /** Markets the song may be sent in (ISO 3166-1 alpha-2); absent = everywhere. */
  availability?: string[];
  /** Explicit content: never sent to users who opted out of it. Absent = false. */
  explicit?: boolean;
  /** The pipeline's audience size and exploration share for this song; absent parts come from config. */
  audienceBudget?: AudienceBudget;
}

/** What a release may ask of the audience (the deployment's AUDIENCE_MAX_LIMIT). */
export interface ReleaseLimits {
  maxAudienceSize: number;
}

const envelope = z
  .object({
    eventId: storableId,
    songId: storableId,
    title: storableString(0, MAX_TITLE_LENGTH).default(''),
    artistId: storableId,
    language: storableString(0, 32).nullable().default(null),
    genres: z.array(storableString(1, 64)).max(64, 'more than 64 genres').default([]),
    releasedAt: acceptedInstant,
    features: z.record(z.string(), z.array(z.unknown())),
    availability: availability.optional(),
    explicit: z.boolean().optional(),
    audienceBudget: audienceBudget.optional(),
  })
  .strict();

export type Validation<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Validates a raw release (parsed JSON or the raw string) against the envelope and the feature
 * schema: every dense modality present with its exact length, finite numbers a 32-bit float
 * holds, no modality the schema does not declare; strings storable as text (no NUL, no lone
 * surrogate) within their lengths, `releasedAt` within the accepted years (storable.ts); markets
 * in ISO 3166-1 alpha-2 form, an audience budget no larger than `limits.maxAudienceSize`. The
 * reason is meant for the dead-letter record.
 */
export function validateSongReleased(
  raw: unknown,
  schema: FeatureSchema,
  limits?: ReleaseLimits,
): Validation<SongReleasedEvent> {
  let data = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    try {
      data = JSON.parse(raw.toString());
    } catch (e) {
      return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
    }
  }
  const parsed = envelope.safeParse(data);
  if (!parsed.success) return { ok: false, reason: issueReason(parsed.error) };
  const event = parsed.data;
  const size = event.audienceBudget?.size;
  if (limits && size !== undefined && size > limits.maxAudienceSize) {
    return {
      ok: false,
      reason: `audienceBudget.size: ${size} is above the largest audience allowed (AUDIENCE_MAX_LIMIT=${limits.maxAudienceSize})`,
    };
  }
  const dense = new Map(
    schema.modalities.flatMap((m) => (m.kind === 'dense' ? [[m.name, m.dim] as const] : [])),
  );
  for (const name of Object.keys(event.features)) {
    if (!dense.has(name)) return { ok: false, reason: `features.${name}: unknown modality` };
  }
  for (const [name, dim] of dense) {
    const v = event.features[name];
    if (!v) return { ok: false, reason: `features.${name}: missing (expected ${dim} numbers)` };
    if (v.length !== dim)
      return { ok: false, reason: `features.${name}: length ${v.length}, expected ${dim}` };
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        return { ok: false, reason: `features.${name}[${i}]: not a finite number (${String(x)})` };
      }
      if (Math.abs(x) > MAX_FLOAT4) {
        return {
          ok: false,
          reason: `features.${name}[${i}]: ${x} is beyond ±${MAX_FLOAT4} (a 32-bit float)`,
        };
      }
    }
  }
  return { ok: true, value: event as SongReleasedEvent };
}
