import type { Consumer, Kafka } from 'kafkajs';
import type { ConsumerCounters, TopicConsumerOptions } from './consumer-options';
import { DlqSender } from './dlq-sender';
import { fetchLoopConfig } from './fetch-loop';
import { consoleLogger, errorMessage, type MessagingLogger } from './logger';
import { OffsetCommitter } from './offset-commit';
import { EventPublisher } from './publisher';
import { TransientRetry } from './retry';

export type {
  BatchHandler,
  BatchModeOptions,
  BatchReject,
  ConsumerCounters,
  MessageHandler,
  MessageModeOptions,
  TopicConsumerOptions,
} from './consumer-options';

/**
 * A reliable at-least-once consumer of one topic in a consumer group:
 * - offsets are committed manually, after the handler succeeded (never before);
 * - a record refused for good (not JSON, `MalformedEventError`, a PostgreSQL data error, a
 *   broker that finds it too large) goes to `<topic>.dlq` with its reason, is committed, and
 *   consumption goes on; in a chunk, the refused record is isolated by bisection (fetch-loop.ts);
 * - a transient error (a dependency down) is retried with capped exponential backoff, forever,
 *   never skipped (heartbeating meanwhile); stop() interrupts the wait and leaves the record
 *   uncommitted, so it is redelivered later;
 * - an error of unknown kind is retried within the poison budget, then dead-lettered as poison
 *   if the database and broker answer (failure.ts, retry.ts);
 * - stop() lets the in-flight handler finish and commit, then leaves the group.
 *
 * This class owns the lifecycle (connect, join, stop); the record path is the fetch loop
 * (fetch-loop.ts), which retries through TransientRetry (retry.ts) and settles through the
 * OffsetCommitter (offset-commit.ts), which dead-letters through the DlqSender (dlq-sender.ts).
 */
/** Above the broker's message.max.bytes (10 MiB, docker/kafka) with room for the batch framing. */
export const MAX_FETCH_PARTITION_BYTES = 11 * 1024 * 1024;

export class TopicConsumer {
  readonly topic: string;
  readonly groupId: string;
  readonly counters: ConsumerCounters = { processed: 0, dlq: 0, retries: 0, commits: 0 };

  private readonly options: TopicConsumerOptions;
  private readonly consumer: Consumer;
  private readonly logger: MessagingLogger;
  private readonly dlq: EventPublisher;
  private readonly ownsDlq: boolean;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<unknown>>();
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopPromise: Promise<void> | null = null;
  private joined = false;
  private joinWaiters: Array<() => void> = [];

  constructor(
    private readonly kafka: Kafka,
    options: TopicConsumerOptions,
  ) {
    if (!options.handler === !options.batchHandler) {
      throw new Error('TopicConsumer needs exactly one of handler / batchHandler');
    }
    this.options = options;
    this.topic = options.topic;
    this.groupId = options.groupId;
    this.logger = options.logger ?? consoleLogger(`consumer ${options.topic}`);
    this.ownsDlq = !options.dlqPublisher;
    this.dlq = options.dlqPublisher ?? new EventPublisher(kafka, { logger: this.logger });
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeout ?? 30000,
      heartbeatInterval: options.heartbeatInterval ?? 3000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1000,
      // Room for the largest record the broker accepts on every partition of a fetch. The broker
      // only oversteps the per-partition limit for the first non-empty partition of a response,
      // so with kafkajs' 1 MB default a 4–10 MB record waits until its partition comes first:
      // tens of seconds of a stalled partition behind one (poison) record.
      maxBytesPerPartition: options.maxBytesPerPartition ?? MAX_FETCH_PARTITION_BYTES,
      maxBytes: 2 * (options.maxBytesPerPartition ?? MAX_FETCH_PARTITION_BYTES),
      retry: { initialRetryTime: 100, maxRetryTime: 5000, retries: 8 },
    });
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, () => {
      this.joined = true;
      this.joinWaiters.splice(0).forEach((w) => w());
    });
    this.consumer.on(CRASH, (e) => {
      const p = e.payload;
      this.logger.error(`consumer crashed: ${errorMessage(p.error)} (restart: ${p.restart})`);
    });
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Connects, subscribes and starts consuming; by default resolves once the group is joined. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`TopicConsumer already ${this.state}`);
    this.state = 'starting';
    await this.dlq.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [this.topic],
      fromBeginning: this.options.fromBeginning ?? true,
    });
    const { signal } = this.abort;
    const { logger, counters } = this;
    const { backoff, poisonBudgetMs, dependenciesUp, deadLetterStore, dlqMaxRecordBytes } = this.options;
    const retry = new TransientRetry({ signal, backoff, logger, counters, poisonBudgetMs, dependenciesUp });
    const dlq = new DlqSender(this.dlq, retry, logger, counters, {
      store: deadLetterStore,
      maxRecordBytes: dlqMaxRecordBytes,
    });
    const committer = new OffsetCommitter(this.consumer, dlq, counters);
    await this.consumer.run(
      fetchLoopConfig(this.options, { retry, committer, signal, track: (p) => this.track(p) }),
    );
    this.state = 'running';
    await this.awaitJoin();
    this.logger.log(
      `consuming ${this.topic} as group ${this.groupId} (${this.options.batchHandler ? 'batch' : 'message'} mode)`,
    );
  }

  private async awaitJoin(): Promise<void> {
    const joinTimeout = this.options.joinTimeoutMs ?? 30000;
    if (joinTimeout > 0 && !this.joined) {
      // A broker or group coordinator that is down or still loading comes back: kafkajs keeps
      // retrying the join, so start() keeps waiting (and says so) instead of failing the process.
      const joined = new Promise<boolean>((r) => this.joinWaiters.push(() => r(true)));
      for (let waited = joinTimeout; ; waited += joinTimeout) {
        let timer: NodeJS.Timeout | undefined;
        const ok = await Promise.race([
          joined,
          new Promise<boolean>((r) => (timer = setTimeout(() => r(false), joinTimeout))),
        ]);
        clearTimeout(timer);
        if (ok || this.state !== 'running') return;
        this.logger.warn(
          `consumer of ${this.topic} has not joined group ${this.groupId} after ${waited} ms; still trying`,
        );
      }
    }
  }

  /** Graceful stop: the in-flight record/chunk finishes and is committed, retries are cut short, then disconnect. */
  stop(): Promise<void> {
    if (!this.stopPromise) this.stopPromise = this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    const was = this.state;
    this.state = 'stopping';
    // The fetch loop and the retries read stopping from this signal.
    this.abort.abort();
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
    if (was !== 'new') {
      await this.consumer.disconnect().catch((e) => this.logger.warn(`disconnect: ${errorMessage(e)}`));
    }
    if (this.ownsDlq)
      await this.dlq.disconnect().catch((e) => this.logger.warn(`dlq disconnect: ${errorMessage(e)}`));
    this.state = 'stopped';
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }
}
