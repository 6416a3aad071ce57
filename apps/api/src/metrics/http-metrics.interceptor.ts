import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { httpStatusOf } from '../common/http-errors';
import { MetricsService } from './metrics.service';

/** Records every request's latency under its route pattern (not its raw URL: bounded labels). */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<{ method: string; routeOptions?: { url?: string } }>();
    const res = ctx.switchToHttp().getResponse<{ statusCode: number }>();
    const end = this.metrics.httpDuration.startTimer({
      method: req.method,
      route: req.routeOptions?.url ?? 'unknown',
    });
    return next.handle().pipe(
      tap({
        next: () => end({ status: String(res.statusCode) }),
        // The status the error filter answers with, not a guess: domain errors carry none.
        error: (e: unknown) => end({ status: String(httpStatusOf(e)) }),
      }),
    );
  }
}
