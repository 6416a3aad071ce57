import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox sweep reads the audience rows still owed to the broker, oldest first; they are a
 * handful among millions, so a partial index holds only them.
 */
export class OutboxSweepIndex1765000000000 implements MigrationInterface {
  name = 'OutboxSweepIndex1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX audiences_unpublished_idx ON audiences (selected_at) WHERE published_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS audiences_unpublished_idx`);
  }
}
