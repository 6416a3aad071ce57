import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '@debut/config';
import type { FeatureSchema } from '@debut/features';

/**
 * The deployment's feature schema: what a release must carry before any model is active
 * (afterwards the active model's own schema rules). Kept in config/feature-schema.json; the
 * synthetic catalogue is generated to this shape.
 */
export function loadDeploymentSchema(
  file = process.env.FEATURE_SCHEMA_PATH || path.join(projectRoot, 'config', 'feature-schema.json'),
): FeatureSchema {
  const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as FeatureSchema;
  if (schema.version !== 1 || !Array.isArray(schema.modalities))
    throw new Error(`${file}: not a feature schema (version 1)`);
  return schema;
}

/** A model whose feature schema the stored songs do not carry. */
export class SchemaMismatchError extends Error {
  constructor(
    readonly version: string,
    readonly problems: string[],
  ) {
    super(
      `model ${version} does not fit the catalogue: ${problems.join('; ')} (activation refused; train against this catalogue's feature schema)`,
    );
    this.name = 'SchemaMismatchError';
  }
}

/**
 * What in `songs` does not fit `schema`'s dense modalities: a missing modality or one of another
 * length. The featurizer would fill such a gap with zeros, so a mismatched artifact would give
 * every song nearly the same vector instead of failing.
 */
export function schemaProblems(
  schema: FeatureSchema,
  songs: ReadonlyArray<{ id: string; features: Record<string, number[]> }>,
): string[] {
  const problems: string[] = [];
  for (const m of schema.modalities) {
    if (m.kind !== 'dense') continue;
    const bad = songs.filter((s) => s.features[m.name]?.length !== m.dim);
    if (!bad.length) continue;
    const got = bad[0].features[m.name];
    problems.push(
      `${bad.length} of ${songs.length} songs (e.g. ${bad[0].id}) ${got ? `have ${m.name} of length ${got.length}` : `lack ${m.name}`}, the model expects ${m.dim}`,
    );
  }
  return problems;
}
