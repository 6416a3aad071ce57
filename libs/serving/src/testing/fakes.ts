/**
 * In-memory stand-ins for what the serving code talks to (the PostgreSQL repositories, the Kafka
 * publisher, trained models), shared by the unit tests of libs/serving, apps/api and apps/worker.
 * They model only what those callers rely on: the ON CONFLICT rules of the repositories, pools,
 * stale flags, and a transaction that undoes its writes when its callback throws.
 *
 * No jest globals here: this file is also compiled by `tsconfig.build.json` (types: node only).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type {
  AudienceEntity,
  AudienceFeedRepository,
  FeedCursor,
  ChangeCursor,
  PackedUserVectors,
  StoredUserVectors,
  UserVectorBatch,
  UserVectorCursor,
  AudienceRepository,
  EmbeddingRepository,
  InteractionRepository,
  ModelKind,
  ModelVersionEntity,
  ModelVersionRepository,
  NewInteraction,
  NewSong,
  PoolChange,
  PoolChangeBatch,
  ProcessedEventRepository,
  SongEntity,
  SongPool,
  SongRepository,
} from '@debut/catalog';
import { SupersededVersionError, packUserVectors } from '@debut/catalog';
import { loadConfig, type DebutConfig } from '@debut/config';
import type { FeatureSchema, SongContent, SongReleasedEvent } from '@debut/features';
import type { ConsumedMessage, EventPublisher, OutgoingEvent } from '@debut/messaging';
import type { DataSource, EntityManager } from 'typeorm';
import { AudienceService } from '../audience.service';
import { loadDeploymentSchema } from '../feature-schema';
import {
  ModelRuntime,
  type InterestModel,
  type ModelLoaders,
  type ModelRuntimeOptions,
  type SemanticIdEncoder,
  type SongEncoder,
} from '../model-runtime';

// The services log JSON lines at info level; tests only want to see real failures.
process.env.LOG_LEVEL ??= 'error';

/** Dimension of the fake models' vectors: the first DIM audio values of a song are its vector. */
export const DIM = 4;

const SCHEMA: FeatureSchema = loadDeploymentSchema();
const AUDIO_DIM = dimOf('audio');
const TEXT_DIM = dimOf('text');

function dimOf(name: string): number {
  const m = SCHEMA.modalities.find((x) => x.name === name);
  if (!m || m.kind !== 'dense') throw new Error(`deployment schema has no dense modality ${name}`);
  return m.dim;
}

/** Song content whose fake-model vector is `direction` (padded with zeros to DIM). */
export function contentFor(direction: readonly number[]): {
  language: string;
  genres: string[];
  features: Record<string, number[]>;
} {
  const audio = new Array<number>(AUDIO_DIM).fill(0);
  direction.forEach((x, i) => (audio[i] = x));
  return { language: 'en', genres: ['pop'], features: { audio, text: new Array<number>(TEXT_DIM).fill(0) } };
}

/** A valid song.released for the deployment schema. */
export function releaseEvent(
  songId: string,
  direction: readonly number[],
  overrides: Partial<SongReleasedEvent> = {},
): SongReleasedEvent {
  const c = contentFor(direction);
  return {
    eventId: `evt-${songId}`,
    songId,
    title: `Song ${songId}`,
    artistId: 'artist-1',
    language: c.language,
    genres: c.genres,
    releasedAt: '2024-05-01T12:00:00Z',
    features: c.features,
    ...overrides,
  };
}

/** A record as TopicConsumer hands it to a batch handler (value and parsed json). */
export function consumed(value: unknown, offset = 0, topic = 'song.released'): ConsumedMessage {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    topic,
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.from(text),
    headers: {},
    timestamp: '0',
    json,
  };
}

/** Configuration as loadConfig builds it, with a private index directory and exact (flat) pools. */
export function testConfig(env: Record<string, string> = {}): DebutConfig {
  return loadConfig({
    API_KEY: 'unit-test-api-key',
    INDEX_KIND: 'flat',
    INDEX_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'debut-unit-index-')),
    AUDIENCE_NEIGHBOURS: '3',
    AUDIENCE_SIZE: '10',
    GRADUATE_AFTER_LISTENERS: '2',
    METRICS_ENABLED: 'false',
    ...env,
  });
}

function firstValues(c: SongContent): number[] {
  return Array.from({ length: DIM }, (_, i) => c.features.audio?.[i] ?? 0);
}

/** An I2I encoder whose vector of a song is its first DIM audio values (tests pick vectors through content). */
export class FakeEncoder implements SongEncoder {
  readonly dim = DIM;
  readonly schema = SCHEMA;
  /** Songs per embed() call (one forward pass each). */
  readonly calls: number[] = [];
  /** No codebook unless a test sets one. */
  sids: SemanticIdEncoder | null = null;
  disposed = false;
  dispose(): void {
    this.disposed = true;
  }
  embed(contents: SongContent[]): Float32Array {
    if (this.disposed) throw new Error('FakeEncoder: used after dispose');
    this.calls.push(contents.length);
    return Float32Array.from(contents.flatMap(firstValues));
  }
}

/**
 * A DSSM whose item vector is the song's first DIM audio values, whose user vector is the mean of
 * the history's item vectors and whose boundary vector is half of it (so u·b = |u|²/2).
 */
export class FakeInterestModel implements InterestModel {
  readonly dim = DIM;
  readonly schema = SCHEMA;
  readonly histories: Float32Array[][] = [];
  disposed = false;
  dispose(): void {
    this.disposed = true;
  }
  embedItems(contents: SongContent[]): Float32Array {
    if (this.disposed) throw new Error('FakeInterestModel: used after dispose');
    return Float32Array.from(contents.flatMap(firstValues));
  }
  embedUsersFromItemVectors(histories: Float32Array[]): { users: Float32Array; boundaries: Float32Array } {
    this.histories.push(histories);
    const users = new Float32Array(histories.length * DIM);
    histories.forEach((h, u) => {
      const rows = h.length / DIM;
      for (let r = 0; r < rows; r++)
        for (let k = 0; k < DIM; k++) users[u * DIM + k] += h[r * DIM + k] / rows;
    });
    return { users, boundaries: users.map((x) => x / 2) };
  }
}

