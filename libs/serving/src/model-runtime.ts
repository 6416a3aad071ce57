import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebutConfig } from '@debut/config';
import { Log } from '@debut/config';
import type { ChangeCursor, EmbeddingRepository, ModelKind, ModelVersionRepository } from '@debut/catalog';
import type { FeatureSchema, SongContent } from '@debut/features';
import { VectorIndex, createVectorIndex } from '@debut/index';
import type { AudienceArtifactConfig } from '@debut/models';
import { DssmVectors, applySongChanges, songTableOf } from './dssm-vectors';
import type { VectorTable } from './vector-table';

/** What the service needs of a trained I2I encoder. */
export interface SongEncoder {
  dim: number;
  schema: FeatureSchema;
  embed(contents: SongContent[]): Float32Array;
  /**
   * The version's semantic-ID codebook (saved with its artifact); null or absent when it was
   * trained without one, and then songs get no SID.
   */
  sids?: SemanticIdEncoder | null;
  /** Frees the model's tensors; called once no request can still use a replaced version. */
  dispose?(): void;
}

/** What the service needs of a semantic-ID codebook: vectors in, "12-5-40" strings out. */
export interface SemanticIdEncoder {
  levels: number;
  codes: number;
  encode(vectors: Float32Array): string[];
}

/** What the service needs of a trained DSSM. */
export interface InterestModel {
  dim: number;
  schema: FeatureSchema;
  embedItems(contents: SongContent[]): Float32Array;
  /** τ of the gate u·i > u·b + τ, calibrated when the model was trained (0 if absent). */
  gateOffset?: number;
  /**
   * User and boundary vectors from each user's recent songs given as stored item vectors (h × dim
   * each), optionally weighted per song (h_next's recency weights; default equal).
   */
  embedUsersFromItemVectors(
    histories: Float32Array[],
    weights?: Float32Array[],
  ): { users: Float32Array; boundaries: Float32Array };
  /**
   * Calendar context (trained with `--context month`): the user vector a request naming a time
   * `at` is gated with, u + o_month(at) (a new vector). Absent: the model has no context offsets.
   */
  userAt?(user: Float32Array, at: Date): Float32Array;
  /** Frees the model's tensors; called once no request can still use a replaced version. */
  dispose?(): void;
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
  /** Every song's vector of this version in memory (api processes, for /similar); null where not held. */
  vectors: VectorTable | null;
}

/** The active DSSM and the FAISS cold pool of its item vectors. */
export interface ActiveDssm {
  version: string;
  model: InterestModel;
  cold: VectorIndex;
  /** Every song and user vector of this version in memory (api processes); null where not held. */
  vectors: DssmVectors | null;
}

export interface ModelRuntimeOptions {
  /**
   * How long a replaced model stays usable after a switch before its tensors are freed: a
   * request that started on it keeps its version to the end (see ServingState).
   */
  disposeGraceMs?: number;
  /**
   * Hold every song vector of the active I2I model and every song and user vector of the active
   * DSSM in memory: the api's hot routes need them, the worker does not.
   */
  vectorsInMemory?: boolean;
  /**
   * With vectorsInMemory: λ of dual memory (DSSM_NEXT_MIX); > 0 holds each user's h_next and the
   * gate's mix too (DssmVectors).
   */
  nextMix?: number;
}

/**
 * Everything one request serves with, taken once at its start. A switch replaces the whole
 * object, so a request in flight keeps the versions it started with from start to end.
 */
export interface ServingState {
  readonly i2i: ActiveI2I | null;
  readonly dssm: ActiveDssm | null;
  readonly audience: ActiveAudience | null;
}

/**
 * The models and indexes one process serves with. It follows the model_versions table: when
 * `trainer activate` switches a version, the next refresh loads the new artifact and index
 * (no restart). Between switches it applies pool changes made by other processes (new cold
 * songs, graduations) incrementally, so api and worker instances converge on the same pools.
 */
