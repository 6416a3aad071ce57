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
  AudienceRepository,
  EmbeddingRepository,
  InteractionRepository,
  ModelKind,
  ModelVersionEntity,
  ModelVersionRepository,
  NewInteraction,
  NewSong,
  PoolChange,
  ProcessedEventRepository,
  SongEntity,
  SongPool,
  SongRepository,
} from '@debut/catalog';
import { loadConfig, type DebutConfig } from '@debut/config';
import type { FeatureSchema, SongContent, SongReleasedEvent } from '@debut/features';
import type { ConsumedMessage, EventPublisher, OutgoingEvent } from '@debut/messaging';
import type { DataSource, EntityManager } from 'typeorm';
import { AudienceService } from '../audience.service';
import { loadDeploymentSchema } from '../feature-schema';
import { ModelRuntime, type InterestModel, type ModelLoaders, type SongEncoder } from '../model-runtime';

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
  embed(contents: SongContent[]): Float32Array {
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
  embedItems(contents: SongContent[]): Float32Array {
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

/** Model loaders that hand out fake models and remember which artifacts were asked for. */
export class FakeLoaders implements ModelLoaders {
  readonly loaded: string[] = [];
  async i2i(dir: string): Promise<SongEncoder> {
    this.loaded.push(dir);
    return new FakeEncoder();
  }
  async dssm(dir: string): Promise<InterestModel> {
    this.loaded.push(dir);
    return new FakeInterestModel();
  }
}

/** What the fakes persist; cloned whole when a transaction starts, put back when it throws. */
interface SongVectorRow {
  vector: Float32Array;
  updatedAt: Date;
}

interface UserVectorRow {
  user: Float32Array;
  boundary: Float32Array;
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

  setSongVector(version: string, songId: string, vector: readonly number[]): void {
    let m = this.state.songVectors.get(version);
    if (!m) this.state.songVectors.set(version, (m = new Map<string, SongVectorRow>()));
    m.set(songId, { vector: Float32Array.from(vector), updatedAt: this.clock() });
  }

  setUserVectors(
    version: string,
    userId: string,
    user: readonly number[],
    boundary: readonly number[],
  ): void {
    let m = this.state.userVectors.get(version);
    if (!m) this.state.userVectors.set(version, (m = new Map<string, UserVectorRow>()));
    m.set(userId, { user: Float32Array.from(user), boundary: Float32Array.from(boundary) });
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
      version,
      kind,
      artifactPath: `/models/${version}`,
      dim: DIM,
      config: {},
      metrics: {},
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
    return a;
  }

  /** A real ModelRuntime over these fakes (fake models, real FAISS pools). Call refresh() to load. */
  runtime(
    config: Pick<DebutConfig, 'index'> = testConfig(),
    loaders: ModelLoaders = new FakeLoaders(),
  ): ModelRuntime {
    return new ModelRuntime(config, this.repos.versions, this.repos.embeddings, loaders);
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
  'findById' | 'findByIds' | 'existingIds' | 'upsertMany' | 'setPool' | 'refreshListenerCounts' | 'pages'
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
        pool: old?.pool ?? s.pool,
        listenerCount: old?.listenerCount ?? 0,
        createdAt: old?.createdAt ?? now,
        updatedAt: now,
      });
    }
    this.c.wrote('songs.upsertMany', manager);
  }

  async setPool(ids: string[], pool: SongPool): Promise<void> {
    this.c.hit('songs.setPool');
    for (const id of ids) {
      const s = this.c.s.songs.get(id);
      if (s) Object.assign(s, { pool, updatedAt: this.c.clock() });
    }
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
  'insertMany' | 'replace' | 'markPublished' | 'latestMany' | 'latest'
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
      got.add(r.songId);
    }
    this.c.wrote('audiences.insertMany', manager);
    return got;
  }

  async replace(a: AudienceEntity): Promise<void> {
    this.c.hit('audiences.replace');
    const i = this.c.s.audiences.findIndex((x) => x.songId === a.songId && x.modelVersion === a.modelVersion);
    if (i >= 0) this.c.s.audiences[i] = { ...a, publishedAt: this.c.s.audiences[i].publishedAt };
    else this.c.s.audiences.push({ ...a });
    this.c.wrote('audiences.replace');
  }

  async markPublished(keys: Array<{ songId: string; modelVersion: string }>): Promise<void> {
    this.c.hit('audiences.markPublished');
    for (const k of keys) {
      const a = this.c.s.audiences.find((x) => x.songId === k.songId && x.modelVersion === k.modelVersion);
      if (a) a.publishedAt = this.c.clock();
    }
    this.c.wrote('audiences.markPublished');
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

type EmbeddingsApi = Pick<
  EmbeddingRepository,
  | 'upsertSongVectors'
  | 'songVectors'
  | 'songVectorsFor'
  | 'changesSince'
  | 'countSongVectors'
  | 'upsertUserVectors'
  | 'userVectors'
>;

export class FakeEmbeddingRepository implements EmbeddingsApi {
  constructor(private readonly c: InMemoryCatalog) {}

  async upsertSongVectors(
    version: string,
    songIds: string[],
    vectors: Float32Array,
    dim: number,
    manager?: EntityManager,
  ): Promise<void> {
    this.c.hit('embeddings.upsertSongVectors');
    if (vectors.length !== songIds.length * dim)
      throw new Error(`expected ${songIds.length} × ${dim} values, got ${vectors.length}`);
    songIds.forEach((id, i) =>
      this.c.setSongVector(version, id, Array.from(vectors.subarray(i * dim, (i + 1) * dim))),
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

  /** Songs whose pool or vector changed at or after `since` (joined like the SQL), oldest first. */
  async changesSince(version: string, since: Date, limit = 10_000): Promise<PoolChange[]> {
    this.c.hit('embeddings.changesSince');
    const m = this.c.s.songVectors.get(version) ?? new Map<string, SongVectorRow>();
    const out: PoolChange[] = [];
    for (const [id, e] of m) {
      const s = this.c.s.songs.get(id);
      if (!s || (s.updatedAt < since && e.updatedAt < since)) continue;
      const changedAt = s.updatedAt > e.updatedAt ? s.updatedAt : e.updatedAt;
      out.push({ songId: id, pool: s.pool, vector: Float32Array.from(e.vector), changedAt });
    }
    return out.sort((a, b) => a.changedAt.getTime() - b.changedAt.getTime()).slice(0, limit);
  }

  async countSongVectors(version: string, pool: 'warm' | 'cold'): Promise<number> {
    this.c.hit('embeddings.countSongVectors');
    return this.rows(version, pool).length;
  }

  async upsertUserVectors(
    version: string,
    userIds: string[],
    users: Float32Array,
    boundaries: Float32Array,
    dim: number,
  ): Promise<void> {
    this.c.hit('embeddings.upsertUserVectors');
    userIds.forEach((id, i) =>
      this.c.setUserVectors(
        version,
        id,
        Array.from(users.subarray(i * dim, (i + 1) * dim)),
        Array.from(boundaries.subarray(i * dim, (i + 1) * dim)),
      ),
    );
    this.c.wrote('embeddings.upsertUserVectors');
  }

  async userVectors(
    version: string,
    userIds: string[],
  ): Promise<Map<string, { user: Float32Array; boundary: Float32Array }>> {
    this.c.hit('embeddings.userVectors');
    const m = this.c.s.userVectors.get(version);
    const out = new Map<string, { user: Float32Array; boundary: Float32Array }>();
    for (const id of userIds) {
      const v = m?.get(id);
      if (v) out.set(id, { user: Float32Array.from(v.user), boundary: Float32Array.from(v.boundary) });
    }
    return out;
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
  | 'userPages'
  | 'userExists'
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

  async markUsersStale(userIds: string[]): Promise<void> {
    this.c.hit('interactions.markUsersStale');
    for (const u of userIds) this.c.s.stale.add(u);
    this.c.wrote('interactions.markUsersStale');
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

  private send(): void {
    const err = this.failures.shift();
    if (err) throw err;
  }
}
