import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dual-memory users (issue 16): beside a user's long-term vectors (h_gen: user_vector,
 * boundary_vector) the next-intent vectors h_next, pooled with recency weights from the user's
 * most recent plays through the same DSSM towers. Nullable: rows written before this migration,
 * or by a writer that did not compute them, fall back to h_gen.
 */
export class NextUserVectors1765600000000 implements MigrationInterface {
  name = 'NextUserVectors1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE user_vectors ADD COLUMN next_user_vector real[], ADD COLUMN next_boundary_vector real[]`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE user_vectors DROP COLUMN next_user_vector, DROP COLUMN next_boundary_vector`);
  }
}
