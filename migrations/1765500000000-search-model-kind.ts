import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search (issue 15): a fourth kind of model version, `search` (the joint query encoder and item
 * tower, activated like the others), and a content log the search index follows: every insert
 * of a song, and every change of the content search reads (title, artist, genres, language,
 * features), writes a pool_changes row tagged `search:content`. Readers of a model version's
 * pool only take rows of their version or untagged ones, so they never see these; the api's
 * search index reads them (with the untagged pool moves and deletions) to add a release the
 * moment its transaction commits, whichever process stored it.
 */
export class SearchModelKind1765500000000 implements MigrationInterface {
  name = 'SearchModelKind1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_versions DROP CONSTRAINT IF EXISTS model_versions_kind_check`);
    await q.query(
      `ALTER TABLE model_versions ADD CONSTRAINT model_versions_kind_check CHECK (kind IN ('i2i', 'dssm', 'audience', 'search'))`,
    );
    await q.query(`
      CREATE FUNCTION log_song_content_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO pool_changes (song_id, model_version) VALUES (NEW.id, 'search:content');
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER songs_content_inserted AFTER INSERT ON songs
        FOR EACH ROW EXECUTE FUNCTION log_song_content_change()`);
    await q.query(`
      CREATE TRIGGER songs_content_changed AFTER UPDATE ON songs
        FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.artist_id IS DISTINCT FROM NEW.artist_id
          OR OLD.genres IS DISTINCT FROM NEW.genres OR OLD.language IS DISTINCT FROM NEW.language
          OR OLD.features IS DISTINCT FROM NEW.features)
        EXECUTE FUNCTION log_song_content_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS songs_content_changed ON songs`);
    await q.query(`DROP TRIGGER IF EXISTS songs_content_inserted ON songs`);
    await q.query(`DROP FUNCTION IF EXISTS log_song_content_change()`);
    await q.query(`DELETE FROM pool_changes WHERE model_version = 'search:content'`);
    await q.query(`DELETE FROM model_versions WHERE kind = 'search'`);
    await q.query(`ALTER TABLE model_versions DROP CONSTRAINT IF EXISTS model_versions_kind_check`);
    await q.query(
      `ALTER TABLE model_versions ADD CONSTRAINT model_versions_kind_check CHECK (kind IN ('i2i', 'dssm', 'audience'))`,
    );
  }
}