export class ModelRuntime {
  private current: ServingState = Object.freeze({ i2i: null, dssm: null, audience: null });
  /** Per `<version>/<pool>`: the change-log position the in-memory pool reflects. */
  private cursors = new Map<string, ChangeCursor>();
  private readonly changeListeners: Array<(version: string, songIds: string[]) => void> = [];
  private readonly switchListeners: Array<(state: ServingState) => void> = [];
  private readonly userListeners: Array<(version: string, userIds: string[]) => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private followUp: Promise<void> | null = null;
  private readonly log = new Log('model-runtime');

  constructor(
    private readonly config: Pick<DebutConfig, 'index'>,
    private readonly versions: ModelVersionRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly loaders: ModelLoaders,
    private readonly options: ModelRuntimeOptions = {},
  ) {}

  /** The versions to serve one request with (read it once per request). */
  get state(): ServingState {
    return this.current;
  }

  get i2i(): ActiveI2I | null {
    return this.current.i2i;
  }

  get dssm(): ActiveDssm | null {
    return this.current.dssm;
  }

  get audience(): ActiveAudience | null {
    return this.current.audience;
  }

  /** Where a version's pool index is persisted. */
  static indexDir(baseDir: string, version: string, pool: 'warm' | 'cold'): string {
    return path.join(baseDir, version, pool);
  }

