import type { ListenerLists, ListenerSource, ListenerWeight } from '@debut/audience';
import { CachedListenerSource } from './listener-cache';

/** A listener source over a mutable map that records every batch it was asked for. */
class CountingSource implements ListenerSource {
  readonly asked: string[][] = [];
  constructor(readonly lists: Map<string, ListenerWeight[]>) {}
  async listenersOf(songIds: readonly string[]): Promise<ListenerLists> {
    this.asked.push([...songIds]);
    return new Map([...this.lists].filter(([id]) => songIds.includes(id)));
  }
}

const w1 = [{ userId: 'u1', weight: 0.7 }];
const w2 = [
  { userId: 'u2', weight: 0.3 },
  { userId: 'u3', weight: 0.1 },
];

describe('CachedListenerSource', () => {
  let now: number;
  let source: CountingSource;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    source = new CountingSource(
      new Map([
        ['w1', w1],
        ['w2', w2],
      ]),
    );
  });
  afterEach(() => jest.restoreAllMocks());

  it('reads all misses of a call in one batch, each song once even when asked twice', async () => {
    const cache = new CachedListenerSource(source, 60_000);
    const out = await cache.listenersOf(['w1', 'w2', 'w1']);
    expect(source.asked).toEqual([['w1', 'w2']]);
    expect(out.get('w1')).toEqual(w1);
    expect(out.get('w2')).toEqual(w2);
  });

  it('answers from the cache within the TTL and only reads the songs it has not seen', async () => {
    const cache = new CachedListenerSource(source, 60_000);
    await cache.listenersOf(['w1']);
    now += 59_999;
    const out = await cache.listenersOf(['w1', 'w2']);
    expect(source.asked).toEqual([['w1'], ['w2']]);
    expect(out.get('w1')).toEqual(w1);
  });

  it('reads a song again once its entry is TTL old, and so picks up new plays', async () => {
    const cache = new CachedListenerSource(source, 60_000);
    await cache.listenersOf(['w1']);
    const later = [...w1, { userId: 'u9', weight: 1 }];
    source.lists.set('w1', later);

    now += 30_000;
    expect((await cache.listenersOf(['w1'])).get('w1')).toEqual(w1); // still the cached list
    now += 30_000; // exactly the TTL: expired
    expect((await cache.listenersOf(['w1'])).get('w1')).toEqual(later);
    expect(source.asked).toEqual([['w1'], ['w1']]);
  });

  it('remembers songs without listeners (no re-read) and leaves them out of the answer', async () => {
    const cache = new CachedListenerSource(source, 60_000);
    const first = await cache.listenersOf(['nobody-listens']);
    const second = await cache.listenersOf(['nobody-listens']);
    expect(first.has('nobody-listens')).toBe(false);
    expect(second.size).toBe(0);
    expect(source.asked).toEqual([['nobody-listens']]);
  });

  it('invalidate() makes the next call read those songs again', async () => {
    const cache = new CachedListenerSource(source, 60_000);
    await cache.listenersOf(['w1', 'w2']);
    cache.invalidate(['w2']);
    await cache.listenersOf(['w1', 'w2']);
    expect(source.asked).toEqual([['w1', 'w2'], ['w2']]);
  });

  it('evicts the oldest songs when it would outgrow maxSongs, instead of growing without bound', async () => {
    const cache = new CachedListenerSource(source, 60_000, 2);
    await cache.listenersOf(['w1', 'w2']);
    await cache.listenersOf(['w3']); // w1, the oldest, makes room
    await cache.listenersOf(['w2', 'w1']);
    expect(source.asked).toEqual([['w1', 'w2'], ['w3'], ['w1']]);
    expect(cache.size().songs).toBe(2);
  });

  it('bounds the listener entries it holds, not only the songs', async () => {
    const lists = new Map(
      ['a', 'b', 'c'].map((id) => [
        id,
        Array.from({ length: 3 }, (_, i) => ({ userId: `${id}${i}`, weight: 1 })),
      ]),
    );
    const big = {
      asked: [] as string[][],
      listenersOf: (ids: readonly string[]) => (big.asked.push([...ids]), lists),
    };
    const cache = new CachedListenerSource(big, 60_000, 100, 7);
    await cache.listenersOf(['a', 'b']);
    expect(cache.size()).toEqual({ songs: 2, listeners: 6 });
    await cache.listenersOf(['c']); // 6 + 3 > 7: a goes
    expect(cache.size()).toEqual({ songs: 2, listeners: 6 });
    await cache.listenersOf(['b', 'c', 'a']);
    expect(big.asked).toEqual([['a', 'b'], ['c'], ['a']]);
  });

  it('warm() reads page by page ahead of the releases, which then hit the cache and count as hits', async () => {
    const cache = new CachedListenerSource(source, 60_000);
    async function* pages() {
      yield ['w1', 'nobody'];
      yield ['w2'];
    }
    expect(await cache.warm(pages())).toEqual({ songs: 3, listeners: 3, complete: true });
    expect(source.asked).toEqual([['w1', 'nobody'], ['w2']]);
    const out = await cache.listenersOf(['w1', 'w2', 'nobody']);
    expect(out.get('w2')).toEqual(w2);
    expect(source.asked).toHaveLength(2);
    expect(cache.lookups).toEqual({ hits: 3, misses: 0 });
  });

  it('warm() spreads the expiries of what it read over the second half of the TTL', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `s${i}`);
    const cache = new CachedListenerSource(source, 60_000);
    async function* pages() {
      yield ids;
    }
    await cache.warm(pages());
    now += 29_999; // before half the TTL: all still cached
    await cache.listenersOf(ids);
    expect(source.asked).toHaveLength(1);
    now += 15_000; // some, not all, expired
    await cache.listenersOf(ids);
    const reread = source.asked[1]?.length ?? 0;
    expect(reread).toBeGreaterThan(0);
    expect(reread).toBeLessThan(ids.length);
    now += 15_001; // past the TTL: every warmed entry expired
    await cache.listenersOf(ids.filter((id) => !source.asked[1]?.includes(id)));
    expect(source.asked[2]).toHaveLength(ids.length - reread);
  });

  it('warm() stops at its share of the bounds and within its budget, leaving room for releases', async () => {
    const cache = new CachedListenerSource(source, 60_000, 10);
    async function* pages() {
      for (let p = 0; p < 5; p++) yield [0, 1, 2, 3].map((i) => `p${p}-${i}`);
    }
    expect(await cache.warm(pages(), { share: 0.5 })).toEqual({ songs: 5, listeners: 0, complete: false });
    expect(cache.size().songs).toBe(5);

    const slow = new CachedListenerSource(source, 60_000);
    async function* clock() {
      yield ['w1'];
      now += 10_001;
      yield ['w2'];
    }
    expect(await slow.warm(clock(), { budgetMs: 10_000 })).toEqual({
      songs: 1,
      listeners: 1,
      complete: false,
    });
  });
});
