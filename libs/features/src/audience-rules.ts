import { z } from 'zod';

/**
 * The pieces of the audience-rule contracts (`song.released`'s availability/explicit/budget,
 * `user.profile`, `song.exposed`) that several events share.
 */

/**
 * A market: an ISO 3166-1 alpha-2 code, upper case (`SE`, `US`). The format is checked, not the
 * list of assigned codes, so a territory the list does not name yet (or `XK`) still works.
 */
export const MARKET_CODE = /^[A-Z]{2}$/;
export const marketCode = z
  .string()
  .regex(MARKET_CODE, 'must be an ISO 3166-1 alpha-2 market code, two upper-case letters (e.g. SE)');

/** More markets than ISO 3166-1 assigns is a mistake, not a release. */
export const MAX_MARKETS = 250;

/** The hard ceiling of any audience size in a contract; AUDIENCE_MAX_LIMIT may lower it. */
export const MAX_AUDIENCE_SIZE = 1_000_000;

export const availability = z
  .array(marketCode)
  .min(1, 'must name at least one market (leave availability out for "everywhere")')
  .max(MAX_MARKETS, `more than ${MAX_MARKETS} markets`)
  .refine((codes) => new Set(codes).size === codes.length, 'lists a market twice');

export const audienceBudget = z
  .object({
    size: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_AUDIENCE_SIZE, `must be at most ${MAX_AUDIENCE_SIZE}`)
      .optional(),
    explorationShare: z.number().min(0, 'must be within 0..1').max(1, 'must be within 0..1').optional(),
  })
  .strict();

/** A release's audience budget: its size and the share of it spent on exploration (both optional). */
export type AudienceBudget = z.infer<typeof audienceBudget>;
