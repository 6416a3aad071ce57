import { DataSource } from 'typeorm';
import { feedHorizon, readStampedRows, type FeedCursor, type StampedFeed } from './stamped-feed';

const AUDIENCE_FEED: StampedFeed = { table: 'audiences', key: 'song_id', columns: [] };

/**
 * Which songs' audiences changed (a new selection, a replacement), commit-safe, for processes
 * that cache audiences (migration 1765150000000). Reads ids only: a cache drops the entries and
 * reads them again when asked.
 */
export class AudienceFeedRepository {
  constructor(private readonly ds: DataSource) {}

  horizon(): Promise<FeedCursor> {
    return feedHorizon(this.ds);
  }

  async changedAfter(cursor: FeedCursor, limit = 10_000): Promise<{ songIds: string[]; cursor: FeedCursor }> {
    const page = await readStampedRows(this.ds, AUDIENCE_FEED, cursor, limit);
    return { songIds: page.rows.map((r) => r.key), cursor: page.cursor };
  }
}
