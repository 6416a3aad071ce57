import { MalformedEventError } from './dlq';
import { silentLogger, type MessagingLogger } from './logger';
import { completedUnlessStopped, ConsumerStopping, decideAfterFailure, TransientRetry } from './retry';

const fast = { initialMs: 1, maxMs: 4, jitter: 0 };

function retrier(backoff = fast, logger: MessagingLogger = silentLogger) {
  const abort = new AbortController();
  const counters = { retries: 0 };
  const beats: number[] = [];
  const heartbeat = async () => void beats.push(counters.retries);
  const retry = new TransientRetry({ signal: abort.signal, backoff, logger, counters });
  return { retry, abort, counters, beats, heartbeat };
}

/** An attempt failing `times` times with a transient error, then returning `value`. */
function flaky<T>(times: number, value: T) {
  let calls = 0;
  const attempt = async () => {
    if (++calls <= times) throw new Error(`db down #${calls}`);
    return value;
  };
  return { attempt, calls: () => calls };
}

describe('retry decisions', () => {
  it('retry after the backoff delay of the attempt, capped, and never give up', () => {
    const backoff = { initialMs: 100, maxMs: 5000, jitter: 0 };
    expect([1, 2, 3, 7].map((n) => decideAfterFailure(n, false, backoff))).toEqual([
      { action: 'retry', delayMs: 100 },
      { action: 'retry', delayMs: 200 },
      { action: 'retry', delayMs: 400 },
      { action: 'retry', delayMs: 5000 },
    ]);
    expect(decideAfterFailure(1_000_000, false, backoff)).toEqual({ action: 'retry', delayMs: 5000 });
  });

  it('stop, whatever the attempt, once the consumer is stopping', () => {
    expect(decideAfterFailure(1, true)).toEqual({ action: 'stop' });
    expect(decideAfterFailure(50, true)).toEqual({ action: 'stop' });
  });

  it('use the default backoff with jitter when given none', () => {
    expect(decideAfterFailure(1, false, undefined, () => 0)).toEqual({ action: 'retry', delayMs: 90 });
  });
});

describe('TransientRetry.run', () => {
  it('retries a throwing attempt until it returns, counting, logging and heartbeating before each wait', async () => {
    const warnings: string[] = [];
    const r = retrier(fast, { ...silentLogger, warn: (m) => void warnings.push(m) });
    const a = flaky(3, 'ok');
    await expect(r.retry.run('t[0]@5', r.heartbeat, a.attempt)).resolves.toBe('ok');
    expect(a.calls()).toBe(4);
    expect(r.counters.retries).toBe(3);
    expect(r.beats).toEqual([1, 2, 3]);
    expect(warnings[0]).toBe('t[0]@5: transient failure #1 (db down #1); retrying in 1 ms');
    expect(warnings[2]).toBe('t[0]@5: transient failure #3 (db down #3); retrying in 4 ms');
  });

  it('treats even a MalformedEventError as transient (used for dead-letter sends)', async () => {
    const r = retrier();
    let calls = 0;
    const out = await r.retry.run('x', r.heartbeat, async () => {
      if (++calls === 1) throw new MalformedEventError('no');
      return calls;
    });
    expect(out).toBe(2);
  });

  it('a stop during the backoff wait ends it early with ConsumerStopping', async () => {
    const r = retrier({ initialMs: 60_000, maxMs: 60_000, jitter: 0 });
    const a = flaky(Infinity, 'never');
    const p = r.retry.run('x', r.heartbeat, a.attempt);
    await new Promise((res) => setTimeout(res, 10));
    const t0 = Date.now();
    r.abort.abort();
    await expect(p).rejects.toBeInstanceOf(ConsumerStopping);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(a.calls()).toBe(1);
  });

  it('a failure after stop() is not retried, nor counted', async () => {
    const r = retrier();
    r.abort.abort();
    const a = flaky(1, 'ok');
    await expect(r.retry.run('x', r.heartbeat, a.attempt)).rejects.toBeInstanceOf(ConsumerStopping);
    expect(a.calls()).toBe(1);
    expect(r.counters.retries).toBe(0);
    expect(r.beats).toEqual([]);
  });

  it('a failing heartbeat goes out to kafkajs (the group rebalanced)', async () => {
    const r = retrier();
    const hb = async () => {
      throw new Error('rebalance in progress');
    };
    await expect(r.retry.run('x', hb, flaky(1, 'ok').attempt)).rejects.toThrow('rebalance in progress');
  });
});

describe('TransientRetry.runHandler', () => {
  it('ends with the reason on MalformedEventError, without retrying', async () => {
    const r = retrier();
    let calls = 0;
    const out = await r.retry.runHandler('x', r.heartbeat, async () => {
      calls++;
      throw new MalformedEventError('missing songId');
    });
    expect(out).toEqual({ malformed: 'missing songId' });
    expect(calls).toBe(1);
    expect(r.counters.retries).toBe(0);
  });

  it('retries any other error and returns what the handler returned', async () => {
    const r = retrier();
    const a = flaky(2, ['reject']);
    expect(await r.retry.runHandler('x', r.heartbeat, a.attempt)).toEqual({ done: ['reject'] });
    expect(r.counters.retries).toBe(2);
  });
});

describe('completedUnlessStopped', () => {
  it('says whether the work completed; a stop is not an error, anything else is', async () => {
    expect(await completedUnlessStopped(async () => {})).toBe(true);
    expect(
      await completedUnlessStopped(async () => {
        throw new ConsumerStopping();
      }),
    ).toBe(false);
    await expect(
      completedUnlessStopped(async () => {
        throw new Error('commit failed');
      }),
    ).rejects.toThrow('commit failed');
  });
});
