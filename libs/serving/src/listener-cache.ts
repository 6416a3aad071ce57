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

  /** Songs answered from the cache and read from the source, since the process started. */
  readonly lookups = { hits: 0, misses: 0 };

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
        this.lookups.hits++;
        if (hit.list.length) out.set(id, hit.list);
      } else {
        missing.push(id);
      }
    }
    this.lookups.misses += missing.length;
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

  /**
   * Fills the cache ahead of the first releases, one page of songs (one read) at a time, until
   * the pages end, `budgetMs` has passed, or the cache holds `share` of its bounds (room stays for
   * what releases ask next). Without it the first minutes of a worker read the neighbours'
   * listeners a few at a time, and those reads, not the model, set the latency of the first
   * releases. Expiries are spread over the second half of the TTL, so the songs warmed together
   * are not all read again in the same second.
   */
  async warm(
    pages: AsyncIterable<string[]>,
    options: { budgetMs?: number; share?: number } = {},
  ): Promise<{ songs: number; listeners: number; complete: boolean }> {
    const deadline = Date.now() + (options.budgetMs ?? 60_000);
    const share = options.share ?? 0.8;
    const room = () => this.cache.size < this.maxSongs * share && this.listeners < this.maxListeners * share;
    let songs = 0;
    let listeners = 0;
    for await (const page of pages) {
      if (Date.now() > deadline || !room()) return { songs, listeners, complete: false };
      const missing = page.filter((id) => !this.cache.has(id));
      if (!missing.length) continue;
      const fetched = await this.inner.listenersOf(missing);
      const now = Date.now();
      for (const id of missing) {
        const list = fetched.get(id) ?? [];
        if (!room() || this.listeners + list.length > this.maxListeners * share)
          return { songs, listeners, complete: false };
        this.drop(id);
        this.cache.set(id, { at: now - (Math.random() * this.ttlMs) / 2, list });
        this.listeners += list.length;
        songs++;
        listeners += list.length;
      }
    }
    return { songs, listeners, complete: true };
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
