import { expect } from '@jest/globals';
import { BoundedCache } from './bounded-cache';

describe('BoundedCache', () => {
  afterEach(() => jest.restoreAllMocks());

  it('keeps at most maxEntries, dropping the oldest first', () => {
    const cache = new BoundedCache<string, number>(2, 1000);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3); // a re-stored entry is the newest
    cache.set('c', 4);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c')]).toEqual([3, 4]);
  });

  it('forgets an entry ttlMs after it was stored', () => {
    let now = 1_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const cache = new BoundedCache<string, number>(10, 100);
    cache.set('a', 1);
    now += 99;
    expect(cache.get('a')).toBe(1);
    now += 1;
    expect(cache.has('a')).toBe(false);
    expect(cache.size).toBe(0);
  });
});
