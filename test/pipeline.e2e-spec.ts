/**
 * The release pipeline and the API on real Kafka, PostgreSQL and FAISS: a small
 * synthetic catalogue is imported, a small I2I encoder trained and activated, then the worker
 * and the api run in-process against the broker and the database.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { Kafka } from 'kafkajs';
import { openDatabase } from '@debut/catalog';
import { coldSplit, generateSynthetic, toSongReleasedEvents, type Item } from '@debut/evaluation';
import type { SongReleasedEvent } from '@debut/features';
import { EventPublisher, KAFKA, TOPICS, type ConsumedMessage, type TopicNames } from '@debut/messaging';
import { initTf } from '@debut/models';
import { importWarm } from '@debut/serving';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { createApp } from '../apps/api/src/main';
import type {
  AudienceDto,
  ColdGateDto,
  ColdRecommendationsDto,
  SimilarDto,
} from '../apps/api/src/common/dto';
import type { HealthReport } from '../apps/api/src/health/health.service';
import { isolatedEnv, topicReader, waitFor } from './support';
import { trainAndActivateSmallModels } from './model-support';

jest.setTimeout(180_000);

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let ds: DataSource;
let worker: INestApplicationContext;
let api: INestApplication;
let kafka: Kafka;
let publisher: EventPublisher;
let topics: TopicNames;
let version: string;
let dssmVersion: string;
let audienceEvents: { records: ConsumedMessage[]; stop: () => Promise<void> };
let coldItems: Item[];
const released: SongReleasedEvent[] = [];

const startWorker = () => NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
const eventsFor = (songId: string) =>
  audienceEvents.records
    .filter((r) => r.key === songId)
    .map((r) => JSON.parse(r.value!.toString()) as AudienceEvent);
const audienceRows = async (songId: string): Promise<number> =>
  (
    await ds.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM audiences WHERE song_id = $1', [
      songId,
    ])
  )[0].n;
/** The api over HTTP (supertest types response bodies `any`: the tests name what they expect). */
const httpApi = () => request(api.getHttpServer() as Server);

/** An error answer; `message` lists the reasons when the ValidationPipe refused the request. */
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}
interface ValidationErrorBody {
  message: string[];
}

interface AudienceEvent {
  songId: string;
  modelVersion: string;
  audience: Array<{ userId: string; score: number }>;
  neighbours: Array<{ songId: string; similarity: number }>;
}

/** Released songs that got an audience (some releases in these tests are malformed on purpose). */
const selectedReleases = (): string[] =>
  released.map((r) => r.songId).filter((id) => eventsFor(id).length > 0);

/** The next held-out cold song as a release event. */
function nextRelease(): SongReleasedEvent {
  const item = coldItems[released.length];
  const [event] = toSongReleasedEvents([item], {
    seed: released.length + 1,
    start: new Date().toISOString(),
  });
  released.push(event);
  return event;
}

async function publishRelease(event: SongReleasedEvent = nextRelease()): Promise<SongReleasedEvent> {
  await publisher.publish(topics.songReleased, event.songId, event);
  return event;
}

beforeAll(async () => {
  env = await isolatedEnv('pipeline', {
    GRADUATE_AFTER_LISTENERS: '3',
    AUDIENCE_NEIGHBOURS: '20',
    AUDIENCE_SIZE: '50',
  });
  await initTf({ log: () => undefined });
  ds = await openDatabase(env.db);

  // Catalogue: the warm part imported as `trainer import` does; cold songs kept for releases.
  const catalogue = generateSynthetic({ seed: 11, songs: 800, users: 400, interactionsPerUser: 25 });
  const split = coldSplit(catalogue, { seed: 11 });
  await importWarm(ds, catalogue, split);
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  coldItems = [...split.coldTestItems, ...split.coldValItems].map((id) => byId.get(id)!);

  ({ i2iVersion: version, dssmVersion } = await trainAndActivateSmallModels(ds, env, catalogue, split));

  worker = await startWorker();
  api = await createApp();
  kafka = worker.get(KAFKA);
  publisher = worker.get(EventPublisher);
  topics = worker.get(TOPICS);
  audienceEvents = await topicReader(kafka, topics.songAudienceSelected);
});

afterAll(async () => {
  await audienceEvents?.stop();
  await api?.close();
  await worker?.close();
  await ds?.destroy();
});

