import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the release event that an audience answers reached the worker, beside `selected_at`, so
 * the latency from event to audience can be read per release (the console's releases page).
 * Null for audiences selected without an event in hand: recomputed on request, selected for a
 * release queued while no model was active, or stored before this column existed.
 */
export class AudienceReceivedAt1764900000000 implements MigrationInterface {
  name = 'AudienceReceivedAt1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audiences ADD COLUMN received_at timestamptz`);
    // The releases page lists the newest selections first.
    await q.query(`CREATE INDEX audiences_selected_at_idx ON audiences (selected_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audiences_selected_at_idx`);
    await q.query(`ALTER TABLE audiences DROP COLUMN IF EXISTS received_at`);
  }
}
