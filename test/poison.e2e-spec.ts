/**
 * Poison records on the real broker and database: records that JSON accepts but storage or the
 * DLQ topic would refuse (NUL, lone surrogates, year 0000, 4–10 MB values, a release over an
 * established song), interleaved with valid ones on the same and the other partition. Each goes
 * to the DLQ with its reason (the oversized ones truncated, their full bytes in dead_letters),
 * every valid record is processed, and none waits more than 5 s behind a poison record.
 */
import 'reflect-metadata';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { DeadLetterRepository, InteractionRepository, SongRepository } from '@debut/catalog';
import {
  DLQ_HEADERS,
  KAFKA,
  TOPICS,
  TopicConsumer,
  dlqTopic,
  ensureTopics,
  parseDlqEnvelope,
  silentLogger,
  type ConsumedMessage,
  type TopicNames,
} from '@debut/messaging';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { replayRecord } from '../apps/trainer/src/commands/dlq';
import { isolatedEnv, sampleRelease, topicReader, waitFor } from './support';

jest.setTimeout(180_000);

const MAX_WAIT_MS = 5000;

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let app: INestApplicationContext;
let ds: DataSource;
let kafka: Kafka;
let topics: TopicNames;
let producer: Producer;

beforeAll(async () => {
  env = await isolatedEnv('poison');
  app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  app.enableShutdownHooks();
  ds = app.get(DataSource);
  kafka = app.get(KAFKA);
  topics = app.get(TOPICS);
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await app?.close();
});

const count = async (sql: string, params: unknown[]): Promise<number> =>
  Number((await ds.query<Array<{ n: number }>>(sql, params))[0].n);

interface Sent {
  name: string;
  partition: number;
  key: string;
  value: Buffer;
  sentAt: number;
}

async function send(topic: string, partition: number, name: string, key: string, value: Buffer | string) {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
  await producer.send({ topic, acks: -1, messages: [{ key, value: bytes, partition }] });
  return { name, partition, key, value: bytes, sentAt: Date.now() } satisfies Sent;
}

