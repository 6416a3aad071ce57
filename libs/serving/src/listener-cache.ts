import type { ListenerLists, ListenerSource, ListenerWeight } from '@debut/audience';

/**
 * Listener lists of established songs, cached for `ttlMs`. New songs' neighbours overlap a lot
 * (popular songs are everybody's neighbours), and reading a popular song's listeners from 1M
 * interactions is the slowest step of a release, so each song is read at most once per TTL and
 * all misses of a batch in one query. A play lands in audiences at most `ttlMs` late, which
 * is harmless for choosing a first audience.
 */
export class CachedListenerSource implements ListenerSource {
  private readonly cache = new Map<string, { at: number; list: readonly ListenerWeight[] }>();

  constructor(
    private readonly inner: ListenerSource,
    private readonly ttlMs = 120_000,
    private readonly maxSongs = 200_000,
  ) {}

  async listenersOf(songIds: readonly string[]): Promise<ListenerLists> {
    const now = Date.now();
    const out = new Map<string, readonly ListenerWeight[]>();
    const missing: string[] = [];
    for (const id of new Set(songIds)) {
      const hit = this.cache.get(id);
      if (hit && now - hit.at < this.ttlMs) {
        if (hit.list.length) out.set(id, hit.list);
      } else {
        missing.push(id);
      }
    }
    if (missing.length) {
      const fetched = await this.inner.listenersOf(missing);
      if (this.cache.size + missing.length > this.maxSongs) this.cache.clear();
      for (const id of missing) {
        const list = fetched.get(id) ?? [];
        this.cache.set(id, { at: now, list });
        if (list.length) out.set(id, list);
      }
    }
    return out;
  }

  /** Drops cached lists (e.g. after this process stored plays of these songs). */
  invalidate(songIds: Iterable<string>): void {
    for (const id of songIds) this.cache.delete(id);
  }
}
