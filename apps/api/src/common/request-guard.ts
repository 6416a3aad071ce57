import type { NextFunction, Request, Response } from 'express';
import { MAX_ID_LENGTH, textProblem } from '@debut/features';
import { clientError } from './http-errors';

/** JSON bodies beyond this are refused with 413 (a release with two 1024-float vectors is ~40 KB). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deeper JSON than this is refused with 400: no route's body nests more than 4 levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses, before any route runs, what would otherwise reach storage or the parser as garbage:
 * path segments and query strings that are not valid percent-encoded UTF-8, that contain NUL or a
 * lone surrogate, path segments longer than an id may be (400), and a non-empty body that is
 * not JSON (415). Route-level validation handles the rest.
 */
export function requestGuard(req: Request, _res: Response, next: NextFunction): void {
  const [rawPath, rawQuery = ''] = req.originalUrl.split('?', 2);
  for (const segment of rawPath.split('/')) {
    const problem = segmentProblem(segment);
    if (problem) return next(clientError(400, `path segment ${preview(segment)}: ${problem}`));
  }
  for (const part of rawQuery.split('&')) {
    const problem = decodedProblem(part.replace(/\+/g, ' '));
    if (problem) return next(clientError(400, `query ${preview(part)}: ${problem}`));
  }
  if (hasBody(req) && !req.is('application/json')) {
    return next(
      clientError(
        415,
        `content-type ${req.headers['content-type'] ?? '(none)'} is not supported: send application/json`,
      ),
    );
  }
  next();
}

function segmentProblem(segment: string): string | null {
  const problem = decodedProblem(segment);
  if (problem) return problem;
  if (decodeURIComponent(segment).length > MAX_ID_LENGTH) return `longer than ${MAX_ID_LENGTH} characters`;
  return null;
}

function decodedProblem(raw: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return 'not valid percent-encoded UTF-8';
  }
  return textProblem(decoded);
}

function preview(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

function hasBody(req: Request): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return length > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * body-parser's `verify`: counts the nesting of the raw JSON (outside strings) before it is
 * parsed, so a deeply nested body is a 400 instead of a stack overflow in the parser or the
 * validators.
 */
export function verifyJsonDepth(_req: unknown, _res: unknown, buf: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH)
        throw clientError(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** body-parser's `reviver`: strings storage cannot hold (NUL, lone surrogates) are refused at parse time. */
export function refuseUnstorableStrings(key: string, value: unknown): unknown {
  for (const [what, s] of [
    ['key', key],
    ['value', value],
  ] as const) {
    if (typeof s !== 'string') continue;
    const problem = textProblem(s);
    if (problem) throw clientError(400, `JSON ${what} ${preview(s)}: ${problem}`);
  }
  return value;
}
