import type { BackoffOptions } from './backoff';
import type { DeadLetterStore } from './dlq';
import type { MessagingLogger } from './logger';
import type { ConsumedMessage } from './message';
import type { EventPublisher } from './publisher';

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
  /**
   * How long a failure that is neither permanent nor known to be transient is retried before its
   * record is dead-lettered as poison, ms (default 3000; see retry.ts).
   */
  poisonBudgetMs?: number;
  /** Whether the database and broker answer (a poison verdict needs them up; default: assumed up). */
  dependenciesUp?: () => Promise<boolean>;
  /**
   * Keeps every dead letter's full bytes durably before it is sent to the DLQ topic, which may
   * only get a truncated copy (default: none, the DLQ topic is all there is).
   */
  deadLetterStore?: DeadLetterStore;
  /** Largest dead-letter record sent to `<topic>.dlq`, bytes; bigger ones go truncated (default 256 KiB). */
  dlqMaxRecordBytes?: number;
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
  /** Fetch bytes per partition (default MAX_FETCH_PARTITION_BYTES: the largest record the broker takes). */
  maxBytesPerPartition?: number;
  /** start() waits until the consumer joined its group, warning every this many ms (default 30000; 0 = don't wait). */
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

/** Each part of the consumer counts its own field of one shared object, read by the metrics. */
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
