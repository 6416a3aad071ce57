import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A third kind of model version: `audience` artifacts (the content-ridge map, fusion weights
 * and the audience method chosen on cold validation) are versioned and activated like the
 * encoder and the DSSM, one active at a time; each stored audience records its method.
 */
export class AudienceModelKind1764600000000 implements MigrationInterface {
  name = 'AudienceModelKind1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE model_versions DROP CONSTRAINT IF EXISTS model_versions_kind_check`);
    await q.query(
      `ALTER TABLE model_versions ADD CONSTRAINT model_versions_kind_check CHECK (kind IN ('i2i', 'dssm', 'audience'))`,
    );
    // Which method selected an audience: rows written before methods existed were neighbour voting.
    await q.query(`ALTER TABLE audiences ADD COLUMN method text NOT NULL DEFAULT 'i2i2u'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audiences DROP COLUMN IF EXISTS method`);
    await q.query(`DELETE FROM model_versions WHERE kind = 'audience'`);
    await q.query(`ALTER TABLE model_versions DROP CONSTRAINT IF EXISTS model_versions_kind_check`);
    await q.query(
      `ALTER TABLE model_versions ADD CONSTRAINT model_versions_kind_check CHECK (kind IN ('i2i', 'dssm'))`,
    );
  }
}
