import { DataSource, EntityManager } from 'typeorm';
import { AudienceEntity } from '../entities';

/** One release as listed: the song, and its latest audience unless it still waits for one. */
export interface ReleaseSummary {
  songId: string;
  title: string;
  pool: 'warm' | 'cold';
  releasedAt: Date;
  modelVersion: string | null;
  method: string | null;
  selectedAt: Date | null;
  /** When the release event reached the worker (null when the audience was selected without one). */
  receivedAt: Date | null;
  audienceSize: number | null;
  /** Queued for an audience (no I2I model was active when it arrived). */
  pending: boolean;
}

export interface ReleasePage {
  total: number;
  releases: ReleaseSummary[];
}

/** Selected audiences: one row per (song, model version), written once. */
export class AudienceRepository {
  constructor(private readonly ds: DataSource) {}

  /** Inserts; returns false when this song already has an audience under this version. */
  async insert(a: AudienceEntity, manager: EntityManager = this.ds.manager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO audiences (song_id, model_version, members, neighbours, event_id, selected_at, method, received_at, sid)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (song_id, model_version) DO NOTHING RETURNING song_id`,
      [
        a.songId,
        a.modelVersion,
        JSON.stringify(a.members),
        JSON.stringify(a.neighbours),
        a.eventId,
        a.selectedAt,
        a.method,
        a.receivedAt ?? null,
        a.sid ?? null,
      ],
    );
    return rows.length === 1;
  }

  /**
   * Inserts several in one statement; returns the song ids that got their row (the others already
   * had one under that version). The rows travel as one JSON document: a text[]/jsonb[] parameter
   * of a few MB of JSON (a chunk of 256 audiences of 200 members) spends most of its time in
   * PostgreSQL's array-literal parser, several times what parsing the same JSON as a document costs.
   */
  async insertMany(rows: AudienceEntity[], manager: EntityManager = this.ds.manager): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const inserted: Array<{ song_id: string }> = await manager.query(
      `INSERT INTO audiences (song_id, model_version, members, neighbours, event_id, selected_at, method, received_at, sid)
       SELECT song_id, model_version, members, neighbours, event_id, selected_at, method, received_at, sid
         FROM json_to_recordset($1::json) AS t(song_id text, model_version text, members jsonb, neighbours jsonb,
                                              event_id text, selected_at timestamptz, method text,
                                              received_at timestamptz, sid text)
       ON CONFLICT (song_id, model_version) DO NOTHING RETURNING song_id`,
      [
        JSON.stringify(
          rows.map((a) => ({
            song_id: a.songId,
            model_version: a.modelVersion,
            members: a.members,
            neighbours: a.neighbours,
            event_id: a.eventId,
            selected_at: new Date(a.selectedAt).toISOString(),
            method: a.method,
            received_at: a.receivedAt ? new Date(a.receivedAt).toISOString() : null,
            sid: a.sid ?? null,
          })),
        ),
      ],
    );
    return new Set(inserted.map((r) => r.song_id));
  }

  /** Replaces (explicit recompute on request, e.g. after graduation). */
  async replace(a: AudienceEntity): Promise<void> {
    await this.ds.query(
      `INSERT INTO audiences (song_id, model_version, members, neighbours, event_id, selected_at, method, received_at, sid)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (song_id, model_version) DO UPDATE
         SET members = EXCLUDED.members, neighbours = EXCLUDED.neighbours, event_id = EXCLUDED.event_id,
             selected_at = EXCLUDED.selected_at, method = EXCLUDED.method, received_at = EXCLUDED.received_at,
             sid = EXCLUDED.sid, published_at = NULL`,
      [
        a.songId,
        a.modelVersion,
        JSON.stringify(a.members),
        JSON.stringify(a.neighbours),
        a.eventId,
        a.selectedAt,
        a.method,
        a.receivedAt ?? null,
        a.sid ?? null,
      ],
    );
  }

  /** Outbox: these audiences reached the broker. */
  /**
   * Marks rows as on the broker. A key with `selectedAt` marks the row only while it still holds
   * that selection: a row replaced after it was published keeps owing its new event.
   */
  async markPublished(
    keys: Array<{ songId: string; modelVersion: string; selectedAt?: Date }>,
  ): Promise<void> {
    if (!keys.length) return;
    await this.ds.query(
      `UPDATE audiences a SET published_at = now()
         FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(song_id, model_version, selected_at)
        WHERE a.song_id = k.song_id AND a.model_version = k.model_version
          AND (k.selected_at IS NULL OR a.selected_at = k.selected_at)`,
      [keys.map((k) => k.songId), keys.map((k) => k.modelVersion), keys.map((k) => k.selectedAt ?? null)],
    );
  }

  /** The most recent audience of each song that has one. */
  async latestMany(songIds: string[]): Promise<AudienceEntity[]> {
    if (!songIds.length) return [];
    return this.ds
      .getRepository(AudienceEntity)
      .createQueryBuilder('a')
      .distinctOn(['a.song_id'])
      .where('a.song_id = ANY(:ids)', { ids: songIds })
      .orderBy('a.song_id')
      .addOrderBy('a.selected_at', 'DESC')
      .getMany();
  }

  /** Up to `n` songs that have an audience, in md5 order (the same ones on every run). */
  async sampleSongIds(n: number): Promise<string[]> {
    const rows: Array<{ song_id: string }> = await this.ds.query(
      'SELECT song_id FROM audiences GROUP BY song_id ORDER BY md5(song_id) LIMIT $1',
      [n],
    );
    return rows.map((r) => r.song_id);
  }

  find(songId: string, modelVersion: string): Promise<AudienceEntity | null> {
    return this.ds.getRepository(AudienceEntity).findOneBy({ songId, modelVersion });
  }

  /** The most recent audience of a song under any version. */
  latest(songId: string): Promise<AudienceEntity | null> {
    return this.ds
      .getRepository(AudienceEntity)
      .findOne({ where: { songId }, order: { selectedAt: 'DESC' } });
  }

  /**
   * Releases, newest first: every song with a selected audience (its latest one) or still queued
   * for one, optionally only those whose id or title contains `search` (case-insensitive), one
   * page at a time, with the number of matches.
   */
  async releases(options: { search?: string; limit: number; offset: number }): Promise<ReleasePage> {
    const pattern = options.search ? `%${options.search.replace(/[\\%_]/g, '\\$&')}%` : null;
    const rows: Array<ReleaseSummary & { total: number }> = await this.ds.query(
      `WITH latest AS (
         SELECT DISTINCT ON (song_id) song_id, model_version, method, selected_at, received_at,
                jsonb_array_length(members) AS size
           FROM audiences ORDER BY song_id, selected_at DESC),
       released AS (
         SELECT s.id, s.title, s.pool, s.released_at, l.model_version, l.method, l.selected_at, l.received_at,
                l.size, p.queued_at
           FROM songs s
           LEFT JOIN latest l ON l.song_id = s.id
           LEFT JOIN pending_audiences p ON p.song_id = s.id
          WHERE (l.song_id IS NOT NULL OR p.song_id IS NOT NULL)
            AND ($1::text IS NULL OR s.id ILIKE $1 OR s.title ILIKE $1))
       SELECT id AS "songId", title, pool, released_at AS "releasedAt", model_version AS "modelVersion", method,
              selected_at AS "selectedAt", received_at AS "receivedAt", size AS "audienceSize",
              queued_at IS NOT NULL AS pending, count(*) OVER ()::int AS total
         FROM released ORDER BY COALESCE(selected_at, queued_at) DESC, id LIMIT $2 OFFSET $3`,
      [pattern, options.limit, options.offset],
    );
    if (!rows.length && options.offset > 0) {
      const [{ n }] = await this.ds.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM songs s
          WHERE (EXISTS (SELECT 1 FROM audiences a WHERE a.song_id = s.id)
                 OR EXISTS (SELECT 1 FROM pending_audiences p WHERE p.song_id = s.id))
            AND ($1::text IS NULL OR s.id ILIKE $1 OR s.title ILIKE $1)`,
        [pattern],
      );
      return { total: n, releases: [] };
    }
    return { total: rows[0]?.total ?? 0, releases: rows.map(({ total: _total, ...r }) => r) };
  }

  /** Queues releases stored without an audience (no I2I model active), in the caller's transaction. */
  async queuePending(
    manager: EntityManager,
    rows: Array<{ songId: string; eventId: string | null }>,
  ): Promise<void> {
    if (!rows.length) return;
    await manager.query(
      `INSERT INTO pending_audiences (song_id, event_id)
       SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (song_id) DO UPDATE SET event_id = EXCLUDED.event_id`,
      [rows.map((r) => r.songId), rows.map((r) => r.eventId)],
    );
  }

  /** The oldest queued releases that still wait for an audience. */
  async pending(limit: number): Promise<Array<{ songId: string; eventId: string | null }>> {
    const rows: Array<{ song_id: string; event_id: string | null }> = await this.ds.query(
      'SELECT song_id, event_id FROM pending_audiences ORDER BY queued_at, song_id LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ songId: r.song_id, eventId: r.event_id }));
  }

  /** Takes songs off the queue once their audience is on the broker. */
  async clearPending(songIds: string[]): Promise<void> {
    if (songIds.length)
      await this.ds.query('DELETE FROM pending_audiences WHERE song_id = ANY($1)', [songIds]);
  }

  /**
   * Runs `fn` while this process holds the lock that every republisher of owed audiences takes
   * (the outbox sweep and a worker's redelivery path), waiting for it if another holds it. Each
   * republisher reads the topic back inside the lock, so it sees what the one before it sent and
   * marks it instead of sending it again: two of them never both send the same owed row.
   */
  async whileRepublishing<T>(fn: () => Promise<T>): Promise<T> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [OWED_REPUBLISH_LOCK]);
      try {
        return await fn();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [OWED_REPUBLISH_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * The outbox sweep's read: audience rows selected over `olderThanSeconds` ago and still not
   * marked published, oldest first — what a process that died between commit and publish left
   * behind with no redelivery to finish it (a recompute over HTTP). `fn` runs while this process
   * holds the sweep's advisory lock, so two processes never sweep at once; returns null when
   * another process holds it.
   */
  async sweepUnpublished(
    olderThanSeconds: number,
    limit: number,
    fn: (rows: AudienceEntity[]) => Promise<void>,
  ): Promise<number | null> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        OUTBOX_SWEEP_LOCK,
      ])) as Array<{ locked: boolean }>;
      if (!locked) return null;
      try {
        const rows = await this.ds
          .getRepository(AudienceEntity)
          .createQueryBuilder('a')
          .where('a.published_at IS NULL')
          .andWhere('a.selected_at < now() - make_interval(secs => :age)', { age: olderThanSeconds })
          .orderBy('a.selected_at')
          .limit(limit)
          .getMany();
        if (rows.length) await fn(rows);
        return rows.length;
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [OUTBOX_SWEEP_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }
}

/** pg advisory lock key of the outbox sweep (any constant unique to it). */
const OUTBOX_SWEEP_LOCK = 0x64656275;
/** pg advisory lock key held while owed audiences are checked against the topic and republished. */
const OWED_REPUBLISH_LOCK = 0x64656276;
