import { expect } from '@jest/globals';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

describe('FixedWindowThrottlerStorage', () => {
  afterEach(() => jest.restoreAllMocks());

  it('counts hits per client in a window, blocks past the limit, and starts afresh after it', async () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const s = new FixedWindowThrottlerStorage();
    const hit = (key: string) => s.increment(key, 60_000, 2, 60_000, 'default');
    expect(await hit('a')).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    expect((await hit('a')).isBlocked).toBe(false);
    now += 30_000;
    expect(await hit('a')).toEqual({
      totalHits: 3,
      timeToExpire: 30,
      isBlocked: true,
      timeToBlockExpire: 30,
    });
    expect((await hit('b')).isBlocked).toBe(false); // another client, its own window
    now += 30_000;
    expect(await hit('a')).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('forgets finished windows of clients that went quiet', async () => {
    let now = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const s = new FixedWindowThrottlerStorage();
    for (let i = 0; i < 100; i++) await s.increment(`c${i}`, 1000, 10, 1000, 'default');
    expect(s.size).toBe(100);
    now += 5000;
    await s.increment('late', 1000, 10, 1000, 'default');
    expect(s.size).toBe(1);
  });
});
