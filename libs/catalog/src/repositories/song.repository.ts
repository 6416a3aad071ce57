import { DataSource, In } from 'typeorm';
import { SongAudienceBudget, SongEntity, SongPool } from '../entities';

export interface NewSong {
  id: string;
  title: string;
  artistId: string;
  language: string | null;
  genres: string[];
  releasedAt: Date;
  features: Record<string, number[]>;
  pool: SongPool;
  /** Release rules (upsert/upsertMany; imported established songs have none): markets, null = everywhere. */
  availability?: string[] | null;
  explicit?: boolean;
  audienceBudget?: SongAudienceBudget | null;
}

/** Songs and their content. The only place that speaks SQL about songs. */
export class SongRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo() {
    return this.ds.getRepository(SongEntity);
  }

  /** Refreshes planner statistics after a bulk load (songs, interactions, users). */
  async analyze(): Promise<void> {
    await this.ds.query('ANALYZE songs; ANALYZE interactions; ANALYZE users');
  }

  findById(id: string): Promise<SongEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByIds(ids: string[]): Promise<SongEntity[]> {
    return ids.length ? this.repo.findBy({ id: In(ids) }) : Promise.resolve([]);
  }

  /** The pool of each of these songs that exists (the release path checks the re-release rule with it). */
  async poolsOf(ids: string[]): Promise<Map<string, SongPool>> {
    if (!ids.length) return new Map();
    const rows: Array<{ id: string; pool: SongPool }> = await this.ds.query(
      'SELECT id, pool FROM songs WHERE id = ANY($1)',
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.pool]));
  }

  async existingIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: Array<{ id: string }> = await this.ds.query('SELECT id FROM songs WHERE id = ANY($1)', [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /** Insert or update a release (a re-release of the same id updates its content and its rules). */
  async upsert(song: NewSong, manager = this.ds.manager): Promise<void> {
    await this.upsertMany([song], manager);
  }

  /**
   * Inserts or updates releases in one statement (a batch of song.released). Ids must be
   * unique within the call: PostgreSQL refuses to update one row twice in a statement. The rows
   * travel as one JSON document (see AudienceRepository.insertMany: cheaper to parse than arrays
   * of JSON text).
   */
  async upsertMany(songs: NewSong[], manager = this.ds.manager): Promise<void> {
    if (!songs.length) return;
    await manager.query(
      `INSERT INTO songs (id, title, artist_id, language, genres, released_at, features, pool,
                          availability, explicit, audience_budget)
       SELECT id, title, artist_id, language, ARRAY(SELECT json_array_elements_text(genres)), released_at, features, pool,
              CASE WHEN availability IS NULL THEN NULL ELSE ARRAY(SELECT json_array_elements_text(availability)) END,
              explicit, audience_budget
         FROM json_to_recordset($1::json)
           AS t(id text, title text, artist_id text, language text, genres json, released_at timestamptz,
                features jsonb, pool text, availability json, explicit boolean, audience_budget jsonb)
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, artist_id = EXCLUDED.artist_id,
         language = EXCLUDED.language, genres = EXCLUDED.genres, released_at = EXCLUDED.released_at,
         features = EXCLUDED.features, availability = EXCLUDED.availability, explicit = EXCLUDED.explicit,
         audience_budget = EXCLUDED.audience_budget, updated_at = now()`,
      [
        JSON.stringify(
          songs.map((s) => ({
            id: s.id,
            title: s.title,
            artist_id: s.artistId,
            language: s.language,
            genres: s.genres,
            released_at: s.releasedAt.toISOString(),
            features: s.features,
            pool: s.pool,
            availability: s.availability ?? null,
            explicit: s.explicit ?? false,
            audience_budget: s.audienceBudget ?? null,
          })),
        ),
      ],
    );
  }

  /** Bulk insert for imports: one multi-row statement per chunk. */
  async insertMany(songs: NewSong[], chunk = 1000): Promise<void> {
    for (let i = 0; i < songs.length; i += chunk) {
      const part = songs.slice(i, i + chunk);
      // genres travel as JSON text: unnest cannot take a ragged text[][] column.
      await this.ds.query(
        `INSERT INTO songs (id, title, artist_id, language, genres, released_at, features, pool)
         SELECT id, title, artist_id, language,
                ARRAY(SELECT jsonb_array_elements_text(genres_json)), released_at, features, pool
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[],
                       $7::jsonb[], $8::text[])
             AS t(id, title, artist_id, language, genres_json, released_at, features, pool)
         ON CONFLICT (id) DO NOTHING`,
        songColumns(part),
      );
    }
  }

  /** Streams songs in id order, page by page (for re-embedding 100k songs without one huge read). */
  async *pages(pageSize = 5000, pool?: SongPool): AsyncGenerator<SongEntity[]> {
    let after = '';
    for (;;) {
      const qb = this.repo
        .createQueryBuilder('s')
        .where('s.id > :after', { after })
        .orderBy('s.id')
        .take(pageSize);
      if (pool) qb.andWhere('s.pool = :pool', { pool });
      const page = await qb.getMany();
      if (!page.length) return;
      yield page;
      after = page[page.length - 1].id;
    }
  }

  /** The ids of one pool in id order, page by page (ids only: warming caches of a whole pool). */
  async *idPages(pool: SongPool, pageSize = 2000): AsyncGenerator<string[]> {
    let after = '';
    for (;;) {
      const rows: Array<{ id: string }> = await this.ds.query(
        'SELECT id FROM songs WHERE pool = $1 AND id > $2 ORDER BY id LIMIT $3',
        [pool, after, pageSize],
      );
      if (!rows.length) return;
      yield rows.map((r) => r.id);
      after = rows[rows.length - 1].id;
    }
  }

  /** Up to `limit` songs that have no vector under `modelVersion`, in id order. */
  withoutVector(modelVersion: string, limit: number): Promise<SongEntity[]> {
    return this.repo
      .createQueryBuilder('s')
      .where(
        'NOT EXISTS (SELECT 1 FROM song_embeddings e WHERE e.model_version = :version AND e.song_id = s.id)',
        { version: modelVersion },
      )
      .orderBy('s.id')
      .take(limit)
      .getMany();
  }

  async setPool(ids: string[], pool: SongPool): Promise<void> {
    if (ids.length)
      await this.ds.query('UPDATE songs SET pool = $2, updated_at = now() WHERE id = ANY($1)', [ids, pool]);
  }

  /** Adds new distinct listeners to counts; returns cold songs that reached `threshold`. */
  async refreshListenerCounts(songIds: string[], threshold: number): Promise<string[]> {
    if (!songIds.length) return [];
    // TypeORM answers an UPDATE with [rows, rowCount], not rows.
    const [rows]: [Array<{ id: string; pool: string; listener_count: number }>, number] = await this.ds.query(
      `UPDATE songs s SET listener_count = c.n
         FROM (SELECT song_id, count(DISTINCT user_id)::int AS n FROM interactions
               WHERE song_id = ANY($1) AND kind <> 'skip' GROUP BY song_id) c
        WHERE s.id = c.song_id
        RETURNING s.id, s.pool, s.listener_count`,
      [songIds],
    );
    return rows.filter((r) => r.pool === 'cold' && r.listener_count >= threshold).map((r) => r.id);
  }

  /** Up to `n` ids of one pool in md5 order: spread over the catalogue, and the same on every run. */
  async sampleIds(pool: SongPool, n: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      'SELECT id FROM songs WHERE pool = $1 ORDER BY md5(id) LIMIT $2',
      [pool, n],
    );
    return rows.map((r) => r.id);
  }

  async counts(): Promise<{ warm: number; cold: number }> {
    const rows: Array<{ pool: string; n: number }> = await this.ds.query(
      'SELECT pool, count(*)::int AS n FROM songs GROUP BY pool',
    );
    const get = (p: string) => rows.find((r) => r.pool === p)?.n ?? 0;
    return { warm: get('warm'), cold: get('cold') };
  }
}

/** Column arrays for the unnest-based bulk statements (genres travel as JSON: unnest cannot take ragged text[][]). */
function songColumns(songs: NewSong[]): unknown[] {
  return [
    songs.map((s) => s.id),
    songs.map((s) => s.title),
    songs.map((s) => s.artistId),
    songs.map((s) => s.language),
    songs.map((s) => JSON.stringify(s.genres)),
    songs.map((s) => s.releasedAt.toISOString()),
    songs.map((s) => JSON.stringify(s.features)),
    songs.map((s) => s.pool),
  ];
}