/** A model version of the fake models, as ModelVersionRepository.register takes it. */
export function versionRow(version: string, kind: ModelKind) {
  return { version, kind, artifactPath: `/models/${version}`, dim: DIM, config: {}, metrics: {} };
}

/** Model loaders that hand out fake models and remember which artifacts were asked for. */
export class FakeLoaders implements ModelLoaders {
  readonly loaded: string[] = [];
  /** Every model handed out, to check that replaced ones get disposed. */
  readonly models: Array<FakeEncoder | FakeInterestModel> = [];
  async i2i(dir: string): Promise<SongEncoder> {
    this.loaded.push(dir);
    const m = new FakeEncoder();
    this.models.push(m);
    return m;
  }
  async dssm(dir: string): Promise<InterestModel> {
    this.loaded.push(dir);
    const m = new FakeInterestModel();
    this.models.push(m);
    return m;
  }
}

/** What the fakes persist; cloned whole when a transaction starts, put back when it throws. */
interface SongVectorRow {
  vector: Float32Array;
  sid?: string | null;
  updatedAt: Date;
}

const copyMemory = (m: { user: Float32Array; boundary: Float32Array }) => ({
  user: Float32Array.from(m.user),
  boundary: Float32Array.from(m.boundary),
});

interface UserVectorRow {
  user: Float32Array;
  boundary: Float32Array;
  next?: { user: Float32Array; boundary: Float32Array };
}

interface State {
  songs: Map<string, SongEntity>;
  /** version → song → vector */
  songVectors: Map<string, Map<string, SongVectorRow>>;
  /** version → user → (u, b) */
  userVectors: Map<string, Map<string, UserVectorRow>>;
  interactions: NewInteraction[];
  users: Set<string>;
  stale: Set<string>;
  audiences: AudienceEntity[];
  processed: Map<string, string>;
  versions: Map<string, ModelVersionEntity>;
  /** pool_changes: what the triggers log (a song's pool moved: version null; a vector written). */
  changeLog: Array<{ songId: string; version: string | null }>;
  /** Every user-vector write, in commit order (what the xid column orders in PostgreSQL). */
  userVectorLog: Array<{ userId: string; version: string }>;
  /** Songs whose audience was written, in commit order (what audiences.xid orders). */
  audienceLog: string[];
  /** pending_audiences: song → event id, in queue order. */
  pendingAudiences: Map<string, string | null>;
}

/** One write as a repository received it: `tx` is true when it ran on the open transaction's manager. */
export interface Write {
  what: string;
  tx: boolean;
}

/**
 * PostgreSQL in memory: the state behind every fake repository, a DataSource whose transaction()
 * undoes its writes on a throw, and a log of the writes (with whether they used the transaction).
 */
export class InMemoryCatalog {
  private state: State = {
    songs: new Map(),
    songVectors: new Map(),
    userVectors: new Map(),
    interactions: [],
    users: new Set(),
    stale: new Set(),
    audiences: [],
    processed: new Map(),
    versions: new Map(),
    changeLog: [],
    userVectorLog: [],
    audienceLog: [],
    pendingAudiences: new Map(),
  };
  readonly writes: Write[] = [];
  /** Read calls by name (batching is part of the contract: one read per chunk). */
  readonly reads: string[] = [];
  /** Time stamp of writes (songs.updated_at, song_embeddings.updated_at). */
  clock: () => Date = () => new Date();
  private readonly failures = new Map<string, Error[]>();
  private tx: EntityManager | null = null;
  private readonly hooks = new Map<string, () => void>();

  readonly songs = new FakeSongRepository(this);
  readonly audiences = new FakeAudienceRepository(this);
  readonly embeddings = new FakeEmbeddingRepository(this);
  readonly interactions = new FakeInteractionRepository(this);
  readonly processed = new FakeProcessedEventRepository(this);
  readonly versions = new FakeModelVersionRepository(this);
  readonly dataSource = {
    options: { database: 'in-memory' },
    isInitialized: false,
    query: async (sql: string) => {
      this.hit('query');
      return sql.trim() === 'SELECT 1' ? [{ '?column?': 1 }] : [];
    },
    transaction: <T>(fn: (m: EntityManager) => Promise<T>) => this.transaction(fn),
  };

  /** The fakes typed as what production code asks for. */
  get repos() {
    return {
      songs: this.songs as unknown as SongRepository,
      audiences: this.audiences as unknown as AudienceRepository,
      audienceFeed: new FakeAudienceFeedRepository(this) as unknown as AudienceFeedRepository,
      embeddings: this.embeddings as unknown as EmbeddingRepository,
      interactions: this.interactions as unknown as InteractionRepository,
      processed: this.processed as unknown as ProcessedEventRepository,
      versions: this.versions as unknown as ModelVersionRepository,
      dataSource: this.dataSource as unknown as DataSource,
    };
  }

  get s(): State {
    return this.state;
  }

  /** The next call of `method` (e.g. 'audiences.insertMany') throws `error` (a transient failure). */
  failNext(method: string, error: Error = new Error(`${method}: connection terminated unexpectedly`)): void {
    const list = this.failures.get(method) ?? [];
    list.push(error);
    this.failures.set(method, list);
  }

  /**
   * Runs `fn` once, right after the next call of `method` did its work (e.g. a play landing
   * meanwhile). Only methods that call done() support it: 'interactions.recentHistories'.
   */
  after(method: string, fn: () => void): void {
    this.hooks.set(method, fn);
  }

