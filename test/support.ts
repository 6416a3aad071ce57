/**
 * Shared pieces of the end-to-end tests: an isolated environment per test file (own topic
 * prefix, consumer group and index directory on the real broker and the test database that
 * scripts/test.sh provides), polling, and reading a topic from the beginning.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { loadConfig, type DebutConfig } from '@debut/config';
import type { SongReleasedEvent } from '@debut/features';
import { TopicConsumer, silentLogger, type ConsumedMessage } from '@debut/messaging';

/**
 * Sets process.env for a fresh, isolated Debut (Nest modules read it at start) and returns the
 * config: its own database (`<PGDATABASE>_<name>`, dropped first: model activation is global to a
 * database), topic prefix, consumer group and index directory.
 */
export async function isolatedEnv(
  name: string,
  extra: Record<string, string> = {},
): Promise<DebutConfig & { runId: string }> {
  const runId = `${name}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
  const database = `${process.env.PGDATABASE ?? 'debut_test'}_${name}`;
  const admin = new Client({ ...pgConnection(), database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.end();
  Object.assign(process.env, {
    PGDATABASE: database,
    KAFKA_TOPIC_PREFIX: `e2e-${runId}`,
    KAFKA_GROUP_ID: `e2e-${runId}`,
    KAFKA_PARTITIONS: '2',
    INDEX_DIR: fs.mkdtempSync(path.join(os.tmpdir(), `debut-${name}-index-`)),
    MODELS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), `debut-${name}-models-`)),
    LOG_LEVEL: 'warn',
    WORKER_METRICS_PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
    ...extra,
  });
  return { ...loadConfig(), runId };
}

function pgConnection() {
  const { db } = loadConfig();
  return { host: db.host, port: db.port, user: db.user, password: db.password };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collects every record of `topic` from the beginning while the returned reader runs. */
export async function topicReader(
  kafka: Kafka,
  topic: string,
): Promise<{ records: ConsumedMessage[]; stop: () => Promise<void> }> {
  const records: ConsumedMessage[] = [];
  const reader = new TopicConsumer(kafka, {
    topic,
    groupId: `reader-${randomUUID()}`,
    requireJson: false,
    logger: silentLogger,
    handler: async (m) => {
      records.push(m);
    },
  });
  await reader.start();
  return { records, stop: () => reader.stop() };
}

/** A valid release for the deployment schema (config/feature-schema.json). */
export function sampleRelease(songId: string, seed = 1): SongReleasedEvent {
  const wave = (n: number, k: number) =>
    Array.from({ length: n }, (_, i) => Math.sin(seed * 7.3 + i * k) / 2);
  return {
    eventId: randomUUID(),
    songId,
    title: `Song ${songId}`,
    artistId: `artist-${seed % 7}`,
    language: 'en',
    genres: ['pop', 'indie'],
    releasedAt: new Date().toISOString(),
    features: { audio: wave(32, 0.37), text: wave(16, 1.1) },
  };
}
