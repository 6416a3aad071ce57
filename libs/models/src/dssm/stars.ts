/**
 * STARS-style dual memory for DSSM users (issue 16): two user vectors from the SAME towers,
 *  - h_gen: the long-term memory, today's mean over the user's top-`historyLength` songs
 *    (strongest first) — exactly the `dssm-boundary` user;
 *  - h_next: the next-intent memory, a recency-weighted mean over the `recentLength` most
 *    recent songs (weight 2^(−rank / halfLife), rank 0 = most recent), through the same user and
 *    boundary towers.
 * Why pooling and not attention: the towers were trained on mean-pooled histories, so a weighted
 * mean stays in the input distribution the user tower knows, needs no retraining and serves from
 * stored item vectors with a few JS additions (as embedUsersFromItemVectors does).
 * The gate uses the mix u = (1 − λ)·u_gen + λ·u_next, b = (1 − λ)·b_gen + λ·b_next (threshold
 * u·b, its offset τ recalibrated on cold validation); cold recommendation interleaves the two
 * ranked lists round-robin (libs/evaluation `roundRobin`).
 */
import { DssmModel, UserVectors } from './model';

export interface DualMemoryConfig {
  /** Most recent songs pooled into h_next. */
  recentLength: number;
  /** Ranks after which a song's weight in h_next halves. */
  halfLife: number;
  /** λ: weight of the next-intent vectors in the gate's mix. */
  mix: number;
}

/** Weights 2^(−rank / halfLife) for ranks 0..k−1 (rank 0 = most recent). */
export function recencyWeights(k: number, halfLife: number): Float32Array {
  return Float32Array.from({ length: k }, (_, r) => Math.pow(2, -r / Math.max(1e-6, halfLife)));
}

/**
 * h_next user and boundary vectors from per-user histories MOST RECENT FIRST (indices into
 * `itemVecs`, N × d), pooled with recency weights.
 */
export function nextIntentVectors(
  model: DssmModel,
  itemVecs: Float32Array,
  recentFirst: Int32Array[],
  cfg: Pick<DualMemoryConfig, 'recentLength' | 'halfLife'>,
): UserVectors {
  const d = model.dim;
  const histories = recentFirst.map((h) => {
    const k = Math.min(cfg.recentLength, h.length);
    const out = new Float32Array(k * d);
    for (let t = 0; t < k; t++) out.set(itemVecs.subarray(h[t] * d, (h[t] + 1) * d), t * d);
    return out;
  });
  const weights = recentFirst.map((h) => recencyWeights(Math.min(cfg.recentLength, h.length), cfg.halfLife));
  return model.embedUsersFromItemVectors(histories, undefined, weights);
}

/** The gate's mix of the two memories: (1 − λ)·gen + λ·next for u and b; thresholds u·b. */
export function mixUserVectors(gen: UserVectors, next: UserVectors, mix: number): UserVectors {
  const n = gen.hasHistory.length;
  const d = gen.users.length / Math.max(1, n);
  const users = new Float32Array(gen.users.length);
  const boundaries = new Float32Array(gen.boundaries.length);
  const thresholds = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    if (!gen.hasHistory[r]) continue;
    let s = 0;
    for (let c = r * d; c < (r + 1) * d; c++) {
      users[c] = (1 - mix) * gen.users[c] + mix * next.users[c];
      boundaries[c] = (1 - mix) * gen.boundaries[c] + mix * next.boundaries[c];
      s += users[c] * boundaries[c];
    }
    thresholds[r] = s;
  }
  return { users, boundaries, thresholds, hasHistory: gen.hasHistory };
}
