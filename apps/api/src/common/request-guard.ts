import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { MAX_ID_LENGTH, textProblem } from '@debut/features';
import { clientError } from './http-errors';

/** JSON bodies beyond this are refused with 413 (a release with two 1024-float vectors is ~40 KB). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deeper JSON than this is refused with 400: no route's body nests more than 4 levels. */
export const MAX_JSON_DEPTH = 32;
/**
 * Fastify answers 404 for a path parameter longer than its router's limit; ours is above every
 * id's limit so that an over-long id gets the guard's 400 with a reason instead.
 */
export const MAX_PARAM_LENGTH = 4 * MAX_ID_LENGTH;

/**
 * Refuses, before any route runs (Fastify `onRequest`, before the body is read), what would
 * otherwise reach storage or the parser as garbage: path segments and query strings that are not
 * valid percent-encoded UTF-8, that contain NUL or a lone surrogate, path segments longer than an
 * id may be (400), and a non-empty body that is not JSON (415). Route-level validation does the rest.
 */
export function requestGuard(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  done(requestProblem(req.url, req.headers) ?? undefined);
}

export function requestProblem(url: string, headers: FastifyRequest['headers']): Error | null {
  const [rawPath, rawQuery = ''] = url.split('?', 2);
  // Without a percent sign nothing decodes, and a NUL or a lone surrogate can only arrive
  // percent-encoded (the HTTP parser refuses a raw NUL; raw bytes read as Latin-1, never a
  // surrogate), so only lengths are left to check.
  const plain = !url.includes('%');
  for (const segment of rawPath.split('/')) {
    const problem = plain ? lengthProblem(segment) : segmentProblem(segment);
    if (problem) return clientError(400, `path segment ${preview(segment)}: ${problem}`);
  }
  if (!plain) {
    for (const part of rawQuery.split('&')) {
      const problem = decodedProblem(part.replace(/\+/g, ' '));
      if (problem) return clientError(400, `query ${preview(part)}: ${problem}`);
    }
  }
  if (hasBody(headers) && !isJson(headers['content-type'])) {
    return clientError(
      415,
      `content-type ${headers['content-type'] ?? '(none)'} is not supported: send application/json`,
    );
  }
  return null;
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...params] = contentType.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  // A declared charset other than UTF-8 would be decoded wrongly: JSON is UTF-8 (RFC 8259).
  return params.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

function segmentProblem(segment: string): string | null {
  return decodedProblem(segment) ?? lengthProblem(decodeURIComponent(segment));
}

function lengthProblem(decoded: string): string | null {
  return decoded.length > MAX_ID_LENGTH ? `longer than ${MAX_ID_LENGTH} characters` : null;
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

function hasBody(headers: FastifyRequest['headers']): boolean {
  const length = Number(headers['content-length'] ?? 0);
  return length > 0 || headers['transfer-encoding'] !== undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON body parser: refuses bodies that are not UTF-8, nest deeper than MAX_JSON_DEPTH
 * (counted on the raw bytes, so a deep body never reaches the recursive parser or the
 * validators), or carry strings storage cannot hold (NUL, lone surrogates). An empty body is no body.
 */
export function parseJsonBody(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  const escapesUnicode = verifyJsonDepth(buf);
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw clientError(400, 'body is not valid UTF-8');
  }
  try {
    // NUL and lone surrogates can only arrive as \u escapes: JSON refuses raw control characters
    // and valid UTF-8 cannot encode a surrogate. Without one, no string needs checking.
    return (escapesUnicode ? JSON.parse(text, refuseUnstorableStrings) : JSON.parse(text)) as unknown;
  } catch (e) {
    if (typeof (e as { status?: unknown }).status === 'number') throw e;
    throw clientError(400, `invalid JSON: ${(e as Error).message}`);
  }
}

/** Refuses too deep a body; returns whether any string holds a \u escape. */
function verifyJsonDepth(buf: Buffer): boolean {
  let depth = 0;
  let inString = false;
  let escapesUnicode = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) {
        if (buf[i + 1] === 0x75) escapesUnicode = true;
        i++;
      } else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH)
        throw clientError(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return escapesUnicode;
}

/** JSON.parse's reviver: strings storage cannot hold (NUL, lone surrogates) are refused at parse time. */
function refuseUnstorableStrings(key: string, value: unknown): unknown {
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
