import type { BatchReject } from './consumer-options';
import { DLQ_HEADERS, parseDlqEnvelope } from './dlq';
import { DlqSender } from './dlq-sender';
import { silentLogger } from './logger';
import type { ConsumedMessage } from './message';
import { ConsumerStopping, TransientRetry } from './retry';

type Sent = {
  topic: string;
  records: Array<{ key: string | null; value: string | Buffer | null; headers?: Record<string, string> }>;
};

function message(offset: number, value: string | null): ConsumedMessage {
  return {
    topic: 'p.user.interaction',
    partition: 1,
    offset: String(offset),
    key: `u-${offset}`,
    value: value === null ? null : Buffer.from(value),
    headers: { 'x-trace': `t${offset}` },
    timestamp: '0',
  };
}

/** A publisher whose first `failures` sends fail, and a sender using it with a fast real retry. */
function setup(failures = 0) {
  const sent: Sent[] = [];
  const warnings: string[] = [];
  let calls = 0;
  const publisher = {
    publishRaw: async (topic: string, records: Sent['records']) => {
      if (++calls <= failures) throw new Error('broker down');
      sent.push({ topic, records });
      return [];
    },
  };
  const abort = new AbortController();
  const counters = { dlq: 0, retries: 0 };
  const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m) };
  const retry = new TransientRetry({
    signal: abort.signal,
    backoff: { initialMs: 1, maxMs: 2, jitter: 0 },
    logger: silentLogger,
    counters,
  });
  const sender = new DlqSender(publisher, retry, logger, counters);
  return { sender, sent, warnings, counters, abort, calls: () => calls };
}

const heartbeat = async () => {};

describe('DlqSender', () => {
  it('sends nothing when there is nothing to dead-letter', async () => {
    const s = setup();
    await s.sender.send([], heartbeat);
    expect(s.calls()).toBe(0);
    expect(s.counters.dlq).toBe(0);
  });

  it('sends all rejects to <topic>.dlq in one request, with the reason header and the JSON envelope', async () => {
    const s = setup();
    const rejects: BatchReject[] = [
      { message: message(7, 'nope'), reason: 'invalid JSON: Unexpected token' },
      { message: message(9, '{"songId":null}'), reason: 'songId: missing' },
    ];
    await s.sender.send(rejects, heartbeat);
    expect(s.sent).toHaveLength(1);
    const [{ topic, records }] = s.sent;
    expect(topic).toBe('p.user.interaction.dlq');
    expect(records.map((r) => r.key)).toEqual(['u-7', 'u-9']);
    expect(records.map((r) => r.headers?.[DLQ_HEADERS.reason])).toEqual([
      'invalid JSON: Unexpected token',
      'songId: missing',
    ]);
    expect(records[1].headers).toMatchObject({
      'x-trace': 't9',
      [DLQ_HEADERS.offset]: '9',
      [DLQ_HEADERS.partition]: '1',
    });
    expect(parseDlqEnvelope(records[1].value as string)).toMatchObject({
      reason: 'songId: missing',
      topic: 'p.user.interaction',
      partition: 1,
      offset: '9',
      key: 'u-9',
      value: '{"songId":null}',
      headers: { 'x-trace': 't9' },
    });
    expect(s.counters.dlq).toBe(2);
    expect(s.warnings).toEqual([
      'p.user.interaction[1]@7 → DLQ: invalid JSON: Unexpected token',
      'p.user.interaction[1]@9 → DLQ: songId: missing',
    ]);
  });

  it('retries a failed send until the broker takes it, with the same records each time', async () => {
    const s = setup(2);
    await s.sender.send([{ message: message(1, null), reason: 'empty value (tombstone)' }], heartbeat);
    expect(s.calls()).toBe(3);
    expect(s.counters).toMatchObject({ dlq: 1, retries: 2 });
    expect(parseDlqEnvelope(s.sent[0].records[0].value as string)).toMatchObject({
      value: null,
      offset: '1',
    });
  });

  it('counts nothing when stop() interrupts the retry', async () => {
    const s = setup(Infinity);
    s.abort.abort();
    await expect(
      s.sender.send([{ message: message(1, 'x'), reason: 'r' }], heartbeat),
    ).rejects.toBeInstanceOf(ConsumerStopping);
    expect(s.counters.dlq).toBe(0);
    expect(s.warnings).toEqual([]);
  });
});
