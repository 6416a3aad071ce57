import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A commit-safe feed of users' (u, b) vectors, so api processes can hold them in memory and
 * follow their refreshes without reading PostgreSQL per request. Each row carries the id of the
 * transaction that last wrote it (xid8): a reader takes only rows whose transaction is below the
 * oldest one still in progress (pg_snapshot_xmin), as with pool_changes, so a refresh that commits
 * late can never land behind the reader's cursor. Unlike pool_changes this is a column, not a
 * log: a user refreshed a thousand times is one row, and nothing needs pruning.
 */
export class UserVectorFeed1765100000000 implements MigrationInterface {
  name = 'UserVectorFeed1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE user_vectors ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    // Every writer is covered, including ones that bypass the repositories.
    await q.query(`
      CREATE FUNCTION stamp_user_vector_xid() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.xid := pg_current_xact_id();
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER user_vectors_stamped BEFORE UPDATE ON user_vectors
        FOR EACH ROW EXECUTE FUNCTION stamp_user_vector_xid()`);
    await q.query(`CREATE INDEX user_vectors_feed_idx ON user_vectors (model_version, xid, user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS user_vectors_feed_idx`);
    await q.query(`DROP TRIGGER IF EXISTS user_vectors_stamped ON user_vectors`);
    await q.query(`DROP FUNCTION IF EXISTS stamp_user_vector_xid()`);
    await q.query(`ALTER TABLE user_vectors DROP COLUMN IF EXISTS xid`);
  }
}
