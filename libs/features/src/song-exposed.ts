import { z } from 'zod';
import type { Validation } from './song-released';
import { acceptedInstant, issueReason, storableId } from './storable';

/**
 * Users per `song.exposed` record: 5,000 ids of up to 128 characters stay well below the broker's
 * 1 MB default record size.
 */
export const MAX_EXPOSURE_USERS = 5000;

/**
 * `song.exposed`: these users were sent this song (a push, a campaign). Recording is idempotent
 * per (song, user): a redelivery, or the same exposure sent again, adds nothing.
 */
export interface SongExposedEvent {
  /** The sender's id of this exposure: logged and stored with the first record of each user. */
  exposureId: string;
  songId: string;
  userIds: string[];
  at: string;
}

const schema = z
  .object({
    exposureId: storableId,
    songId: storableId,
    userIds: z
      .array(storableId)
      .min(1, 'must name at least one user')
      .max(MAX_EXPOSURE_USERS, `more than ${MAX_EXPOSURE_USERS} users (send several exposures)`),
    at: acceptedInstant,
  })
  .strict();

export function validateSongExposed(raw: unknown): Validation<SongExposedEvent> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, reason: issueReason(parsed.error) };
}
