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
