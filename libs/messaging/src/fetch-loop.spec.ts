import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { BatchReject, TopicConsumerOptions } from './consumer-options';
import { fetchLoopConfig, type FetchLoopSteps } from './fetch-loop';
import { silentLogger } from './logger';
import { ConsumerStopping, TransientRetry } from './retry';

const record = (offset: number, value: string | null = '{}'): KafkaMessage => ({
  offset: String(offset),
  key: null,
  value: value === null ? null : Buffer.from(value),
  headers: {},
  timestamp: '0',
  attributes: 0,
});

/** Steps with a real fast retry and a committer that logs what it settles (or fails as told). */
function setup(settleError?: Error) {
  const log: string[] = [];
  const abort = new AbortController();
  const tracked: Promise<unknown>[] = [];
  const retry = new TransientRetry({
    signal: abort.signal,
    backoff: { initialMs: 1, maxMs: 2, jitter: 0 },
    logger: silentLogger,
    counters: { retries: 0 },
  });
  const committer = {
    settle: async (_t: string, _p: number, offsets: readonly string[], rejects: readonly BatchReject[]) => {
      if (settleError) throw settleError;
      log.push(
        `settle ${offsets.join(',')}${rejects.length ? ` rejects ${rejects.map((r) => r.message.offset).join(',')}` : ''}`,
      );
    },
  };
  const steps: FetchLoopSteps = {
    retry,
    committer,
    signal: abort.signal,
    track: (p) => (tracked.push(p), p),
  };
  return { steps, log, abort, tracked };
}

function batchPayload(log: string[], messages: KafkaMessage[], stale: () => boolean = () => false) {
  return {
    batch: { topic: 't', partition: 0, messages } as EachBatchPayload['batch'],
    resolveOffset: (o: string) => void log.push(`resolve ${o}`),
    heartbeat: async () => void log.push('heartbeat'),
    pause: () => () => {},
    commitOffsetsIfNecessary: async () => {},
    uncommittedOffsets: () => ({ topics: [] }),
    isRunning: () => true,
    isStale: stale,
  } as EachBatchPayload;
}

const base = { topic: 't', groupId: 'g' };

describe('fetchLoopConfig', () => {
  it('never lets kafkajs commit or resolve on its own, in either mode', () => {
    const { steps } = setup();
    const m = fetchLoopConfig({ ...base, handler: async () => {} }, steps);
    expect(m).toMatchObject({ autoCommit: false, partitionsConsumedConcurrently: 1 });
    expect(m.eachMessage).toBeInstanceOf(Function);
    const b = fetchLoopConfig(
      { ...base, batchHandler: async () => {}, partitionsConsumedConcurrently: 3 },
      steps,
    );
    expect(b).toMatchObject({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
    });
    expect(b.eachBatch).toBeInstanceOf(Function);
  });
});

describe('batch loop', () => {
  const batchMode = (
    steps: FetchLoopSteps,
    opts: Partial<TopicConsumerOptions> = {},
    seen: string[][] = [],
  ) =>
    fetchLoopConfig(
      {
        ...base,
        maxBatchSize: 2,
        batchHandler: async (ms) => void seen.push(ms.map((m) => m.offset)),
        ...opts,
      } as TopicConsumerOptions,
      steps,
    ).eachBatch!;

  it('cuts a fetch into chunks, each handled, settled, resolved and heartbeaten before the next', async () => {
    const s = setup();
    const seen: string[][] = [];
    const p = batchMode(
      s.steps,
      {},
      seen,
    )(
      batchPayload(
        s.log,
        [1, 2, 3, 4, 5].map((o) => record(o)),
      ),
    );
    expect(s.tracked).toEqual([p]);
    await p;
    expect(seen).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(s.log).toEqual([
      'settle 1,2',
      'resolve 2',
      'heartbeat',
      'settle 3,4',
      'resolve 4',
      'heartbeat',
      'settle 5',
      'resolve 5',
      'heartbeat',
    ]);
  });

  it('rejects records that are not JSON before the handler; a chunk of only those is still settled', async () => {
    const s = setup();
    const seen: string[][] = [];
    await batchMode(s.steps, {}, seen)(batchPayload(s.log, [record(1, 'x'), record(2, null), record(3)]));
    expect(seen).toEqual([['3']]);
    expect(s.log.filter((l) => l.startsWith('settle'))).toEqual(['settle 1,2 rejects 1,2', 'settle 3']);
  });

  it('hands raw records through when JSON is not required', async () => {
    const s = setup();
    const seen: string[][] = [];
    await batchMode(
      s.steps,
      { requireJson: false },
      seen,
    )(batchPayload(s.log, [record(1, 'x'), record(2, null)]));
    expect(seen).toEqual([['1', '2']]);
  });

  it('stops between chunks once the batch went stale', async () => {
    const s = setup();
    let stale = false;
    const seen: string[][] = [];
    const run = batchMode(s.steps, {
      batchHandler: async (ms) => void (seen.push(ms.map((m) => m.offset)), (stale = true)),
    });
    await run(
      batchPayload(
        s.log,
        [1, 2, 3].map((o) => record(o)),
        () => stale,
      ),
    );
    expect(seen).toEqual([['1', '2']]);
    expect(s.log).toEqual(['settle 1,2', 'resolve 2', 'heartbeat']);
  });

  it('a stop during a retry leaves the chunk unresolved and returns quietly', async () => {
    const s = setup();
    const run = batchMode(s.steps, {
      batchHandler: async () => {
        s.abort.abort();
        throw new Error('db down');
      },
    });
    await expect(run(batchPayload(s.log, [record(1)]))).resolves.toBeUndefined();
    expect(s.log).toEqual([]);
  });

  it('a failed settle goes out to kafkajs, unresolved', async () => {
    const s = setup(new Error('commit failed'));
    await expect(batchMode(s.steps)(batchPayload(s.log, [record(1)]))).rejects.toThrow('commit failed');
    expect(s.log).toEqual([]);
  });
});

describe('message loop', () => {
  const deliver = (steps: FetchLoopSteps, handler: (offset: string) => Promise<void>, m: KafkaMessage) =>
    fetchLoopConfig({ ...base, handler: (msg) => handler(msg.offset) }, steps).eachMessage!({
      topic: 't',
      partition: 0,
      message: m,
      heartbeat: async () => {},
      pause: () => () => {},
    });

  it('settles each record after its handler; bad JSON is settled as a reject unhandled', async () => {
    const s = setup();
    const handle = async (o: string) => void s.log.push(`handle ${o}`);
    await deliver(s.steps, handle, record(4));
    await deliver(s.steps, handle, record(5, '{'));
    expect(s.log).toEqual(['handle 4', 'settle 4', 'settle 5 rejects 5']);
  });

  it('hands nothing over once stopping', async () => {
    const s = setup();
    s.abort.abort();
    await deliver(s.steps, async () => void s.log.push('handled'), record(1));
    expect(s.log).toEqual([]);
  });

  it('a settle cut short by stop() is not an error', async () => {
    const s = setup(new ConsumerStopping());
    await expect(deliver(s.steps, async () => {}, record(1))).resolves.toBeUndefined();
  });
});
