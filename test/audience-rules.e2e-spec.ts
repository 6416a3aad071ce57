/**
 * Audience rules on real Kafka, PostgreSQL and FAISS: profiles arrive through the api and the
 * user.profile topic, exposures through the api (song.exposed), plays through user.interaction;
 * an audience request with a market and excludeExposed returns exactly the requested number of
 * eligible users and no ineligible one, with the users refused per rule; a request beyond the
 * eligible population says so; malformed profile/exposure records go to their DLQs; a
 * redelivered exposure changes nothing; a release with availability, explicit and an audience
 * budget gets a pipeline audience that honours them.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import type { Kafka } from 'kafkajs';
import { openDatabase } from '@debut/catalog';
import { toSongReleasedEvents, type Item } from '@debut/evaluation';
import type { SongReleasedEvent, UserProfileEvent } from '@debut/features';
import { DLQ_HEADERS, EventPublisher, KAFKA, TOPICS, type TopicNames } from '@debut/messaging';
import { initTf } from '@debut/models';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { createApp } from '../apps/api/src/main';
import type { AudienceDto } from '../apps/api/src/common/dto';
import { isolatedEnv, topicReader, waitFor } from './support';
import { importSyntheticCatalogue, trainAndActivateSmallI2I } from './model-support';

jest.setTimeout(240_000);

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let ds: DataSource;
let worker: INestApplicationContext;
let api: INestApplication;
let kafka: Kafka;
let publisher: EventPublisher;
let topics: TopicNames;
let coldItems: Item[];
let userIds: string[];
let song: SongReleasedEvent;
let released = 0;

const http = () => request(api.getHttpServer() as Server);
const key = () => ({ 'x-api-key': env.http.apiKey });
const count = async (sql: string, params: unknown[] = []): Promise<number> =>
  (await ds.query<Array<{ n: number }>>(sql, params))[0].n;
const audienceOf = async (query: string): Promise<AudienceDto> =>
  (await http().get(`/v1/songs/${song.songId}/audience?${query}`).expect(200)).body as AudienceDto;

/** Every user's planted profile: even index SE, odd NO; every fifth opted out of explicit songs. */
const region = (i: number) => (i % 2 === 0 ? 'SE' : 'NO');
const optedOut = (i: number) => i % 5 === 0;

function nextRelease(extra: Partial<SongReleasedEvent> = {}): SongReleasedEvent {
  const [event] = toSongReleasedEvents([coldItems[released]], {
    seed: ++released,
    start: new Date().toISOString(),
  });
  return { ...event, ...extra };
}

async function storedProfiles(): Promise<Map<string, { region: string | null; explicit_opt_out: boolean }>> {
  const rows = await ds.query<Array<{ id: string; region: string | null; explicit_opt_out: boolean }>>(
    'SELECT id, region, explicit_opt_out FROM users',
  );
  return new Map(rows.map((r) => [r.id, r]));
}

beforeAll(async () => {
  env = await isolatedEnv('audience_rules', {
    AUDIENCE_NEIGHBOURS: '20',
    AUDIENCE_SIZE: '30',
    AUDIENCE_MAX_LIMIT: '1000',
  });
  await initTf({ log: () => undefined });
  ds = await openDatabase(env.db);
  const imported = await importSyntheticCatalogue(ds, {
    seed: 17,
    songs: 800,
    users: 400,
    interactionsPerUser: 25,
  });
  const { catalogue, split } = imported;
  coldItems = imported.coldItems;
  userIds = [...catalogue.users];
  await trainAndActivateSmallI2I(ds, env, catalogue, split); // no DSSM: these tests need no gate
  worker = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  api = await createApp();
  kafka = worker.get(KAFKA);
  publisher = worker.get(EventPublisher);
  topics = worker.get(TOPICS);

  song = nextRelease();
  await publisher.publish(topics.songReleased, song.songId, song);
  await waitFor(
    'first audience',
    async () =>
      (await count('SELECT count(*)::int AS n FROM audiences WHERE song_id = $1', [song.songId])) === 1,
  );
});

afterAll(async () => {
  await api?.close();
  await worker?.close();
  await ds?.destroy();
});

