/**
 * The `audience` artifact: what serving needs to run every audience method besides the I2I
 * encoder and the DSSM — the content-ridge map (input × users), the fusion weights, and the
 * method that won on cold validation when it was trained (what AUDIENCE_METHOD=auto serves).
 */
import type { FeatureSchema } from '@debut/features';
import { ArtifactManifest, readArtifact, writeArtifact } from './artifact';

export const AUDIENCE_KIND = 'audience';

export const AUDIENCE_METHODS = ['i2i2u', 'content-ridge', 'u2i-audience', 'cat', 'fusion'] as const;
export type AudienceMethodName = (typeof AUDIENCE_METHODS)[number];

export interface AudienceArtifactConfig {
  /** Users the ridge columns belong to, in column order. */
  userIds: string[];
  inputDim: number;
  lambda: number;
  /** Fusion component weights by method name (i2i2u, content-ridge, u2i-audience). */
  fusion: Record<string, number>;
  /** Clusters of the `cat` method (chosen on validation; absent without a DSSM). */
  catClusters?: number;
  /** Whether u2i-audience subtracts the boundary (u·i − u·b) or not (u·i). */
  u2iMargin: boolean;
  /** Cold-validation audience Recall@100 of each method at training time. */
  validation: Partial<Record<AudienceMethodName, number>>;
  /** The best method on cold validation. */
  best: AudienceMethodName;
  /** Versions of the I2I encoder and the DSSM the methods were fitted with. */
  i2iVersion: string | null;
  dssmVersion: string | null;
}

export interface AudienceArtifact {
  manifest: ArtifactManifest<AudienceArtifactConfig>;
  config: AudienceArtifactConfig;
  schema: FeatureSchema;
  /** inputDim × users, row-major. */
  ridge: Float32Array;
}

export async function saveAudienceArtifact(
  dir: string,
  schema: FeatureSchema,
  config: AudienceArtifactConfig,
  ridge: Float32Array,
  metrics: Record<string, unknown> = {},
  version?: string,
): Promise<ArtifactManifest<AudienceArtifactConfig>> {
  if (ridge.length !== config.inputDim * config.userIds.length) {
    throw new Error(
      `audience artifact: ridge has ${ridge.length} values, expected ${config.inputDim} × ${config.userIds.length}`,
    );
  }
  const shape = [config.inputDim, config.userIds.length];
  return writeArtifact(dir, {
    kind: AUDIENCE_KIND,
    version,
    schema,
    config,
    metrics,
    weights: [{ name: 'ridge', variable: { shape, dataSync: () => ridge } }],
  });
}

export async function loadAudienceArtifact(dir: string): Promise<AudienceArtifact> {
  const loaded = await readArtifact(dir);
  const manifest = loaded.manifest as ArtifactManifest<AudienceArtifactConfig>;
  if (manifest.kind !== AUDIENCE_KIND)
    throw new Error(`artifact ${dir}: kind ${manifest.kind}, expected ${AUDIENCE_KIND}`);
  const ridge = loaded.tensors.get('ridge');
  if (!ridge) throw new Error(`artifact ${dir}: no ridge weights`);
  return { manifest, config: manifest.config, schema: manifest.schema, ridge: ridge.values };
}
