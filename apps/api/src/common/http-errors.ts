import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { NoActiveModelError, UnknownEntityError } from '@debut/serving';

/** The body of every error answer. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * What a client is told about an error, used by the error filter and the latency metric alike
 * so both record the status the client actually got: HttpExceptions their own, unknown ids 404,
 * no active model 503, the body parser's refusals (invalid JSON, too large, unsupported charset)
 * their 4xx; anything else 500.
 */
export function httpStatusOf(e: unknown): number {
  if (e instanceof HttpException) return e.getStatus();
  if (e instanceof UnknownEntityError) return HttpStatus.NOT_FOUND;
  if (e instanceof NoActiveModelError) return HttpStatus.SERVICE_UNAVAILABLE;
  const status = clientStatus(e);
  return status ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

/** The 4xx an error from Fastify's own stack (body limit, content-type parser, routing) carries, if any. */
function clientStatus(e: unknown): number | null {
  if (typeof e !== 'object' || e === null) return null;
  const o = e as { status?: unknown; statusCode?: unknown; expose?: unknown };
  const status = typeof o.status === 'number' ? o.status : o.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

export function errorBody(e: unknown, status: number): ErrorBody {
  const error = STATUS_CODES[status] ?? 'Error';
  if (e instanceof HttpException) {
    const r = e.getResponse();
    if (typeof r === 'string') return { statusCode: status, error, message: r };
    const o: Partial<ErrorBody> = r;
    return {
      ...o,
      statusCode: status,
      error: o.error ?? error,
      message: o.message ?? e.message,
    };
  }
  if (status === 500) return { statusCode: 500, error, message: 'internal error' };
  return { statusCode: status, error, message: e instanceof Error ? e.message : String(e) };
}

/** An error Fastify's stack understands (it carries its status), raised by the request guards. */
export function clientError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true });
}
