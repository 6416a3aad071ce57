import { z } from 'zod';
import type { Validation } from './song-released';
import { acceptedInstant, issueReason, storableId } from './storable';

export const INTERACTION_KINDS = ['play', 'complete', 'favorite', 'skip'] as const;
export type InteractionKindName = (typeof INTERACTION_KINDS)[number];

/**
 * Signal strength per kind: favourites > completions > plays; a skip carries none. On the same
 * (0, 1] scale as imported listening histories (log-play-count over the user's maximum), so
 * live and imported plays weigh alike in audience selection.
 */
export const INTERACTION_WEIGHTS: Record<InteractionKindName, number> = {
  favorite: 1,
  complete: 0.6,
  play: 0.3,
  skip: 0,
};

/** `user.interaction` as DESIGN.md §4 defines it. */
export interface UserInteractionEvent {
  eventId: string;
  userId: string;
  songId: string;
  kind: InteractionKindName;
  occurredAt: string;
}

const schema = z
  .object({
    eventId: storableId,
    userId: storableId,
    songId: storableId,
    kind: z.enum(INTERACTION_KINDS),
    occurredAt: acceptedInstant,
  })
  .strict();

export function validateUserInteraction(raw: unknown): Validation<UserInteractionEvent> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, reason: issueReason(parsed.error) };
}
