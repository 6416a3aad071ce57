import { Module } from '@nestjs/common';
import { DebutConfigModule } from '@debut/config';
import { CatalogModule } from '@debut/catalog';
import { MessagingModule } from '@debut/messaging';
import { ServingModule } from '@debut/serving';
import { ReleaseConsumer } from './release.consumer';
import { InteractionConsumer } from './interaction.consumer';
import { AudienceRulesConsumer } from './audience-rules.consumer';
import { WorkerMetrics } from './worker-metrics';
import { PoisonGuard } from './poison-guard';
import { StartupChecks } from './startup-checks';

@Module({
  imports: [
    DebutConfigModule,
    CatalogModule,
    ServingModule.forRole('worker'),
    MessagingModule.forRole('worker'),
  ],
  providers: [
    StartupChecks,
    WorkerMetrics,
    PoisonGuard,
    ReleaseConsumer,
    InteractionConsumer,
    AudienceRulesConsumer,
  ],
})
export class WorkerModule {}
