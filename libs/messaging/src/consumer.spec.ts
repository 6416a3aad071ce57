import type { EachBatchPayload, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import { TopicConsumer, type TopicConsumerOptions } from './consumer';
import { DLQ_HEADERS, MalformedEventError } from './dlq';
import { silentLogger } from './logger';

/** A kafkajs stand-in recording the order of handler calls, dead letters and commits. */
function fake() {
  const log: string[] = [];
  const sent: Array<{
    topic: string;
    messages: Array<{ key: string | null; value: string; headers: Record<string, string> }>;
  }> = [];
  let run: {
    eachMessage?: (p: EachMessagePayload) => Promise<void>;
    eachBatch?: (p: EachBatchPayload) => Promise<void>;
  } = {};
  let onJoin: () => void = () => {};
  let failCommits = 0;
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (ev: string, fn: () => void) => {
      if (ev === 'join') onJoin = fn;
    },
    connect: async () => {},
    subscribe: async () => {},
    run: async (cfg: typeof run & { autoCommit?: boolean }) => {
      expect(cfg.autoCommit).toBe(false);
      run = cfg;
      setImmediate(() => onJoin());
    },
    commitOffsets: async (o: Array<{ offset: string }>) => {
      if (failCommits-- > 0) throw new Error('rebalance in progress');
      log.push(`commit ${o[0].offset}`);
    },
    disconnect: async () => void log.push('disconnect'),
  };
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    send: async (r: (typeof sent)[number]) => {
      sent.push(r);
      log.push(`dlq ${r.messages.length}`);
      return [];
    },
  };
  const kafka = { consumer: () => consumer, producer: () => producer } as unknown as Kafka;
  const record = (offset: number, value: string | null, key = 'k'): KafkaMessage => ({
    offset: String(offset),
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    headers: {},
    timestamp: '0',
    attributes: 0,
  });
  const deliver = (m: KafkaMessage) =>
    run.eachMessage!({
      topic: 't',
      partition: 0,
      message: m,
      heartbeat: async () => {},
      pause: () => () => {},
    });
  const deliverBatch = (messages: KafkaMessage[]) => {
    const resolved: string[] = [];
    const p = run.eachBatch!({
      batch: { topic: 't', partition: 0, messages } as EachBatchPayload['batch'],
      resolveOffset: (o: string) => void resolved.push(o),
      heartbeat: async () => {},
      pause: () => () => {},
      commitOffsetsIfNecessary: async () => {},
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => true,
      isStale: () => false,
    });
    return p.then(() => resolved);
  };
  return { kafka, log, sent, record, deliver, deliverBatch, failCommitsOnce: () => (failCommits = 1) };
}

const base = {
  topic: 't',
  groupId: 'g',
  logger: silentLogger,
  backoff: { initialMs: 1, maxMs: 4, jitter: 0 },
};

async function started(f: ReturnType<typeof fake>, opts: Partial<TopicConsumerOptions>) {
  const c = new TopicConsumer(f.kafka, { ...base, ...opts } as TopicConsumerOptions);
  await c.start();
  return c;
}

