import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { DEBUT_CONFIG, DebutConfig } from '@debut/config';

/** Write and admin endpoints need `x-api-key` (or `Authorization: Bearer <key>`). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly key: Buffer;
  constructor(@Inject(DEBUT_CONFIG) config: DebutConfig) {
    this.key = Buffer.from(config.http.apiKey);
  }

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    const given = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer\s+/i, '');
    if (!given) throw new UnauthorizedException('missing API key: send it in the x-api-key header');
    const g = Buffer.from(given);
    if (g.length !== this.key.length || !timingSafeEqual(g, this.key))
      throw new UnauthorizedException('invalid API key');
    return true;
  }
}
