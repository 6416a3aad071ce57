import type { Consumer, EachBatchPayload, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import { backoffDelay, sleep, type BackoffOptions } from './backoff';
import { buildDlqRecord, isMalformedEventError } from './dlq';
import { consoleLogger, errorMessage, type MessagingLogger } from './logger';
import { nextOffset, parseJsonValue, toConsumedMessage, type ConsumedMessage } from './message';
import { EventPublisher } from './publisher';

/** Handles one record. Throw `MalformedEventError` to dead-letter it; any other error is retried. */
export type MessageHandler = (message: ConsumedMessage) => Promise<void>;

/** A record the batch handler refuses for good (it goes to the DLQ with `reason`). */
export interface BatchReject {
  message: ConsumedMessage;
  reason: string;
}

/**
 * Handles a chunk of records of one partition, in offset order. Return the records that are
 * malformed (they go to the DLQ; the rest count as processed). Throwing `MalformedEventError`
 * makes the consumer isolate the culprit by calling the handler once per record; any other
 * error retries the whole chunk, so the handler must be idempotent (it is: by eventId).
 */
export type BatchHandler = (
  messages: ConsumedMessage[],
) => Promise<void | { rejects?: BatchReject[] } | BatchReject[]>;

interface CommonOptions {
  /** Full (prefixed) topic name. Its dead letters go to `<topic>.dlq`, which must exist. */
  topic: string;
  groupId: string;
  /** Used to send dead letters; a private one is created (and closed on stop) when omitted. */
  dlqPublisher?: EventPublisher;
  /** Dead-letter records whose value is not JSON before any handler sees them (default true). */
  requireJson?: boolean;
  /** A group without committed offsets starts at the earliest record (default true). */
  fromBeginning?: boolean;
  /** Backoff for transient failures (default 100 ms doubling to 5 s, ±10 % jitter). */
  backoff?: Partial<BackoffOptions>;
  logger?: MessagingLogger;
  /** Partitions handled in parallel by this instance (default 1). */
  partitionsConsumedConcurrently?: number;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  /**
   * Longest a fetch waits for new records, ms (default 1000). stop() waits for the pending fetch,
   * so this bounds its latency (kafkajs' own default, 5000, makes every stop take seconds).
   */
  maxWaitTimeMs?: number;
  /** start() waits until the consumer joined its group, at most this long, ms (default 30000; 0 = don't wait). */
  joinTimeoutMs?: number;
}

export interface MessageModeOptions extends CommonOptions {
  handler: MessageHandler;
  batchHandler?: never;
}

export interface BatchModeOptions extends CommonOptions {
  batchHandler: BatchHandler;
  handler?: never;
  /** Largest chunk handed to the batch handler (default 500). */
  maxBatchSize?: number;
}

export type TopicConsumerOptions = MessageModeOptions | BatchModeOptions;

export interface ConsumerCounters {
  /** Records handled successfully and committed. */
  processed: number;
  /** Records sent to the DLQ (and committed). */
  dlq: number;
  /** Transient failures that were retried. */
  retries: number;
  /** Offset commits that succeeded. */
  commits: number;
}

/** Thrown inside the processing loop when stop() interrupts a retry: nothing is committed. */
class Stopping extends Error {
  constructor() {
    super('consumer stopping');
  }
}

/**
 * A reliable at-least-once consumer of one topic in a consumer group:
 * - offsets are committed manually, after the handler succeeded (never before);
 * - a malformed record (not JSON, or the handler throws `MalformedEventError`) goes to
 *   `<topic>.dlq` with its reason, is committed, and consumption goes on;
 * - any other error is transient: the same record is retried with capped exponential backoff,
 *   forever, never skipped (heartbeating meanwhile); stop() interrupts the wait and leaves the
 *   record uncommitted, so it is redelivered later;
 * - stop() lets the in-flight handler finish and commit, then leaves the group.
 */
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
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: this.options.fromBeginning ?? true });
    const concurrency = this.options.partitionsConsumedConcurrently ?? 1;
    if (this.options.batchHandler) {
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: concurrency,
        eachBatch: (payload) => this.track(this.onBatch(payload)),
      });
    } else {
      await this.consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: concurrency,
        eachMessage: (payload) => this.track(this.onMessage(payload)),
      });
    }
    this.state = 'running';
    const joinTimeout = this.options.joinTimeoutMs ?? 30000;
    if (joinTimeout > 0 && !this.joined) {
      let timer: NodeJS.Timeout | undefined;
      const ok = await Promise.race([
        new Promise<boolean>((r) => this.joinWaiters.push(() => r(true))),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), joinTimeout))),
      ]);
      clearTimeout(timer);
      if (!ok) throw new Error(`consumer of ${this.topic} did not join group ${this.groupId} within ${joinTimeout} ms`);
    }
    this.logger.log(`consuming ${this.topic} as group ${this.groupId} (${this.options.batchHandler ? 'batch' : 'message'} mode)`);
  }

  /** Graceful stop: the in-flight record/chunk finishes and is committed, retries are cut short, then disconnect. */
  stop(): Promise<void> {
    if (!this.stopPromise) this.stopPromise = this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    const was = this.state;
    this.state = 'stopping';
    this.abort.abort();
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
    if (was !== 'new') {
      await this.consumer.disconnect().catch((e) => this.logger.warn(`disconnect: ${errorMessage(e)}`));
    }
    if (this.ownsDlq) await this.dlq.disconnect().catch((e) => this.logger.warn(`dlq disconnect: ${errorMessage(e)}`));
    this.state = 'stopped';
  }

  private get stopping(): boolean {
    return this.state === 'stopping' || this.state === 'stopped';
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  // ---- message mode ------------------------------------------------------------------------

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    // After stop() began, kafkajs may still hand over the rest of a fetched batch: leave those
    // records uncommitted (redelivered to whoever consumes next) without handling them.
    if (this.stopping) return;
    const msg = toConsumedMessage(topic, partition, message);
    try {
      const rejection = await this.handleOne(msg, heartbeat);
      if (rejection !== null) await this.deadLetter([{ message: msg, reason: rejection }], heartbeat);
      await this.commit(topic, partition, message.offset);
      if (rejection === null) this.counters.processed++;
    } catch (e) {
      if (e instanceof Stopping) return; // uncommitted; redelivered after restart
      throw e; // kafkajs re-fetches from the last resolved offset: nothing is skipped
    }
  }

  /** Runs the handler until it succeeds (null) or rejects the record as malformed (reason). */
  private async handleOne(msg: ConsumedMessage, heartbeat: () => Promise<void>): Promise<string | null> {
    if (this.options.requireJson ?? true) {
      const parsed = parseJsonValue(msg.value);
      if (!parsed.ok) return parsed.reason;
      msg.json = parsed.value;
    }
    const handler = this.options.handler!;
    return this.retrying(`${msg.topic}[${msg.partition}]@${msg.offset}`, heartbeat, async () => {
      try {
        await handler(msg);
        return null;
      } catch (e) {
        if (isMalformedEventError(e)) return e.reason;
        throw e;
      }
    });
  }

  // ---- batch mode --------------------------------------------------------------------------

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, resolveOffset, isRunning, isStale } = payload;
    const size = Math.max(1, (this.options as BatchModeOptions).maxBatchSize ?? 500);
    const all = batch.messages;
    for (let i = 0; i < all.length; i += size) {
      if (this.stopping || !isRunning() || isStale()) return;
      const chunk = all.slice(i, i + size);
      try {
        await this.handleChunk(batch.topic, batch.partition, chunk, heartbeat);
      } catch (e) {
        if (e instanceof Stopping) return;
        throw e;
      }
      resolveOffset(chunk[chunk.length - 1].offset);
      await heartbeat();
    }
  }

  private async handleChunk(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const rejects: BatchReject[] = [];
    const good: ConsumedMessage[] = [];
    for (const m of chunk) {
      const msg = toConsumedMessage(topic, partition, m);
      if (this.options.requireJson ?? true) {
        const parsed = parseJsonValue(msg.value);
        if (!parsed.ok) {
          rejects.push({ message: msg, reason: parsed.reason });
          continue;
        }
        msg.json = parsed.value;
      }
      good.push(msg);
    }
    if (good.length) {
      const label = `${topic}[${partition}]@${good[0].offset}..${good[good.length - 1].offset}`;
      const result = await this.runBatch(label, good, heartbeat);
      if ('isolate' in result) {
        // The handler called the chunk malformed without saying which record: one at a time.
        for (const msg of good) {
          const r = await this.runBatch(`${topic}[${partition}]@${msg.offset}`, [msg], heartbeat);
          if ('isolate' in r) rejects.push({ message: msg, reason: r.isolate });
          else rejects.push(...r.rejects);
        }
      } else {
        rejects.push(...result.rejects);
      }
    }
    rejects.sort((a, b) => (BigInt(a.message.offset) < BigInt(b.message.offset) ? -1 : 1));
    await this.deadLetter(rejects, heartbeat);
    await this.commit(topic, partition, chunk[chunk.length - 1].offset);
    const rejected = new Set(rejects.map((r) => r.message.offset));
    this.counters.processed += chunk.filter((m) => !rejected.has(m.offset)).length;
  }

  private runBatch(
    label: string,
    messages: ConsumedMessage[],
    heartbeat: () => Promise<void>,
  ): Promise<{ rejects: BatchReject[] } | { isolate: string }> {
    const handler = (this.options as BatchModeOptions).batchHandler;
    return this.retrying(label, heartbeat, async () => {
      try {
        const out = await handler(messages);
        const rejects = Array.isArray(out) ? out : (out?.rejects ?? []);
        const own = new Set(messages);
        for (const r of rejects) {
          if (!own.has(r.message)) throw new Error('batch handler rejected a message that is not in its batch');
        }
        return { rejects };
      } catch (e) {
        if (isMalformedEventError(e)) return { isolate: e.reason };
        throw e;
      }
    });
  }

  // ---- shared ------------------------------------------------------------------------------

  /**
   * Calls `attempt` until it returns; a throw is a transient failure: logged, counted, retried
   * after a capped exponential backoff (heartbeating so the group keeps the partition). Throws
   * `Stopping` when stop() interrupts the wait.
   */
  private async retrying<T>(label: string, heartbeat: () => Promise<void>, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (this.stopping) throw new Stopping();
        const delay = backoffDelay(n, this.options.backoff);
        this.counters.retries++;
        this.logger.warn(`${label}: transient failure #${n} (${errorMessage(e)}); retrying in ${delay} ms`);
        await heartbeat();
        if (!(await sleep(delay, this.abort.signal))) throw new Stopping();
      }
    }
  }

  private async deadLetter(rejects: BatchReject[], heartbeat: () => Promise<void>): Promise<void> {
    if (!rejects.length) return;
    const records = rejects.map((r) => buildDlqRecord(r.message, r.reason));
    await this.retrying(`dead-lettering to ${records[0].topic}`, heartbeat, () =>
      this.dlq.publishRaw(
        records[0].topic,
        records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      ),
    );
    this.counters.dlq += rejects.length;
    for (const r of rejects) {
      this.logger.warn(`${r.message.topic}[${r.message.partition}]@${r.message.offset} → DLQ: ${r.reason}`);
    }
  }

  private async commit(topic: string, partition: number, offset: string): Promise<void> {
    await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset(offset) }]);
    this.counters.commits++;
  }
}