describe('TopicConsumer (message mode)', () => {
  it('commits offset+1 only after the handler succeeded', async () => {
    const f = fake();
    const c = await started(f, {
      handler: async (m) => void f.log.push(`handle ${m.offset} ${JSON.stringify(m.json)}`),
    });
    await f.deliver(f.record(5, '{"a":1}'));
    expect(f.log).toEqual(['handle 5 {"a":1}', 'commit 6']);
    expect(c.counters).toMatchObject({ processed: 1, dlq: 0, retries: 0, commits: 1 });
  });

  it('dead-letters bad JSON and MalformedEventError before committing; the handler never sees bad JSON', async () => {
    const f = fake();
    const c = await started(f, {
      handler: async (m) => {
        f.log.push(`handle ${m.offset}`);
        throw new MalformedEventError('missing songId');
      },
    });
    await f.deliver(f.record(1, 'nope'));
    await f.deliver(f.record(2, '{}'));
    expect(f.log).toEqual(['dlq 1', 'commit 2', 'handle 2', 'dlq 1', 'commit 3']);
    expect(f.sent.map((s) => s.topic)).toEqual(['t.dlq', 't.dlq']);
    expect(f.sent[0].messages[0].headers[DLQ_HEADERS.reason]).toMatch(/^invalid JSON/);
    expect(f.sent[1].messages[0].headers[DLQ_HEADERS.reason]).toBe('missing songId');
    expect(JSON.parse(f.sent[1].messages[0].value)).toMatchObject({
      reason: 'missing songId',
      offset: '2',
      value: '{}',
      key: 'k',
    });
    expect(c.counters).toMatchObject({ processed: 0, dlq: 2, commits: 2 });
  });

  it('retries a transient failure with backoff until it succeeds, then commits once', async () => {
    const f = fake();
    let n = 0;
    const c = await started(f, {
      handler: async () => {
        if (++n <= 3) throw new Error('db down');
        f.log.push('handled');
      },
    });
    await f.deliver(f.record(7, '{}'));
    expect(n).toBe(4);
    expect(f.log).toEqual(['handled', 'commit 8']);
    expect(c.counters).toMatchObject({ processed: 1, retries: 3 });
  });

  it('stop() cuts a retry loop short and commits nothing; later records are not handled', async () => {
    const f = fake();
    let calls = 0;
    const c = await started(f, {
      backoff: { initialMs: 60_000, jitter: 0 },
      handler: async () => {
        calls++;
        throw new Error('down');
      },
    });
    const p = f.deliver(f.record(1, '{}'));
    await new Promise((r) => setTimeout(r, 20));
    await c.stop();
    await p;
    await f.deliver(f.record(2, '{}'));
    expect(calls).toBe(1);
    expect(f.log).toEqual(['disconnect']);
    expect(c.isRunning).toBe(false);
  });

  it('stop() waits for the in-flight handler and its commit', async () => {
    const f = fake();
    let release!: () => void;
    const c = await started(f, { handler: () => new Promise<void>((r) => (release = r)) });
    const p = f.deliver(f.record(3, '{}'));
    await new Promise((r) => setTimeout(r, 5));
    const stopping = c.stop();
    await new Promise((r) => setTimeout(r, 5));
    expect(f.log).toEqual([]);
    release();
    await Promise.all([p, stopping]);
    expect(f.log).toEqual(['commit 4', 'disconnect']);
  });

  it('a failed commit surfaces to kafkajs (record redelivered), it is not swallowed', async () => {
    const f = fake();
    await started(f, { handler: async () => {} });
    f.failCommitsOnce();
    await expect(f.deliver(f.record(1, '{}'))).rejects.toThrow('rebalance in progress');
  });
});

describe('TopicConsumer (batch mode)', () => {
  it('dead-letters bad JSON and returned rejects, commits the chunk end, counts the rest', async () => {
    const f = fake();
    const seen: string[][] = [];
    const c = await started(f, {
      batchHandler: async (ms) => {
        seen.push(ms.map((m) => m.offset));
        return {
          rejects: ms
            .filter((m) => (m.json as { bad?: boolean }).bad)
            .map((m) => ({ message: m, reason: 'bad kind' })),
        };
      },
    });
    const resolved = await f.deliverBatch([
      f.record(10, '{}'),
      f.record(11, 'x'),
      f.record(12, '{"bad":true}'),
      f.record(13, '{}'),
    ]);
    expect(seen).toEqual([['10', '12', '13']]);
    expect(f.log).toEqual(['dlq 2', 'commit 14']);
    expect(f.sent[0].messages.map((m) => m.headers[DLQ_HEADERS.offset])).toEqual(['11', '12']);
    expect(resolved).toEqual(['13']);
    expect(c.counters).toMatchObject({ processed: 2, dlq: 2 });
  });

  it('isolates the culprit one record at a time when the handler throws MalformedEventError', async () => {
    const f = fake();
    const calls: string[][] = [];
    let flaky = true;
    const c = await started(f, {
      maxBatchSize: 2,
      batchHandler: async (ms) => {
        calls.push(ms.map((m) => m.offset));
        if (flaky) {
          flaky = false;
          throw new Error('timeout');
        }
        if (ms.some((m) => m.offset === '2')) throw new MalformedEventError('offset 2 is evil');
      },
    });
    const resolved = await f.deliverBatch([f.record(1, '{}'), f.record(2, '{}'), f.record(3, '{}')]);
    expect(calls).toEqual([['1', '2'], ['1', '2'], ['1'], ['2'], ['3']]);
    expect(f.log).toEqual(['dlq 1', 'commit 3', 'commit 4']);
    expect(f.sent[0].messages[0].headers[DLQ_HEADERS.reason]).toBe('offset 2 is evil');
    expect(resolved).toEqual(['2', '3']);
    expect(c.counters).toMatchObject({ processed: 2, dlq: 1, retries: 1, commits: 2 });
  });
});

it('needs exactly one handler', () => {
  const f = fake();
  expect(() => new TopicConsumer(f.kafka, { ...base } as unknown as TopicConsumerOptions)).toThrow(
    /exactly one/,
  );
});
