import { CompressionTypes, Partitioners, type Kafka, type Producer, type RecordMetadata } from 'kafkajs';
import { consoleLogger, type MessagingLogger } from './logger';

export type Headers = Record<string, string>;

/** One event to publish: a JSON-serialisable value (or raw bytes) keyed by its entity id. */
export interface OutgoingEvent {
  key: string | null;
  /** Serialised with JSON.stringify, except a Buffer, which is sent as-is. */
  value: unknown;
  headers?: Headers;
}

export interface EventPublisherOptions {
  logger?: MessagingLogger;
  /**
   * Retries of one send before it fails (default 8: about 20 s with 100 ms → 5 s backoff). Bounded
   * on purpose: a publish fails rather than hangs while the broker is down, and the caller (for
   * instance a TopicConsumer handler, retried with backoff) decides what to do.
   */
  retries?: number;
  /** gzip the batches (default false: the payloads are small and the broker is local). */
  compress?: boolean;
}

export function serialiseValue(value: unknown): Buffer | string | null {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return value;
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`value of type ${typeof value} is not JSON-serialisable`);
  return json;
}

/**
 * Idempotent producer (acks=all, one request in flight, retried by kafkajs without
 * duplicates) with Java-compatible murmur2 partitioning, so one key always lands in one partition.
 * Connects lazily on first use; safe to share.
 */
export class EventPublisher {
  private readonly producer: Producer;
  private readonly logger: MessagingLogger;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private readonly compression: CompressionTypes;

  constructor(kafka: Kafka, options: EventPublisherOptions = {}) {
    this.logger = options.logger ?? consoleLogger('publisher');
    this.compression = options.compress ? CompressionTypes.GZIP : CompressionTypes.None;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 100, maxRetryTime: 5000, retries: options.retries ?? 8 },
    });
  }

  /** Connects (idempotent; concurrent callers share one attempt, a failed one can be retried). */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('EventPublisher is disconnected'));
    if (!this.connecting) {
      this.connecting = this.producer.connect().catch((e) => {
        this.connecting = null;
        throw e;
      });
    }
    return this.connecting;
  }

  /** Publishes one JSON event; resolves once the broker acknowledged it (acks=all). */
  async publish(
    topic: string,
    key: string | null,
    value: unknown,
    headers?: Headers,
  ): Promise<RecordMetadata[]> {
    return this.publishBatch(topic, [{ key, value, headers }]);
  }

  /** Publishes several events to one topic in one request; resolves once all are acknowledged. */
  async publishBatch(topic: string, events: OutgoingEvent[]): Promise<RecordMetadata[]> {
    if (!events.length) return [];
    await this.connect();
    return this.producer.send({
      topic,
      acks: -1,
      compression: this.compression,
      messages: events.map((e) => ({ key: e.key, value: serialiseValue(e.value), headers: e.headers })),
    });
  }

  /** Publishes pre-serialised records (used for dead letters, whose value is already a string). */
  async publishRaw(
    topic: string,
    records: Array<{ key: string | null; value: string | Buffer | null; headers?: Headers }>,
  ): Promise<RecordMetadata[]> {
    if (!records.length) return [];
    await this.connect();
    return this.producer.send({ topic, acks: -1, compression: this.compression, messages: records });
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.connecting) {
      await this.connecting.catch(() => undefined);
      await this.producer.disconnect();
      this.logger.debug?.('producer disconnected');
    }
  }
}
