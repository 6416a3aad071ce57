/**
 * The feature schema: a song is a set of named modalities with fixed shapes. It is declared
 * once (per dataset / deployment), saved with every model artifact, and used by the worker to
 * validate release events, so the same description of "what a song looks like" serves
 * training, ingestion and serving.
 */
export type ModalitySpec =
  /** Precomputed dense vector (audio / text embedding). `fields` splits it into that many
   * contiguous fields so that feature grouping has something to group. */
  | { name: string; kind: 'dense'; dim: number; fields?: number }
  /** One value from a vocabulary; unknown values go to an out-of-vocabulary bucket. */
  | { name: string; kind: 'categorical'; vocabulary: string[] }
  /** Several values from a vocabulary (genres, tags); unknown values go to the OOV bucket. */
  | { name: string; kind: 'multi'; vocabulary: string[] }
  /** A single number, standardised with the given mean and std. */
  | { name: string; kind: 'numeric'; mean?: number; std?: number };

export interface FeatureSchema {
  version: 1;
  modalities: ModalitySpec[];
}

/** Content of one song as it arrives in events and rows. */
export interface SongContent {
  language?: string | null;
  genres?: string[] | null;
  /** Dense modalities by name (e.g. audio, text). */
  features: Record<string, number[]>;
  /** Numeric modalities by name. */
  numeric?: Record<string, number>;
}

/** Where each modality reads its value in a SongContent. */
export function categoricalValue(content: SongContent, name: string): string | null | undefined {
  if (name === 'language') return content.language;
  const v = (content as unknown as { categorical?: Record<string, string> }).categorical?.[name];
  return v;
}

export function multiValues(content: SongContent, name: string): string[] | null | undefined {
  if (name === 'genres') return content.genres;
  return (content as unknown as { multi?: Record<string, string[]> }).multi?.[name];
}

export function denseModalities(schema: FeatureSchema): Array<{ name: string; dim: number }> {
  return schema.modalities.flatMap((m) => (m.kind === 'dense' ? [{ name: m.name, dim: m.dim }] : []));
}
