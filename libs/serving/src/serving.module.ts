import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DEBUT_CONFIG, DebutConfig } from '@debut/config';
import { EmbeddingRepository, InteractionRepository, ModelVersionRepository } from '@debut/catalog';
import { AudienceService } from './audience.service';
import { GateService } from './gate.service';
import { tfModelLoaders } from './model-loaders';
import { ModelRuntime } from './model-runtime';

/** How often a process looks for model activations and pool changes made by others. */
export const MODEL_POLL_MS = 2000;

/**
 * Active models, their FAISS pools, and the services that use them. `api` also holds every DSSM
 * song and user vector in memory for the gate (DssmVectors); the worker does not need them.
 */
@Global()
@Module({})
export class ServingModule implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(ModelRuntime) private readonly runtime: ModelRuntime) {}

  static forRole(role: 'api' | 'worker'): DynamicModule {
    return {
      module: ServingModule,
      providers: [
        {
          provide: ModelRuntime,
          inject: [DEBUT_CONFIG, ModelVersionRepository, EmbeddingRepository],
          useFactory: (c: DebutConfig, v: ModelVersionRepository, e: EmbeddingRepository) =>
            new ModelRuntime(c, v, e, tfModelLoaders(c.models.tfBackend), {
              dssmVectorsInMemory: role === 'api',
            }),
        },
        {
          provide: AudienceService,
          inject: [ModelRuntime, InteractionRepository, DEBUT_CONFIG, EmbeddingRepository],
          useFactory: (r: ModelRuntime, i: InteractionRepository, c: DebutConfig, e: EmbeddingRepository) =>
            new AudienceService(r, i, c.audience, e),
        },
        {
          provide: GateService,
          inject: [ModelRuntime, EmbeddingRepository, InteractionRepository],
          useFactory: (r: ModelRuntime, e: EmbeddingRepository, i: InteractionRepository) =>
            new GateService(r, e, i),
        },
      ],
      exports: [ModelRuntime, AudienceService, GateService],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.runtime.refresh();
    this.runtime.start(MODEL_POLL_MS);
  }

  onApplicationShutdown(): void {
    this.runtime.stop();
  }
}
