import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole first schema. Sized for ~100k songs and millions of interactions: interactions are
 * read per song (audience selection) and per user (history), so both have a covering
 * (id, occurred_at) index; vectors are real[] (4 bytes a component).
 */
export class InitialSchema1732300000000 implements MigrationInterface {
  name = 'InitialSchema1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE songs (
        id text PRIMARY KEY,
        title text NOT NULL DEFAULT '',
        artist_id text NOT NULL,
        language text,
        genres text[] NOT NULL DEFAULT '{}',
        released_at timestamptz NOT NULL,
        features jsonb NOT NULL,
        pool text NOT NULL DEFAULT 'cold' CHECK (pool IN ('warm', 'cold')),
        listener_count int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX songs_pool_idx ON songs (pool)`);
    await q.query(`
      CREATE TABLE users (
        id text PRIMARY KEY,
        profile jsonb NOT NULL DEFAULT '{}',
        vectors_stale boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX users_vectors_stale_idx ON users (vectors_stale) WHERE vectors_stale`);
    await q.query(`
      CREATE TABLE interactions (
        id bigserial PRIMARY KEY,
        event_id text UNIQUE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        song_id text NOT NULL REFERENCES songs(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('play', 'complete', 'favorite', 'skip')),
        weight real NOT NULL,
        occurred_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX interactions_song_idx ON interactions (song_id, occurred_at)`);
    await q.query(`CREATE INDEX interactions_user_idx ON interactions (user_id, occurred_at)`);
    await q.query(`
      CREATE TABLE model_versions (
        version text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('i2i', 'dssm')),
        artifact_path text NOT NULL,
        dim int NOT NULL,
        config jsonb NOT NULL DEFAULT '{}',
        metrics jsonb NOT NULL DEFAULT '{}',
        active boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX model_versions_one_active ON model_versions (kind) WHERE active`);
    await q.query(`
      CREATE TABLE song_embeddings (
        model_version text NOT NULL REFERENCES model_versions(version) ON DELETE CASCADE,
        song_id text NOT NULL REFERENCES songs(id) ON DELETE CASCADE,
        vector real[] NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_version, song_id)
      )`);
    await q.query(`
      CREATE TABLE user_vectors (
        model_version text NOT NULL REFERENCES model_versions(version) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_vector real[] NOT NULL,
        boundary_vector real[] NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_version, user_id)
      )`);
    await q.query(`
      CREATE TABLE audiences (
        song_id text NOT NULL REFERENCES songs(id) ON DELETE CASCADE,
        model_version text NOT NULL,
        members jsonb NOT NULL,
        neighbours jsonb NOT NULL,
        event_id text,
        selected_at timestamptz NOT NULL,
        -- outbox mark: set once song.audience.selected is on the broker
        published_at timestamptz,
        PRIMARY KEY (song_id, model_version)
      )`);
    await q.query(`
      CREATE TABLE processed_events (
        event_id text PRIMARY KEY,
        topic text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'processed_events',
      'audiences',
      'user_vectors',
      'song_embeddings',
      'model_versions',
      'interactions',
      'users',
      'songs',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
