/**
 * libs/messaging against the real local broker (bash docker/kafka/start.sh; KAFKA_BROKERS,
 * default 127.0.0.1:9092). Every run uses its own topic prefix and group ids.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { loadConfig, type DebutConfig } from '@debut/config';
import {
  allTopics,
  createKafka,
  DLQ_HEADERS,
  ensureTopics,
  EventPublisher,
  MalformedEventError,
  parseDlqEnvelope,
  silentLogger,
  topicNames,
  TopicConsumer,
  TopicReader,
  type ConsumedMessage,
  type TopicNames,
} from '@debut/messaging';

jest.setTimeout(45_000);

const runId = `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
const config: DebutConfig = loadConfig({
  ...process.env,
  KAFKA_TOPIC_PREFIX: `e2e-msg-${runId}`,
  KAFKA_PARTITIONS: '2',
  KAFKA_CLIENT_ID: 'debut-e2e-messaging',
});
const logger = silentLogger;
const backoff = { initialMs: 50, maxMs: 400, jitter: 0 };

let kafka: Kafka;
let admin: Admin;
let publisher: EventPublisher;
let topics: TopicNames;
const open: TopicConsumer[] = [];
/** Deleted with the others in afterAll: deleting it mid-run breaks the shared producer's metadata. */
const readerTopic = `e2e-msg-${runId}.reader`;

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function consumer(opts: ConstructorParameters<typeof TopicConsumer>[1]): TopicConsumer {
  const c = new TopicConsumer(kafka, { logger, backoff, dlqPublisher: publisher, ...opts });
  open.push(c);
  return c;
}

/** Committed offset per partition of `topic` for `groupId` (-1 = nothing committed). */
async function committed(groupId: string, topic: string): Promise<Map<number, number>> {
  const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(res.partitions.map((p) => [p.partition, Number(p.offset)]));
}

async function endOffsets(topic: string): Promise<Map<number, number>> {
  const res = await admin.fetchTopicOffsets(topic);
  return new Map(res.map((p) => [p.partition, Number(p.high)]));
}

/** Reads everything currently in a topic (used for the DLQs). */
async function readAll(topic: string, expected: number): Promise<ConsumedMessage[]> {
  const got: ConsumedMessage[] = [];
  const reader = consumer({
    topic,
    groupId: `reader-${runId}-${randomUUID().slice(0, 4)}`,
    requireJson: false,
    handler: async (m) => {
      got.push(m);
    },
  });
  await reader.start();
  await waitFor(`${expected} records in ${topic}`, () => got.length >= expected);
  await new Promise((r) => setTimeout(r, 300)); // nothing beyond the expected ones
  await reader.stop();
  return got.sort((a, b) => Number(a.offset) - Number(b.offset));
}

beforeAll(async () => {
  kafka = createKafka(config, { logger });
  admin = kafka.admin();
  await admin.connect();
  publisher = new EventPublisher(kafka, { logger });
  topics = topicNames(config.kafka.topicPrefix);
});

afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.stop()));
  await publisher?.disconnect();
  if (admin) {
    await admin
      .deleteTopics({ topics: [...allTopics(config.kafka.topicPrefix), readerTopic] })
      .catch(() => undefined);
    await admin.disconnect();
  }
});

test('ensureTopics creates the five topics and their DLQs, once', async () => {
  const first = await ensureTopics(kafka, config, { logger });
  expect(first.created.sort()).toEqual(allTopics(config.kafka.topicPrefix).sort());
  expect(first.created).toContain(`e2e-msg-${runId}.song.released.dlq`);
  const meta = await admin.fetchTopicMetadata({ topics: allTopics(config.kafka.topicPrefix) });
  for (const t of meta.topics) expect(t.partitions).toHaveLength(2);

  const again = await ensureTopics(kafka, config, { logger });
  expect(again.created).toEqual([]);
  expect(again.existing).toHaveLength(allTopics(config.kafka.topicPrefix).length);
});

