import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audience rules (issue 16): a release's markets, explicit flag and audience budget; a user's
 * market and explicit-content opt-out (the latest profile by `profile_updated_at` wins); and the
 * exposure log, one row per (song, user) ever sent the song, so recording is idempotent.
 * `availability` NULL means everywhere; `region` NULL means unknown.
 */
export class AudienceRules1765400000000 implements MigrationInterface {
  name = 'AudienceRules1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE songs
        ADD COLUMN availability text[],
        ADD COLUMN explicit boolean NOT NULL DEFAULT false,
        ADD COLUMN audience_budget jsonb`);
    await q.query(`
      ALTER TABLE users
        ADD COLUMN region text,
        ADD COLUMN explicit_opt_out boolean NOT NULL DEFAULT false,
        ADD COLUMN profile_updated_at timestamptz`);
    await q.query(`
      CREATE TABLE exposures (
        song_id text NOT NULL REFERENCES songs(id) ON DELETE CASCADE,
        user_id text NOT NULL,
        exposure_id text NOT NULL,
        exposed_at timestamptz NOT NULL,
        PRIMARY KEY (song_id, user_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS exposures`);
    await q.query(
      `ALTER TABLE users DROP COLUMN region, DROP COLUMN explicit_opt_out, DROP COLUMN profile_updated_at`,
    );
    await q.query(
      `ALTER TABLE songs DROP COLUMN availability, DROP COLUMN explicit, DROP COLUMN audience_budget`,
    );
  }
}