/** Polls each valid record until processed; returns how long each waited after it was sent. */
async function waits(valid: Sent[], processed: (s: Sent) => Promise<boolean>): Promise<Map<string, number>> {
  const pending = new Set(valid);
  const waited = new Map<string, number>();
  const end = Date.now() + 90_000;
  while (pending.size && Date.now() < end) {
    for (const s of [...pending]) {
      if (await processed(s)) {
        waited.set(s.name, Date.now() - s.sentAt);
        pending.delete(s);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return waited;
}

const json = (v: unknown) => JSON.stringify(v);

/** A song stored directly (as the catalogue import does), to release over or to play. */
const storeSong = (id: string, pool: 'warm' | 'cold') =>
  new SongRepository(ds).insertMany([
    {
      id,
      title: 'Established',
      artistId: 'artist-1',
      language: 'en',
      genres: [],
      releasedAt: new Date('2020-01-01T00:00:00Z'),
      features: sampleRelease(id, 99).features,
      pool,
    },
  ]);

/** Each valid record was processed, none later than MAX_WAIT_MS after it was sent. */
function expectAllWithin(what: string, valid: Sent[], waited: Map<string, number>): void {
  expect([...waited.keys()].sort()).toEqual(valid.map((v) => v.name).sort());
  const longest = Math.max(...waited.values());
  console.log(`${what}: ${valid.length} valid records, longest wait ${longest} ms`);
  expect(longest).toBeLessThan(MAX_WAIT_MS);
}

it('dead-letters every poison release with its reason and processes every valid one within 5 s', async () => {
  const run = env.runId;
  const warmId = `warm-${run}`;
  await storeSong(warmId, 'warm');
  const dlq = await topicReader(kafka, topics.songReleasedDlq);
  const t = topics.songReleased;
  const r = (id: string, seed: number, over: Record<string, unknown> = {}) => ({
    ...sampleRelease(id, seed),
    ...over,
  });
  const poison: Array<[string, string, Buffer | string, RegExp]> = [
    ['nul-song-id', `nul-${run}`, json(r(`nul\u0000${run}`, 2)), /songId: contains a NUL character/],
    ['nul-title', `nult-${run}`, json(r(`nult-${run}`, 3, { title: 'a\u0000b' })), /title: contains a NUL/],
    [
      'year-0000',
      `y0-${run}`,
      json(r(`y0-${run}`, 4, { releasedAt: '0000-01-01T00:00:00Z' })),
      /year 0 .*1900–2100/,
    ],
    [
      'year-0001-positive-offset',
      `y1-${run}`,
      json(r(`y1-${run}`, 5, { releasedAt: '0001-01-01T00:30:00+01:00' })),
      /outside the accepted range/,
    ],
    [
      'surrogate-event-id',
      `sur-${run}`,
      json(r(`sur-${run}`, 6, { eventId: `e\ud800${run}` })),
      /eventId: .*lone UTF-16 surrogate/,
    ],
    ['surrogate-song-id', `sur2-${run}`, json(r(`sur2\udc00-${run}`, 7)), /songId: .*lone UTF-16 surrogate/],
    ['warm-overwrite', warmId, json(r(warmId, 8, { title: 'Overwritten?' })), /established \(warm\) song/],
    ['binary-4mb', `bin-${run}`, randomBytes(4 * 1024 * 1024), /invalid JSON/],
    [
      'json-title-9mb',
      `big-${run}`,
      json(r(`big-${run}`, 9, { title: 't'.repeat(9_500_000) })),
      /title: longer than 1000/,
    ],
  ];
  const sentPoison: Array<Sent & { reason: RegExp }> = [];
  const valid: Sent[] = [];
  let seed = 20;
  for (const [i, [name, key, value, reason]] of poison.entries()) {
    const partition = i % 2;
    sentPoison.push({ ...(await send(t, partition, name, key, value)), reason });
    // Right behind it on the same partition, and one on the other partition.
    for (const p of [partition, 1 - partition]) {
      const ok = sampleRelease(`ok-${seed}-${run}`, seed++);
      valid.push(await send(t, p, ok.songId, ok.songId, json(ok)));
    }
  }

  const waited = await waits(
    valid,
    async (s) => (await count('SELECT count(*)::int AS n FROM songs WHERE id = $1', [s.name])) === 1,
  );
  try {
    expectAllWithin('song.released', valid, waited);

    await waitFor('every poison release dead-lettered', () => dlq.records.length >= poison.length, 30_000);
    expect(dlq.records).toHaveLength(poison.length);
    const deadLetters = new DeadLetterRepository(ds);
    for (const p of sentPoison) {
      const rec = dlq.records.find((d) => d.key === p.key || d.key?.startsWith(p.key.slice(0, 64)));
      expect({ name: p.name, reason: rec?.headers[DLQ_HEADERS.reason] }).toEqual({
        name: p.name,
        reason: expect.stringMatching(p.reason) as string,
      });
      const env2 = parseDlqEnvelope(rec!.value!);
      expect(env2).toMatchObject({ topic: t, partition: p.partition, size: p.value.length });
      expect(env2.sha256).toBe(createHash('sha256').update(p.value).digest('hex'));
      // Nothing lost: the full bytes are in dead_letters, whatever the topic got.
      const [row] = await deadLetters.forReplay([env2.deadLetterId!]);
      expect(row.value?.equals(p.value)).toBe(true);
      if (p.value.length > 1_000_000) {
        expect(env2.truncated).toBe(true);
        expect(rec!.value!.length).toBeLessThan(300 * 1024);
      }
    }
    const [warm] = await ds.query<Array<{ title: string; pool: string }>>(
      'SELECT title, pool FROM songs WHERE id = $1',
      [warmId],
    );
    expect(warm).toEqual({ title: 'Established', pool: 'warm' });
  } finally {
    await dlq.stop();
  }
});

it('dead-letters poison interactions and keeps the valid ones flowing', async () => {
  const run = env.runId;
  const songId = `played-${run}`;
  await storeSong(songId, 'cold');
  const dlq = await topicReader(kafka, topics.userInteractionDlq);
  const t = topics.userInteraction;
  const play = (over: Record<string, unknown> = {}) =>
    json({
      eventId: randomUUID(),
      userId: `u-${randomUUID()}`,
      songId,
      kind: 'play',
      occurredAt: '2026-11-20T00:00:00Z',
      ...over,
    });
  const poison: Array<[string, string, RegExp]> = [
    ['nul-user', play({ userId: 'u\u0000x' }), /userId: contains a NUL/],
    ['year-0000', play({ occurredAt: '0000-03-01T00:00:00Z' }), /occurredAt: year 0/],
    ['surrogate-event', play({ eventId: '\udfff' }), /eventId: .*surrogate/],
    ['nul-song', play({ songId: 's\u0000' }), /songId: contains a NUL/],
  ];
  const valid: Sent[] = [];
  for (const [i, [name, value]] of poison.entries()) {
    await send(t, i % 2, name, name, value);
    for (const p of [i % 2, 1 - (i % 2)]) {
      const eventId = randomUUID();
      valid.push(await send(t, p, eventId, eventId, play({ eventId })));
    }
  }
  const waited = await waits(
    valid,
    async (s) =>
      (await count('SELECT count(*)::int AS n FROM interactions WHERE event_id = $1', [s.name])) === 1,
  );
  try {
    expectAllWithin('user.interaction', valid, waited);
    await waitFor(
      'every poison interaction dead-lettered',
      () => dlq.records.length >= poison.length,
      30_000,
    );
    for (const [name, , reason] of poison) {
      expect({ name, reason: dlq.records.find((d) => d.key === name)?.headers[DLQ_HEADERS.reason] }).toEqual({
        name,
        reason: expect.stringMatching(reason) as string,
      });
    }
  } finally {
    await dlq.stop();
  }
});

it('isolates a record PostgreSQL refuses in a batch, dead-letters it with the SQLSTATE, and stores the rest', async () => {
  // No validation here on purpose: the handler writes straight to PostgreSQL, so the refusal
  // comes from the database (NUL in text, SQLSTATE 22021) and must be classified as permanent.
  const run = env.runId;
  // A topic of its own: the worker's consumers must not see these records, nor this one theirs.
  const topic = `${topics.userInteraction}-raw`;
  await ensureTopics(kafka, env, { topics: [topic, dlqTopic(topic)], logger: silentLogger });
  const songId = `raw-${run}`;
  await storeSong(songId, 'cold');
  const interactions = new InteractionRepository(ds);
  const seen: string[][] = [];
  const dlqSeen: ConsumedMessage[] = [];
  const dlqReader = await topicReader(kafka, dlqTopic(topic));
  const consumer = new TopicConsumer(kafka, {
    topic,
    groupId: `raw-${run}`,
    logger: silentLogger,
    poisonBudgetMs: 1000,
    batchHandler: async (messages) => {
      seen.push(messages.map((m) => m.offset));
      const rows = messages.map((m) => m.json as { eventId: string; userId: string });
      await interactions.insertMany(
        rows.map((e) => ({
          eventId: e.eventId,
          userId: e.userId,
          songId,
          kind: 'play',
          weight: 0.3,
          occurredAt: new Date(),
        })),
      );
    },
  });
  // Records before the consumer joins, so they arrive as one batch.
  const events = Array.from({ length: 12 }, (_, i) => ({
    eventId: `raw-${run}-${i}`,
    userId: i === 5 ? 'bad\u0000user' : `u-${i}`,
  }));
  await producer.send({
    topic,
    acks: -1,
    messages: events.map((e) => ({ key: 'raw', value: json(e), partition: 0 })),
  });
  const t0 = Date.now();
  await consumer.start();
  try {
    await waitFor('dead letter', () => {
      dlqSeen.splice(0, dlqSeen.length, ...dlqReader.records.filter((r) => r.key === 'raw'));
      return dlqSeen.length >= 1;
    });
    await waitFor(
      '11 interactions',
      async () =>
        (await count('SELECT count(*)::int AS n FROM interactions WHERE event_id LIKE $1', [
          `raw-${run}-%`,
        ])) === 11,
    );
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(dlqSeen[0].headers[DLQ_HEADERS.reason]).toMatch(/SQLSTATE 22021/);
    expect(parseDlqEnvelope(dlqSeen[0].value!).value).toContain('bad\\u0000user');
  } finally {
    await consumer.stop();
    await dlqReader.stop();
  }
});

it('replays a stored dead letter with its original key and bytes', () => {
  const value = Buffer.from('{"x":1}');
  const out = replayRecord({
    id: '7',
    key: Buffer.from('k'),
    value,
    headers: { a: 'b', [DLQ_HEADERS.reason]: 'r' },
  });
  expect(out).toEqual({ key: 'k', value, headers: { a: 'b', 'x-dlq-replay-of': '7' } });
});
