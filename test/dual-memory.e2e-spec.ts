/**
 * Dual-memory users (issue 16) on a real database: activating a DSSM stores each user's
 * next-intent vectors h_next (the most recent plays) beside h_gen, and the gate and cold
 * recommendations change only when DSSM_NEXT_MIX (λ) > 0.
 */
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import {
  EmbeddingRepository,
  InteractionRepository,
  ModelVersionRepository,
  SongRepository,
  openDatabase,
  type NewSong,
} from '@debut/catalog';
import type { DebutConfig } from '@debut/config';
import { GateService, ModelActivation, ModelRuntime } from '@debut/serving';
import { DIM, FakeLoaders, contentFor, versionRow } from '../libs/serving/src/testing/fakes';
import { isolatedEnv } from './support';

jest.setTimeout(120_000);

let config: DebutConfig;
let ds: DataSource;
let embeddings: EmbeddingRepository;
let interactions: InteractionRepository;
let runtime: ModelRuntime;
let versions: ModelVersionRepository;

const vec = (...v: number[]) => Float32Array.from(v);
const close = (a: Float32Array | undefined, b: number[]) =>
  expect(Array.from(a ?? []).map((x) => Number(x.toFixed(5)))).toEqual(b.map((x) => Number(x.toFixed(5))));

function song(id: string, pool: 'warm' | 'cold', direction: number[]): NewSong {
  return {
    id,
    title: id,
    artistId: 'a-1',
    releasedAt: new Date('2024-01-01T00:00:00Z'),
    pool,
    ...contentFor(direction),
  };
}

const at = (h: number) => new Date(Date.UTC(2026, 0, 1, h));

beforeAll(async () => {
  // recent = 1: h_next is the user's latest song alone (the fake model pools without weights).
  config = await isolatedEnv('dual_memory', { DSSM_NEXT_RECENT: '1' });
  ds = await openDatabase(config.db);
  const songs = new SongRepository(ds);
  versions = new ModelVersionRepository(ds);
  embeddings = new EmbeddingRepository(ds);
  interactions = new InteractionRepository(ds);
  await songs.insertMany([
    song('w-a', 'warm', [1, 0, 0, 0]),
    song('w-a2', 'warm', [1, 0, 0, 0]),
    song('w-b', 'warm', [0, 1, 0, 0]),
    song('c-a', 'cold', [1, 0, 0, 0]),
    song('c-a2', 'cold', [0.9, 0.1, 0, 0]),
    song('c-b', 'cold', [0, 1, 0, 0]),
  ]);
  // u-1 listened to style a, and lately to style b (w-b is the latest play).
  await interactions.insertMany(
    [
      ['e-1', 'w-a', 1],
      ['e-2', 'w-a2', 2],
      ['e-3', 'w-b', 3],
    ].map(([eventId, songId, h]) => ({
      eventId: eventId as string,
      userId: 'u-1',
      songId: songId as string,
      kind: 'play' as const,
      weight: 1,
      occurredAt: at(h as number),
    })),
  );
  await versions.register(versionRow('dssm-1', 'dssm'));
  await new ModelActivation(config, versions, songs, embeddings, interactions, new FakeLoaders()).activate(
    'dssm-1',
  );
  runtime = new ModelRuntime(config, versions, embeddings, new FakeLoaders());
  await runtime.refresh();
});

afterAll(async () => {
  await ds?.destroy();
});

