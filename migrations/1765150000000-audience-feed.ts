import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A commit-safe feed of changed audiences, so api processes can cache them and drop an entry the
 * moment a newer selection commits (same scheme as user_vectors.xid, migration 1765100000000).
 * Only a change of what the audience says stamps the row: the outbox's published_at mark does not.
 */
export class AudienceFeed1765150000000 implements MigrationInterface {
  name = 'AudienceFeed1765150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audiences ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`
      CREATE FUNCTION stamp_writer_xid() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.xid := pg_current_xact_id();
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER audiences_stamped
        BEFORE UPDATE OF members, neighbours, selected_at, method, model_version, song_id ON audiences
        FOR EACH ROW EXECUTE FUNCTION stamp_writer_xid()`);
    await q.query(`CREATE INDEX audiences_feed_idx ON audiences (xid, song_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audiences_feed_idx`);
    await q.query(`DROP TRIGGER IF EXISTS audiences_stamped ON audiences`);
    await q.query(`DROP FUNCTION IF EXISTS stamp_writer_xid()`);
    await q.query(`ALTER TABLE audiences DROP COLUMN IF EXISTS xid`);
  }
}
