import { DataSource } from 'typeorm';

export interface CatalogueSize {
  /** Established songs. */
  warm: number;
  /** Interactions of every kind. */
  plays: number;
  users: number;
}

/** What became of a run's releases, across the tables the worker writes. */
export interface ReleaseTally {
  songs: number;
  /** Audience rows (more than audienceSongs would mean a song got two). */
  audiences: number;
  audienceSongs: number;
  /** Audience rows never marked published (the outbox still holds them). */
  unpublished: number;
  /** Of the given event ids, those claimed in processed_events. */
  claims: number;
}

/** Counts across tables, read in one statement so they describe one moment (benchmark reports). */
export class StatsRepository {
  constructor(private readonly ds: DataSource) {}

  async catalogueSize(): Promise<CatalogueSize> {
    const [row] = await this.ds.query<CatalogueSize[]>(
      `SELECT (SELECT count(*) FROM songs WHERE pool = 'warm')::int AS warm,
              (SELECT count(*) FROM interactions)::int AS plays,
              (SELECT count(*) FROM users)::int AS users`,
    );
    return row;
  }

  /** Songs whose id starts with `songIdPrefix` (taken literally), and the claims of `eventIds`. */
  async releaseTally(songIdPrefix: string, eventIds: string[]): Promise<ReleaseTally> {
    const [row] = await this.ds.query<ReleaseTally[]>(
      `SELECT (SELECT count(*) FROM songs WHERE id LIKE $1)::int AS songs,
              (SELECT count(*) FROM audiences WHERE song_id LIKE $1)::int AS audiences,
              (SELECT count(DISTINCT song_id) FROM audiences WHERE song_id LIKE $1)::int AS "audienceSongs",
              (SELECT count(*) FROM audiences WHERE song_id LIKE $1 AND published_at IS NULL)::int AS unpublished,
              (SELECT count(*) FROM processed_events WHERE event_id = ANY($2))::int AS claims`,
      [`${songIdPrefix.replace(/[\\%_]/g, '\\$&')}%`, eventIds],
    );
    return row;
  }
}
