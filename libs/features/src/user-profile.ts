import { z } from 'zod';
import { marketCode } from './audience-rules';
import type { Validation } from './song-released';
import { acceptedInstant, issueReason, storableId } from './storable';

/**
 * `user.profile`: what the audience rules know of a listener. The latest `updatedAt` wins, so a
 * redelivered or late, older profile changes nothing.
 */
export interface UserProfileEvent {
  userId: string;
  /** The market the user listens in (ISO 3166-1 alpha-2); null = unknown. */
  region: string | null;
  /** The user asked never to be sent explicit songs. */
  explicitOptOut: boolean;
  updatedAt: string;
}

const schema = z
  .object({
    userId: storableId,
    region: marketCode.nullable(),
    explicitOptOut: z.boolean(),
    updatedAt: acceptedInstant,
  })
  .strict();

export function validateUserProfile(raw: unknown): Validation<UserProfileEvent> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, reason: issueReason(parsed.error) };
}
