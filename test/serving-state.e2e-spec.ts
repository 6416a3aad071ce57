/**
 * The pools a process serves from follow PostgreSQL exactly, on a real database: concurrent
 * release transactions that commit out of start order, polls with nothing new, and a restart
 * from a saved pool after changes that keep its size.
 */
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import {
  EmbeddingRepository,
  InteractionRepository,
  SupersededVersionError,
  ModelVersionRepository,
  SongRepository,
  openDatabase,
  type NewSong,
} from '@debut/catalog';
import type { DebutConfig } from '@debut/config';
import { ModelActivation, ModelRuntime } from '@debut/serving';
import { DIM, FakeLoaders, contentFor, versionRow } from '../libs/serving/src/testing/fakes';
import { isolatedEnv } from './support';

jest.setTimeout(120_000);

let config: DebutConfig;
let ds: DataSource;
let songs: SongRepository;
let embeddings: EmbeddingRepository;
let versions: ModelVersionRepository;

const sorted = (ids: string[]) => [...ids].sort();

/** A song whose fake-model vector is `direction` under every version. */
function newSong(id: string, pool: 'warm' | 'cold' = 'cold', direction = [1, 0, 0, 0]): NewSong {
  const c = contentFor(direction);
  return { id, title: id, artistId: 'a-1', releasedAt: new Date('2024-01-01T00:00:00Z'), pool, ...c };
}

/** A release as the worker writes it: the song and its DSSM vector in one transaction (or on `m`). */
async function release(id: string, vector: number[], m = ds.manager): Promise<void> {
  await songs.upsertMany([newSong(id, 'cold', vector)], m);
  await embeddings.upsertSongVectors('dssm-1', [id], Float32Array.from(vector), DIM, m);
}

function runtime(): ModelRuntime {
  return new ModelRuntime(config, versions, embeddings, new FakeLoaders());
}

async function databaseCold(): Promise<string[]> {
  return sorted((await embeddings.songVectors('dssm-1', 'cold')).ids);
}

beforeAll(async () => {
  config = await isolatedEnv('serving_state', { INDEX_KIND: 'hnsw' });
  ds = await openDatabase(config.db);
  songs = new SongRepository(ds);
  embeddings = new EmbeddingRepository(ds);
  versions = new ModelVersionRepository(ds);
  for (const [version, kind] of [
    ['i2i-1', 'i2i'],
    ['dssm-1', 'dssm'],
  ] as const) {
    await versions.register(versionRow(version, kind));
    await versions.activate(version);
  }
  await songs.insertMany([newSong('w-1', 'warm'), newSong('c-1')]);
  await embeddings.upsertSongVectors(
    'i2i-1',
    ['w-1', 'c-1'],
    Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0]),
    DIM,
  );
  await embeddings.upsertSongVectors(
    'dssm-1',
    ['w-1', 'c-1'],
    Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0]),
    DIM,
  );
});

afterAll(async () => {
  await ds?.destroy();
});

describe('pool sync on PostgreSQL', () => {
  it('two releases committing out of start order both reach the pools of a process that polled in between', async () => {
    const rt = runtime();
    await rt.refresh();
    const early = ds.createQueryRunner();
    await early.connect();
    try {
      await early.startTransaction();
      await release('c-early', [0, 0, 1, 0], early.manager); // starts and writes first
      await new Promise((r) => setTimeout(r, 20));
      await ds.transaction((m) => release('c-late', [0, 0, 0, 1], m)); // starts later, commits first
      await rt.refresh(); // sees c-late only: c-early is not committed yet
      await early.commitTransaction();
    } finally {
      await early.release();
    }
    await rt.refresh();
    expect(sorted(rt.require('dssm').cold.ids())).toEqual(await databaseCold());
    expect(rt.require('dssm').cold.has('c-early')).toBe(true);
    rt.stop();
  });

  it('1,000 polls with no change add nothing to the pools', async () => {
    const rt = runtime();
    await rt.refresh();
    await release('c-polled', [0.5, 0.5, 0, 0]);
    await rt.refresh(); // applied once here; the polls below must not bring it back
    const cold = rt.require('dssm').cold;
    expect(cold.has('c-polled')).toBe(true);
    const warm = rt.require('i2i').warm;
    const adds = jest.spyOn(cold, 'add');
    const warmAdds = jest.spyOn(warm, 'add');
    const removes = jest.spyOn(cold, 'remove');
    for (let i = 0; i < 1000; i++) await rt.refresh();
    expect(adds).not.toHaveBeenCalled();
    expect(warmAdds).not.toHaveBeenCalled();
    expect(removes).not.toHaveBeenCalled();
    expect(sorted(cold.ids())).toEqual(await databaseCold());
  });

  it('a process restarted from a saved pool applies what changed since the save, even at equal size', async () => {
    const rt = runtime();
    await rt.refresh();
    rt.save();
    await songs.setPool(['c-1'], 'warm'); // graduates: leaves the cold pool
    await release('c-new', [0, 1, 1, 0]); // joins it: the count is unchanged
    const restarted = runtime();
    await restarted.refresh();
    expect(sorted(restarted.require('dssm').cold.ids())).toEqual(await databaseCold());
    expect(restarted.require('dssm').cold.has('c-1')).toBe(false);
    expect(restarted.require('dssm').cold.has('c-new')).toBe(true);
    expect(restarted.require('i2i').warm.has('c-1')).toBe(true);
  });
});

describe('activation during releases on PostgreSQL', () => {
  it('a release in flight across the flip is covered by the new version, and a later write under the old one is refused', async () => {
    await versions.register(versionRow('dssm-2', 'dssm'));
    const activation = new ModelActivation(
      config,
      versions,
      songs,
      embeddings,
      new InteractionRepository(ds),
      new FakeLoaders(),
    );
    const inFlight = ds.createQueryRunner();
    await inFlight.connect();
    let activated: Promise<unknown>;
    try {
      await inFlight.startTransaction();
      await release('c-during', [0, 1, 0, 1], inFlight.manager); // the worker, still on dssm-1
      activated = activation.activate('dssm-2');
      await new Promise((r) => setTimeout(r, 300)); // the flip waits for this transaction
      expect((await versions.active('dssm'))?.version).toBe('dssm-1');
      await inFlight.commitTransaction();
    } finally {
      await inFlight.release();
    }
    await activated;
    expect((await versions.active('dssm'))?.version).toBe('dssm-2');
    expect((await embeddings.songVectorsFor('dssm-2', ['c-during'])).get('c-during')).toEqual(
      Float32Array.from([0, 1, 0, 1]),
    );
    expect(await songs.withoutVector('dssm-2', 10)).toEqual([]);
    await expect(ds.transaction((m) => release('c-after', [1, 1, 0, 0], m))).rejects.toThrow(
      SupersededVersionError,
    );

    const rt = runtime();
    await rt.refresh();
    expect(rt.require('dssm').version).toBe('dssm-2');
    expect(sorted(rt.require('dssm').cold.ids())).toEqual(
      sorted((await embeddings.songVectors('dssm-2', 'cold')).ids),
    );
    expect(rt.require('dssm').cold.has('c-during')).toBe(true);
  });
});
