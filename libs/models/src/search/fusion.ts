/**
 * Hybrid scoring: a weighted sum of min–max normalised lexical and dense scores per query,
 * s = w·norm(lexical) + (1 − w)·norm(dense), norm(x) = (x − min) / (max − min) over the
 * candidates (0 when all are equal). w = 1 is the lexical path, w = 0 the dense one; the
 * weight is chosen on validation queries.
 */
export function minMaxNormalise(x: Float32Array, out = new Float32Array(x.length)): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  const span = hi - lo;
  for (let i = 0; i < x.length; i++) out[i] = span > 0 ? (x[i] - lo) / span : 0;
  return out;
}

export function fuseScores(
  lexical: Float32Array,
  dense: Float32Array,
  lexicalWeight: number,
  out = new Float32Array(lexical.length),
): Float32Array {
  const l = minMaxNormalise(lexical);
  const d = minMaxNormalise(dense);
  for (let i = 0; i < out.length; i++) out[i] = lexicalWeight * l[i] + (1 - lexicalWeight) * d[i];
  return out;
}

/**
 * Weighted reciprocal-rank fusion: s = w / (k + rank_lexical) + (1 − w) / (k + rank_dense),
 * ranks 1-based; a document the lexical path does not match (score ≤ 0) gets no lexical term.
 */
export function reciprocalRankFusion(
  lexical: Float32Array,
  dense: Float32Array,
  lexicalWeight: number,
  k = 60,
): Float32Array {
  const out = new Float32Array(lexical.length);
  const addRanks = (scores: Float32Array, weight: number, matchedOnly: boolean) => {
    if (weight === 0) return;
    const order = Array.from({ length: scores.length }, (_, i) => i).filter(
      (i) => !matchedOnly || scores[i] > 0,
    );
    order.sort((a, b) => scores[b] - scores[a] || a - b);
    order.forEach((d, r) => (out[d] += weight / (k + r + 1)));
  };
  addRanks(lexical, lexicalWeight, true);
  addRanks(dense, 1 - lexicalWeight, false);
  return out;
}

export type FusionMode = 'score-sum' | 'rrf';

export function fuse(
  mode: FusionMode,
  lexical: Float32Array,
  dense: Float32Array,
  lexicalWeight: number,
): Float32Array {
  return mode === 'rrf'
    ? reciprocalRankFusion(lexical, dense, lexicalWeight)
    : fuseScores(lexical, dense, lexicalWeight);
}
