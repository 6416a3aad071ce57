import type { DataSource } from 'typeorm';
import { AudienceFeedRepository } from '../src/repositories/audience-feed.repository';
import { AudienceRepository } from '../src/repositories/audience.repository';
import { DatabaseAdmin } from '../src/repositories/database-admin';
import { DatabaseRepository } from '../src/repositories/database.repository';
import { DeadLetterRepository } from '../src/repositories/dead-letter.repository';
import { EmbeddingRepository } from '../src/repositories/embedding.repository';
import { ExposureRepository } from '../src/repositories/exposure.repository';
import { InteractionRepository } from '../src/repositories/interaction.repository';
import { ModelVersionRepository } from '../src/repositories/model-version.repository';
import { ProcessedEventRepository } from '../src/repositories/processed-event.repository';
import { SongRepository } from '../src/repositories/song.repository';
import { StatsRepository } from '../src/repositories/stats.repository';
import { UserRepository } from '../src/repositories/user.repository';
import { T0, audience, modelVersion, play, song } from './fixtures';

export interface ExampleContext {
  ds: DataSource;
  admin: DatabaseAdmin;
}

type Call<T> = (repo: T, ctx: ExampleContext) => unknown;
type MethodNames<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

/**
 * One or more calls for every public method: a method added without an example does not
 * compile, so the generated SQL cannot silently miss it. Several calls where arguments change
 * the statement (an optional pool filter, for instance).
 */
type Examples<T> = { [K in MethodNames<T>]: [Call<T>, ...Call<T>[]] };

export interface QueryTarget {
  /** libs/catalog/queries/<file>.sql, named after the repository's source file. */
  file: string;
  /** Per method, thunks that run its example calls on one repository instance. */
  methods(ctx: ExampleContext): { repository: string; calls: Array<[method: string, run: () => unknown]> };
}

function target<T extends object>(
  file: string,
  create: (ctx: ExampleContext) => T,
  examples: Examples<T>,
): QueryTarget {
  return {
    file,
    methods(ctx) {
      const repo = create(ctx);
      const calls = Object.entries(examples as Record<string, Call<T>[]>).flatMap(([method, list]) =>
        list.map((call): [string, () => unknown] => [method, () => call(repo, ctx)]),
      );
      return { repository: repo.constructor.name, calls };
    },
  };
}

const vectors = (rows: number, dim = 2) => Float32Array.from({ length: rows * dim }, (_, i) => (i + 1) / 10);
export const SCRATCH_DATABASE = 'debut_sql_example';

/** Rows the examples read and update; written before recording starts. */
export async function seed({ ds, admin }: ExampleContext): Promise<void> {
  await admin.dropDatabase(SCRATCH_DATABASE);
  await new SongRepository(ds).insertMany([
    song('s-1', 'warm'),
    song('s-2', 'warm'),
    song('s-3'),
    song('s-4'),
  ]);
  await new InteractionRepository(ds).insertMany([
    play('e-1', 'u-1', 's-1'),
    play('e-2', 'u-1', 's-3', 'favorite'),
    play('e-3', 'u-2', 's-1', 'skip'),
  ]);
  const versions = new ModelVersionRepository(ds);
  await versions.register(modelVersion('i2i-1'));
  await versions.register(modelVersion('dssm-1', 'dssm'));
  await versions.activate('i2i-1');
  await new EmbeddingRepository(ds).upsertSongVectors(
    'i2i-1',
    ['s-1', 's-2', 's-3'],
    vectors(3),
    2,
    undefined,
    undefined,
    false,
    ['3-1-7', '3-1-2', '3-9-2'],
  );
  await new AudienceRepository(ds).insert(audience('s-3', 'i2i-1'));
}

