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

  /**
   * Bytes per stored row of the tables that grow with the catalogue (with indexes and TOAST),
   * and the mean audience size, for the scale report.
   */
  async storedRowSizes(): Promise<StoredRowSize[]> {
    return this.ds.query<StoredRowSize[]>(
      `SELECT t.name AS "table", pg_total_relation_size(t.name::regclass)::float8 AS bytes, t.n::float8 AS rows,
              t.members
         FROM (SELECT 'song_embeddings' AS name, (SELECT count(*) FROM song_embeddings) AS n, NULL::float8 AS members
               UNION ALL SELECT 'user_vectors', (SELECT count(*) FROM user_vectors), NULL
               UNION ALL SELECT 'audiences', (SELECT count(*) FROM audiences),
                                (SELECT avg(jsonb_array_length(members))::float8 FROM audiences)
               UNION ALL SELECT 'interactions', (SELECT count(*) FROM interactions), NULL) t`,
    );
  }
}

export interface StoredRowSize {
  table: 'song_embeddings' | 'user_vectors' | 'audiences' | 'interactions';
  bytes: number;
  rows: number;
  /** Mean members per audience (audiences only). */
  members: number | null;
}
