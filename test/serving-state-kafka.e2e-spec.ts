/**
 * Topic durability on the real broker: created topics carry the configured replication factor and
 * min.insync.replicas, and a start against existing topics that are less durable than configured
 * is refused instead of running with acks=all that protects nothing.
 */
import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { ConfigError, loadConfig } from '@debut/config';
import { createKafka, ensureTopics, silentLogger } from '@debut/messaging';

jest.setTimeout(60_000);

const prefix = `e2e-durability-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
const topic = `${prefix}.song.released`;
let kafka: Kafka;

beforeAll(() => {
  kafka = createKafka(loadConfig({ ...process.env, KAFKA_CLIENT_ID: 'debut-e2e-durability' }));
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

it('validates the two settings together', () => {
  expect(() => loadConfig({ KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(
    ConfigError,
  );
  expect(() => loadConfig({ KAFKA_REPLICATION_FACTOR: '0' })).toThrow('KAFKA_REPLICATION_FACTOR');
  expect(loadConfig({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' }).kafka).toMatchObject({
    replicationFactor: 3,
    minInsyncReplicas: 2,
  });
  expect(loadConfig({}).kafka).toMatchObject({ replicationFactor: 1, minInsyncReplicas: 1 });
});

it('creates topics with the configured durability and refuses existing ones that have less', async () => {
  const local = loadConfig({ ...process.env, KAFKA_TOPIC_PREFIX: prefix, KAFKA_PARTITIONS: '1' });
  const created = await ensureTopics(kafka, local, { topics: [topic], logger: silentLogger });
  expect(created.created).toEqual([topic]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    });
    expect(described.resources[0].configEntries[0]).toMatchObject({ configValue: '1' });
  } finally {
    await admin.disconnect();
  }
  // A deployment that asks for a replicated cluster must not start on this single-replica topic.
  const cluster = loadConfig({
    ...process.env,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '1',
    KAFKA_REPLICATION_FACTOR: '3',
    KAFKA_MIN_INSYNC_REPLICAS: '2',
  });
  await expect(ensureTopics(kafka, cluster, { topics: [topic], logger: silentLogger })).rejects.toThrow(
    /replication factor 1 < KAFKA_REPLICATION_FACTOR 3.*min.insync.replicas 1 < KAFKA_MIN_INSYNC_REPLICAS 2/,
  );
});
