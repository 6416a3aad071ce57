// kafkajs warns about its v2 partitioner change on every producer unless told not to; the
// publisher sets the partitioner explicitly anyway.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

import {
  ConfigResourceTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  type LogEntry,
  type logCreator,
} from 'kafkajs';
import type { DebutConfig } from '@debut/config';
import { consoleLogger, errorMessage, type MessagingLogger } from './logger';
import { allTopics, assertTopicName } from './topics';

export type KafkaSettings = DebutConfig['kafka'];

function kafkaSettings(config: DebutConfig | KafkaSettings): KafkaSettings {
  return 'kafka' in config ? config.kafka : config;
}

export interface CreateKafkaOptions {
  /** kafkajs log level (default WARN: quiet). */
  logLevel?: KafkaLogLevel;
  /** Where kafkajs' own log lines go (default: console with context "kafkajs"). */
  logger?: MessagingLogger;
  /** Appended to the configured client id (e.g. "-worker"). */
  clientIdSuffix?: string;
  /** Connection timeout, ms (default 3000). */
  connectionTimeout?: number;
  /** Request timeout, ms (default 30000). */
  requestTimeout?: number;
}

/** A kafkajs client for the configured brokers, quiet by default (WARN and above). */
export function createKafka(config: DebutConfig | KafkaSettings, options: CreateKafkaOptions = {}): Kafka {
  const k = kafkaSettings(config);
  const logger = options.logger ?? consoleLogger('kafkajs');
  const creator: logCreator =
    () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...extra } = log;
      // EventPublisher bounds the idempotent producer's retries on purpose (a publish must fail
      // rather than hang while the broker is down; callers retry). kafkajs warns about it on
      // every producer: known and intended, so not repeated.
      if (message?.startsWith('Limiting retries for the idempotent producer')) return;
      const rest = Object.keys(extra).filter((x) => x !== 'timestamp' && x !== 'logger');
      const detail = rest.length
        ? ' ' +
          JSON.stringify(Object.fromEntries(rest.map((x) => [x, (extra as Record<string, unknown>)[x]])))
        : '';
      const line = `${namespace}: ${message}${detail}`;
      if (level === KafkaLogLevel.ERROR) logger.error(line);
      else if (level === KafkaLogLevel.WARN) logger.warn(line);
      else if (level === KafkaLogLevel.INFO) logger.log(line);
      else logger.debug?.(line);
    };
  return new Kafka({
    clientId: `${k.clientId}${options.clientIdSuffix ?? ''}`,
    brokers: k.brokers,
    logLevel: options.logLevel ?? KafkaLogLevel.WARN,
    logCreator: creator,
    connectionTimeout: options.connectionTimeout ?? 3000,
    requestTimeout: options.requestTimeout ?? 30000,
    retry: { initialRetryTime: 100, maxRetryTime: 5000, retries: 8 },
  });
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

export interface EnsureTopicsOptions {
  /** Topics to ensure (default: `allTopics(topicPrefix)`: the five topics and their DLQs). */
  topics?: string[];
  /** Partitions for created topics (default `kafka.partitions`). */
  partitions?: number;
  logger?: MessagingLogger;
  /** How long to wait for the new topics' partition leaders, ms (default 30000). */
  timeoutMs?: number;
}

/**
 * Creates the missing topics with the configured partitions, replication factor and
 * min.insync.replicas (1 and 1 for the single local broker). Existing topics are left as they
 * are, but one replicated less than configured, or with a lower min.insync.replicas, stops the
 * start: acks=all is only as safe as those two settings. A partition-count mismatch is only
 * logged. Applications call this at start; the broker does not auto-create.
 */
export async function ensureTopics(
  kafka: Kafka,
  config: DebutConfig | KafkaSettings,
  options: EnsureTopicsOptions = {},
): Promise<EnsureTopicsResult> {
  const k = kafkaSettings(config);
  const wanted = [...new Set(options.topics ?? allTopics(k.topicPrefix))];
  wanted.forEach(assertTopicName);
  const partitions = options.partitions ?? k.partitions;
  const logger = options.logger ?? consoleLogger('messaging');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !present.has(t));
    const existing = wanted.filter((t) => present.has(t));
    if (missing.length) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          timeout: options.timeoutMs ?? 30000,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: partitions,
            replicationFactor: k.replicationFactor,
            configEntries: [{ name: 'min.insync.replicas', value: String(k.minInsyncReplicas) }],
          })),
        });
      } catch (e) {
        // Another instance may have created some of them concurrently: only fail if still missing.
        const now = new Set(await admin.listTopics());
        const still = missing.filter((t) => !now.has(t));
        if (still.length) throw new Error(`could not create topics ${still.join(', ')}: ${errorMessage(e)}`);
      }
      logger.log(
        `created topics ${missing.join(', ')} (${partitions} partitions, replication ${k.replicationFactor}, min.insync.replicas ${k.minInsyncReplicas})`,
      );
    }
    if (existing.length) {
      const meta = await admin.fetchTopicMetadata({ topics: existing });
      for (const t of meta.topics) {
        if (t.partitions.length !== partitions) {
          logger.warn(
            `topic ${t.name} has ${t.partitions.length} partitions, config says ${partitions}; left as is`,
          );
        }
      }
      await checkDurability(admin, meta.topics, k);
    }
    return { created: missing, existing };
  } finally {
    await admin.disconnect();
  }
}

/** Refuses existing topics replicated less, or with a lower min.insync.replicas, than configured. */
async function checkDurability(
  admin: ReturnType<Kafka['admin']>,
  topics: Array<{ name: string; partitions: Array<{ replicas: number[] }> }>,
  k: KafkaSettings,
): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((t) => ({
      type: ConfigResourceTypes.TOPIC,
      name: t.name,
      configNames: ['min.insync.replicas'],
    })),
  });
  const minIsr = new Map(
    described.resources.map((r) => [
      r.resourceName,
      Number(r.configEntries.find((c) => c.configName === 'min.insync.replicas')?.configValue ?? '1'),
    ]),
  );
  const problems: string[] = [];
  for (const t of topics) {
    const replication = Math.min(...t.partitions.map((p) => p.replicas.length));
    if (replication < k.replicationFactor)
      problems.push(
        `${t.name}: replication factor ${replication} < KAFKA_REPLICATION_FACTOR ${k.replicationFactor}`,
      );
    const isr = minIsr.get(t.name) ?? 1;
    if (isr < k.minInsyncReplicas)
      problems.push(
        `${t.name}: min.insync.replicas ${isr} < KAFKA_MIN_INSYNC_REPLICAS ${k.minInsyncReplicas}`,
      );
  }
  if (problems.length)
    throw new Error(
      `existing topics are less durable than configured (fix them with kafka-topics/kafka-configs, or lower the setting): ${problems.join('; ')}`,
    );
}
