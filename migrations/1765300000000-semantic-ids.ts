import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Semantic IDs (docs/semantic-ids.md): each song's RQ-KMeans code under an I2I version, stored
 * beside its vector in `song_embeddings` (so it is per model version and goes with the vector),
 * and the SID a selected audience was chosen for in `audiences` (carried in
 * `song.audience.selected`). Null where the version has no codebook (a DSSM, or an I2I trained
 * without SIDs). The index serves "songs sharing the first n codes" as a prefix range scan
 * (`sid LIKE '12-5-%'`), which text_pattern_ops allows whatever the database's collation.
 */
export class SemanticIds1765300000000 implements MigrationInterface {
  name = 'SemanticIds1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE song_embeddings ADD COLUMN sid text`);
    await q.query(
      `CREATE INDEX song_embeddings_sid_prefix_idx ON song_embeddings (model_version, sid text_pattern_ops)
        WHERE sid IS NOT NULL`,
    );
    await q.query(`ALTER TABLE audiences ADD COLUMN sid text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audiences DROP COLUMN IF EXISTS sid`);
    await q.query(`DROP INDEX IF EXISTS song_embeddings_sid_prefix_idx`);
    await q.query(`ALTER TABLE song_embeddings DROP COLUMN IF EXISTS sid`);
  }
}
