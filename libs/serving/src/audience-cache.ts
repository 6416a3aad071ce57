import { Log } from '@debut/config';
import type { AudienceEntity, AudienceFeedRepository, AudienceRepository, FeedCursor } from '@debut/catalog';
import { BoundedCache } from './bounded-cache';

const MAX_AUDIENCES = 20_000;
/** The feed drops a changed audience within one poll; the TTL is only a backstop. */
const AUDIENCE_TTL_MS = 10 * 60_000;

/**
 * The latest stored audience per song, cached in an api process. An entry is dropped as soon as
 * the audience feed (commit-safe, migration 1765150000000) reports a newer selection of that
 * song, or the pool log reports the song changed or went away; a read that raced with a drop
 * does not cache what it read. Until the first poll has set the feed's cursor nothing is cached,
 * so no entry can predate the point the feed follows from.
 */
export class AudienceCache {
  private readonly entries = new BoundedCache<string, AudienceEntity>(MAX_AUDIENCES, AUDIENCE_TTL_MS);
  private cursor: FeedCursor | null = null;
  /** Bumped on every drop. */
  private epoch = 0;
  private timer: NodeJS.Timeout | null = null;
  private following: Promise<void> | null = null;
  private readonly log = new Log('audience-cache');

  constructor(
    private readonly audiences: Pick<AudienceRepository, 'latest'>,
    private readonly feed: Pick<AudienceFeedRepository, 'horizon' | 'changedAfter'>,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async latest(songId: string): Promise<AudienceEntity | null> {
    const hit = this.entries.get(songId);
    if (hit) return hit;
    const epoch = this.epoch;
    const following = this.cursor !== null;
    const a = await this.audiences.latest(songId);
    if (a && following && epoch === this.epoch) this.entries.set(songId, a);
    return a;
  }

  /** Drops these songs' entries (songs that changed pool, lost their vectors or were deleted). */
  drop(songIds: Iterable<string>): void {
    for (const id of songIds) this.entries.delete(id);
    this.epoch++;
  }

  /** One poll of the feed; concurrent callers share it. */
  follow(): Promise<void> {
    this.following ??= this.poll().finally(() => (this.following = null));
    return this.following;
  }

  start(ms: number): void {
    this.timer = setInterval(() => {
      this.follow().catch((e: unknown) => this.log.warn('audience feed poll failed', { error: String(e) }));
    }, ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.cursor === null) {
      this.cursor = await this.feed.horizon();
      return;
    }
    for (;;) {
      const page = await this.feed.changedAfter(this.cursor);
      if (page.songIds.length) this.drop(page.songIds);
      this.cursor = page.cursor;
      if (page.songIds.length < 10_000) return;
    }
  }
}
