/**
 * Seeded synthetic embeddings for tests and benchmarks: L2-normalised vectors grouped around
 * random cluster centres, which is closer to real song embeddings (genres, scenes) than
 * uniform noise and harder for HNSW.
 */
import { gaussian as normal, mulberry32 } from '@debut/common';

export { mulberry32 };

/** A normal-deviate stream over `rand`. */
export function gaussian(rand: () => number): () => number {
  return () => normal(rand);
}

export function normalizeRows(rows: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < rows.length; o += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += rows[o + j] * rows[o + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) rows[o + j] *= inv;
  }
  return rows;
}

export interface ClusteredOptions {
  /** Number of cluster centres (default max(8, round(sqrt(n)/4))). */
  clusters?: number;
  /** Noise norm relative to the unit centre (default 0.8: cosine to the centre ≈ 0.75). */
  spread?: number;
}

/** n × dim row-major L2-normalised vectors around seeded cluster centres. */
export function clusteredUnitVectors(
  n: number,
  dim: number,
  seed: number,
  options: ClusteredOptions = {},
): Float32Array {
  const rand = mulberry32(seed);
  const gauss = gaussian(rand);
  const clusters = Math.max(1, options.clusters ?? Math.max(8, Math.round(Math.sqrt(n) / 4)));
  const spread = options.spread ?? 0.8;
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = gauss();
  normalizeRows(centres, dim);
  const out = new Float32Array(n * dim);
  const noise = spread / Math.sqrt(dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * clusters) * dim;
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c + j] + noise * gauss();
  }
  return normalizeRows(out, dim);
}
