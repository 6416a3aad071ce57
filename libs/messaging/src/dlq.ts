import type { ConsumedMessage } from './message';
import { dlqTopic } from './topics';

/**
 * Thrown by a handler when a record can never be processed (bad JSON, missing field, wrong
 * vector length, NaN, unknown modality, ...). The consumer sends the raw record to
 * `<topic>.dlq` with `reason`, commits it and goes on. Any other error is treated as transient.
 */
export class MalformedEventError extends Error {
  constructor(readonly reason: string) {
    super(`malformed event: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

export function isMalformedEventError(e: unknown): e is MalformedEventError {
  return (
    e instanceof MalformedEventError ||
    (e instanceof Error && e.name === 'MalformedEventError' && 'reason' in e)
  );
}

/** Header names on a dead-letter record. */
export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  topic: 'x-dlq-topic',
  partition: 'x-dlq-partition',
  offset: 'x-dlq-offset',
  failedAt: 'x-dlq-failed-at',
} as const;

/** JSON value of a dead-letter record. */
export interface DlqEnvelope {
  reason: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The original value as a utf-8 string (null for a tombstone). */
  value: string | null;
  /** The original headers. */
  headers: Record<string, string>;
  failedAt: string;
}

export interface DlqRecord {
  topic: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Header values are capped so one absurd reason cannot blow the record size. */
const MAX_HEADER_REASON = 1000;

/** Builds the record that goes to `<topic>.dlq` for a message rejected with `reason`. */
export function buildDlqRecord(
  message: Pick<ConsumedMessage, 'topic' | 'partition' | 'offset' | 'key' | 'value' | 'headers'>,
  reason: string,
  now: Date = new Date(),
): DlqRecord {
  const failedAt = now.toISOString();
  const envelope: DlqEnvelope = {
    reason,
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    value: message.value === null ? null : message.value.toString('utf8'),
    headers: { ...message.headers },
    failedAt,
  };
  const headerReason =
    reason.length > MAX_HEADER_REASON ? `${reason.slice(0, MAX_HEADER_REASON - 1)}…` : reason;
  return {
    topic: dlqTopic(message.topic),
    key: message.key,
    value: JSON.stringify(envelope),
    headers: {
      ...message.headers,
      [DLQ_HEADERS.reason]: headerReason,
      [DLQ_HEADERS.topic]: message.topic,
      [DLQ_HEADERS.partition]: String(message.partition),
      [DLQ_HEADERS.offset]: message.offset,
      [DLQ_HEADERS.failedAt]: failedAt,
    },
  };
}

/** Parses a dead-letter record's value back into its envelope. */
export function parseDlqEnvelope(value: Buffer | string): DlqEnvelope {
  return JSON.parse(value.toString()) as DlqEnvelope;
}
