import {
  DynamicModule,
  Global,
  Inject,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DEBUT_CONFIG, DebutConfig } from '@debut/config';
import {
  AudienceFeedRepository,
  AudienceRepository,
  EmbeddingRepository,
  ExposureRepository,
  InteractionRepository,
  ModelVersionRepository,
  UserRepository,
} from '@debut/catalog';
import { AudienceCache } from './audience-cache';
import { AudienceService } from './audience.service';
import { GateService } from './gate.service';
import { tfModelLoaders } from './model-loaders';
import { ModelRuntime } from './model-runtime';

/** How often a process looks for model activations and pool changes made by others. */
export const MODEL_POLL_MS = 2000;

/** The api's cache of stored audiences; a song that moved pool, lost its vector or was deleted is read again. */
const audienceCacheProvider = {
  provide: AudienceCache,
  inject: [AudienceRepository, AudienceFeedRepository, ModelRuntime],
  useFactory: (a: AudienceRepository, f: AudienceFeedRepository, r: ModelRuntime) => {
    const cache = new AudienceCache(a, f);
    r.onChanges((_version, songIds) => cache.drop(songIds));
    return cache;
  },
};

/**
 * Active models, their FAISS pools, and the services that use them. `api` also holds every DSSM
 * song and user vector in memory for the gate (DssmVectors); the worker does not need them.
 */
@Global()
@Module({})
export class ServingModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(ModelRuntime) private readonly runtime: ModelRuntime,
    @Optional() @Inject(AudienceCache) private readonly audienceCache?: AudienceCache,
  ) {}

  static forRole(role: 'api' | 'worker'): DynamicModule {
    return {
      module: ServingModule,
      providers: [
        {
          provide: ModelRuntime,
          inject: [DEBUT_CONFIG, ModelVersionRepository, EmbeddingRepository],
          useFactory: (c: DebutConfig, v: ModelVersionRepository, e: EmbeddingRepository) =>
            new ModelRuntime(c, v, e, tfModelLoaders(c.models.tfBackend), {
              vectorsInMemory: role === 'api',
              nextMix: c.models.nextMemory.mix,
            }),
        },
        {
          provide: AudienceService,
          inject: [
            ModelRuntime,
            InteractionRepository,
            DEBUT_CONFIG,
            EmbeddingRepository,
            UserRepository,
            ExposureRepository,
          ],
          useFactory: (
            r: ModelRuntime,
            i: InteractionRepository,
            c: DebutConfig,
            e: EmbeddingRepository,
            users: UserRepository,
            exposures: ExposureRepository,
          ) => new AudienceService(r, i, c.audience, e, { users, exposures }),
        },
        {
          provide: GateService,
          inject: [ModelRuntime, EmbeddingRepository, InteractionRepository, DEBUT_CONFIG],
          useFactory: (r: ModelRuntime, e: EmbeddingRepository, i: InteractionRepository, c: DebutConfig) =>
            new GateService(r, e, i, c.models.nextMemory),
        },
        ...(role === 'api' ? [audienceCacheProvider] : []),
      ],
      exports: [ModelRuntime, AudienceService, GateService, ...(role === 'api' ? [AudienceCache] : [])],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.runtime.refresh();
    this.runtime.start(MODEL_POLL_MS);
    if (this.audienceCache) {
      await this.audienceCache.follow();
      this.audienceCache.start(MODEL_POLL_MS);
    }
  }

  onApplicationShutdown(): void {
    this.runtime.stop();
    this.audienceCache?.stop();
  }
}
