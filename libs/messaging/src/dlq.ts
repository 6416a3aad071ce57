import { createHash } from 'node:crypto';
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
  /** Id of the dead letter's full copy in the dead-letter store. */
  id: 'x-dlq-id',
  /** 'true' when the value is only the beginning of the original. */
  truncated: 'x-dlq-truncated',
} as const;

/** JSON value of a dead-letter record. */
export interface DlqEnvelope {
  reason: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /**
   * The original value as a utf-8 string (null for a tombstone). When `truncated` is set, only its
   * first bytes: the record did not fit the DLQ topic, its full bytes are in the dead-letter store.
   */
  value: string | null;
  /** The original headers (left out of a truncated copy when they are what made it too big). */
  headers: Record<string, string>;
  failedAt: string;
  /** Size of the original value, bytes. */
  size?: number;
  /** SHA-256 of the original value bytes, hex. */
  sha256?: string;
  truncated?: boolean;
  /** Id of the full copy in the dead-letter store (`trainer dlq list` / `replay`). */
  deadLetterId?: string;
}

export interface DlqRecord {
  topic: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** A refused record with everything needed to inspect and replay it. */
export interface DeadLetter extends Pick<
  ConsumedMessage,
  'topic' | 'partition' | 'offset' | 'key' | 'value' | 'headers'
> {
  reason: string;
  size: number;
  sha256: string;
  failedAt: Date;
}

/**
 * Durable store of dead letters' full bytes (the worker's is the `dead_letters` table). `save`
 * is idempotent by topic/partition/offset and returns each letter's id, in order.
 */
export interface DeadLetterStore {
  save(letters: DeadLetter[]): Promise<string[]>;
}

/** Header values are capped so one absurd reason cannot blow the record size. */
const MAX_HEADER_REASON = 1000;
/** Broker default max.message.bytes is ~1 MB; a quarter of it leaves room for a batch of several. */
export const DEFAULT_DLQ_MAX_RECORD_BYTES = 256 * 1024;
/** Bytes of the original value kept in a truncated copy (at most; a sixteenth of the limit). */
const PREVIEW_BYTES = 4096;
const MAX_KEY_CHARS = 1024;

/** NUL and lone surrogates written as `\uXXXX`, so a reason can go into headers, logs and text columns. */
export function printable(s: string): string {
  return s.replace(
    // eslint-disable-next-line no-control-regex -- finding NUL is the point
    /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function sha256Hex(value: Buffer | null): string {
  return createHash('sha256')
    .update(value ?? Buffer.alloc(0))
    .digest('hex');
}

type DlqSource = Pick<ConsumedMessage, 'topic' | 'partition' | 'offset' | 'key' | 'value' | 'headers'>;

/** The dead letter of a message rejected with `reason`. */
export function toDeadLetter(message: DlqSource, reason: string, now: Date = new Date()): DeadLetter {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: { ...message.headers },
    reason: printable(reason),
    size: message.value?.length ?? 0,
    sha256: sha256Hex(message.value),
    failedAt: now,
  };
}

export interface BuildDlqOptions {
  maxBytes?: number;
  deadLetterId?: string;
}

/**
 * Builds the record that goes to `<topic>.dlq` for a message rejected with `reason`. A record
 * that would exceed `maxBytes` goes as a truncated copy: the first bytes of the value, its size,
 * its SHA-256 and the dead-letter id under which the full bytes are stored.
 */
export function buildDlqRecord(
  message: DlqSource,
  reason: string,
  now: Date = new Date(),
  options: BuildDlqOptions = {},
): DlqRecord {
  return buildFromLetter(toDeadLetter(message, reason, now), options);
}

export function buildFromLetter(letter: DeadLetter, options: BuildDlqOptions = {}): DlqRecord {
  const maxBytes = options.maxBytes ?? DEFAULT_DLQ_MAX_RECORD_BYTES;
  const failedAt = letter.failedAt.toISOString();
  const { reason } = letter;
  const envelope: DlqEnvelope = {
    reason,
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    key: letter.key,
    value: letter.value === null ? null : letter.value.toString('utf8'),
    headers: { ...letter.headers },
    failedAt,
    size: letter.size,
    sha256: letter.sha256,
    ...(options.deadLetterId ? { deadLetterId: options.deadLetterId } : {}),
  };
  const headerReason =
    reason.length > MAX_HEADER_REASON ? `${reason.slice(0, MAX_HEADER_REASON - 1)}…` : reason;
  const dlqHeaders: Record<string, string> = {
    [DLQ_HEADERS.reason]: headerReason,
    [DLQ_HEADERS.topic]: letter.topic,
    [DLQ_HEADERS.partition]: String(letter.partition),
    [DLQ_HEADERS.offset]: letter.offset,
    [DLQ_HEADERS.failedAt]: failedAt,
    ...(options.deadLetterId ? { [DLQ_HEADERS.id]: options.deadLetterId } : {}),
  };
  const full: DlqRecord = {
    topic: dlqTopic(letter.topic),
    key: letter.key,
    value: JSON.stringify(envelope),
    headers: { ...letter.headers, ...dlqHeaders },
  };
  if (recordBytes(full) <= maxBytes) return full;
  const key =
    letter.key !== null && letter.key.length > MAX_KEY_CHARS
      ? letter.key.slice(0, MAX_KEY_CHARS)
      : letter.key;
  const small: DlqEnvelope = {
    ...envelope,
    key,
    value:
      letter.value === null
        ? null
        : letter.value.subarray(0, Math.min(PREVIEW_BYTES, Math.floor(maxBytes / 16))).toString('utf8'),
    truncated: true,
  };
  const withHeaders: DlqRecord = {
    ...full,
    key,
    value: JSON.stringify(small),
    headers: { ...full.headers, [DLQ_HEADERS.truncated]: 'true' },
  };
  if (recordBytes(withHeaders) <= maxBytes) return withHeaders;
  // The original headers or key are what is too big: the store keeps them, the copy does not.
  return {
    ...withHeaders,
    value: JSON.stringify({ ...small, headers: {} }),
    headers: { ...dlqHeaders, [DLQ_HEADERS.truncated]: 'true' },
  };
}

/** Approximate bytes of a record on the wire (value, key and headers; framing is small). */
export function recordBytes(r: Pick<DlqRecord, 'key' | 'value' | 'headers'>): number {
  let n = Buffer.byteLength(r.value) + (r.key === null ? 0 : Buffer.byteLength(r.key));
  for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
  return n + 64;
}
/** Parses a dead-letter record's value back into its envelope. */
export function parseDlqEnvelope(value: Buffer | string): DlqEnvelope {
  return JSON.parse(value.toString()) as DlqEnvelope;
}