  /** Called by every fake method: injected failures, then the read log. */
  hit(method: string): void {
    const err = this.failures.get(method)?.shift();
    if (err) throw err;
    if (!WRITES.has(method)) this.reads.push(method);
  }

  /** Called by a fake method when its work is done: runs the after() hook, if any. */
  done(method: string): void {
    const hook = this.hooks.get(method);
    if (hook) {
      this.hooks.delete(method);
      hook();
    }
  }

  wrote(what: string, manager?: EntityManager): void {
    this.writes.push({ what, tx: manager !== undefined && manager === this.tx });
  }

  async transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    this.hit('transaction');
    const before = structuredClone(this.state);
    const writes = this.writes.length;
    const manager = { transaction: true } as unknown as EntityManager;
    this.tx = manager;
    try {
      return await fn(manager);
    } catch (e) {
      this.state = before;
      this.writes.splice(writes); // rolled back: as if never written
      throw e;
    } finally {
      this.tx = null;
    }
  }

  // ---- seeding ------------------------------------------------------------------------------

  /** A stored song with the content whose fake-model vector is `direction`. */
  addSong(id: string, pool: SongPool, direction: readonly number[] = [1, 0, 0, 0]): SongEntity {
    const c = contentFor(direction);
    const now = this.clock();
    const song: SongEntity = {
      id,
      title: `Song ${id}`,
      artistId: 'artist-1',
      language: c.language,
      genres: c.genres,
      releasedAt: new Date('2024-01-01T00:00:00Z'),
      features: c.features,
      pool,
      listenerCount: 0,
      availability: null,
      explicit: false,
      audienceBudget: null,
      createdAt: now,
      updatedAt: now,
    };
    this.state.songs.set(id, song);
    return song;
  }

  /** Songs of one pool whose vector under each of `versions` is their content's direction. */
  addSongs(pool: SongPool, songs: Record<string, readonly number[]>, versions: readonly string[] = []): void {
    for (const [id, v] of Object.entries(songs)) {
      this.addSong(id, pool, v);
      for (const version of versions) this.setSongVector(version, id, v);
    }
  }

  setSongVector(version: string, songId: string, vector: readonly number[], sid: string | null = null): void {
    let m = this.state.songVectors.get(version);
    if (!m) this.state.songVectors.set(version, (m = new Map<string, SongVectorRow>()));
    const old = m.get(songId);
    if (
      !old ||
      old.vector.length !== vector.length ||
      old.vector.some((x, i) => x !== Math.fround(vector[i]))
    )
      this.state.changeLog.push({ songId, version });
    m.set(songId, { vector: Float32Array.from(vector), sid, updatedAt: this.clock() });
  }

  /** As the songs trigger does: only a real move between pools is logged. */
  moveSong(id: string, pool: SongPool): void {
    const s = this.state.songs.get(id);
    if (!s) return;
    if (s.pool !== pool) this.state.changeLog.push({ songId: id, version: null });
    Object.assign(s, { pool, updatedAt: this.clock() });
  }

  setUserVectors(
    version: string,
    userId: string,
    user: readonly number[],
    boundary: readonly number[],
    next?: { user: readonly number[]; boundary: readonly number[] },
  ): void {
    let m = this.state.userVectors.get(version);
    if (!m) this.state.userVectors.set(version, (m = new Map<string, UserVectorRow>()));
    m.set(userId, {
      user: Float32Array.from(user),
      boundary: Float32Array.from(boundary),
      ...(next
        ? { next: { user: Float32Array.from(next.user), boundary: Float32Array.from(next.boundary) } }
        : {}),
    });
    this.state.userVectorLog.push({ userId, version });
    this.state.users.add(userId);
  }

  addUser(userId: string): void {
    this.state.users.add(userId);
  }

  /** A listening event (users are created on the fly, as InteractionRepository.insertMany does). */
  addPlay(
    userId: string,
    songId: string,
    kind: NewInteraction['kind'] = 'play',
    weight = 1,
    occurredAt = this.clock(),
  ): void {
    this.state.users.add(userId);
    this.state.interactions.push({
      eventId: `${userId}:${songId}:${this.state.interactions.length}`,
      userId,
      songId,
      kind,
      weight,
      occurredAt,
    });
  }

  /** A model version row; `active` flips it the way ModelVersionRepository.activate does. */
  addVersion(version: string, kind: ModelKind, active = false): ModelVersionEntity {
    const v: ModelVersionEntity = {
      ...versionRow(version, kind),
      active: false,
      createdAt: this.clock(),
      activatedAt: null,
    };
    this.state.versions.set(version, v);
    if (active) this.activateVersion(version);
    return v;
  }

  activateVersion(version: string): void {
    const v = this.state.versions.get(version);
    if (!v) throw new Error(`unknown model version ${version}`);
    for (const o of this.state.versions.values()) if (o.kind === v.kind) o.active = false;
    v.active = true;
    v.activatedAt = this.clock();
  }

  deactivate(kind: ModelKind): void {
    for (const o of this.state.versions.values()) if (o.kind === kind) o.active = false;
  }

  /** A selected audience row, as the worker stores it. */
  addAudience(row: Partial<AudienceEntity> & { songId: string }): AudienceEntity {
    const a: AudienceEntity = {
      modelVersion: 'i2i-1',
      members: [],
      neighbours: [],
      method: 'i2i2u',
      eventId: null,
      selectedAt: this.clock(),
      publishedAt: null,
      ...row,
    };
    this.state.audiences.push(a);
    this.state.audienceLog.push(a.songId);
    return a;
  }

  /** A real ModelRuntime over these fakes (fake models, real FAISS pools). Call refresh() to load. */
  runtime(
    config: Pick<DebutConfig, 'index'> = testConfig(),
    loaders: ModelLoaders = new FakeLoaders(),
    options: ModelRuntimeOptions = {},
  ): ModelRuntime {
    return new ModelRuntime(config, this.repos.versions, this.repos.embeddings, loaders, options);
  }

  /** The stored vector of a song as a plain array (for assertions). */
  vectorOf(version: string, songId: string): number[] | undefined {
    const v = this.state.songVectors.get(version)?.get(songId);
    return v ? Array.from(v.vector) : undefined;
  }
}

