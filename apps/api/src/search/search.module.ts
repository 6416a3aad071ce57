import { Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DEBUT_CONFIG, DebutConfig, Log } from '@debut/config';
import { EmbeddingRepository, ModelVersionRepository, SongRepository } from '@debut/catalog';
import { MODEL_POLL_MS, SearchRuntime, searchModelLoader } from '@debut/serving';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

/** GET /v1/search and the process's search index, which follows activations and new releases. */
@Module({
  controllers: [SearchController],
  providers: [
    {
      provide: SearchRuntime,
      inject: [DEBUT_CONFIG, ModelVersionRepository, SongRepository, EmbeddingRepository],
      useFactory: (c: DebutConfig, v: ModelVersionRepository, s: SongRepository, e: EmbeddingRepository) =>
        new SearchRuntime({
          config: c,
          versions: v,
          songs: s,
          embeddings: e,
          load: searchModelLoader(c.models.tfBackend),
        }),
    },
    SearchService,
  ],
})
export class SearchModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(SearchRuntime) private readonly runtime: SearchRuntime) {}

  async onModuleInit(): Promise<void> {
    // Search is one route among many: a broken search artifact leaves it at 503, not the api down.
    await this.runtime
      .refresh()
      .catch((e: unknown) => new Log('search').warn('search model not loaded', { error: String(e) }));
    this.runtime.start(MODEL_POLL_MS);
  }

  onApplicationShutdown(): void {
    this.runtime.stop();
  }
}
