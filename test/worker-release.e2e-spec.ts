/**
 * The worker on the real broker and database: a valid song.released lands in
 * PostgreSQL; a malformed one lands in song.released.dlq with its reason and the next valid
 * one is still processed; the same event delivered twice leaves one row.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import {
  DLQ_HEADERS,
  EventPublisher,
  KAFKA,
  TOPICS,
  parseDlqEnvelope,
  type TopicNames,
} from '@debut/messaging';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { isolatedEnv, sampleRelease, topicReader, waitFor } from './support';

jest.setTimeout(90_000);

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let app: INestApplicationContext;
let ds: DataSource;
let kafka: Kafka;
let publisher: EventPublisher;
let topics: TopicNames;

const songRows = async (id: string): Promise<number> =>
  Number(
    (await ds.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM songs WHERE id = $1', [id]))[0].n,
  );

beforeAll(async () => {
  env = await isolatedEnv('worker');
  app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  app.enableShutdownHooks();
  ds = app.get(DataSource);
  kafka = app.get(KAFKA);
  publisher = app.get(EventPublisher);
  topics = app.get(TOPICS);
});

afterAll(async () => {
  await app?.close();
});

it('stores a valid release in PostgreSQL', async () => {
  const release = sampleRelease(`song-a-${env.runId}`, 1);
  await publisher.publish(topics.songReleased, release.songId, release);
  await waitFor('song row', async () => (await songRows(release.songId)) === 1);
  const [row] = await ds.query<
    Array<{ title: string; language: string; genres: string[]; features: { audio: number[] }; pool: string }>
  >('SELECT title, language, genres, features, pool FROM songs WHERE id = $1', [release.songId]);
  expect(row).toMatchObject({ title: release.title, language: 'en', genres: ['pop', 'indie'], pool: 'cold' });
  expect(row.features.audio).toHaveLength(32);
  expect(row.features.audio[3]).toBeCloseTo(release.features.audio[3], 6);
});

it('sends malformed releases to the DLQ with a reason and keeps processing', async () => {
  const dlq = await topicReader(kafka, topics.songReleasedDlq);
  try {
    const wrongLength = sampleRelease(`song-bad-${env.runId}`, 2);
    wrongLength.features.audio = wrongLength.features.audio.slice(0, 31);
    const unknownField = { ...sampleRelease(`song-bad2-${env.runId}`, 3), mood: 'happy' };
    const next = sampleRelease(`song-c-${env.runId}`, 4);
    await publisher.publish(topics.songReleased, wrongLength.songId, wrongLength);
    await publisher.publish(topics.songReleased, unknownField.songId, unknownField);
    await publisher.publish(topics.songReleased, 'garbage', '{"eventId": "not json');
    await publisher.publish(topics.songReleased, next.songId, next);

    await waitFor('next valid release stored', async () => (await songRows(next.songId)) === 1);
    await waitFor('3 dead letters', () => dlq.records.length >= 3);
    // Different keys land on different partitions: match dead letters by key, not by order.
    const reason = (key: string) => dlq.records.find((r) => r.key === key)?.headers[DLQ_HEADERS.reason] ?? '';
    expect(reason(wrongLength.songId)).toMatch(/audio.*32/);
    expect(reason(unknownField.songId)).toMatch(/mood/);
    expect(reason('garbage')).toMatch(/json/i);
    const envelope = parseDlqEnvelope(dlq.records.find((r) => r.key === wrongLength.songId)!.value!);
    expect(envelope.topic).toBe(topics.songReleased);
    expect(envelope.reason).toBe(reason(wrongLength.songId));
    expect(await songRows(wrongLength.songId)).toBe(0);
    expect(await songRows(unknownField.songId)).toBe(0);
  } finally {
    await dlq.stop();
  }
});

it('leaves one row when the same event is delivered twice', async () => {
  const release = sampleRelease(`song-dup-${env.runId}`, 5);
  const marker = sampleRelease(`song-after-dup-${env.runId}`, 6);
  await publisher.publish(topics.songReleased, release.songId, release);
  await publisher.publish(topics.songReleased, release.songId, release);
  await publisher.publish(topics.songReleased, marker.songId, marker);
  await waitFor(
    'release and marker stored',
    async () => (await songRows(release.songId)) === 1 && (await songRows(marker.songId)) === 1,
  );
  await publisher.publish(topics.songReleased, release.songId, {
    ...release,
    title: 'changed by a redelivery?',
  });
  const marker2 = sampleRelease(release.songId, 5);
  marker2.eventId = `${release.eventId}-later`;
  await publisher.publish(topics.songReleased, release.songId, marker2);
  await waitFor(
    'later event on the same key processed',
    async () =>
      Number(
        (
          await ds.query<Array<{ n: number }>>(
            'SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1',
            [marker2.eventId],
          )
        )[0].n,
      ) === 1,
  );
  expect(await songRows(release.songId)).toBe(1);
  const claims = await ds.query<Array<{ n: number }>>(
    'SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1',
    [release.eventId],
  );
  expect(claims[0].n).toBe(1);
  const [row] = await ds.query<Array<{ title: string }>>('SELECT title FROM songs WHERE id = $1', [
    release.songId,
  ]);
  // The redelivered copy (same eventId, altered title) wrote nothing; the later event did.
  expect(row.title).toBe(marker2.title);
});