  /** Poll for activations and pool changes every `ms` (errors are logged, never thrown). */
  start(ms: number): void {
    this.timer = setInterval(() => {
      if (this.refreshing) return; // a poll needs no follow-up: the next tick comes anyway
      this.refresh().catch((e: unknown) => this.log.warn('refresh failed', { error: String(e) }));
    }, ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One refresh at a time, and each caller sees the database as it was when it called: a refresh
   * already running may have read the active versions before the caller's change (an activation
   * that just committed), so a caller arriving during one waits for it and then gets a refresh
   * that starts after its call, shared with everyone else who arrived meanwhile.
   */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => (this.refreshing = null));
      return this.refreshing;
    }
    this.followUp ??= this.refreshing
      .catch(() => undefined)
      .then(() => {
        this.followUp = null;
        return this.refresh();
      });
    return this.followUp;
  }

  private async doRefresh(): Promise<void> {
    const [i2i, dssm, audience] = await Promise.all([
      this.versions.active('i2i'),
      this.versions.active('dssm'),
      this.loaders.audience ? this.versions.active('audience') : Promise.resolve(null),
    ]);
    const was = this.current;
    let audienceState = was.audience;
    if (audience && this.loaders.audience && audience.version !== was.audience?.version) {
      audienceState = {
        version: audience.version,
        models: await this.loaders.audience(audience.artifactPath),
      };
      this.log.info('audience model active', {
        version: audience.version,
        best: audienceState.models.config.best,
      });
    } else if (!audience) {
      audienceState = null;
    }
    let i2iState = was.i2i;
    if (i2i && i2i.version !== was.i2i?.version) {
      const encoder = await this.loaders.i2i(i2i.artifactPath);
      const warm = await this.openIndex(i2i.version, 'warm', encoder.dim);
      // Read after the pool's cursor was taken, so following the log from it misses nothing.
      const vectors = this.options.vectorsInMemory
        ? songTableOf(await this.embeddings.songVectors(i2i.version), encoder.dim)
        : null;
      i2iState = { version: i2i.version, encoder, warm, vectors };
      this.log.info('i2i model active', { version: i2i.version, warmSongs: warm.size });
    } else if (!i2i) {
      i2iState = null;
    }
    let dssmState = was.dssm;
    if (dssm && dssm.version !== was.dssm?.version) {
      const model = await this.loaders.dssm(dssm.artifactPath);
      const cold = await this.openIndex(dssm.version, 'cold', model.dim);
      // Read after the pool's cursor was taken, so following the log from it misses nothing.
      const vectors = this.options.vectorsInMemory
        ? await DssmVectors.load(this.embeddings, dssm.version, model.dim, this.options.nextMix)
        : null;
      dssmState = { version: dssm.version, model, cold, vectors };
      this.log.info('dssm model active', {
        version: dssm.version,
        coldSongs: cold.size,
        vectorsInMemory: vectors ? { songs: vectors.songs.size, users: vectors.users.size } : null,
      });
    } else if (!dssm) {
      dssmState = null;
    }
    if (i2iState) await this.applyChanges(i2iState.version, i2iState.warm, 'warm', i2iState.vectors);
    if (dssmState) {
      await this.applyChanges(dssmState.version, dssmState.cold, 'cold', dssmState.vectors?.songs ?? null);
      const users = dssmState.vectors ? await dssmState.vectors.followUsers(this.embeddings) : [];
      if (users.length) for (const l of this.userListeners) l(dssmState.version, users);
    }
    // One assignment: requests see either every old version or every new one.
    if (i2iState !== was.i2i || dssmState !== was.dssm || audienceState !== was.audience) {
      this.current = Object.freeze({ i2i: i2iState, dssm: dssmState, audience: audienceState });
      if (was.i2i && was.i2i !== i2iState) this.retire(was.i2i.encoder);
      if (was.dssm && was.dssm !== dssmState) this.retire(was.dssm.model);
      for (const l of this.switchListeners) l(this.current);
    }
  }

  /** Frees a replaced model once the requests that started on it are done. */
  private retire(model: { dispose?(): void }): void {
    if (!model.dispose) return;
    const dispose = () => {
      try {
        model.dispose!();
      } catch (e) {
        this.log.warn('disposing a replaced model failed', { error: String(e) });
      }
    };
    setTimeout(dispose, this.options.disposeGraceMs ?? 30_000).unref();
  }

  /** Called with the new state each time a version is switched (or a kind is deactivated). */
  onSwitch(listener: (state: ServingState) => void): void {
    this.switchListeners.push(listener);
  }

  /** Called with the users whose held DSSM vectors were refreshed (only where vectors are held). */
  onUserVectors(listener: (version: string, userIds: string[]) => void): void {
    this.userListeners.push(listener);
  }

  /** Called with the songs whose state changed under a version each time the pools follow the log. */
  onChanges(listener: (version: string, songIds: string[]) => void): void {
    this.changeListeners.push(listener);
  }

  /**
   * The saved index when it was saved for this version with a change-log cursor, caught up with
   * the changes made since; otherwise one rebuilt from the stored song vectors. A count that
   * still disagrees with the database after catching up means drift: the pool is rebuilt. A
   * stale or missing file never blocks serving.
   */
  private async openIndex(version: string, pool: 'warm' | 'cold', dim: number): Promise<VectorIndex> {
    const dir = ModelRuntime.indexDir(this.config.index.dir, version, pool);
    const key = `${version}/${pool}`;
    if (VectorIndex.exists(dir)) {
      try {
        const saved = VectorIndex.load(dir);
        const sync = readPoolSync(dir);
        const usable =
          sync?.version === version &&
          sync.pool === pool &&
          sync.size === saved.size &&
          saved.dim === dim &&
          saved.kind === this.config.index.kind;
        if (usable) {
          saved.setEfSearch(this.config.index.efSearch);
          this.cursors.set(key, sync.cursor);
          await this.applyChanges(version, saved, pool);
          const expected = await this.embeddings.countSongVectors(version, pool);
          if (saved.size === expected) return saved;
          this.log.warn('saved index disagrees with the database after catching up; rebuilding', {
            dir,
            saved: saved.size,
            expected,
          });
        } else {
          this.log.warn('saved index is stale, of another kind or has no change cursor; rebuilding', {
            dir,
            saved: saved.size,
            savedFor: sync?.version ?? null,
            kind: saved.kind,
            want: this.config.index.kind,
          });
        }
      } catch (e) {
        this.log.warn('saved index unreadable; rebuilding from the database', { dir, error: String(e) });
      }
    }
    const { index, cursor } = await buildPool(this.config.index, this.embeddings, version, pool, dim);
    this.cursors.set(key, cursor);
    return index;
  }

  /**
   * Follows the change log from this pool's cursor: songs that joined `pool` under `version`
   * (or got a new vector) are added, those that left it are removed. Each log entry is read once.
   */
  private async applyChanges(
    version: string,
    index: VectorIndex,
    pool: 'warm' | 'cold',
    vectors: VectorTable | null = null,
  ): Promise<void> {
    const key = `${version}/${pool}`;
    let cursor = this.cursors.get(key) ?? (await this.embeddings.changeHorizon());
    for (;;) {
      const batch = await this.embeddings.changesAfter(version, cursor, CHANGE_PAGE);
      const joined = batch.changes.filter((c) => c.pool === pool && c.vector);
      const left = batch.changes.filter((c) => c.pool !== pool && index.has(c.songId)).map((c) => c.songId);
      if (joined.length) {
        const packed = new Float32Array(joined.length * index.dim);
        joined.forEach((c, i) => packed.set(c.vector!, i * index.dim));
        index.add(
          joined.map((c) => c.songId),
          packed,
        );
      }
      if (left.length) index.remove(left);
      if (vectors) applySongChanges(vectors, batch.changes);
      this.cursors.set(key, batch.cursor);
      cursor = batch.cursor;
      if (batch.changes.length) {
        const ids = batch.changes.map((c) => c.songId);
        for (const l of this.changeListeners) l(version, ids);
      }
      if (batch.changes.length < CHANGE_PAGE) return;
    }
  }

  /** Persists the pools this process holds with their change cursors (on shutdown; the next start loads them). */
  save(): void {
    const states: Array<[string, 'warm' | 'cold', VectorIndex]> = [];
    const { i2i, dssm } = this.current;
    if (i2i) states.push([i2i.version, 'warm', i2i.warm]);
    if (dssm) states.push([dssm.version, 'cold', dssm.cold]);
    for (const [version, pool, index] of states) {
      const cursor = this.cursors.get(`${version}/${pool}`);
      if (cursor) savePool(this.config.index.dir, version, pool, index, cursor);
    }
  }

  /** Kind of the version a process must have to serve a request, for clear errors. */
  require<K extends ModelKind>(kind: K): K extends 'i2i' ? ActiveI2I : ActiveDssm {
    return requireActive(this.current, kind);
  }
}

