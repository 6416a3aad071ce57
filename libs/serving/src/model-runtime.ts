import * as path from 'node:path';
import type { DebutConfig } from '@debut/config';
import { Log } from '@debut/config';
import type { EmbeddingRepository, ModelKind, ModelVersionRepository, PoolChange } from '@debut/catalog';
import type { FeatureSchema, SongContent } from '@debut/features';
import { VectorIndex, createVectorIndex } from '@debut/index';
import type { AudienceArtifactConfig } from '@debut/models';

/** What the service needs of a trained I2I encoder. */
export interface SongEncoder {
  dim: number;
  schema: FeatureSchema;
  embed(contents: SongContent[]): Float32Array;
}

/** What the service needs of a trained DSSM. */
export interface InterestModel {
  dim: number;
  schema: FeatureSchema;
  embedItems(contents: SongContent[]): Float32Array;
  /** τ of the gate u·i > u·b + τ, calibrated when the model was trained (0 if absent). */
  gateOffset?: number;
  /** User and boundary vectors from each user's recent songs given as stored item vectors (h × dim each). */
  embedUsersFromItemVectors(histories: Float32Array[]): { users: Float32Array; boundaries: Float32Array };
}

/** What the service needs of an `audience` artifact (ridge map, fusion weights, the winner). */
export interface AudienceModels {
  schema: FeatureSchema;
  config: AudienceArtifactConfig;
  /** inputDim × users, row-major. */
  ridge: Float32Array;
}

export interface ModelLoaders {
  i2i(artifactDir: string): Promise<SongEncoder>;
  dssm(artifactDir: string): Promise<InterestModel>;
  /** Absent in deployments that serve neighbour voting only. */
  audience?(artifactDir: string): Promise<AudienceModels>;
}

/** The active audience artifact. */
export interface ActiveAudience {
  version: string;
  models: AudienceModels;
}

/** The active I2I model and the FAISS index of established (warm) songs in its space. */
export interface ActiveI2I {
  version: string;
  encoder: SongEncoder;
  warm: VectorIndex;
}

/** The active DSSM and the FAISS cold pool of its item vectors. */
export interface ActiveDssm {
  version: string;
  model: InterestModel;
  cold: VectorIndex;
}

/**
 * The models and indexes one process serves with. It follows the model_versions table: when
 * `trainer activate` switches a version, the next refresh loads the new artifact and index
 * (no restart). Between switches it applies pool changes made by other processes (new cold
 * songs, graduations) incrementally, so api and worker instances converge on the same pools.
 */
export class ModelRuntime {
  private i2iState: ActiveI2I | null = null;
  private dssmState: ActiveDssm | null = null;
  private audienceState: ActiveAudience | null = null;
  private watermark = new Map<string, Date>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly log = new Log('model-runtime');

  constructor(
    private readonly config: Pick<DebutConfig, 'index'>,
    private readonly versions: ModelVersionRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly loaders: ModelLoaders,
  ) {}

  get i2i(): ActiveI2I | null {
    return this.i2iState;
  }

  get dssm(): ActiveDssm | null {
    return this.dssmState;
  }

  get audience(): ActiveAudience | null {
    return this.audienceState;
  }

  /** Where a version's pool index is persisted. */
  static indexDir(baseDir: string, version: string, pool: 'warm' | 'cold'): string {
    return path.join(baseDir, version, pool);
  }

