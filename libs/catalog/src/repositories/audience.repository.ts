import { DataSource, EntityManager } from 'typeorm';
import { AudienceEntity } from '../entities';

/** Selected audiences: one row per (song, model version), written once. */
export class AudienceRepository {
  constructor(private readonly ds: DataSource) {}

  /** Inserts; returns false when this song already has an audience under this version. */
  async insert(a: AudienceEntity, manager: EntityManager = this.ds.manager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO audiences (song_id, model_version, members, neighbours, event_id, selected_at, method)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (song_id, model_version) DO NOTHING RETURNING song_id`,
      [
        a.songId,
        a.modelVersion,
        JSON.stringify(a.members),
        JSON.stringify(a.neighbours),
        a.eventId,
        a.selectedAt,
        a.method,
      ],
    );
    return rows.length === 1;
  }

  /** Inserts several; returns the song ids that got their row (the others already had one under that version). */
  async insertMany(rows: AudienceEntity[], manager: EntityManager = this.ds.manager): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const inserted: Array<{ song_id: string }> = await manager.query(
      `INSERT INTO audiences (song_id, model_version, members, neighbours, event_id, selected_at, method)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::text[], $6::timestamptz[], $7::text[])
       ON CONFLICT (song_id, model_version) DO NOTHING RETURNING song_id`,
      [
        rows.map((a) => a.songId),
        rows.map((a) => a.modelVersion),
        rows.map((a) => JSON.stringify(a.members)),
        rows.map((a) => JSON.stringify(a.neighbours)),
        rows.map((a) => a.eventId),
        rows.map((a) => new Date(a.selectedAt).toISOString()),
        rows.map((a) => a.method),
      ],
    );
    return new Set(inserted.map((r) => r.song_id));
  }

  /** Replaces (explicit recompute on request, e.g. after graduation). */
  async replace(a: AudienceEntity): Promise<void> {
    await this.ds.query(
      `INSERT INTO audiences (song_id, model_version, members, neighbours, event_id, selected_at, method)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (song_id, model_version) DO UPDATE
         SET members = EXCLUDED.members, neighbours = EXCLUDED.neighbours, event_id = EXCLUDED.event_id,
             selected_at = EXCLUDED.selected_at, method = EXCLUDED.method, published_at = NULL`,
      [
        a.songId,
        a.modelVersion,
        JSON.stringify(a.members),
        JSON.stringify(a.neighbours),
        a.eventId,
        a.selectedAt,
        a.method,
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
}
