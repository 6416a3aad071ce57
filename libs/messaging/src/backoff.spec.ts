import { backoffDelay, backoffSchedule, DEFAULT_BACKOFF, sleep } from './backoff';

describe('backoff', () => {
  it('doubles from 100 ms and caps at 5 s by default', () => {
    expect(backoffSchedule(9)).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(DEFAULT_BACKOFF).toMatchObject({ initialMs: 100, maxMs: 5000, factor: 2 });
  });

  it('honours custom settings and treats attempt < 1 as the first', () => {
    expect(backoffSchedule(4, { initialMs: 50, maxMs: 300, factor: 3 })).toEqual([50, 150, 300, 300]);
    expect(backoffDelay(0, { jitter: 0 })).toBe(100);
    expect(backoffDelay(1000, { jitter: 0 })).toBe(5000); // no overflow to Infinity/NaN
  });

  it('spreads by ±jitter/2 and never exceeds the cap', () => {
    expect(backoffDelay(3, { jitter: 0.2 }, () => 0)).toBe(360); // 400 − 10 %
    expect(backoffDelay(3, { jitter: 0.2 }, () => 1)).toBe(440); // 400 + 10 %
    expect(backoffDelay(20, { jitter: 0.2 }, () => 1)).toBe(5000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(1 + (i % 10));
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(5000);
    }
  });

  it('sleep ends early (false) on abort, fully (true) otherwise', async () => {
    expect(await sleep(5)).toBe(true);
    const ac = new AbortController();
    const t0 = Date.now();
    const p = sleep(10_000, ac.signal);
    setTimeout(() => ac.abort(), 10);
    expect(await p).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await sleep(10_000, ac.signal)).toBe(false); // already aborted
  });
});