  /** Poll for activations and pool changes every `ms` (errors are logged, never thrown). */
  start(ms: number): void {
    this.timer = setInterval(() => {
      this.refresh().catch((e: unknown) => this.log.warn('refresh failed', { error: String(e) }));
    }, ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One refresh at a time; concurrent callers share it. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const [i2i, dssm, audience] = await Promise.all([
      this.versions.active('i2i'),
      this.versions.active('dssm'),
      this.loaders.audience ? this.versions.active('audience') : Promise.resolve(null),
    ]);
    if (audience && this.loaders.audience && audience.version !== this.audienceState?.version) {
      this.audienceState = {
        version: audience.version,
        models: await this.loaders.audience(audience.artifactPath),
      };
      this.log.info('audience model active', {
        version: audience.version,
        best: this.audienceState.models.config.best,
      });
    } else if (!audience) {
      this.audienceState = null;
    }
    if (i2i && i2i.version !== this.i2iState?.version) {
      const encoder = await this.loaders.i2i(i2i.artifactPath);
      const warm = await this.openIndex(i2i.version, 'warm', encoder.dim);
      this.i2iState = { version: i2i.version, encoder, warm };
      this.log.info('i2i model active', { version: i2i.version, warmSongs: warm.size });
    } else if (!i2i) {
      this.i2iState = null;
    }
    if (dssm && dssm.version !== this.dssmState?.version) {
      const model = await this.loaders.dssm(dssm.artifactPath);
      const cold = await this.openIndex(dssm.version, 'cold', model.dim);
      this.dssmState = { version: dssm.version, model, cold };
      this.log.info('dssm model active', { version: dssm.version, coldSongs: cold.size });
    } else if (!dssm) {
      this.dssmState = null;
    }
    if (this.i2iState) await this.applyChanges(this.i2iState.version, this.i2iState.warm, 'warm');
    if (this.dssmState) await this.applyChanges(this.dssmState.version, this.dssmState.cold, 'cold');
  }

  /**
   * The saved index when it matches the database (same number of vectors), otherwise one rebuilt
   * from the stored song vectors. A stale or missing file never blocks serving.
   */
  private async openIndex(version: string, pool: 'warm' | 'cold', dim: number): Promise<VectorIndex> {
    const dir = ModelRuntime.indexDir(this.config.index.dir, version, pool);
    const expected = await this.embeddings.countSongVectors(version, pool);
    if (VectorIndex.exists(dir)) {
      try {
        const saved = VectorIndex.load(dir);
        if (saved.size === expected && saved.dim === dim && saved.kind === this.config.index.kind) {
          saved.setEfSearch(this.config.index.efSearch);
          this.watermark.set(`${version}/${pool}`, new Date());
          return saved;
        }
        this.log.warn('saved index is stale or of another kind; rebuilding from the database', {
          dir,
          saved: saved.size,
          expected,
          kind: saved.kind,
          want: this.config.index.kind,
        });
      } catch (e) {
        this.log.warn('saved index unreadable; rebuilding from the database', { dir, error: String(e) });
      }
    }
    const started = new Date();
    const { ids, vectors } = await this.embeddings.songVectors(version, pool);
    const index = newPoolIndex(this.config.index, dim, `${pool}:${version}`);
    if (ids.length) index.add(ids, vectors);
    this.watermark.set(`${version}/${pool}`, started);
    return index;
  }

  /** Adds songs that joined `pool` under `version` and removes those that left it. */
  private async applyChanges(version: string, index: VectorIndex, pool: 'warm' | 'cold'): Promise<void> {
    const key = `${version}/${pool}`;
    const since = this.watermark.get(key) ?? new Date(0);
    const changes: PoolChange[] = await this.embeddings.changesSince(version, since);
    if (!changes.length) return;
    const joined = changes.filter((c) => c.pool === pool);
    const left = changes.filter((c) => c.pool !== pool && index.has(c.songId)).map((c) => c.songId);
    if (joined.length) {
      const packed = new Float32Array(joined.length * index.dim);
      joined.forEach((c, i) => packed.set(c.vector, i * index.dim));
      index.add(
        joined.map((c) => c.songId),
        packed,
      );
    }
    if (left.length) index.remove(left);
    this.watermark.set(key, changes[changes.length - 1].changedAt);
  }

  /** Persists the pools this process holds (on shutdown; the next start loads them). */
  save(): void {
    if (this.i2iState)
      this.i2iState.warm.save(ModelRuntime.indexDir(this.config.index.dir, this.i2iState.version, 'warm'));
    if (this.dssmState)
      this.dssmState.cold.save(ModelRuntime.indexDir(this.config.index.dir, this.dssmState.version, 'cold'));
  }

  /** Kind of the version a process must have to serve a request, for clear errors. */
  require<K extends ModelKind>(kind: K): K extends 'i2i' ? ActiveI2I : ActiveDssm {
    const state = kind === 'i2i' ? this.i2iState : this.dssmState;
    if (!state) throw new NoActiveModelError(kind);
    return state as K extends 'i2i' ? ActiveI2I : ActiveDssm;
  }
}

/** An empty pool index as configured (INDEX_KIND, INDEX_EF_SEARCH). */
export function newPoolIndex(cfg: DebutConfig['index'], dim: number, name: string): VectorIndex {
  return createVectorIndex({ dim, kind: cfg.kind, name, hnsw: { efSearch: cfg.efSearch } });
}

export class NoActiveModelError extends Error {
  constructor(readonly kind: ModelKind) {
    super(`no active ${kind} model: train one and run \`trainer activate <version>\``);
    this.name = 'NoActiveModelError';
  }
}
