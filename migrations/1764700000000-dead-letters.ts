import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters with their full bytes. A record larger than the DLQ topic accepts goes there
 * truncated, so its bytes must live somewhere durable to be inspected and replayed; one row per
 * source record (topic, partition, offset), so a redelivered reject is stored once.
 */
export class DeadLetters1764700000000 implements MigrationInterface {
  name = 'DeadLetters1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dead_letters (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        partition int NOT NULL,
        "offset" bigint NOT NULL,
        key bytea,
        value bytea,
        headers jsonb NOT NULL DEFAULT '{}',
        reason text NOT NULL,
        size int NOT NULL,
        sha256 text NOT NULL,
        failed_at timestamptz NOT NULL,
        replayed_at timestamptz,
        UNIQUE (topic, partition, "offset")
      )`);
    await q.query(`CREATE INDEX dead_letters_pending ON dead_letters (id) WHERE replayed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS dead_letters`);
  }
}