it('takes profiles from user.profile and from PUT /v1/users/{id}/profile, the latest winning', async () => {
  const at = new Date(Date.now() - 60_000).toISOString();
  const events: UserProfileEvent[] = userIds.map((userId, i) => ({
    userId,
    region: region(i),
    explicitOptOut: optedOut(i),
    updatedAt: at,
  }));
  await publisher.publishBatch(
    topics.userProfile,
    events.map((e) => ({ key: e.userId, value: e })),
  );
  // Through the api, later than the topic's: the first two users' profiles are rewritten the same.
  for (const [i, userId] of userIds.slice(0, 2).entries()) {
    const res = await http()
      .put(`/v1/users/${userId}/profile`)
      .set(key())
      .send({ region: region(i), explicitOptOut: optedOut(i) })
      .expect(202);
    expect(res.body).toMatchObject({ topic: topics.userProfile, event: { userId, region: region(i) } });
  }
  await http()
    .put(`/v1/users/${userIds[0]}/profile`)
    .send({ region: 'SE', explicitOptOut: false })
    .expect(401);
  const bad = await http()
    .put(`/v1/users/${userIds[0]}/profile`)
    .set(key())
    .send({ region: 'se', explicitOptOut: false });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toMatch(/region must be an ISO 3166-1 alpha-2 market code/);
  await waitFor(
    'every profile applied',
    async () =>
      (await count('SELECT count(*)::int AS n FROM users WHERE profile_updated_at IS NOT NULL')) ===
      userIds.length,
  );
  await waitFor(
    'the api profiles applied',
    async () =>
      (await count('SELECT count(*)::int AS n FROM users WHERE id = ANY($1) AND profile_updated_at > $2', [
        userIds.slice(0, 2),
        at,
      ])) === 2,
  );
  const stored = await storedProfiles();
  userIds.forEach((u, i) =>
    expect([u, stored.get(u)]).toEqual([u, { id: u, region: region(i), explicit_opt_out: optedOut(i) }]),
  );
});

it('selects exactly the requested number of eligible users in a market, leaving out exposed and played users, and counts each rule', async () => {
  // The song's whole candidate list under the active model (no market, nothing exposed yet).
  const all = await audienceOf('limit=1000');
  expect(all.exhausted).toBe(true);
  const ranked = all.audience.map((m) => m.userId);
  const idx = new Map(userIds.map((u, i) => [u, i]));
  const se = ranked.filter((u) => region(idx.get(u)!) === 'SE');
  expect(se.length).toBeGreaterThan(40);

  // Exposures through the api (one sent twice with the same id: harmless), a play on the song.
  const exposed = se.slice(0, 6);
  const post = () =>
    http()
      .post(`/v1/songs/${song.songId}/exposures`)
      .set(key())
      .send({ userIds: exposed, exposureId: `x-${env.runId}` });
  expect((await post().expect(202)).body).toMatchObject({
    topic: topics.songExposed,
    event: { songId: song.songId },
  });
  await post().expect(202);
  await http()
    .post('/v1/songs/no-such-song/exposures')
    .set(key())
    .send({ userIds: ['u'] })
    .expect(404);
  await http().post(`/v1/songs/${song.songId}/exposures`).set(key()).send({ userIds: [] }).expect(400);
  const player = se[8];
  await publisher.publish(topics.userInteraction, player, {
    eventId: randomUUID(),
    userId: player,
    songId: song.songId,
    kind: 'play',
    occurredAt: new Date().toISOString(),
  });
  await waitFor(
    'exposures recorded',
    async () =>
      (await count('SELECT count(*)::int AS n FROM exposures WHERE song_id = $1', [song.songId])) === 6,
  );
  await waitFor(
    'the play stored',
    async () =>
      (await count('SELECT count(*)::int AS n FROM interactions WHERE song_id = $1', [song.songId])) === 1,
  );

  const limit = 25;
  const got = await audienceOf(`limit=${limit}&region=SE&excludeExposed=true`);
  expect(got.audience).toHaveLength(limit);
  expect(got).toMatchObject({ requested: limit, sizeMet: true, exhausted: false });
  expect(got.shortfall).toBeUndefined();
  // The same ranking, walked with the rules: what the answer must be, and what each rule refused above the cut.
  const expected: string[] = [];
  const filtered = { region: 0, explicit: 0, exposed: 0, played: 0 };
  for (const u of ranked) {
    if (expected.length === limit) break;
    if (region(idx.get(u)!) !== 'SE') filtered.region++;
    else if (exposed.includes(u)) filtered.exposed++;
    else if (u === player) filtered.played++;
    else expected.push(u);
  }
  expect(got.audience.map((m) => m.userId)).toEqual(expected);
  expect(got.filtered).toEqual(filtered);
  expect(filtered.region).toBeGreaterThan(0);
  expect(filtered.exposed).toBe(6);
  expect(filtered.played).toBe(1);
  const stored = await storedProfiles();
  for (const m of got.audience) {
    expect(stored.get(m.userId)!.region).toBe('SE');
    expect(exposed).not.toContain(m.userId);
    expect(m.userId).not.toBe(player);
  }
});