const WRITES = new Set([
  'songs.upsertMany',
  'songs.setPool',
  'songs.refreshListenerCounts',
  'audiences.insertMany',
  'audiences.replace',
  'audiences.markPublished',
  'audiences.queuePending',
  'audiences.clearPending',
  'embeddings.upsertSongVectors',
  'embeddings.upsertUserVectors',
  'interactions.insertMany',
  'interactions.markUsersStale',
  'interactions.clearStale',
  'processed.unclaimed',
  'versions.activate',
]);

type SongsApi = Pick<
  SongRepository,
  | 'findById'
  | 'findByIds'
  | 'poolsOf'
  | 'existingIds'
  | 'upsertMany'
  | 'setPool'
  | 'refreshListenerCounts'
  | 'pages'
  | 'idPages'
  | 'withoutVector'
>;

export class FakeSongRepository implements SongsApi {
  constructor(private readonly c: InMemoryCatalog) {}

  async findById(id: string): Promise<SongEntity | null> {
    this.c.hit('songs.findById');
    return this.c.s.songs.get(id) ?? null;
  }

  async findByIds(ids: string[]): Promise<SongEntity[]> {
    this.c.hit('songs.findByIds');
    return ids.flatMap((id) => this.c.s.songs.get(id) ?? []);
  }

  async poolsOf(ids: string[]): Promise<Map<string, SongPool>> {
    this.c.hit('songs.poolsOf');
    return new Map(ids.flatMap((id) => (this.c.s.songs.has(id) ? [[id, this.c.s.songs.get(id)!.pool]] : [])));
  }

  async existingIds(ids: string[]): Promise<Set<string>> {
    this.c.hit('songs.existingIds');
    return new Set(ids.filter((id) => this.c.s.songs.has(id)));
  }

  /** ON CONFLICT (id) DO UPDATE of the content; the pool of an existing song is kept. */
  async upsertMany(songs: NewSong[], manager?: EntityManager): Promise<void> {
    this.c.hit('songs.upsertMany');
    if (new Set(songs.map((s) => s.id)).size !== songs.length) {
      throw new Error('ON CONFLICT DO UPDATE command cannot affect row a second time');
    }
    const now = this.c.clock();
    for (const s of songs) {
      const old = this.c.s.songs.get(s.id);
      this.c.s.songs.set(s.id, {
        ...s,
        availability: s.availability ?? null,
        explicit: s.explicit ?? false,
        audienceBudget: s.audienceBudget ?? null,
        pool: old?.pool ?? s.pool,
        listenerCount: old?.listenerCount ?? 0,
        createdAt: old?.createdAt ?? now,
        updatedAt: now,
      });
    }
    this.c.wrote('songs.upsertMany', manager);
  }

