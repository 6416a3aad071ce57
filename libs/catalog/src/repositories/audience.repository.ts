import { DataSource, EntityManager } from 'typeorm';
import { AudienceEntity } from '../entities';

/** Selected audiences: one row per (song, model version), written once. */
export class AudienceRepository {
  constructor(private readonly ds: DataSource) {}

  /** Inserts; returns false when this song already has an audience under this version. */
  async insert(a: AudienceEntity, manager: EntityManager = this.ds.manager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO audiences (song_id, model_version, members, neighbours, event_id, selected_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (song_id, model_version) DO NOTHING RETURNING song_id`,
      [a.songId, a.modelVersion, JSON.stringify(a.members), JSON.stringify(a.neighbours), a.eventId, a.selectedAt],
    );
    return rows.length === 1;
  }

  /** Replaces (explicit recompute on request, e.g. after graduation). */
  async replace(a: AudienceEntity): Promise<void> {
    await this.ds.query(
      `INSERT INTO audiences (song_id, model_version, members, neighbours, event_id, selected_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (song_id, model_version) DO UPDATE
         SET members = EXCLUDED.members, neighbours = EXCLUDED.neighbours, event_id = EXCLUDED.event_id,
             selected_at = EXCLUDED.selected_at`,
      [a.songId, a.modelVersion, JSON.stringify(a.members), JSON.stringify(a.neighbours), a.eventId, a.selectedAt],
    );
  }

  async markPublished(songId: string, modelVersion: string): Promise<void> {
    await this.ds.query('UPDATE audiences SET published_at = now() WHERE song_id = $1 AND model_version = $2', [
      songId,
      modelVersion,
    ]);
  }

  find(songId: string, modelVersion: string): Promise<AudienceEntity | null> {
    return this.ds.getRepository(AudienceEntity).findOneBy({ songId, modelVersion });
  }

  /** The most recent audience of a song under any version. */
  latest(songId: string): Promise<AudienceEntity | null> {
    return this.ds.getRepository(AudienceEntity).findOne({ where: { songId }, order: { selectedAt: 'DESC' } });
  }
}
