import type { ThrottlerStorage } from '@nestjs/throttler';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * Rate-limit counters in fixed windows: O(1) per request. @nestjs/throttler's default storage
 * keeps one expiry timestamp per hit and filters the whole list on every request (and spreads
 * it into Math.min), so one busy client — a backend calling the gate thousands of times a
 * second — costs O(hits per window) per request: it was the api's largest cost under load.
 * A fixed window lets a client send up to twice the limit across a window boundary; the limit
 * is a guard against floods, not a quota, so that is acceptable. Counters are per process.
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();
  private nextSweepAt = 0;

  increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    const id = `${throttlerName}:${key}`;
    let w = this.windows.get(id);
    if (!w || w.endsAt <= now) {
      this.sweep(now, ttl);
      w = { hits: 0, endsAt: now + ttl };
      this.windows.set(id, w);
    }
    w.hits++;
    const timeToExpire = Math.ceil((w.endsAt - now) / 1000);
    const isBlocked = w.hits > limit;
    return Promise.resolve({
      totalHits: w.hits,
      timeToExpire,
      isBlocked,
      timeToBlockExpire: isBlocked ? timeToExpire : 0,
    });
  }

  /** Counters held (for tests). */
  get size(): number {
    return this.windows.size;
  }

  /** Drops finished windows, at most once per window length, so idle clients cost nothing. */
  private sweep(now: number, ttl: number): void {
    if (now < this.nextSweepAt) return;
    for (const [id, w] of this.windows) if (w.endsAt <= now) this.windows.delete(id);
    this.nextSweepAt = now + ttl;
  }
}