  async withoutVector(version: string, limit: number): Promise<SongEntity[]> {
    this.c.hit('songs.withoutVector');
    const have = this.c.s.songVectors.get(version);
    return [...this.c.s.songs.values()]
      .filter((s) => !have?.has(s.id))
      .sort((a, b) => a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  async setPool(ids: string[], pool: SongPool): Promise<void> {
    this.c.hit('songs.setPool');
    for (const id of ids) this.c.moveSong(id, pool);
    this.c.wrote('songs.setPool');
  }

  /** Distinct non-skip listeners per song; returns the cold songs that reached `threshold`. */
  async refreshListenerCounts(songIds: string[], threshold: number): Promise<string[]> {
    this.c.hit('songs.refreshListenerCounts');
    const out: string[] = [];
    for (const id of songIds) {
      const s = this.c.s.songs.get(id);
      if (!s) continue;
      s.listenerCount = new Set(
        this.c.s.interactions.filter((i) => i.songId === id && i.kind !== 'skip').map((i) => i.userId),
      ).size;
      if (s.pool === 'cold' && s.listenerCount >= threshold) out.push(id);
    }
    this.c.wrote('songs.refreshListenerCounts');
    return out;
  }

  async *idPages(pool: SongPool, pageSize = 2000): AsyncGenerator<string[]> {
    this.c.hit('songs.idPages');
    const ids = [...this.c.s.songs.values()]
      .filter((s) => s.pool === pool)
      .map((s) => s.id)
      .sort();
    for (let i = 0; i < ids.length; i += pageSize) yield ids.slice(i, i + pageSize);
  }

  async *pages(pageSize = 5000, pool?: SongPool): AsyncGenerator<SongEntity[]> {
    const all = [...this.c.s.songs.values()]
      .filter((s) => !pool || s.pool === pool)
      .sort((a, b) => a.id.localeCompare(b.id));
    for (let i = 0; i < all.length; i += pageSize) {
      this.c.hit('songs.pages');
      yield all.slice(i, i + pageSize);
    }
  }
}

type AudiencesApi = Pick<
  AudienceRepository,
  | 'insertMany'
  | 'replace'
  | 'markPublished'
  | 'latestMany'
  | 'latest'
  | 'queuePending'
  | 'pending'
  | 'clearPending'
>;

export class FakeAudienceRepository implements AudiencesApi {
  constructor(private readonly c: InMemoryCatalog) {}

  /** ON CONFLICT (song_id, model_version) DO NOTHING; returns the songs that got their row. */
  async insertMany(rows: AudienceEntity[], manager?: EntityManager): Promise<Set<string>> {
    this.c.hit('audiences.insertMany');
    const got = new Set<string>();
    for (const r of rows) {
      if (this.c.s.audiences.some((a) => a.songId === r.songId && a.modelVersion === r.modelVersion))
        continue;
      this.c.s.audiences.push({ ...r });
      this.c.s.audienceLog.push(r.songId);
      got.add(r.songId);
    }
    this.c.wrote('audiences.insertMany', manager);
    return got;
  }

  async replace(a: AudienceEntity): Promise<void> {
    this.c.hit('audiences.replace');
    const i = this.c.s.audiences.findIndex((x) => x.songId === a.songId && x.modelVersion === a.modelVersion);
    if (i >= 0)
      this.c.s.audiences[i] = { ...a, publishedAt: null }; // the new selection is owed
    else this.c.s.audiences.push({ ...a });
    this.c.s.audienceLog.push(a.songId);
    this.c.wrote('audiences.replace');
  }

  /** One process here: the lock is only a call. */
  whileRepublishing<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async markPublished(
    keys: Array<{ songId: string; modelVersion: string; selectedAt?: Date }>,
  ): Promise<void> {
    this.c.hit('audiences.markPublished');
    for (const k of keys) {
      const a = this.c.s.audiences.find((x) => x.songId === k.songId && x.modelVersion === k.modelVersion);
      const same = !k.selectedAt || new Date(a?.selectedAt ?? 0).getTime() === k.selectedAt.getTime();
      if (a && same) a.publishedAt = this.c.clock();
    }
    this.c.wrote('audiences.markPublished');
  }

  async queuePending(
    manager: EntityManager,
    rows: Array<{ songId: string; eventId: string | null }>,
  ): Promise<void> {
    this.c.hit('audiences.queuePending');
    for (const r of rows) this.c.s.pendingAudiences.set(r.songId, r.eventId);
    this.c.wrote('audiences.queuePending', manager);
  }

  async pending(limit: number): Promise<Array<{ songId: string; eventId: string | null }>> {
    this.c.hit('audiences.pending');
    return [...this.c.s.pendingAudiences].slice(0, limit).map(([songId, eventId]) => ({ songId, eventId }));
  }

  async clearPending(songIds: string[]): Promise<void> {
    this.c.hit('audiences.clearPending');
    for (const id of songIds) this.c.s.pendingAudiences.delete(id);
    this.c.wrote('audiences.clearPending');
  }

  async latestMany(songIds: string[]): Promise<AudienceEntity[]> {
    this.c.hit('audiences.latestMany');
    return songIds.flatMap((id) => this.newest(id) ?? []);
  }

  async latest(songId: string): Promise<AudienceEntity | null> {
    this.c.hit('audiences.latest');
    return this.newest(songId) ?? null;
  }

  private newest(songId: string): AudienceEntity | undefined {
    return this.c.s.audiences
      .filter((a) => a.songId === songId)
      .sort((a, b) => new Date(b.selectedAt).getTime() - new Date(a.selectedAt).getTime())[0];
  }
}

/** The audience feed over the fake's write log (positions stand in for xids). */
export class FakeAudienceFeedRepository implements Pick<AudienceFeedRepository, 'horizon' | 'changedAfter'> {
  constructor(private readonly c: InMemoryCatalog) {}

  async horizon(): Promise<FeedCursor> {
    this.c.hit('audienceFeed.horizon');
    return `${this.c.s.audienceLog.length}/`;
  }

  async changedAfter(cursor: FeedCursor, limit = 10_000): Promise<{ songIds: string[]; cursor: FeedCursor }> {
    this.c.hit('audienceFeed.changedAfter');
    const from = Number(cursor.split('/')[0]);
    const songIds = this.c.s.audienceLog.slice(from, from + limit);
    return { songIds, cursor: `${from + songIds.length}/` };
  }
}

type EmbeddingsApi = Pick<
  EmbeddingRepository,
  | 'upsertSongVectors'
  | 'songVectors'
  | 'songVectorsFor'
  | 'sidsOf'
  | 'songsWithSidPrefix'
  | 'changesAfter'
  | 'changeHorizon'
  | 'countSongVectors'
  | 'embeddedSongIds'
  | 'upsertUserVectors'
  | 'userVectors'
  | 'allUserVectors'
  | 'userVectorHorizon'
  | 'userVectorsAfter'
>;

export class FakeEmbeddingRepository implements EmbeddingsApi {
  constructor(private readonly c: InMemoryCatalog) {}

  async upsertSongVectors(
    version: string,
    songIds: string[],
    vectors: Float32Array,
    dim: number,
    manager?: EntityManager,
    _chunk?: number,
    allowSuperseded = false,
    sids?: ReadonlyArray<string | null>,
  ): Promise<void> {
    this.c.hit('embeddings.upsertSongVectors');
    const v = this.c.s.versions.get(version);
    if (!allowSuperseded && songIds.length && v && !v.active && v.activatedAt)
      throw new SupersededVersionError(version);
    if (vectors.length !== songIds.length * dim)
      throw new Error(`expected ${songIds.length} × ${dim} values, got ${vectors.length}`);
    songIds.forEach((id, i) =>
      this.c.setSongVector(
        version,
        id,
        Array.from(vectors.subarray(i * dim, (i + 1) * dim)),
        sids?.[i] ?? null,
      ),
    );
    this.c.wrote('embeddings.upsertSongVectors', manager);
  }

  async songVectors(
    version: string,
    pool?: 'warm' | 'cold',
  ): Promise<{ ids: string[]; vectors: Float32Array; dim: number }> {
    this.c.hit('embeddings.songVectors');
    const rows = this.rows(version, pool);
    const dim = rows[0]?.[1].length ?? 0;
    const vectors = new Float32Array(rows.length * dim);
    rows.forEach(([, v], i) => vectors.set(v, i * dim));
    return { ids: rows.map((r) => r[0]), vectors, dim };
  }

  async songVectorsFor(version: string, songIds: string[]): Promise<Map<string, Float32Array>> {
    this.c.hit('embeddings.songVectorsFor');
    const m = this.c.s.songVectors.get(version);
    const out = new Map<string, Float32Array>();
    for (const id of songIds) {
      const v = m?.get(id);
      if (v) out.set(id, Float32Array.from(v.vector));
    }
    return out;
  }

  async sidsOf(version: string, songIds: string[]): Promise<Map<string, string>> {
    this.c.hit('embeddings.sidsOf');
    const m = this.c.s.songVectors.get(version);
    const out = new Map<string, string>();
    for (const id of songIds) {
      const sid = m?.get(id)?.sid;
      if (sid) out.set(id, sid);
    }
    return out;
  }

  async songsWithSidPrefix(
    version: string,
    prefix: string,
    limit: number,
    exclude?: string,
  ): Promise<Array<{ songId: string; sid: string; pool: 'warm' | 'cold' }>> {
    this.c.hit('embeddings.songsWithSidPrefix');
    const rows = [...(this.c.s.songVectors.get(version) ?? new Map<string, SongVectorRow>())]
      .filter(([id, r]) => id !== exclude && r.sid && (r.sid === prefix || r.sid.startsWith(`${prefix}-`)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit);
    return rows.map(([songId, r]) => ({
      songId,
      sid: r.sid!,
      pool: this.c.s.songs.get(songId)?.pool ?? 'cold',
    }));
  }

  /** Nothing is ever in progress here: the horizon is the end of the log. */
  async changeHorizon(): Promise<ChangeCursor> {
    this.c.hit('embeddings.changeHorizon');
    return `0/${this.c.s.changeLog.length}`;
  }

  /** The log after `cursor` for this version, each song once with its current state (like the SQL). */
  async changesAfter(version: string, cursor: ChangeCursor, limit = 10_000): Promise<PoolChangeBatch> {
    this.c.hit('embeddings.changesAfter');
    const from = Number(cursor.split('/')[1]);
    const page = this.c.s.changeLog
      .map((e, i) => ({ ...e, seq: i + 1 }))
      .slice(from)
      .filter((e) => e.version === null || e.version === version)
      .slice(0, limit);
    const latest = new Map<string, PoolChange>();
    for (const e of page) {
      const s = this.c.s.songs.get(e.songId);
      const v = this.c.s.songVectors.get(version)?.get(e.songId);
      latest.delete(e.songId);
      latest.set(e.songId, {
        songId: e.songId,
        pool: s && v ? s.pool : null,
        vector: s && v ? Float32Array.from(v.vector) : null,
      });
    }
    const end = page.length === limit ? page[page.length - 1].seq : this.c.s.changeLog.length;
    return { changes: [...latest.values()], cursor: `0/${Math.max(end, from)}` };
  }

  async countSongVectors(version: string, pool: 'warm' | 'cold'): Promise<number> {
    this.c.hit('embeddings.countSongVectors');
    return this.rows(version, pool).length;
  }

  async embeddedSongIds(version: string, pool: 'warm' | 'cold', limit: number): Promise<string[]> {
    this.c.hit('embeddings.embeddedSongIds');
    return this.rows(version, pool)
      .slice(0, limit)
      .map(([id]) => id);
  }

  async upsertUserVectors(
    version: string,
    userIds: string[],
    users: Float32Array,
    boundaries: Float32Array,
    dim: number,
    _chunk?: number,
    manager?: EntityManager,
    next?: { users: Float32Array; boundaries: Float32Array },
  ): Promise<void> {
    this.c.hit('embeddings.upsertUserVectors');
    const row = (a: Float32Array, i: number) => Array.from(a.subarray(i * dim, (i + 1) * dim));
    userIds.forEach((id, i) =>
      this.c.setUserVectors(
        version,
        id,
        row(users, i),
        row(boundaries, i),
        next && { user: row(next.users, i), boundary: row(next.boundaries, i) },
      ),
    );
    this.c.wrote('embeddings.upsertUserVectors', manager);
  }

  async userVectors(version: string, userIds: string[]): Promise<Map<string, StoredUserVectors>> {
    this.c.hit('embeddings.userVectors');
    const m = this.c.s.userVectors.get(version);
    const out = new Map<string, StoredUserVectors>();
    for (const id of userIds) {
      const v = m?.get(id);
      if (v)
        out.set(id, {
          user: Float32Array.from(v.user),
          boundary: Float32Array.from(v.boundary),
          ...(v.next ? { next: copyMemory(v.next) } : {}),
        });
    }
    return out;
  }

  async allUserVectors(version: string, withNext = false): Promise<PackedUserVectors> {
    this.c.hit('embeddings.allUserVectors');
    const rows = [...(this.c.s.userVectors.get(version) ?? new Map<string, UserVectorRow>()).entries()].sort(
      ([a], [b]) => a.localeCompare(b),
    );
    return packUserVectors(
      rows.map(([id, r]) => ({ id, ...r })),
      withNext,
    );
  }

  /** Nothing is ever in progress here: the horizon is the end of the log (`<position>/`). */
  async userVectorHorizon(): Promise<UserVectorCursor> {
    this.c.hit('embeddings.userVectorHorizon');
    return `${this.c.s.userVectorLog.length}/`;
  }

  /** The users written after `cursor` under this version, each once with its current vectors. */
  async userVectorsAfter(
    version: string,
    cursor: UserVectorCursor,
    limit = 10_000,
    withNext = false,
  ): Promise<UserVectorBatch> {
    this.c.hit('embeddings.userVectorsAfter');
    const from = Number(cursor.split('/')[0]);
    const page = this.c.s.userVectorLog
      .map((e, i) => ({ ...e, seq: i + 1 }))
      .slice(from)
      .filter((e) => e.version === version)
      .slice(0, limit);
    const m = this.c.s.userVectors.get(version);
    const latest = new Map<string, UserVectorBatch['users'][number]>();
    for (const e of page) {
      const v = m?.get(e.userId);
      latest.delete(e.userId);
      if (v)
        latest.set(e.userId, {
          userId: e.userId,
          user: Float32Array.from(v.user),
          boundary: Float32Array.from(v.boundary),
          ...(withNext && v.next ? { next: copyMemory(v.next) } : {}),
        });
    }
    const end = page.length === limit ? page[page.length - 1].seq : this.c.s.userVectorLog.length;
    return { users: [...latest.values()], cursor: `${Math.max(end, from)}/` };
  }

  private rows(version: string, pool?: 'warm' | 'cold'): Array<[string, Float32Array]> {
    const m = this.c.s.songVectors.get(version) ?? new Map<string, { vector: Float32Array }>();
    return [...m.entries()]
      .filter(([id]) => !pool || this.c.s.songs.get(id)?.pool === pool)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, e]) => [id, e.vector]);
  }
}