/** Repositories in the order their files are written; methods in declaration order. */
export const targets: QueryTarget[] = [
  target('song.repository', ({ ds }) => new SongRepository(ds), {
    analyze: [(r) => r.analyze()],
    findById: [(r) => r.findById('s-1')],
    findByIds: [(r) => r.findByIds(['s-1', 's-2'])],
    poolsOf: [(r) => r.poolsOf(['s-1', 's-9'])],
    existingIds: [(r) => r.existingIds(['s-1', 's-9'])],
    upsert: [(r) => r.upsert(song('s-5'))],
    upsertMany: [
      (r) =>
        r.upsertMany([
          song('s-5', 'cold', { title: 'Again' }),
          song('s-6', 'cold', { availability: ['SE'], explicit: true, audienceBudget: { size: 10 } }),
        ]),
    ],
    insertMany: [(r) => r.insertMany([song('s-7', 'warm')])],
    pages: [(r) => drain(r.pages()), (r) => drain(r.pages(undefined, 'warm'))],
    idPages: [(r) => drain(r.idPages('warm'))],
    withoutVector: [(r) => r.withoutVector('i2i-1', 10)],
    setPool: [(r) => r.setPool(['s-4'], 'warm')],
    refreshListenerCounts: [(r) => r.refreshListenerCounts(['s-1', 's-3'], 1)],
    sampleIds: [(r) => r.sampleIds('warm', 2)],
    counts: [(r) => r.counts()],
  }),
  target('interaction.repository', ({ ds }) => new InteractionRepository(ds), {
    insertMany: [(r) => r.insertMany([play('e-4', 'u-3', 's-2', 'complete')])],
    listenerSignals: [(r) => r.listenerSignals(['s-1', 's-3'], 30, T0)],
    listenersOf: [(r) => r.listenersOf('s-1')],
    listenersOfMany: [(r) => r.listenersOfMany(['s-1', 's-3'])],
    recentHistories: [(r) => r.recentHistories(['u-1', 'u-2'], 10)],
    recentOf: [(r) => r.recentOf('u-1', 20)],
    coldPlays: [(r) => r.coldPlays(), (r) => r.coldPlays(['u-1'])],
    markUsersStale: [(r) => r.markUsersStale(['u-1'])],
    staleUsers: [(r) => r.staleUsers(100)],
    clearStale: [(r) => r.clearStale(['u-1'])],
    refreshStale: [(r) => r.refreshStale(100, () => Promise.resolve())],
    userPages: [(r) => drain(r.userPages())],
    userExists: [(r) => r.userExists('u-1')],
    count: [(r) => r.count()],
  }),
  target('model-version.repository', ({ ds }) => new ModelVersionRepository(ds), {
    register: [(r) => r.register(modelVersion('i2i-2'))],
    find: [(r) => r.find('i2i-2')],
    active: [(r) => r.active('i2i')],
    hasActive: [(r) => r.hasActive('i2i')],
    list: [(r) => r.list()],
    activate: [(r) => r.activate('i2i-2')],
  }),
  target('embedding.repository', ({ ds }) => new EmbeddingRepository(ds), {
    upsertSongVectors: [(r) => r.upsertSongVectors('dssm-1', ['s-4'], vectors(1), 2)],
    sidsOf: [(r) => r.sidsOf('i2i-1', ['s-1', 's-2'])],
    songsWithSidPrefix: [(r) => r.songsWithSidPrefix('i2i-1', '3-1', 10, 's-1')],
    songVectors: [(r) => r.songVectors('i2i-1'), (r) => r.songVectors('i2i-1', 'warm')],
    songVectorsFor: [(r) => r.songVectorsFor('i2i-1', ['s-1', 's-2'])],
    changeHorizon: [(r) => r.changeHorizon()],
    userVectorHorizon: [(r) => r.userVectorHorizon()],
    userVectorsAfter: [
      (r) => r.userVectorsAfter('dssm-1', '0/'),
      (r) => r.userVectorsAfter('dssm-1', '0/', 1),
      (r) => r.userVectorsAfter('dssm-1', '0/', 10_000, true),
    ],
    changesAfter: [(r) => r.changesAfter('i2i-1', '0/0'), (r) => r.changesAfter('i2i-1', '0/0', 1)],
    embeddedSongIds: [(r) => r.embeddedSongIds('i2i-1', 'cold', 10)],
    countSongVectors: [(r) => r.countSongVectors('i2i-1', 'warm')],
    upsertUserVectors: [(r) => r.upsertUserVectors('dssm-1', ['u-1'], vectors(1), vectors(1), 2)],
    userVectors: [(r) => r.userVectors('dssm-1', ['u-1'])],
    allUserVectors: [(r) => r.allUserVectors('dssm-1'), (r) => r.allUserVectors('dssm-1', true)],
  }),
  target('audience-feed.repository', ({ ds }) => new AudienceFeedRepository(ds), {
    horizon: [(r) => r.horizon()],
    changedAfter: [(r) => r.changedAfter('0/'), (r) => r.changedAfter('0/', 1)],
  }),
  target('audience.repository', ({ ds }) => new AudienceRepository(ds), {
    whileRepublishing: [(r) => r.whileRepublishing(() => Promise.resolve())],
    insert: [(r) => r.insert(audience('s-1', 'i2i-1'))],
    insertMany: [(r) => r.insertMany([audience('s-2', 'i2i-1'), audience('s-3', 'i2i-2')])],
    replace: [(r) => r.replace(audience('s-1', 'i2i-1', { selectedAt: new Date(T0.getTime() + 1000) }))],
    markPublished: [(r) => r.markPublished([{ songId: 's-1', modelVersion: 'i2i-1' }])],
    latestMany: [(r) => r.latestMany(['s-1', 's-3'])],
    sampleSongIds: [(r) => r.sampleSongIds(2)],
    find: [(r) => r.find('s-1', 'i2i-1')],
    latest: [(r) => r.latest('s-3')],
    releases: [
      (r) => r.releases({ limit: 20, offset: 0 }),
      (r) => r.releases({ search: 'song_1', limit: 20, offset: 20 }),
    ],
    queuePending: [(r, { ds }) => r.queuePending(ds.manager, [{ songId: 's-4', eventId: 'e-4' }])],
    pending: [(r) => r.pending(10)],
    clearPending: [(r) => r.clearPending(['s-4'])],
    sweepUnpublished: [(r) => r.sweepUnpublished(60, 500, () => Promise.resolve())],
  }),
  target('processed-event.repository', () => new ProcessedEventRepository(), {
    unclaimed: [(r, { ds }) => r.unclaimed(ds.manager, ['e-1', 'e-2'], 'song.released')],
  }),
  target('user.repository', ({ ds }) => new UserRepository(ds), {
    upsertProfiles: [
      (r) => r.upsertProfiles([{ userId: 'u-1', region: 'SE', explicitOptOut: true, updatedAt: T0 }]),
    ],
    profilesOf: [(r) => r.profilesOf(['u-1', 'u-9'])],
    shuffled: [(r) => r.shuffled('s-3', 2)],
    sample: [(r) => r.sample(2)],
    count: [(r) => r.count()],
  }),
  target('exposure.repository', ({ ds }) => new ExposureRepository(ds), {
    recordMany: [
      (r) => r.recordMany([{ exposureId: 'x-1', songId: 's-3', userIds: ['u-1', 'u-2'], at: T0 }]),
    ],
    exposedAmong: [(r) => r.exposedAmong('s-3', ['u-1', 'u-3'])],
    countFor: [(r) => r.countFor('s-3')],
  }),
  target('stats.repository', ({ ds }) => new StatsRepository(ds), {
    storedRowSizes: [(r) => r.storedRowSizes()],
    catalogueSize: [(r) => r.catalogueSize()],
    releaseTally: [(r) => r.releaseTally('s-', ['e-1'])],
  }),
  target('dead-letter.repository', ({ ds }) => new DeadLetterRepository(ds), {
    saveMany: [(r) => r.saveMany([deadLetter('0'), deadLetter('1')])],
    list: [(r) => r.list(), (r) => r.list({ all: true, limit: 10 })],
    topics: [(r) => r.topics()],
    recent: [(r) => r.recent({ topic: 'song.released', limit: 10, previewBytes: 200 })],
    forReplay: [(r) => r.forReplay('pending'), (r) => r.forReplay(['1'])],
    markReplayed: [(r) => r.markReplayed(['1'])],
  }),
  target('database.repository', ({ ds }) => new DatabaseRepository(ds), {
    ping: [(r) => r.ping()],
    appliedMigrations: [(r) => r.appliedMigrations()],
  }),
  target('database-admin', ({ admin }) => admin, {
    exists: [(r) => r.exists(SCRATCH_DATABASE)],
    createIfAbsent: [(r) => r.createIfAbsent(SCRATCH_DATABASE)],
    dropDatabase: [(r) => r.dropDatabase(SCRATCH_DATABASE)],
  }),
];

/** A refused song.released record (the dead-letter examples). */
function deadLetter(offset: string) {
  return {
    topic: 'song.released',
    partition: 0,
    offset,
    key: 's-1',
    value: Buffer.from('{"songId":"s-1"}'),
    headers: { 'x-trace': 't-1' },
    reason: 'releasedAt: Required',
    size: 16,
    sha256: '0'.repeat(64),
    failedAt: T0,
  };
}

/** Reads a paging generator to its end, so every page's statement runs. */
async function drain<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(page);
  return all;
}