it('says when the request is beyond the eligible population, and 400s a limit above AUDIENCE_MAX_LIMIT', async () => {
  const got = await audienceOf('limit=1000&region=SE&excludeExposed=true');
  expect(got).toMatchObject({ requested: 1000, sizeMet: false, exhausted: true });
  expect(got.audience.length).toBeLessThan(1000);
  expect(got.shortfall).toMatch(
    new RegExp(`^${got.audience.length} of 1000 users: eligible users exhausted`),
  );
  const idx = new Map(userIds.map((u, i) => [u, i]));
  expect(got.audience.every((m) => region(idx.get(m.userId)!) === 'SE')).toBe(true);
  const res = await http().get(`/v1/songs/${song.songId}/audience?limit=1001`).expect(400);
  expect((res.body as { message: string }).message).toBe(
    'limit must not be greater than 1000 (AUDIENCE_MAX_LIMIT)',
  );
  expect(
    (await http().get(`/v1/songs/${song.songId}/audience?region=Sweden`).expect(400)).body,
  ).toMatchObject({
    statusCode: 400,
  });
});

it('dead-letters malformed profiles and exposures with their reason, and keeps consuming', async () => {
  const profileDlq = await topicReader(kafka, topics.userProfileDlq);
  const exposureDlq = await topicReader(kafka, topics.songExposedDlq);
  try {
    const last = userIds[userIds.length - 1];
    await publisher.publish(topics.userProfile, 'bad-1', {
      userId: 'bad-1',
      region: 'Sweden',
      explicitOptOut: false,
      updatedAt: new Date().toISOString(),
    });
    // Bytes that are not JSON at all (EventPublisher would send a string as a JSON string).
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic: topics.userProfile,
      acks: -1,
      messages: [{ key: 'bad-2', value: '{"userId": "not json' }],
    });
    await producer.disconnect();
    await publisher.publish(topics.userProfile, last, {
      userId: last,
      region: 'FI',
      explicitOptOut: true,
      updatedAt: new Date().toISOString(),
    });
    await publisher.publish(topics.songExposed, 'bad-3', {
      exposureId: 'x',
      songId: song.songId,
      userIds: [],
      at: new Date().toISOString(),
    });
    await publisher.publish(topics.songExposed, 'no-such-song', {
      exposureId: 'x',
      songId: 'no-such-song',
      userIds: ['u'],
      at: new Date().toISOString(),
    });
    await waitFor(
      'the valid profile after the bad ones',
      async () => (await storedProfiles()).get(last)?.region === 'FI',
    );
    await waitFor('profile dead letters', () => profileDlq.records.length >= 2);
    await waitFor('exposure dead letters', () => exposureDlq.records.length >= 2);
    const reason = (records: typeof profileDlq.records, k: string) =>
      records.find((r) => r.key === k)?.headers[DLQ_HEADERS.reason] ?? '';
    expect(reason(profileDlq.records, 'bad-1')).toMatch(/^region: must be an ISO 3166-1 alpha-2/);
    expect(reason(profileDlq.records, 'bad-2')).toMatch(/json/i);
    expect(reason(exposureDlq.records, 'bad-3')).toBe('userIds: must name at least one user');
    expect(reason(exposureDlq.records, 'no-such-song')).toBe('songId: unknown song no-such-song');
    expect(await count("SELECT count(*)::int AS n FROM users WHERE id IN ('bad-1', 'bad-2')")).toBe(0);
  } finally {
    await profileDlq.stop();
    await exposureDlq.stop();
  }
});

