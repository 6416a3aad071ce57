import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Log } from '@debut/config';
import { errorBody, httpStatusOf } from './http-errors';

/**
 * Every error → `{ statusCode, error, message }`: domain errors (unknown ids 404, no active model
 * 503), HttpExceptions (also those built from a bare string, like the throttler's 429), the body
 * parser's and the request guard's refusals (400/413/415); anything unexpected 500 (logged).
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly log = new Log('api');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const res: unknown = host.switchToHttp().getResponse();
    const status = httpStatusOf(e);
    if (status >= 500 && status !== 503) {
      this.log.error('unhandled error', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
    this.adapterHost.httpAdapter.reply(res, errorBody(e, status), status);
  }
}