it('turns a release into an audience: rows in PostgreSQL and song.audience.selected with scores and neighbours', async () => {
  const r = await publishRelease();
  const [event] = await waitFor('audience event', () =>
    eventsFor(r.songId).length ? eventsFor(r.songId) : null,
  );
  expect(event.modelVersion).toBe(version);
  expect(event.audience.length).toBeGreaterThan(10);
  expect(event.audience.length).toBeLessThanOrEqual(50);
  expect(event.neighbours).toHaveLength(20);
  const scores = event.audience.map((a) => a.score);
  expect([...scores].sort((a, b) => b - a)).toEqual(scores);

  const [row] = await ds.query<
    Array<{ members: Array<{ userId: string; because: string[] }>; published_at: Date | null }>
  >('SELECT members, neighbours, published_at FROM audiences WHERE song_id = $1', [r.songId]);
  expect(row.published_at).not.toBeNull();
  expect(row.members.map((m) => m.userId)).toEqual(event.audience.map((a) => a.userId));
  const neighbourIds = new Set(event.neighbours.map((n) => n.songId));
  for (const m of row.members) {
    expect(m.because.length).toBeGreaterThan(0);
    for (const s of m.because) expect(neighbourIds.has(s)).toBe(true);
  }
  const [song] = await ds.query<Array<{ pool: string }>>('SELECT pool FROM songs WHERE id = $1', [r.songId]);
  expect(song.pool).toBe('cold');
});

it('answers for that song over HTTP, with 404s and 400s that say why', async () => {
  const r = released[0];
  const http = httpApi();
  const audience = (await http.get(`/v1/songs/${r.songId}/audience?limit=5`).expect(200)).body as AudienceDto;
  expect(audience.audience).toHaveLength(5);
  expect(audience.audience[0].userId).toBe(eventsFor(r.songId)[0].audience[0].userId);
  // Beside each score, what the cold gate of the active DSSM would do with this song for that user.
  const gate = await http
    .post(`/v1/users/${audience.audience[0].userId}/cold-gate`)
    .send({ songIds: [r.songId] })
    .expect(200);
  expect(audience.audience[0].gatePass).toBe((gate.body as ColdGateDto).decisions[0].pass);
  const verdicts = audience.audience.map((m) => m.gatePass).filter((v) => v !== null);
  expect(audience.gatePassShare).toBeCloseTo(verdicts.filter(Boolean).length / verdicts.length, 6);
  expect(audience.method).toBe('i2i2u');
  const similar = (await http.get(`/v1/songs/${r.songId}/similar?limit=3`).expect(200)).body as SimilarDto;
  expect(similar.similar).toHaveLength(3);
  expect(similar.similar[0].songId).toBe(eventsFor(r.songId)[0].neighbours[0].songId);

  expect(((await http.get('/v1/songs/no-such-song/audience').expect(404)).body as ErrorBody).message).toMatch(
    /unknown song: no-such-song/,
  );
  expect(
    (
      (await http.get(`/v1/songs/${r.songId}/similar?limit=0`).expect(400)).body as ValidationErrorBody
    ).message.join(' '),
  ).toMatch(/limit/);
  expect(
    (
      (await http.post('/v1/users/u-001/cold-gate').send({ songIds: [] }).expect(400))
        .body as ValidationErrorBody
    ).message.join(' '),
  ).toMatch(/songIds/);
  await http.post('/v1/releases').send({}).expect(401);
  const bad = await http
    .post('/v1/releases')
    .set('x-api-key', env.http.apiKey)
    .send({ ...nextRelease(), features: { audio: [1] } });
  expect(bad.status).toBe(400);
  expect((bad.body as ErrorBody).message).toMatch(/audio/);
  const health = await http.get('/health').expect(200);
  expect((health.body as HealthReport).checks.index.detail).toMatch(/warm pool/);
});

it('accepts a release over HTTP for callers without Kafka', async () => {
  const r = nextRelease();
  const res = await httpApi().post('/v1/releases').set('x-api-key', env.http.apiKey).send(r).expect(202);
  expect(res.body).toMatchObject({ eventId: r.eventId, songId: r.songId });
  await waitFor('audience of the HTTP release', () => eventsFor(r.songId).length > 0);
});

