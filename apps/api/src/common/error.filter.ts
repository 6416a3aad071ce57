import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { Log } from '@debut/config';
import { NoActiveModelError, UnknownEntityError } from '@debut/serving';

/** Domain errors → HTTP: unknown ids 404, no active model 503; anything unexpected 500 (logged). */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly log = new Log('api');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (e instanceof HttpException) {
      res.status(e.getStatus()).json(e.getResponse());
      return;
    }
    if (e instanceof UnknownEntityError) {
      res.status(HttpStatus.NOT_FOUND).json({ statusCode: 404, error: 'Not Found', message: e.message });
      return;
    }
    if (e instanceof NoActiveModelError) {
      res
        .status(HttpStatus.SERVICE_UNAVAILABLE)
        .json({ statusCode: 503, error: 'Service Unavailable', message: e.message });
      return;
    }
    this.log.error('unhandled error', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    res.status(500).json({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}
