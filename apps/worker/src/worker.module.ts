import { Module } from '@nestjs/common';
import { DebutConfigModule } from '@debut/config';
import { CatalogModule } from '@debut/catalog';
import { MessagingModule } from '@debut/messaging';
import { ServingModule } from '@debut/serving';
import { ReleaseConsumer } from './release.consumer';
import { InteractionConsumer } from './interaction.consumer';

@Module({
  imports: [DebutConfigModule, CatalogModule, ServingModule, MessagingModule.forRole('worker')],
  providers: [ReleaseConsumer, InteractionConsumer],
})
export class WorkerModule {}