it('changes nothing when an event is delivered twice', async () => {
  const r = released[0];
  await publishRelease(r);
  const marker = await publishRelease();
  await waitFor('marker processed', () => eventsFor(marker.songId).length > 0);
  await new Promise((res) => setTimeout(res, 500));
  expect(eventsFor(r.songId)).toHaveLength(1);
  expect(await audienceRows(r.songId)).toBe(1);
});

it('dead-letters a malformed release and keeps going', async () => {
  const dlq = await topicReader(kafka, topics.songReleasedDlq);
  try {
    const broken = { ...nextRelease(), features: { audio: new Array(32).fill(0), text: [1, 2, 'x'] } };
    await publisher.publish(topics.songReleased, broken.songId, broken);
    const next = await publishRelease();
    await waitFor('next release selected', () => eventsFor(next.songId).length > 0);
    await waitFor('dead letter', () => dlq.records.find((d) => d.key === broken.songId));
    expect(await audienceRows(broken.songId)).toBe(0);
  } finally {
    await dlq.stop();
  }
});

it('loses nothing and duplicates nothing when the worker restarts mid-stream', async () => {
  const batch: SongReleasedEvent[] = [];
  for (let i = 0; i < 20; i++) batch.push(await publishRelease());
  await waitFor(
    'a few audiences before the restart',
    () => batch.filter((r) => eventsFor(r.songId).length).length >= 2,
  );
  await worker.close();
  worker = await startWorker();
  publisher = worker.get(EventPublisher);
  await waitFor(
    'every release selected',
    async () => {
      const rows = await ds.query<Array<{ n: number }>>(
        'SELECT count(*)::int AS n FROM audiences WHERE song_id = ANY($1)',
        [batch.map((b) => b.songId)],
      );
      return rows[0].n === batch.length && batch.every((r) => eventsFor(r.songId).length > 0);
    },
    90_000,
  );
  for (const r of batch) expect(await audienceRows(r.songId)).toBe(1);
});

it('stores interactions in batches and graduates a cold song that reached enough listeners', async () => {
  const r = released[0];
  const users = ['u-001', 'u-002', 'u-003'];
  for (const userId of users) {
    await publisher.publish(topics.userInteraction, userId, {
      eventId: randomUUID(),
      userId,
      songId: r.songId,
      kind: 'complete',
      occurredAt: new Date().toISOString(),
    });
  }
  await waitFor(
    'graduation',
    async () =>
      (await ds.query<Array<{ pool: string }>>('SELECT pool FROM songs WHERE id = $1', [r.songId]))[0]
        .pool === 'warm',
  );
  const [{ n }] = await ds.query<Array<{ n: number }>>(
    'SELECT count(*)::int AS n FROM interactions WHERE song_id = $1',
    [r.songId],
  );
  expect(n).toBe(3);
  // Its audience can be recomputed on request; the new listeners are excluded from it.
  const res = await httpApi()
    .post(`/v1/songs/${r.songId}/audience/recompute?limit=200`)
    .set('x-api-key', env.http.apiKey)
    .expect(200);
  for (const m of (res.body as AudienceDto).audience) expect(users).not.toContain(m.userId);
});

