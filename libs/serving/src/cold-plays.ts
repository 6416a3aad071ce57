import { Log } from '@debut/config';
import type { InteractionRepository } from '@debut/catalog';

const NONE: ReadonlySet<string> = new Set();

/**
 * The cold songs each user has played, in memory, so cold recommendations leave them out without
 * a query. Loaded once, then re-read for the users whose vectors the worker refreshed (a play
 * marks its user stale, so every play reaches here through the user-vector feed, a refresh
 * interval later). Loads and re-reads run one at a time, in order, so an older read never
 * overwrites a newer one. Plays do not depend on the model version, so one instance serves all.
 */
export class ColdPlays {
  private heard: Map<string, Set<string>> | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly log = new Log('cold-plays');

  constructor(private readonly interactions: Pick<InteractionRepository, 'coldPlays'>) {}

  /** The user's played cold songs; null until loaded (callers then ask the database). */
  of(userId: string): ReadonlySet<string> | null {
    if (!this.heard) return null;
    return this.heard.get(userId) ?? NONE;
  }

  get loaded(): boolean {
    return this.heard !== null;
  }

  /** Loads every user's cold plays unless loaded (a failed load is tried again on the next call). */
  ensureLoaded(): Promise<void> {
    return this.enqueue(async () => {
      if (this.heard) return;
      const all = await this.interactions.coldPlays();
      this.heard = new Map([...all].map(([u, songs]) => [u, new Set(songs)]));
      this.log.info('cold plays loaded', { users: this.heard.size });
    });
  }

  /** Re-reads these users' cold plays. */
  refresh(userIds: string[]): Promise<void> {
    if (!userIds.length) return Promise.resolve();
    return this.enqueue(async () => {
      if (!this.heard) return;
      const fresh = await this.interactions.coldPlays(userIds);
      for (const u of userIds) {
        const songs = fresh.get(u) ?? [];
        if (songs.length) this.heard.set(u, new Set(songs));
        else this.heard.delete(u);
      }
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    this.queue = next.catch((e: unknown) => this.log.warn('reading cold plays failed', { error: String(e) }));
    return next;
  }
}