test('TopicReader reads back exactly the records appended since a time, on every partition, and leaves no group behind', async () => {
  // A topic of its own: the other tests read theirs from the beginning.
  const topic = readerTopic;
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await publisher.publishBatch(
    topic,
    ['a', 'b', 'c', 'd'].map((k) => ({ key: `old-${k}`, value: { n: k } })),
  );
  await new Promise((r) => setTimeout(r, 50));
  const since = Date.now();
  await publisher.publishBatch(
    topic,
    ['e', 'f', 'g', 'h', 'i'].map((k) => ({ key: `new-${k}`, value: { n: k } })),
  );
  const groupsBefore = (await admin.listGroups()).groups.length;

  const reader = new TopicReader(kafka, logger);
  const records = await reader.recordsSince(topic, since);
  expect(records.map((r) => r.key).sort()).toEqual(['new-e', 'new-f', 'new-g', 'new-h', 'new-i']);
  expect(new Set(records.map((r) => r.partition)).size).toBe(2); // keys spread over both partitions
  expect(records.map((r) => JSON.parse(r.value!.toString()) as unknown)).toContainEqual({ n: 'e' });
  expect(await reader.recordsSince(topic, Date.now() + 60_000)).toEqual([]);
  expect((await admin.listGroups()).groups.length).toBe(groupsBefore);
});

describe('message mode on song.released', () => {
  const groupId = `g-released-${runId}`;
  const handled: Array<{ offset: string; key: string | null; json: unknown }> = [];
  const attempts = new Map<string, number>();
  let c1: TopicConsumer;

  const handler = async (m: ConsumedMessage) => {
    const v = m.json as { songId: string; mode?: string };
    const n = (attempts.get(v.songId) ?? 0) + 1;
    attempts.set(v.songId, n);
    if (v.mode === 'malformed') throw new MalformedEventError('features.audio: length 3, expected 64');
    if (v.mode === 'flaky' && n <= 2) throw new Error(`database unavailable (attempt ${n})`);
    handled.push({ offset: m.offset, key: m.key, json: m.json });
  };

  test('valid events are handled and committed; malformed ones go to the DLQ; transient failures are retried', async () => {
    c1 = consumer({ topic: topics.songReleased, groupId, handler });
    await c1.start();
    const key = 's-1'; // one key: one partition, so the order below is the processing order
    await publisher.publish(topics.songReleased, key, { songId: 'A' }, { 'x-trace': 't-A' });
    await publisher.publish(topics.songReleased, key, Buffer.from('{"songId": "broken'));
    await publisher.publish(topics.songReleased, key, { songId: 'B', mode: 'malformed' });
    await publisher.publish(topics.songReleased, key, { songId: 'C', mode: 'flaky' });
    await publisher.publishBatch(topics.songReleased, [{ key, value: { songId: 'D' } }]);

    // processed counts after the commit that follows the handler: wait for D's commit too.
    await waitFor(
      'D handled and committed',
      () => handled.some((h) => (h.json as { songId: string }).songId === 'D') && c1.counters.processed >= 3,
    );
    expect(handled.map((h) => (h.json as { songId: string }).songId)).toEqual(['A', 'C', 'D']);
    expect(handled.every((h) => h.key === key)).toBe(true);
    expect(attempts.get('C')).toBe(3); // failed twice, then succeeded once: not skipped, not repeated
    expect(c1.counters).toMatchObject({ processed: 3, dlq: 2, retries: 2 });

    // Everything up to the end of the partition is committed.
    const end = await endOffsets(topics.songReleased);
    await waitFor('commit', () => c1.counters.commits >= 5);
    const done = await committed(groupId, topics.songReleased);
    for (const [p, high] of end) expect(done.get(p) ?? -1).toBe(high > 0 ? high : -1);
    expect([...end.values()].reduce((a, b) => a + b, 0)).toBe(5);

    // The DLQ holds the two bad records with their reasons and original content.
    const dead = await readAll(topics.songReleasedDlq, 2);
    expect(dead).toHaveLength(2);
    const [badJson, malformed] = dead.map((d) => ({ d, env: parseDlqEnvelope(d.value!) }));
    expect(badJson.d.headers[DLQ_HEADERS.reason]).toMatch(/^invalid JSON/);
    expect(badJson.env.reason).toBe(badJson.d.headers[DLQ_HEADERS.reason]);
    expect(badJson.env.value).toBe('{"songId": "broken');
    expect(badJson.env).toMatchObject({ topic: topics.songReleased, key, offset: '1' });
    expect(malformed.d.headers[DLQ_HEADERS.reason]).toBe('features.audio: length 3, expected 64');
    expect(malformed.env).toMatchObject({
      reason: 'features.audio: length 3, expected 64',
      topic: topics.songReleased,
      offset: '2',
      key,
    });
    expect(JSON.parse(malformed.env.value!)).toEqual({ songId: 'B', mode: 'malformed' });
    expect(Number.isNaN(Date.parse(malformed.env.failedAt))).toBe(false);
    expect(malformed.d.key).toBe(key);
  });

  test('after stop, a new consumer in the same group gets only what was not committed', async () => {
    await c1.stop();
    expect(c1.isRunning).toBe(false);
    await publisher.publish(topics.songReleased, 's-2', { songId: 'E' });

    const seen: string[] = [];
    const c2 = consumer({
      topic: topics.songReleased,
      groupId,
      handler: async (m) => {
        seen.push((m.json as { songId: string }).songId);
      },
    });
    await c2.start();
    await waitFor('E handled', () => seen.includes('E'));
    await new Promise((r) => setTimeout(r, 1000)); // would any old record come back?
    expect(seen).toEqual(['E']);
    await c2.stop();
  });
});

