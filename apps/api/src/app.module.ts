import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { DEBUT_CONFIG, DebutConfig, DebutConfigModule } from '@debut/config';
import { CatalogModule } from '@debut/catalog';
import { MessagingModule } from '@debut/messaging';
import { ServingModule } from '@debut/serving';
import { ApiKeyGuard } from './common/api-key.guard';
import { FixedWindowThrottlerStorage } from './common/fixed-window-throttler.storage';
import { ConsoleModule } from './console/console.module';
import { DomainErrorFilter } from './common/error.filter';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { PoolCheckController } from './health/pool-check.controller';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { ReleasesController } from './releases/releases.controller';
import { SearchModule } from './search/search.module';
import { SongsController } from './songs/songs.controller';
import { SongsService } from './songs/songs.service';
import { UsersController } from './users/users.controller';
import { RuleEvents } from './common/rule-events.service';

@Module({
  imports: [
    DebutConfigModule,
    CatalogModule,
    ServingModule.forRole('api'),
    MessagingModule.forRole('api'),
    ConsoleModule,
    SearchModule,
    ThrottlerModule.forRootAsync({
      inject: [DEBUT_CONFIG],
      useFactory: (c: DebutConfig) => ({
        throttlers: [{ ttl: 60_000, limit: c.http.rateLimitPerMinute }],
        storage: new FixedWindowThrottlerStorage(),
      }),
    }),
  ],
  controllers: [
    HealthController,
    PoolCheckController,
    MetricsController,
    SongsController,
    UsersController,
    ReleasesController,
  ],
  providers: [
    HealthService,
    MetricsService,
    SongsService,
    RuleEvents,
    ApiKeyGuard,
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_FILTER, useClass: DomainErrorFilter },
  ],
})
export class AppModule {}
