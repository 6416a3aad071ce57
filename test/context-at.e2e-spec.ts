/**
 * Calendar context at serving time (issue 16, item 4) through the HTTP api, on a real DSSM
 * trained with month offsets (`trainer train dssm --context month`) on a small synthetic-drift
 * catalogue, real PostgreSQL and real FAISS: `POST /v1/users/{id}/cold-gate` and
 * `GET /v1/users/{id}/cold-recommendations` with `at` answer with u + o_month(at) — checked
 * against the stored user and song vectors and the offsets saved in the artifact — and without
 * `at` exactly as before.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { EmbeddingRepository, SongRepository, openDatabase } from '@debut/catalog';
import { coldSplit, generateSyntheticDrift } from '@debut/evaluation';
import { MONTH_BUCKETS, initTf, loadDssmModel, type ContextOffsets } from '@debut/models';
import { importWarm, warmSongRows } from '@debut/serving';
import { createApp } from '../apps/api/src/main';
import { isolatedEnv } from './support';
import { trainAndActivateSmallModels } from './model-support';

jest.setTimeout(300_000);

let ds: DataSource;
let api: INestApplication;
let base: string;
let version: string;
let context: ContextOffsets;
let gateOffset: number;
let embeddings: EmbeddingRepository;
let coldIds: string[];
let userId: string;

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

interface Decision {
  songId: string;
  score: number;
  boundary: number;
  pass: boolean;
}

beforeAll(async () => {
  const env = await isolatedEnv('context_at');
  await initTf({ log: () => undefined });
  ds = await openDatabase(env.db);
  const catalogue = generateSyntheticDrift({ seed: 11, songs: 600, users: 300, interactionsPerUser: 25 });
  const split = coldSplit(catalogue, { seed: 11 });
  await importWarm(ds, catalogue, split);
  // The cold test songs as released songs of the cold pool, so activation indexes them.
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  coldIds = split.coldTestItems;
  await new SongRepository(ds).insertMany(
    warmSongRows(coldIds.map((id) => byId.get(id)!)).map((s) => ({ ...s, pool: 'cold' as const })),
  );
  const models = await trainAndActivateSmallModels(ds, env, catalogue, split, {
    contextBuckets: MONTH_BUCKETS,
  });
  version = models.dssmVersion;
  // What serving must apply: the offsets as the artifact holds them.
  const { model } = await loadDssmModel(models.dssmDir);
  context = model.context!;
  gateOffset = model.gateOffset;
  model.dispose();
  embeddings = new EmbeddingRepository(ds);
  const [row] = await ds.query<Array<{ user_id: string }>>(
    'SELECT user_id FROM user_vectors WHERE model_version = $1 ORDER BY user_id LIMIT 1',
    [version],
  );
  userId = row.user_id;
  api = await createApp();
  await api.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${((api.getHttpServer() as Server).address() as AddressInfo).port}`;
});

afterAll(async () => {
  await api?.close();
  await ds?.destroy();
});

/** The gate's answer recomputed from PostgreSQL's rows and the artifact's offsets. */
async function expected(at: Date | undefined): Promise<Map<string, Decision>> {
  const u = (await embeddings.userVectors(version, [userId])).get(userId)!;
  const user = at ? context.shift(u.user, at) : u.user;
  const boundary = dot(user, u.boundary) + gateOffset;
  const items = await embeddings.songVectorsFor(version, coldIds);
  return new Map(
    coldIds.map((id) => {
      const score = dot(user, items.get(id)!);
      return [id, { songId: id, score, boundary, pass: score > boundary }];
    }),
  );
}

function expectClose(got: Decision[], want: Map<string, Decision>): void {
  for (const d of got) {
    const w = want.get(d.songId)!;
    expect(d.score).toBeCloseTo(w.score, 4);
    expect(d.boundary).toBeCloseTo(w.boundary, 4);
    // A verdict is compared where the margin is not within float noise of zero.
    if (Math.abs(w.score - w.boundary) > 1e-4) expect(d.pass).toBe(w.pass);
  }
}

describe('context offsets at serving time', () => {
  it('the trained artifact holds 12 month offsets that are not all zero', () => {
    expect(context.offsets).toHaveLength(MONTH_BUCKETS * context.dim);
    expect(Math.sqrt(dot(context.offsets, context.offsets))).toBeGreaterThan(1e-3);
  });

  it('POST cold-gate with at gates with u + o_month(at); without at exactly as before', async () => {
    const gate = (body: object) => request(base).post(`/v1/users/${userId}/cold-gate`).send(body).expect(200);
    const plain = (await gate({ songIds: coldIds })).body as { decisions: Decision[]; context?: unknown };
    expect(plain.context).toBeUndefined();
    expectClose(plain.decisions, await expected(undefined));

    const december = new Date('2026-12-24T18:00:00Z');
    const dec = (await gate({ songIds: coldIds, at: december.toISOString() })).body as {
      decisions: Decision[];
      context: unknown;
    };
    expect(dec.context).toEqual({ at: december.toISOString(), month: 12, applied: true });
    expectClose(dec.decisions, await expected(december));
    const june = (await gate({ songIds: coldIds, at: '2026-06-15' })).body as { decisions: Decision[] };
    expectClose(june.decisions, await expected(new Date('2026-06-15')));
    // The month matters: December's and June's scores differ (different learned offsets).
    const moved = dec.decisions.filter((d, i) => Math.abs(d.score - june.decisions[i].score) > 1e-5);
    expect(moved.length).toBeGreaterThan(0);
  });

  it('GET cold-recommendations?at= ranks with the shifted user: its songs pass, best first', async () => {
    const december = new Date('2026-12-01T00:00:00Z');
    const res = await request(base)
      .get(`/v1/users/${userId}/cold-recommendations?limit=50&at=${december.toISOString()}`)
      .expect(200);
    const body = res.body as { songs: Decision[]; context: { month: number; applied: boolean } };
    expect(body.context).toMatchObject({ month: 12, applied: true });
    const want = await expected(december);
    expectClose(body.songs, want);
    expect(body.songs.every((d) => d.pass)).toBe(true);
    const scores = body.songs.map((d) => d.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    // Every cold song that passes by the recomputation and that the user has not played is listed.
    const played = new Set(
      (
        await ds.query<Array<{ song_id: string }>>('SELECT song_id FROM interactions WHERE user_id = $1', [
          userId,
        ])
      ).map((r) => r.song_id),
    );
    const passing = [...want.values()].filter((d) => d.score - d.boundary > 1e-4 && !played.has(d.songId));
    if (passing.length <= 50)
      expect(new Set(body.songs.map((d) => d.songId))).toEqual(
        new Set([
          ...passing.map((d) => d.songId),
          ...body.songs.filter((d) => Math.abs(d.score - d.boundary) <= 1e-4).map((d) => d.songId),
        ]),
      );
  });

  it('refuses an at it cannot read, with the reason', async () => {
    const res = await request(base).get(`/v1/users/${userId}/cold-recommendations?at=2026-13-01`).expect(400);
    expect((res.body as { message: string[] }).message).toEqual([
      'at must be an ISO 8601 date or date-time with a zone, e.g. 2026-12-24T18:00:00Z',
    ]);
  });
});