describe('dual-memory users on PostgreSQL', () => {
  it('activation stores h_next from the most recent plays beside h_gen', async () => {
    const u = (await embeddings.userVectors('dssm-1', ['u-1'])).get('u-1');
    close(u?.user, [2 / 3, 1 / 3, 0, 0]); // h_gen: all three songs
    close(u?.next?.user, [0, 1, 0, 0]); // h_next: the latest, w-b
    close(u?.next?.boundary, [0, 0.5, 0, 0]);
  });

  it('λ = 0 gates and recommends with h_gen exactly; λ > 0 mixes the gate and interleaves the lists', async () => {
    const gen = new GateService(runtime, embeddings, interactions, { mix: 0 });
    const dual = new GateService(runtime, embeddings, interactions, { mix: 1 });
    const half = new GateService(runtime, embeddings, interactions, { mix: 0.5 });

    const g0 = await gen.gate('u-1', ['c-a', 'c-b']);
    expect(g0.decisions.map((d) => [d.songId, Number(d.score.toFixed(4)), d.pass])).toEqual([
      ['c-a', 0.6667, true],
      ['c-b', 0.3333, true],
    ]);
    // λ = 1: u = u_next = (0,1,0,0), b = (0,0.5,0,0): style a is refused now.
    const g1 = await dual.gate('u-1', ['c-a', 'c-b']);
    expect(g1.decisions.map((d) => [d.songId, Number(d.score.toFixed(4)), d.pass])).toEqual([
      ['c-a', 0, false],
      ['c-b', 1, true],
    ]);
    // λ = 0.5: u = (1/3, 2/3), b = u / 2.
    const gh = await half.gate('u-1', ['c-a']);
    expect(Number(gh.decisions[0].score.toFixed(4))).toBe(0.3333);

    const r0 = await gen.coldRecommendations('u-1', 2);
    expect(r0.decisions.map((d) => d.songId)).toEqual(['c-a', 'c-a2']);
    const r1 = await half.coldRecommendations('u-1', 2);
    // h_gen's list [c-a, c-a2, c-b] and h_next's [c-b] interleaved round-robin.
    expect(r1.decisions.map((d) => d.songId)).toEqual(['c-a', 'c-b']);
  });

  it('a user without stored h_next falls back to h_gen when λ > 0', async () => {
    await interactions.insertMany([
      { eventId: 'e-9', userId: 'u-2', songId: 'w-b', kind: 'play', weight: 1, occurredAt: at(1) },
    ]);
    await embeddings.upsertUserVectors('dssm-1', ['u-2'], vec(1, 0, 0, 0), vec(0.5, 0, 0, 0), DIM);
    const dual = new GateService(runtime, embeddings, interactions, { mix: 1 });
    const g = await dual.gate('u-2', ['c-a', 'c-b']);
    expect(g.decisions.map((d) => [d.songId, d.score, d.pass])).toEqual([
      ['c-a', 1, true],
      ['c-b', 0, false],
    ]);
    expect((await dual.coldRecommendations('u-2', 5)).decisions.map((d) => d.songId)).toEqual([
      'c-a',
      'c-a2',
    ]);
  });

  it('the api holding both memories in memory answers as the stored rows do, for every λ', async () => {
    for (const mix of [0.5, 1]) {
      const held = new ModelRuntime(config, versions, embeddings, new FakeLoaders(), {
        vectorsInMemory: true,
        nextMix: mix,
      });
      await held.refresh();
      try {
        const vectors = held.dssm!.vectors!;
        expect(vectors.memories('u-1')?.next.user).toEqual(vec(0, 1, 0, 0));
        // The gate's user is mixed once, when the row is loaded: (1 − λ)·(2/3, 1/3) + λ·(0, 1).
        close(vectors.gateUser('u-1')?.user, [(1 - mix) * (2 / 3), (1 - mix) / 3 + mix, 0, 0]);
        const fromMemory = new GateService(held, embeddings, interactions, { mix });
        const fromRows = new GateService(runtime, embeddings, interactions, { mix });
        for (const user of ['u-1', 'u-2']) {
          expect(await fromMemory.gate(user, ['c-a', 'c-b'])).toEqual(
            await fromRows.gate(user, ['c-a', 'c-b']),
          );
          expect(await fromMemory.coldRecommendations(user, 3)).toEqual(
            await fromRows.coldRecommendations(user, 3),
          );
        }
      } finally {
        held.stop();
      }
    }
  });
});