it('gates cold songs per user: score u·i against boundary u·b, 404 for unknown ids, a defined answer without history', async () => {
  const http = httpApi();
  const songIds = selectedReleases().slice(0, 5);
  const gate = (await http.post('/v1/users/u-010/cold-gate').send({ songIds }).expect(200))
    .body as ColdGateDto;
  expect(gate).toMatchObject({ userId: 'u-010', modelVersion: dssmVersion, basis: 'model' });
  expect(gate.decisions.map((d) => d.songId)).toEqual(songIds);
  const boundaries = new Set<number>();
  for (const d of gate.decisions) {
    expect(d.pass).toBe(d.score > d.boundary);
    boundaries.add(d.boundary);
  }
  expect(boundaries.size).toBe(1); // one boundary per user

  expect(
    ((await http.post('/v1/users/no-such-user/cold-gate').send({ songIds }).expect(404)).body as ErrorBody)
      .message,
  ).toMatch(/unknown user/);
  const unknownSong = await http
    .post('/v1/users/u-010/cold-gate')
    .send({ songIds: [...songIds, 'no-such-song'] })
    .expect(404);
  expect((unknownSong.body as ErrorBody).message).toMatch(/unknown song: no-such-song/);
  const tooMany = await http
    .post('/v1/users/u-010/cold-gate')
    .send({ songIds: Array.from({ length: 501 }, (_, i) => `s${i}`) });
  expect(tooMany.status).toBe(400);

  const recs = (await http.get('/v1/users/u-010/cold-recommendations?limit=10').expect(200))
    .body as ColdRecommendationsDto;
  expect(recs.basis).toBe('model');
  for (const r of recs.songs) expect(r.score).toBeGreaterThan(r.boundary);
  const scores = recs.songs.map((r) => r.score);
  expect([...scores].sort((a, b) => b - a)).toEqual(scores);

  // A user whose only interaction is a skip exists but has no listening history.
  await publisher.publish(topics.userInteraction, 'u-newcomer', {
    eventId: randomUUID(),
    userId: 'u-newcomer',
    songId: released[0].songId,
    kind: 'skip',
    occurredAt: new Date().toISOString(),
  });
  const newcomer = await waitFor('newcomer stored', async () => {
    const res = await http.post('/v1/users/u-newcomer/cold-gate').send({ songIds });
    return res.status === 200 ? res : null;
  });
  const newcomerGate = newcomer.body as ColdGateDto;
  expect(newcomerGate.basis).toBe('no-history');
  expect(newcomerGate.decisions.every((d) => !d.pass)).toBe(true);
  expect(
    ((await http.get('/v1/users/u-newcomer/cold-recommendations').expect(200)).body as ColdRecommendationsDto)
      .songs,
  ).toEqual([]);
});

it("refreshes a user's DSSM vectors in the background after new plays", async () => {
  const before = await ds.query<Array<{ updated_at: Date }>>(
    'SELECT updated_at FROM user_vectors WHERE user_id = $1 AND model_version = $2',
    ['u-020', dssmVersion],
  );
  expect(before).toHaveLength(1);
  await publisher.publish(topics.userInteraction, 'u-020', {
    eventId: randomUUID(),
    userId: 'u-020',
    songId: selectedReleases()[1],
    kind: 'favorite',
    occurredAt: new Date().toISOString(),
  });
  await waitFor('user vectors refreshed', async () => {
    const [row] = await ds.query<Array<{ updated_at: Date }>>(
      'SELECT updated_at FROM user_vectors WHERE user_id = $1 AND model_version = $2',
      ['u-020', dssmVersion],
    );
    return row.updated_at.getTime() > before[0].updated_at.getTime();
  });
});

it('exposes worker metrics: audiences selected, audience sizes, dead letters per topic', async () => {
  // The worker restarted mid-stream: its counters cover what it handled since, so one more release.
  const r = await publishRelease();
  await waitFor('audience', () => eventsFor(r.songId).length > 0);
  const res = await fetch(`http://127.0.0.1:${env.workerMetricsPort}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? NaN);
  expect(value(/^debut_audiences_selected_total (\d+)/m)).toBeGreaterThan(0);
  expect(value(/^debut_audience_size_count (\d+)/m)).toBeGreaterThan(0);
  expect(text).toMatch(
    new RegExp(
      `debut_consumer_records_total\\{topic="${topics.userInteraction.replace(/\./g, '\\.')}"\\} [1-9]`,
    ),
  );
  expect(text).toMatch(/debut_consumer_dlq_total\{topic=/);
  expect(value(/^debut_pool_vectors\{pool="warm"\} (\d+)/m)).toBeGreaterThan(0);
  expect(text).toMatch(/^debut_tf_tensors \d+/m);
});

it('answers trainer check: the worker and the api pools in step with PostgreSQL, behind the key', async () => {
  const url = `http://127.0.0.1:${env.workerMetricsPort}/pools/check`;
  expect((await fetch(url)).status).toBe(401);
  const worker = (await (await fetch(url, { headers: { 'x-api-key': env.http.apiKey } })).json()) as {
    ok: boolean;
    pools: Array<{ pool: string; inProcess: number; inDatabase: number }>;
  };
  expect(worker.ok).toBe(true);
  expect(worker.pools.map((p) => p.pool)).toEqual(['warm', 'cold']);
  for (const p of worker.pools) expect(p.inProcess).toBe(p.inDatabase);
  const api = await httpApi().get('/v1/admin/pools/check').set('x-api-key', env.http.apiKey).expect(200);
  expect(api.body).toMatchObject({ ok: true });
});