type InteractionsApi = Pick<
  InteractionRepository,
  | 'insertMany'
  | 'listenerSignals'
  | 'listenersOfMany'
  | 'recentHistories'
  | 'markUsersStale'
  | 'staleUsers'
  | 'clearStale'
  | 'refreshStale'
  | 'userPages'
  | 'userExists'
  | 'coldPlays'
>;

export class FakeInteractionRepository implements InteractionsApi {
  constructor(private readonly c: InMemoryCatalog) {}

  /** Users created on the fly; ON CONFLICT (event_id) DO NOTHING. */
  async insertMany(rows: NewInteraction[], manager?: EntityManager): Promise<void> {
    this.c.hit('interactions.insertMany');
    for (const r of rows) {
      this.c.s.users.add(r.userId);
      if (r.eventId !== null && this.c.s.interactions.some((i) => i.eventId === r.eventId)) continue;
      this.c.s.interactions.push({ ...r });
    }
    this.c.wrote('interactions.insertMany', manager);
  }

  /** Σ weight per (song, user), skips excluded; no age decay (every fake play is recent). */
  async listenerSignals(
    songIds: string[],
  ): Promise<Array<{ songId: string; userId: string; signal: number }>> {
    this.c.hit('interactions.listenerSignals');
    const wanted = new Set(songIds);
    const sums = new Map<string, { songId: string; userId: string; signal: number }>();
    for (const i of this.c.s.interactions) {
      if (!wanted.has(i.songId) || i.kind === 'skip') continue;
      const key = `${i.songId}\u0000${i.userId}`;
      const s = sums.get(key) ?? { songId: i.songId, userId: i.userId, signal: 0 };
      s.signal += i.weight;
      sums.set(key, s);
    }
    return [...sums.values()];
  }