test('stop() interrupts a retrying handler without committing: the record comes back', async () => {
  const groupId = `g-stop-${runId}`;
  const topic = topics.songAudienceSelected;
  let calls = 0;
  const failing = consumer({
    topic,
    groupId,
    backoff: { initialMs: 200, maxMs: 5000, jitter: 0 },
    handler: async () => {
      calls++;
      throw new Error('downstream down');
    },
  });
  await failing.start();
  await publisher.publish(topic, 's-9', { songId: 's-9', audience: [] });
  await waitFor('two attempts', () => calls >= 2);
  const t0 = Date.now();
  await failing.stop();
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(failing.counters.processed).toBe(0);
  const done = await committed(groupId, topic);
  expect([...done.values()].every((o) => o === -1)).toBe(true);

  const got: unknown[] = [];
  const next = consumer({ topic, groupId, handler: async (m) => void got.push(m.json) });
  await next.start();
  await waitFor('redelivery', () => got.length === 1);
  expect(got[0]).toEqual({ songId: 's-9', audience: [] });
  await next.stop();
});

test('batch mode on user.interaction: rejects and bad JSON go to the DLQ, transient failures retry the chunk', async () => {
  const groupId = `g-interaction-${runId}`;
  const topic = topics.userInteraction;
  const written = new Map<string, unknown>(); // eventId → event (an idempotent "table")
  let calls = 0;
  const c = consumer({
    topic,
    groupId,
    batchHandler: async (messages) => {
      calls++;
      if (calls === 1) throw new Error('connection reset');
      const rejects = messages
        .filter((m) => (m.json as { kind: string }).kind === 'teleport')
        .map((m) => ({ message: m, reason: 'kind: unknown "teleport"' }));
      for (const m of messages) {
        if (!rejects.some((r) => r.message === m)) {
          const e = m.json as { eventId: string };
          written.set(e.eventId, e);
        }
      }
      return { rejects };
    },
  });
  await c.start();
  const user = 'u-7';
  await publisher.publishBatch(topic, [
    { key: user, value: { eventId: 'e1', userId: user, songId: 's1', kind: 'play' } },
    { key: user, value: Buffer.from('not json at all') },
    { key: user, value: { eventId: 'e2', userId: user, songId: 's2', kind: 'teleport' } },
    { key: user, value: { eventId: 'e3', userId: user, songId: 's3', kind: 'complete' } },
  ]);
  // processed is counted after the chunk's dead letters and commit, so wait for it too.
  await waitFor(
    'batch written and committed',
    () => written.has('e3') && c.counters.dlq === 2 && c.counters.processed >= 2,
  );
  expect([...written.keys()].sort()).toEqual(['e1', 'e3']);
  expect(c.counters.processed).toBe(2);
  expect(c.counters.retries).toBeGreaterThanOrEqual(1);

  const dead = await readAll(topics.userInteractionDlq, 2);
  expect(dead.map((d) => d.headers[DLQ_HEADERS.reason])).toEqual([
    expect.stringMatching(/^invalid JSON/),
    'kind: unknown "teleport"',
  ]);
  expect(parseDlqEnvelope(dead[0].value!).value).toBe('not json at all');

  await waitFor('commit', () => c.counters.commits >= 1);
  await c.stop();
  const end = await endOffsets(topic);
  const done = await committed(groupId, topic);
  for (const [p, high] of end) if (high > 0) expect(done.get(p)).toBe(high);
});
