import type { IHeaders, KafkaMessage } from 'kafkajs';

/** One record as the handlers see it. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  /** Kafka offset (decimal string, as kafkajs gives it). */
  offset: string;
  /** Record key (the entity id), utf-8 decoded; null when absent. */
  key: string | null;
  /** Raw value bytes; null for a tombstone. */
  value: Buffer | null;
  /** Headers, utf-8 decoded (a repeated header keeps its last value). */
  headers: Record<string, string>;
  /** Broker/producer timestamp, ms since epoch as a string. */
  timestamp: string;
  /**
   * The value parsed as JSON. Always set when the consumer requires JSON (the default): records
   * whose value is not JSON never reach a handler, they go to the DLQ.
   */
  json?: unknown;
}

export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined || raw === null) continue;
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (v === undefined || v === null) continue;
    out[name] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

export function toConsumedMessage(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null || m.key === undefined ? null : m.key.toString('utf8'),
    value: m.value ?? null,
    headers: decodeHeaders(m.headers),
    timestamp: m.timestamp,
  };
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string };

/** Parses a record value as JSON; the reason is meant for the dead-letter record. */
export function parseJsonValue(value: Buffer | null): JsonParse {
  if (value === null) return { ok: false, reason: 'empty value (tombstone)' };
  try {
    return { ok: true, value: JSON.parse(value.toString('utf8')) };
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
  }
}

/** `offset + 1` as Kafka wants it committed (the next record to read). */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

/** `topic[partition]@offset` (or `@first..last` for a chunk), how log lines name records. */
export function recordLabel(topic: string, partition: number, offset: string, lastOffset?: string): string {
  return `${topic}[${partition}]@${offset}${lastOffset === undefined ? '' : `..${lastOffset}`}`;
}
