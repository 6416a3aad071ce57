import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audience members are compressed with lz4 instead of pglz where the server has it (PostgreSQL
 * ≥ 14 built with lz4, as the official and Debian packages are). A chunk of 256 audiences of
 * 200 members is ~5 MB of JSON, and pglz compressing it is a large part of the worker's insert;
 * lz4 compresses it several times faster. Rows already stored keep their compression.
 */
export class AudienceLz41765200000000 implements MigrationInterface {
  name = 'AudienceLz41765200000000';

  async up(q: QueryRunner): Promise<void> {
    if (!(await hasLz4(q))) return;
    await q.query(`ALTER TABLE audiences ALTER COLUMN members SET COMPRESSION lz4`);
    await q.query(`ALTER TABLE audiences ALTER COLUMN neighbours SET COMPRESSION lz4`);
  }

  async down(q: QueryRunner): Promise<void> {
    if (!(await hasLz4(q))) return;
    await q.query(`ALTER TABLE audiences ALTER COLUMN members SET COMPRESSION pglz`);
    await q.query(`ALTER TABLE audiences ALTER COLUMN neighbours SET COMPRESSION pglz`);
  }
}

async function hasLz4(q: QueryRunner): Promise<boolean> {
  const rows = (await q.query(
    `SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)`,
  )) as unknown[];
  return rows.length > 0;
}
