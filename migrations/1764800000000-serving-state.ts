import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A log of pool changes that readers can follow without missing commits. Timestamps cannot be
 * a cursor: now() is the writing transaction's start, and concurrent transactions commit out of
 * start order. Each row instead records the writing transaction's id (xid8); a reader only takes
 * rows whose transaction is below the oldest one still in progress (pg_snapshot_xmin), so every
 * row it will ever see below that point is already committed (or rolled back) and nothing can
 * appear behind its cursor later. Triggers fill the log so that every writer is covered, including
 * ones that do not go through the repositories (imports, manual fixes).
 *
 * Also the queue of releases stored while no I2I model was active (pending_audiences), and when
 * a user's vectors became stale (users.stale_since), for a refresh that serves the oldest first.
 */
export class ServingState1764800000000 implements MigrationInterface {
  name = 'ServingState1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pool_changes (
        id bigserial PRIMARY KEY,
        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        song_id text NOT NULL,
        -- null: the song's pool (or its existence) changed, which concerns every version
        model_version text,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX pool_changes_xid_idx ON pool_changes (xid, id)`);
    await q.query(`
      CREATE FUNCTION log_song_pool_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          INSERT INTO pool_changes (song_id) VALUES (OLD.id);
          RETURN OLD;
        END IF;
        INSERT INTO pool_changes (song_id) VALUES (NEW.id);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE FUNCTION log_song_vector_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          INSERT INTO pool_changes (song_id, model_version) VALUES (OLD.song_id, OLD.model_version);
          RETURN OLD;
        END IF;
        INSERT INTO pool_changes (song_id, model_version) VALUES (NEW.song_id, NEW.model_version);
        RETURN NEW;
      END $$`);
    // listener_count and content updates do not move a song between pools: only a pool change is logged.
    await q.query(`
      CREATE TRIGGER songs_pool_moved AFTER UPDATE OF pool ON songs
        FOR EACH ROW WHEN (OLD.pool IS DISTINCT FROM NEW.pool) EXECUTE FUNCTION log_song_pool_change()`);
    await q.query(`
      CREATE TRIGGER songs_deleted AFTER DELETE ON songs FOR EACH ROW EXECUTE FUNCTION log_song_pool_change()`);
    await q.query(`
      CREATE TRIGGER song_embeddings_written AFTER INSERT OR DELETE ON song_embeddings
        FOR EACH ROW EXECUTE FUNCTION log_song_vector_change()`);
    await q.query(`
      CREATE TRIGGER song_embeddings_changed AFTER UPDATE ON song_embeddings
        FOR EACH ROW WHEN (OLD.vector IS DISTINCT FROM NEW.vector) EXECUTE FUNCTION log_song_vector_change()`);
    // Releases stored while no I2I model was active: they get their audience (and its event) once
    // one is, instead of being done without one.
    await q.query(`
      CREATE TABLE pending_audiences (
        song_id text PRIMARY KEY REFERENCES songs(id) ON DELETE CASCADE,
        event_id text,
        queued_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX pending_audiences_queued_idx ON pending_audiences (queued_at, song_id)`);
    // Stale users are refreshed oldest mark first, so a steady stream of marks cannot starve anyone.
    await q.query(`ALTER TABLE users ADD COLUMN stale_since timestamptz`);
    await q.query(`UPDATE users SET stale_since = now() WHERE vectors_stale`);
    await q.query(`CREATE INDEX users_stale_since_idx ON users (stale_since, id) WHERE vectors_stale`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS users_stale_since_idx`);
    await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS stale_since`);
    await q.query(`DROP TABLE IF EXISTS pending_audiences`);
    await q.query(`DROP TRIGGER IF EXISTS song_embeddings_changed ON song_embeddings`);
    await q.query(`DROP TRIGGER IF EXISTS song_embeddings_written ON song_embeddings`);
    await q.query(`DROP TRIGGER IF EXISTS songs_deleted ON songs`);
    await q.query(`DROP TRIGGER IF EXISTS songs_pool_moved ON songs`);
    await q.query(`DROP FUNCTION IF EXISTS log_song_vector_change()`);
    await q.query(`DROP FUNCTION IF EXISTS log_song_pool_change()`);
    await q.query(`DROP TABLE IF EXISTS pool_changes`);
  }
}