/** The active version of `kind` in one request's state; NoActiveModelError when there is none. */
export function requireActive<K extends ModelKind>(
  state: ServingState,
  kind: K,
): K extends 'i2i' ? ActiveI2I : ActiveDssm {
  const active = kind === 'i2i' ? state.i2i : state.dssm;
  if (!active) throw new NoActiveModelError(kind);
  return active as K extends 'i2i' ? ActiveI2I : ActiveDssm;
}

/** Change-log entries read per query while following it. */
const CHANGE_PAGE = 10_000;

/** What a saved pool reflects: written beside the index (after it), read before trusting it. */
interface PoolSync {
  version: string;
  pool: 'warm' | 'cold';
  size: number;
  cursor: ChangeCursor;
}

const SYNC_FILE = 'sync.json';

function readPoolSync(dir: string): PoolSync | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, SYNC_FILE), 'utf8')) as PoolSync;
  } catch {
    return null;
  }
}

/**
 * Saves a pool and the change-log cursor it reflects. The index goes first and the cursor file
 * second (renamed into place), so a crash between the two leaves an older cursor beside a newer
 * index: the loader then replays a few changes twice, which is harmless, and never skips one.
 */
export function savePool(
  baseDir: string,
  version: string,
  pool: 'warm' | 'cold',
  index: VectorIndex,
  cursor: ChangeCursor,
): void {
  const dir = ModelRuntime.indexDir(baseDir, version, pool);
  index.save(dir);
  const sync: PoolSync = { version, pool, size: index.size, cursor };
  const tmp = path.join(dir, `${SYNC_FILE}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(sync));
  fs.renameSync(tmp, path.join(dir, SYNC_FILE));
}

/**
 * A pool built from the stored vectors, and the cursor to follow the change log from. The
 * cursor is taken before the read: every transaction below it is in what the read sees, and
 * changes at or after it are replayed (an overlap is harmless: a replayed change is idempotent).
 */
export async function buildPool(
  cfg: DebutConfig['index'],
  embeddings: EmbeddingRepository,
  version: string,
  pool: 'warm' | 'cold',
  dim: number,
): Promise<{ index: VectorIndex; cursor: ChangeCursor }> {
  const cursor = await embeddings.changeHorizon();
  const { ids, vectors } = await embeddings.songVectors(version, pool);
  const index = newPoolIndex(cfg, dim, `${pool}:${version}`);
  if (ids.length) index.add(ids, vectors);
  return { index, cursor };
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
