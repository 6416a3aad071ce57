import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Log } from '@debut/config';
import { errorBody, httpStatusOf } from '../common/http-errors';
import { esc, layout } from './html';

/**
 * Console pages answer errors as HTML pages with the same status and reason the JSON API gives
 * (unknown ids 404, no active model 503, bad query 400), through the platform's adapter.
 */
@Catch()
export class ConsoleErrorFilter implements ExceptionFilter {
  private readonly log = new Log('console');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const res: unknown = host.switchToHttp().getResponse();
    const status = httpStatusOf(e);
    if (status >= 500 && status !== 503)
      this.log.error('console page failed', {
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
    const body = errorBody(e, status);
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(res, 'content-type', 'text/html; charset=utf-8');
    adapter.reply(
      res,
      layout({
        title: `${status} ${body.error}`,
        section: null,
        body: `<h1>${status} · ${esc(body.error)}</h1><p>${esc(message)}</p><p><a href="/console/releases">Back to the releases</a></p>`,
      }),
      status,
    );
  }
}