it('changes nothing when an exposure is redelivered', async () => {
  const before = await count('SELECT count(*)::int AS n FROM exposures WHERE song_id = $1', [song.songId]);
  const [first] = await ds.query<Array<{ user_id: string; exposure_id: string; exposed_at: Date }>>(
    'SELECT user_id, exposure_id, exposed_at FROM exposures WHERE song_id = $1 ORDER BY user_id LIMIT 1',
    [song.songId],
  );
  const again = {
    exposureId: 'redelivered',
    songId: song.songId,
    userIds: [first.user_id],
    at: new Date().toISOString(),
  };
  await publisher.publish(topics.songExposed, song.songId, again);
  await publisher.publish(topics.songExposed, song.songId, again);
  const already = new Set(
    (
      await ds.query<Array<{ user_id: string }>>('SELECT user_id FROM exposures WHERE song_id = $1', [
        song.songId,
      ])
    ).map((r) => r.user_id),
  );
  const marker = userIds.find((u) => !already.has(u))!;
  await publisher.publish(topics.songExposed, song.songId, {
    ...again,
    exposureId: 'marker',
    userIds: [marker],
  });
  await waitFor(
    'the marker after the redeliveries',
    async () =>
      (await count('SELECT count(*)::int AS n FROM exposures WHERE song_id = $1 AND user_id = $2', [
        song.songId,
        marker,
      ])) === 1,
  );
  expect(await count('SELECT count(*)::int AS n FROM exposures WHERE song_id = $1', [song.songId])).toBe(
    before + 1,
  );
  const [row] = await ds.query<Array<{ exposure_id: string; exposed_at: Date }>>(
    'SELECT exposure_id, exposed_at FROM exposures WHERE song_id = $1 AND user_id = $2',
    [song.songId, first.user_id],
  );
  expect(row).toEqual({ exposure_id: first.exposure_id, exposed_at: first.exposed_at });
});

it('gives a release with availability, explicit and a budget a pipeline audience that honours them', async () => {
  const size = 10;
  const rules = nextRelease({
    availability: ['SE'],
    explicit: true,
    audienceBudget: { size, explorationShare: 0.2 },
  });
  const tooBig = nextRelease({ audienceBudget: { size: 1001 } });
  const dlq = await topicReader(kafka, topics.songReleasedDlq);
  try {
    await publisher.publish(topics.songReleased, tooBig.songId, tooBig);
    await publisher.publish(topics.songReleased, rules.songId, rules);
    await waitFor(
      'the budgeted audience',
      async () =>
        (await count('SELECT count(*)::int AS n FROM audiences WHERE song_id = $1', [rules.songId])) === 1,
    );
    await waitFor('the oversized budget dead-lettered', () =>
      dlq.records.some((r) => r.key === tooBig.songId),
    );
    expect(dlq.records.find((r) => r.key === tooBig.songId)!.headers[DLQ_HEADERS.reason]).toMatch(
      /audienceBudget\.size: 1001 is above/,
    );
  } finally {
    await dlq.stop();
  }
  const [row] = await ds.query<
    Array<{ members: Array<{ userId: string; score: number; because: string[]; explore?: boolean }> }>
  >('SELECT members FROM audiences WHERE song_id = $1', [rules.songId]);
  const [stored] = await ds.query<
    Array<{ availability: string[]; explicit: boolean; audience_budget: unknown }>
  >('SELECT availability, explicit, audience_budget FROM songs WHERE id = $1', [rules.songId]);
  expect(stored).toEqual({
    availability: ['SE'],
    explicit: true,
    audience_budget: { size, explorationShare: 0.2 },
  });
  expect(row.members).toHaveLength(size);
  const explored = row.members.filter((m) => m.explore);
  expect(explored).toHaveLength(2); // round(0.2 × 10)
  expect(explored.every((m) => m.score === 0 && m.because.length === 0)).toBe(true);
  const profiles = await storedProfiles();
  for (const m of row.members) {
    expect([m.userId, profiles.get(m.userId)!.region]).toEqual([m.userId, 'SE']);
    expect([m.userId, profiles.get(m.userId)!.explicit_opt_out]).toEqual([m.userId, false]);
  }
  // The nearest audience is the song's best eligible users; exploration comes from outside its full 10.
  const nearest = (
    (await http().get(`/v1/songs/${rules.songId}/audience?limit=${size}&region=SE`).expect(200))
      .body as AudienceDto
  ).audience.map((m) => m.userId);
  expect(row.members.filter((m) => !m.explore).map((m) => m.userId)).toEqual(nearest.slice(0, size - 2));
  for (const m of explored) expect(nearest).not.toContain(m.userId);
  // The stored audience, served: exploration members marked.
  const served = (await http().get(`/v1/songs/${rules.songId}/audience`).expect(200)).body as AudienceDto;
  expect(served.audience.filter((m) => m.explore).map((m) => m.userId)).toEqual(
    explored.map((m) => m.userId),
  );
});
