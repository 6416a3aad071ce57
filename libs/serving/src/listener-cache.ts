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

  /** Listener entries held over all cached songs: what the memory is, not the song count. */
  private listeners = 0;

  /**
   * @param maxSongs songs held at most
   * @param maxListeners listener entries held at most (≈ 60 bytes each: 2M ≈ 120 MB); a popular
   *   song's list is the large part, so the bound is on entries, oldest songs evicted first
   */
  constructor(
    private readonly inner: ListenerSource,
    private readonly ttlMs = 120_000,
    private readonly maxSongs = 200_000,
    private readonly maxListeners = 2_000_000,
  ) {}

  /** What the cache holds (metrics). */
  size(): { songs: number; listeners: number } {
    return { songs: this.cache.size, listeners: this.listeners };
  }

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
      for (const id of missing) {
        const list = fetched.get(id) ?? [];
        this.drop(id);
        this.makeRoom(list.length);
        if (list.length <= this.maxListeners) {
          this.cache.set(id, { at: now, list });
          this.listeners += list.length;
        }
        if (list.length) out.set(id, list);
      }
    }
    return out;
  }

  /** Drops cached lists (e.g. after this process stored plays of these songs). */
  invalidate(songIds: Iterable<string>): void {
    for (const id of songIds) this.drop(id);
  }

  private drop(id: string): void {
    const hit = this.cache.get(id);
    if (!hit) return;
    this.cache.delete(id);
    this.listeners -= hit.list.length;
  }

  /** Evicts the oldest cached songs (Map order is insertion order) until `entries` more fit. */
  private makeRoom(entries: number): void {
    for (const id of this.cache.keys()) {
      if (this.cache.size < this.maxSongs && this.listeners + entries <= this.maxListeners) return;
      this.drop(id);
    }
  }
}
