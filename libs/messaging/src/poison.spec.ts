import { createHash } from 'node:crypto';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { BatchReject } from './consumer-options';
import { buildDlqRecord, DLQ_HEADERS, MalformedEventError, parseDlqEnvelope, printable } from './dlq';
import { DlqSender } from './dlq-sender';
import { classifyFailure } from './failure';
import { fetchLoopConfig, type FetchLoopSteps } from './fetch-loop';
import { silentLogger } from './logger';
import type { ConsumedMessage } from './message';
import { TransientRetry } from './retry';

const pgError = (code: string, message = `pg ${code}`) => Object.assign(new Error(message), { code });
/** What TypeORM throws: a QueryFailedError wrapping the driver's error. */
const queryFailed = (code: string) =>
  Object.assign(new Error('query failed'), { name: 'QueryFailedError', driverError: pgError(code) });
const kafkaError = (type: string, name = 'KafkaJSProtocolError') =>
  Object.assign(new Error(type), { name, type, retriable: false });

describe('classifyFailure', () => {
  it.each([
    ['NUL in text (22021)', queryFailed('22021')],
    ['unsupported unicode escape (22P05)', queryFailed('22P05')],
    ['date out of range (22008)', pgError('22008')],
    ['unique violation (23505)', pgError('23505')],
    ['row too big (54000)', pgError('54000')],
    ['message too large', kafkaError('MESSAGE_TOO_LARGE')],
    [
      'record list too large, wrapped',
      Object.assign(new Error('retries'), { cause: kafkaError('RECORD_LIST_TOO_LARGE') }),
    ],
    ['a handler verdict', new MalformedEventError('songId: missing')],
  ])('permanent: %s', (_name, e) => {
    expect(classifyFailure(e).kind).toBe('permanent');
  });

  it.each([
    ['serialization failure', pgError('40001')],
    ['deadlock', queryFailed('40P01')],
    ['admin shutdown', pgError('57P01')],
    ['connection failure class 08', pgError('08006')],
    ['too many connections (53300)', pgError('53300')],
    [
      'ECONNREFUSED',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['pg connection terminated', new Error('Connection terminated unexpectedly')],
    ['kafkajs connection error', Object.assign(new Error('closed'), { name: 'KafkaJSConnectionError' })],
    ['kafkajs retries exceeded', Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' })],
    ['a retriable broker error', Object.assign(new Error('leader moved'), { retriable: true })],
  ])('transient: %s', (_name, e) => {
    expect(classifyFailure(e).kind).toBe('transient');
  });

  it('anything else is unknown, with its message as the reason', () => {
    expect(classifyFailure(new TypeError('x is undefined'))).toEqual({
      kind: 'unknown',
      reason: 'x is undefined',
    });
  });
});

function retrier(poisonBudgetMs: number, up = true) {
  const abort = new AbortController();
  const probes: number[] = [];
  const retry = new TransientRetry({
    signal: abort.signal,
    backoff: { initialMs: 5, maxMs: 20, jitter: 0 },
    logger: silentLogger,
    counters: { retries: 0 },
    poisonBudgetMs,
    dependenciesUp: async () => (probes.push(Date.now()), up),
  });
  return { retry, abort, probes };
}
const beat = async () => {};

describe('TransientRetry.runHandler poison budget', () => {
  it('refuses a permanent failure at once, without retrying', async () => {
    const { retry } = retrier(1000);
    let calls = 0;
    const out = await retry.runHandler('x', beat, async () => {
      calls++;
      throw queryFailed('22021');
    });
    expect(calls).toBe(1);
    expect(out).toEqual({ malformed: expect.stringMatching(/SQLSTATE 22021/) as string });
  });

  it('refuses an unknown failure as poison once the budget is spent and the dependencies are up', async () => {
    const { retry, probes } = retrier(100);
    const t0 = Date.now();
    const out = await retry.runHandler('x', beat, async () => {
      throw new Error('weird');
    });
    expect(out).toEqual({ malformed: expect.stringMatching(/^poison: kept failing .*weird/) as string });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(probes.length).toBe(1);
  });

  it('keeps retrying an unknown failure while the dependencies are down (an outage, not poison)', async () => {
    const { retry, probes, abort } = retrier(20, false);
    let calls = 0;
    const out = await retry.runHandler('x', beat, async () => {
      if (++calls < 30) throw new Error('weird');
      return 'ok';
    });
    expect(out).toEqual({ done: 'ok' });
    expect(probes.length).toBeGreaterThan(1);
    abort.abort();
  });

  it('never dead-letters a transient failure, however long it lasts', async () => {
    const { retry, probes } = retrier(10);
    let calls = 0;
    const t0 = Date.now();
    const out = await retry.runHandler('x', beat, async () => {
      if (Date.now() - t0 < 200) {
        calls++;
        throw pgError('57P01');
      }
      return 'back';
    });
    expect(out).toEqual({ done: 'back' });
    expect(calls).toBeGreaterThan(3);
    expect(probes.length).toBe(0);
  });
});

const record = (offset: number, value = '{}'): KafkaMessage => ({
  offset: String(offset),
  key: null,
  value: Buffer.from(value),
  headers: {},
  timestamp: '0',
  attributes: 0,
});

describe('batch isolation', () => {
  async function runChunk(poison: Set<string>, kind: 'permanent' | 'unknown', n = 16) {
    const settled: Array<{ offsets: readonly string[]; rejects: readonly BatchReject[] }> = [];
    const handled = new Set<string>();
    const calls: number[] = [];
    const { retry } = retrier(50);
    const steps: FetchLoopSteps = {
      retry,
      committer: { settle: async (_t, _p, offsets, rejects) => void settled.push({ offsets, rejects }) },
      signal: new AbortController().signal,
      track: (p) => p,
    };
    const config = fetchLoopConfig(
      {
        topic: 't',
        groupId: 'g',
        maxBatchSize: 64,
        batchHandler: async (messages: ConsumedMessage[]) => {
          calls.push(messages.length);
          if (messages.some((m) => poison.has(m.offset))) {
            throw kind === 'permanent' ? queryFailed('22021') : new Error('odd');
          }
          messages.forEach((m) => handled.add(m.offset));
        },
      },
      steps,
    );
    const messages = Array.from({ length: n }, (_, i) => record(i));
    await config.eachBatch!({
      batch: { topic: 't', partition: 0, messages } as EachBatchPayload['batch'],
      resolveOffset: () => {},
      heartbeat: async () => {},
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
    return { settled, handled, calls };
  }

  it('bisects a chunk down to its poison records and processes every other record', async () => {
    const { settled, handled, calls } = await runChunk(new Set(['3', '11']), 'permanent');
    expect(settled).toHaveLength(1);
    expect(settled[0].offsets).toHaveLength(16);
    expect(settled[0].rejects.map((r) => r.message.offset)).toEqual(['3', '11']);
    expect(settled[0].rejects[0].reason).toMatch(/SQLSTATE 22021/);
    expect(handled.size).toBe(14);
    expect(calls.length).toBeLessThanOrEqual(1 + 2 * 2 * Math.log2(16));
  });

  it('spends the poison budget once for the chunk, not once per bisection step', async () => {
    const t0 = Date.now();
    const { settled, handled } = await runChunk(new Set(['7']), 'unknown', 64);
    expect(settled[0].rejects.map((r) => r.message.offset)).toEqual(['7']);
    expect(settled[0].rejects[0].reason).toMatch(/^poison/);
    expect(handled.size).toBe(63);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('oversized dead letters', () => {
  const big = Buffer.alloc(4 * 1024 * 1024, 0xff);
  const msg = {
    topic: 'p.song.released',
    partition: 2,
    offset: '9',
    key: 's-1',
    value: big,
    headers: { h: 'v' },
  };

  it('go to the DLQ as a truncated copy with size, SHA-256, source and the dead-letter id', () => {
    const r = buildDlqRecord(msg, 'too big', new Date(0), { maxBytes: 64 * 1024, deadLetterId: '17' });
    expect(Buffer.byteLength(r.value)).toBeLessThan(64 * 1024);
    const env = parseDlqEnvelope(r.value);
    expect(env).toMatchObject({
      truncated: true,
      size: big.length,
      sha256: createHash('sha256').update(big).digest('hex'),
      topic: 'p.song.released',
      partition: 2,
      offset: '9',
      reason: 'too big',
      deadLetterId: '17',
    });
    expect(r.headers[DLQ_HEADERS.id]).toBe('17');
    expect(r.headers[DLQ_HEADERS.truncated]).toBe('true');
  });

  it('are stored in full before being sent, and re-sent smaller when the broker refuses them', async () => {
    const saved: unknown[] = [];
    const sent: Array<{ topic: string; bytes: number }> = [];
    let refuse = true;
    const publisher = {
      publishRaw: async (topic: string, records: Array<{ value: string | Buffer | null }>) => {
        if (refuse) {
          refuse = false;
          throw kafkaError('MESSAGE_TOO_LARGE');
        }
        for (const r of records) sent.push({ topic, bytes: Buffer.byteLength(r.value ?? '') });
        return [];
      },
    };
    const { retry } = retrier(100);
    const sender = new DlqSender(
      publisher,
      retry,
      silentLogger,
      { dlq: 0 },
      {
        store: { save: async (letters) => (saved.push(...letters), letters.map((_, i) => String(i + 1))) },
      },
    );
    const message: ConsumedMessage = { ...msg, timestamp: '0' };
    await sender.send([{ message, reason: 'refused by PostgreSQL' }], beat);
    expect(saved).toEqual([expect.objectContaining({ value: big, size: big.length })]);
    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe('p.song.released.dlq');
    expect(sent[0].bytes).toBeLessThanOrEqual(8 * 1024);
  });
});

describe('printable', () => {
  it('escapes NUL and lone surrogates, keeps pairs', () => {
    expect(printable('a\u0000b\ud800c\udc00\ud83c\udfb5')).toBe('a\\u0000b\\ud800c\\udc00\ud83c\udfb5');
  });
});
