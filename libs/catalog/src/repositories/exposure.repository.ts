import { DataSource } from 'typeorm';

export interface NewExposure {
  exposureId: string;
  songId: string;
  userIds: readonly string[];
  at: Date;
}

/**
 * The exposure log: which users were already sent a song. One row per (song, user), the first
 * exposure's id and time kept; the only place that speaks SQL about exposures.
 */
export class ExposureRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Records exposures; a (song, user) already recorded is left as it is, so a redelivery or a
   * repeated exposure adds nothing. The songs must exist (checked by the caller). Returns the
   * rows added.
   */
  async recordMany(exposures: readonly NewExposure[]): Promise<number> {
    const rows = exposures.flatMap((e) =>
      [...new Set(e.userIds)].map((userId) => ({
        song_id: e.songId,
        user_id: userId,
        exposure_id: e.exposureId,
        exposed_at: e.at.toISOString(),
      })),
    );
    if (!rows.length) return 0;
    const added: unknown[] = await this.ds.query(
      `INSERT INTO exposures (song_id, user_id, exposure_id, exposed_at)
       SELECT song_id, user_id, exposure_id, exposed_at
         FROM json_to_recordset($1::json) AS t(song_id text, user_id text, exposure_id text, exposed_at timestamptz)
       ON CONFLICT (song_id, user_id) DO NOTHING
       RETURNING user_id`,
      [JSON.stringify(rows)],
    );
    return added.length;
  }

  /** Which of these users were already sent the song. */
  async exposedAmong(songId: string, userIds: readonly string[]): Promise<Set<string>> {
    if (!userIds.length) return new Set();
    const rows: Array<{ user_id: string }> = await this.ds.query(
      'SELECT user_id FROM exposures WHERE song_id = $1 AND user_id = ANY($2)',
      [songId, userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** How many users were sent the song. */
  async countFor(songId: string): Promise<number> {
    const [{ n }] = await this.ds.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM exposures WHERE song_id = $1',
      [songId],
    );
    return n;
  }
}
