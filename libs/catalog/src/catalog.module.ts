import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEBUT_CONFIG, DebutConfig } from '@debut/config';
import { openDatabase } from './database';
import { AudienceFeedRepository } from './repositories/audience-feed.repository';
import { AudienceRepository } from './repositories/audience.repository';
import { DatabaseRepository } from './repositories/database.repository';
import { DeadLetterRepository } from './repositories/dead-letter.repository';
import { EmbeddingRepository } from './repositories/embedding.repository';
import { ExposureRepository } from './repositories/exposure.repository';
import { InteractionRepository } from './repositories/interaction.repository';
import { ModelVersionRepository } from './repositories/model-version.repository';
import { ProcessedEventRepository } from './repositories/processed-event.repository';
import { SongRepository } from './repositories/song.repository';
import { UserRepository } from './repositories/user.repository';

const repositories = [
  SongRepository,
  InteractionRepository,
  ModelVersionRepository,
  EmbeddingRepository,
  AudienceRepository,
  AudienceFeedRepository,
  DatabaseRepository,
  DeadLetterRepository,
  UserRepository,
  ExposureRepository,
] as const;

/** The database connection (created and migrated at start) and the repositories over it. */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [DEBUT_CONFIG],
      useFactory: (config: DebutConfig) => openDatabase(config.db),
    },
    ...repositories.map((R) => ({
      provide: R,
      inject: [DataSource],
      useFactory: (ds: DataSource) => new R(ds),
    })),
    { provide: ProcessedEventRepository, useValue: new ProcessedEventRepository() },
  ],
  exports: [DataSource, ...repositories, ProcessedEventRepository],
})
export class CatalogModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