  async listenersOfMany(songIds: string[]): Promise<Map<string, Set<string>>> {
    this.c.hit('interactions.listenersOfMany');
    const out = new Map<string, Set<string>>();
    for (const i of this.c.s.interactions) {
      if (!songIds.includes(i.songId)) continue;
      let set = out.get(i.songId);
      if (!set) out.set(i.songId, (set = new Set()));
      set.add(i.userId);
    }
    return out;
  }

  /** Each user's distinct non-skip songs, most recent first, at most `perUser`. */
  async coldPlays(userIds?: string[]): Promise<Map<string, string[]>> {
    this.c.hit('interactions.coldPlays');
    const out = new Map<string, string[]>((userIds ?? []).map((u) => [u, []]));
    for (const i of this.c.s.interactions) {
      if (i.kind === 'skip' || this.c.s.songs.get(i.songId)?.pool !== 'cold') continue;
      if (userIds && !userIds.includes(i.userId)) continue;
      const songs = out.get(i.userId) ?? [];
      if (!songs.includes(i.songId)) songs.push(i.songId);
      out.set(i.userId, songs);
    }
    return out;
  }

  async recentHistories(userIds: string[], perUser: number): Promise<Map<string, string[]>> {
    this.c.hit('interactions.recentHistories');
    const out = new Map<string, string[]>();
    for (const u of userIds) {
      const latest = new Map<string, number>();
      for (const i of this.c.s.interactions) {
        if (i.userId !== u || i.kind === 'skip') continue;
        latest.set(i.songId, Math.max(latest.get(i.songId) ?? -Infinity, i.occurredAt.getTime()));
      }
      out.set(
        u,
        [...latest.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, perUser)
          .map(([s]) => s),
      );
    }
    this.c.done('interactions.recentHistories');
    return out;
  }

  /** Users a refresh round holds (row locks): a mark on them waits for the round's commit. */
  private claimed = new Set<string>();
  private waitingMarks: string[] = [];
  /** users.stale_since: the order of the marks (a mark of a waiting user keeps its place). */
  private staleSince = new Map<string, number>();
  private marks = 0;

  async markUsersStale(userIds: string[]): Promise<void> {
    this.c.hit('interactions.markUsersStale');
    const seq = ++this.marks;
    for (const u of userIds) {
      if (this.claimed.has(u)) this.waitingMarks.push(u);
      else {
        if (!this.c.s.stale.has(u)) this.staleSince.set(u, seq);
        this.c.s.stale.add(u);
      }
    }
    this.c.wrote('interactions.markUsersStale');
  }

