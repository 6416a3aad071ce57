/**
 * GET /v1/search on the real database, broker and FAISS: 503 with its reason before a search
 * model is active; then a small joint model trained on the synthetic catalogue and activated
 * (`trainer train search --activate`): title queries find their song, genre queries return
 * songs of that genre (joint and hybrid), songs released through Kafka and the worker — before
 * the activation (cold) and after it (new) — are found; bad queries are refused with a reason.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@debut/catalog';
import {
  type ColdSplit,
  type ColdStartDataset,
  coldSplit,
  generateSynthetic,
  toSongReleasedEvents,
} from '@debut/evaluation';
import { EventPublisher, TOPICS, type TopicNames } from '@debut/messaging';
import { initTf } from '@debut/models';
import { SearchRuntime, importWarm } from '@debut/serving';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { createApp } from '../apps/api/src/main';
import { isolatedEnv, sampleRelease, waitFor } from './support';
import { trainAndActivateSmallSearch } from './model-support';

jest.setTimeout(240_000);

interface SearchBody {
  modelVersion: string;
  mode: string;
  denseQuery: boolean;
  fusion: { mode: string; lexicalWeight: number };
  items: Array<{
    songId: string;
    title: string;
    score: number;
    sources: { lexical: number | null; dense: number | null };
  }>;
}

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let ds: DataSource;
let worker: INestApplicationContext;
let api: INestApplication;
let base: string;
let catalogue: ColdStartDataset;
let split: ColdSplit;
let publisher: EventPublisher;
let topics: TopicNames;
let coldReleased: string[] = [];
let version: string;

const get = async (query: string) => {
  const res = await fetch(`${base}/v1/search?${query}`);
  return { status: res.status, body: (await res.json()) as SearchBody & { message: string | string[] } };
};
const search = async (q: string, mode = 'hybrid', limit = 20): Promise<SearchBody> => {
  const r = await get(`q=${encodeURIComponent(q)}&mode=${mode}&limit=${limit}`);
  expect(r.status).toBe(200);
  return r.body;
};
const songRows = async (ids: string[]) =>
  (await ds.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM songs WHERE id = ANY($1)', [ids]))[0]
    .n;

beforeAll(async () => {
  env = await isolatedEnv('search');
  await initTf({ log: () => undefined });
  ds = await openDatabase(env.db);
  catalogue = generateSynthetic({ seed: 11, songs: 800, users: 400, interactionsPerUser: 25 });
  split = coldSplit(catalogue, { seed: 11 });
  await importWarm(ds, catalogue, split);
  worker = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  publisher = worker.get(EventPublisher);
  topics = worker.get<TopicNames>(TOPICS);
  api = await createApp();
  await api.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${((api.getHttpServer() as Server).address() as AddressInfo).port}`;
});

afterAll(async () => {
  await api?.close();
  await worker?.close();
  await ds?.destroy();
});

it('answers 503 with its reason while no search model is active', async () => {
  const r = await get('q=pop');
  expect(r.status).toBe(503);
  expect(String(r.body.message)).toMatch(/no active search model/);
});

it('trains and activates a joint search model over every stored song, cold releases included', async () => {
  // Cold songs released through Kafka before the activation: the activation embeds them too.
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  const cold = split.coldTestItems.slice(0, 5).map((id) => byId.get(id)!);
  const events = toSongReleasedEvents(cold, { seed: 3, start: new Date().toISOString() });
  for (const e of events) await publisher.publish(topics.songReleased, e.songId, e);
  coldReleased = events.map((e) => e.songId);
  await waitFor(
    'cold releases stored',
    async () => (await songRows(coldReleased)) === coldReleased.length,
    60_000,
  );

  const trained = await trainAndActivateSmallSearch(ds, env, catalogue, split);
  version = trained.version;
  console.log(`search ${version} validation: ${JSON.stringify(trained.validation)}`);
  const runtime = api.get(SearchRuntime);
  await runtime.refresh();
  expect(runtime.active?.version).toBe(version);
  expect(runtime.active?.index.size).toBe(split.warmItems.length + coldReleased.length);
  expect(runtime.active?.index.dense.size).toBe(split.warmItems.length + coldReleased.length);
});

it('finds a song by its title (hybrid and lexical), and the joint model alone knows no title words', async () => {
  const song = catalogue.items.find((i) => i.id === split.warmItems[17])!;
  for (const mode of ['hybrid', 'lexical']) {
    const r = await search(song.title!, mode);
    expect(r.modelVersion).toBe(version);
    expect(r.items[0].songId).toBe(song.id);
    expect(r.items[0].title).toBe(song.title);
    expect(r.items[0].sources.lexical).toBe(1);
  }
  const joint = await search(song.title!, 'joint');
  expect(joint.denseQuery).toBe(false);
  expect(joint.items).toEqual([]);
});

it('returns songs of the queried genre, well above its share of the catalogue', async () => {
  const stored = new Set([...split.warmItems, ...coldReleased]);
  const genreOf = new Map(
    catalogue.items.filter((i) => stored.has(i.id)).map((i) => [i.id, i.content.genres ?? []]),
  );
  const share = [...genreOf.values()].filter((g) => g.includes('jazz')).length / genreOf.size;
  for (const mode of ['joint', 'hybrid', 'lexical']) {
    const r = await search('jazz', mode, 20);
    expect(r.items).toHaveLength(20);
    const precision = r.items.filter((i) => genreOf.get(i.songId)?.includes('jazz')).length / 20;
    expect(precision).toBeGreaterThan(Math.max(0.5, 3 * share));
    if (mode === 'joint')
      expect(r.items.every((i) => i.sources.dense !== null && i.sources.lexical === null)).toBe(true);
    if (mode === 'lexical')
      expect(r.items.every((i) => i.sources.dense === null && i.sources.lexical !== null)).toBe(true);
  }
});

it('finds the cold songs released before the activation by title, in the joint index too', async () => {
  const runtime = api.get(SearchRuntime);
  for (const id of coldReleased) {
    const title = catalogue.items.find((i) => i.id === id)!.title!;
    const r = await search(title);
    expect(r.items[0].songId).toBe(id);
    expect(runtime.active!.index.dense.has(id)).toBe(true);
  }
});

it('makes a song released through Kafka after the activation searchable within a poll', async () => {
  const release = sampleRelease(`fresh-${env.runId}`, 9);
  release.title = `Zyxwvut ${env.runId}`;
  const t0 = Date.now();
  await publisher.publish(topics.songReleased, release.songId, release);
  const found = await waitFor(
    'the new release in search results',
    async () => {
      const r = await search('zyxwvut');
      return r.items[0]?.songId === release.songId ? r : null;
    },
    30_000,
  );
  expect(found.items[0].title).toBe(release.title);
  expect(api.get(SearchRuntime).active!.index.dense.has(release.songId)).toBe(true);
  // Its tags reach the joint model: the query words are in its vocabulary and it has a dense rank.
  const byTags = await search(`zyxwvut ${release.genres.join(' ')}`, 'hybrid', 100);
  expect(byTags.denseQuery).toBe(true);
  expect(byTags.items[0].songId).toBe(release.songId);
  console.log(`release → searchable in ${Date.now() - t0} ms`);
});

it('refuses bad queries with a reason', async () => {
  const cases: Array<[string, RegExp]> = [
    ['', /q must be a string/],
    ['q=', /q must be 1 to 200 characters/],
    ['q=%20%20!!', /q must contain at least one letter or digit/],
    [`q=${'a'.repeat(201)}`, /q must be 1 to 200 characters/],
    ['q=pop&limit=0', /limit must be between 1 and 100/],
    ['q=pop&limit=101', /limit must be between 1 and 100/],
    ['q=pop&limit=ten', /limit must be an integer/],
    ['q=pop&mode=semantic', /mode must be one of hybrid, joint, lexical/],
    ['q=pop&q=rock', /q must be a string/],
    ['q=pop&extra=1', /extra/],
  ];
  for (const [query, reason] of cases) {
    const r = await get(query);
    expect({ query, status: r.status }).toEqual({ query, status: 400 });
    expect(String(r.body.message)).toMatch(reason);
  }
});
