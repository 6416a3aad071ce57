import { z } from 'zod';

/**
 * What storage refuses, refused first with a reason a person can act on: PostgreSQL text and
 * jsonb cannot hold NUL, a lone UTF-16 surrogate changes when encoded (so an id would no longer
 * match itself after a round trip), and `timestamptz` cannot hold every year JSON and `Date` accept.
 */
export const ACCEPTED_YEARS = { min: 1900, max: 2100 } as const;
/** Largest magnitude a `real` (float4) column holds; anything above overflows. */
export const MAX_FLOAT4 = 3.4028234663852886e38;
export const MAX_ID_LENGTH = 128;
export const MAX_TITLE_LENGTH = 1000;

/** Why `s` cannot be stored as text, or null when it can. */
export function textProblem(s: string): string | null {
  const nul = s.indexOf('\u0000');
  if (nul >= 0) return `contains a NUL character (\\u0000) at index ${nul}; remove it`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    } else if (c < 0xdc00 || c > 0xdfff) continue;
    return `contains a lone UTF-16 surrogate (\\u${c.toString(16)}) at index ${i}; send valid Unicode`;
  }
  return null;
}

/** A string storage accepts: no NUL, no lone surrogate, `min`..`max` characters. */
export function storableString(min: number, max: number) {
  return z
    .string()
    .min(min, min === 1 ? 'must not be empty' : `must have at least ${min} characters`)
    .max(max, `longer than ${max} characters`)
    .superRefine((s, ctx) => {
      const problem = textProblem(s);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    });
}

export const storableId = storableString(1, MAX_ID_LENGTH);

/** An ISO 8601 date-time with an offset whose UTC instant lies in the accepted years. */
export const acceptedInstant = z
  .string()
  .datetime({
    offset: true,
    message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-20T00:00:00Z',
  })
  .superRefine((s, ctx) => {
    const year = new Date(s).getUTCFullYear();
    if (!Number.isFinite(year) || year < ACCEPTED_YEARS.min || year > ACCEPTED_YEARS.max) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `year ${Number.isFinite(year) ? year : '?'} (UTC) is outside the accepted range ${ACCEPTED_YEARS.min}–${ACCEPTED_YEARS.max}`,
      });
    }
  });

/** The reason of a failed zod parse: `path: message` of its first issue. */
export function issueReason(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.join('.') || 'event'}: ${issue.message}`;
}