  /** Claim in the order of the stale set (oldest mark first), work, then clear; a throw clears nothing. */
  async refreshStale(
    limit: number,
    work: (userIds: string[], manager: EntityManager) => Promise<void>,
  ): Promise<string[]> {
    this.c.hit('interactions.refreshStale');
    const since = (u: string) => this.staleSince.get(u) ?? 0;
    const ids = [...this.c.s.stale]
      .filter((u) => !this.claimed.has(u))
      .sort((a, b) => since(a) - since(b) || a.localeCompare(b))
      .slice(0, limit);
    if (!ids.length) return ids;
    ids.forEach((u) => this.claimed.add(u));
    try {
      await this.c.transaction(async (m) => {
        await work(ids, m);
        for (const u of ids) this.c.s.stale.delete(u);
        this.c.wrote('interactions.clearStale', m);
      });
      return ids;
    } finally {
      ids.forEach((u) => this.claimed.delete(u));
      for (const u of this.waitingMarks.splice(0)) {
        if (!this.c.s.stale.has(u)) this.staleSince.set(u, ++this.marks);
        this.c.s.stale.add(u);
      }
    }
  }

  async staleUsers(limit: number): Promise<string[]> {
    this.c.hit('interactions.staleUsers');
    return [...this.c.s.stale].sort().slice(0, limit);
  }

  async clearStale(userIds: string[]): Promise<void> {
    this.c.hit('interactions.clearStale');
    for (const u of userIds) this.c.s.stale.delete(u);
    this.c.wrote('interactions.clearStale');
  }

  async *userPages(pageSize = 2000): AsyncGenerator<string[]> {
    const all = [...this.c.s.users].sort();
    for (let i = 0; i < all.length; i += pageSize) {
      this.c.hit('interactions.userPages');
      yield all.slice(i, i + pageSize);
    }
  }

  async userExists(userId: string): Promise<boolean> {
    this.c.hit('interactions.userExists');
    return this.c.s.users.has(userId);
  }
}

export class FakeProcessedEventRepository implements Pick<ProcessedEventRepository, 'unclaimed'> {
  constructor(private readonly c: InMemoryCatalog) {}

  /** INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING event_id. */
  async unclaimed(manager: EntityManager, eventIds: string[], topic: string): Promise<Set<string>> {
    this.c.hit('processed.unclaimed');
    const fresh = new Set<string>();
    for (const id of eventIds) {
      if (this.c.s.processed.has(id)) continue;
      this.c.s.processed.set(id, topic);
      fresh.add(id);
    }
    this.c.wrote('processed.unclaimed', manager);
    return fresh;
  }
}

export class FakeModelVersionRepository implements Pick<
  ModelVersionRepository,
  'find' | 'active' | 'activate'
> {
  constructor(private readonly c: InMemoryCatalog) {}

  async find(version: string): Promise<ModelVersionEntity | null> {
    this.c.hit('versions.find');
    const v = this.c.s.versions.get(version);
    return v ? { ...v } : null;
  }

  async active(kind: ModelKind): Promise<ModelVersionEntity | null> {
    this.c.hit('versions.active');
    const v = [...this.c.s.versions.values()].find((x) => x.kind === kind && x.active);
    return v ? { ...v } : null;
  }

  async activate(version: string): Promise<ModelVersionEntity> {
    this.c.hit('versions.activate');
    this.c.activateVersion(version);
    this.c.wrote('versions.activate');
    return { ...this.c.s.versions.get(version)! };
  }
}

/**
 * What api and worker build over a catalogue: its repositories, a ModelRuntime that has loaded
 * the active versions, the real AudienceService over it, and a broker-less publisher.
 */
export async function servingStack(catalog: InMemoryCatalog, config: DebutConfig = testConfig()) {
  const runtime = catalog.runtime(config);
  await runtime.refresh();
  const repos = catalog.repos;
  const audience = new AudienceService(runtime, repos.interactions, config.audience);
  return { ...repos, config, runtime, audience, publisher: new FakePublisher() };
}

/** What a publish looked like on the wire. */
export interface Published {
  topic: string;
  key: string | null;
  value: unknown;
  headers?: Record<string, string>;
}

/** EventPublisher without a broker: records what was acknowledged; failNext() makes the next send fail. */
export class FakePublisher implements Pick<
  EventPublisher,
  'connect' | 'disconnect' | 'publish' | 'publishBatch' | 'publishRaw'
> {
  readonly sent: Published[] = [];
  private failures: Error[] = [];
  disconnected = false;

  failNext(
    error: Error = new Error('KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:9092'),
  ): void {
    this.failures.push(error);
  }

  get asPublisher(): EventPublisher {
    return this as unknown as EventPublisher;
  }

  on(topic: string): Published[] {
    return this.sent.filter((p) => p.topic === topic);
  }

  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  async publish(topic: string, key: string | null, value: unknown, headers?: Record<string, string>) {
    return this.publishBatch(topic, [{ key, value, headers }]);
  }

  async publishBatch(topic: string, events: OutgoingEvent[]) {
    this.send();
    // Round-trip through JSON: what a consumer of the topic would read.
    for (const e of events)
      this.sent.push({
        topic,
        key: e.key,
        value: JSON.parse(JSON.stringify(e.value)) as unknown,
        headers: e.headers,
      });
    return [];
  }

  async publishRaw(
    topic: string,
    records: Array<{ key: string | null; value: string | Buffer | null; headers?: Record<string, string> }>,
  ) {
    this.send();
    for (const r of records)
      this.sent.push({
        topic,
        key: r.key,
        value: r.value === null ? null : r.value.toString(),
        headers: r.headers,
      });
    return [];
  }

  /** What a TopicReader would read back (the fake has no timestamps: everything sent is recent). */
  async recordsSince(topic: string, _sinceMs: number): Promise<Array<{ value: Buffer | null }>> {
    return this.on(topic).map((p) => ({
      value:
        p.value === null
          ? null
          : Buffer.from(typeof p.value === 'string' ? p.value : JSON.stringify(p.value)),
    }));
  }

  private send(): void {
    const err = this.failures.shift();
    if (err) throw err;
  }
}
