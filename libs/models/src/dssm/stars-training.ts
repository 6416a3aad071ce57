/**
 * STARS options of DSSM training (issue 16), all OFF by default (trainer.ts then runs exactly
 * as before):
 *  - `itemDelta`: a learnable per-song vector Δ_j (zeros at start) added to the item tower's
 *    content vector of each TRAINING song, v_j = l2(tower(x_j) + Δ_j). Warm songs adapt to
 *    behaviour (their stored vectors, hence the histories users are pooled from, carry Δ); a new
 *    song has no Δ and starts from its content alone (cold scoring never sees Δ).
 *  - `softmaxWeight` > 0: a candidate-slice softmax over [the positive, the M shared negatives]
 *    added to the boundary BCE, loss += w · mean(logsumexp(ℓ) − ℓ_pos); with `logQ` every logit
 *    is corrected by −log Q(j), Q = the negative sampler's probability of song j (share
 *    `popularNegatives` ∝ listeners^negativePower, the rest uniform), so popular songs are not
 *    punished for being sampled often. The BCE still calibrates the boundary u·b.
 *  - `contextBuckets` > 0: a learned offset o_c per calendar bucket (month of the play) added to
 *    the user vector before the gate, u' = u + o_c; positives use their own play's bucket,
 *    negatives the positive's. Plays without a bucket (−1, e.g. Last.fm) get no offset.
 * Δ is looked up with tf.gather (its gradient needs the native backend); the bucket offsets with
 * a one-hot matmul (any backend).
 */
import { tf } from '../tf';
import { l2Normalize } from '../towers';

export interface StarsTrainOptions {
  itemDelta: boolean;
  softmaxWeight: number;
  logQ: boolean;
  contextBuckets: number;
}

export const STARS_TRAIN_DEFAULTS: StarsTrainOptions = {
  itemDelta: false,
  softmaxWeight: 0,
  logQ: true,
  contextBuckets: 0,
};

/** What training learned besides the towers (row-major Float32Arrays). */
export interface StarsLearned {
  /** numItems × d per-song deltas (itemDelta). */
  itemDelta?: Float32Array;
  /** contextBuckets × d user offsets. */
  contextOffsets?: Float32Array;
}

export function starsEnabled(o: StarsTrainOptions): boolean {
  return o.itemDelta || o.softmaxWeight > 0 || o.contextBuckets > 0;
}

/** Adds per-row deltas to N × d unit vectors and renormalises (in place). */
export function addItemDelta(vecs: Float32Array, delta: Float32Array, d: number): Float32Array {
  for (let r = 0; r < vecs.length / d; r++) {
    let n = 0;
    for (let c = r * d; c < (r + 1) * d; c++) {
      vecs[c] += delta[c];
      n += vecs[c] * vecs[c];
    }
    n = Math.sqrt(n) || 1;
    for (let c = r * d; c < (r + 1) * d; c++) vecs[c] /= n;
  }
  return vecs;
}

/** u + o_bucket per row (bucket −1: no offset). */
export function addContextOffset(
  users: Float32Array,
  offsets: Float32Array,
  d: number,
  bucket: (row: number) => number,
): Float32Array {
  const out = Float32Array.from(users);
  for (let r = 0; r < users.length / d; r++) {
    const b = bucket(r);
    if (b < 0) continue;
    for (let c = 0; c < d; c++) out[r * d + c] += offsets[b * d + c];
  }
  return out;
}

export class StarsTraining {
  readonly delta?: tf.Variable;
  readonly offsets?: tf.Variable;
  private readonly logQTable?: Float32Array;
  private rowsT?: tf.Tensor1D;
  private logQT?: tf.Tensor2D;
  private onehotT?: tf.Tensor2D;

  constructor(
    readonly o: StarsTrainOptions,
    private readonly numItems: number,
    private readonly d: number,
    /** Cumulative ∝ listeners^power table and its share, for Q(j). */
    sampler: { popCum: Float64Array; popularShare: number },
  ) {
    if (o.itemDelta) this.delta = tf.variable(tf.zeros([numItems, d]), true, 'stars/item-delta');
    if (o.contextBuckets > 0)
      this.offsets = tf.variable(tf.zeros([o.contextBuckets, d]), true, 'stars/context-offsets');
    if (o.softmaxWeight > 0 && o.logQ) {
      const total = sampler.popCum[numItems - 1] || 1;
      this.logQTable = Float32Array.from({ length: numItems }, (_, j) => {
        const p = (sampler.popCum[j] - (j > 0 ? sampler.popCum[j - 1] : 0)) / total;
        return Math.log(sampler.popularShare * p + (1 - sampler.popularShare) / numItems);
      });
    }
  }

  variables(): tf.Variable[] {
    return [this.delta, this.offsets].filter((v): v is tf.Variable => v !== undefined);
  }

  /** Per-step inputs: the step's song rows (B + M) and each positive's bucket (B). */
  prepare(rows: Int32Array, B: number, buckets: (r: number) => number): void {
    this.release();
    if (this.delta) this.rowsT = tf.tensor1d(rows, 'int32');
    if (this.logQTable) {
      // B × (1 + M): row r = [log Q(positive r), log Q(negative 1..M)].
      const M = rows.length - B;
      const q = new Float32Array(B * (1 + M));
      for (let r = 0; r < B; r++) {
        q[r * (1 + M)] = this.logQTable[rows[r]];
        for (let k = 0; k < M; k++) q[r * (1 + M) + 1 + k] = this.logQTable[rows[B + k]];
      }
      this.logQT = tf.tensor2d(q, [B, 1 + M]);
    }
    if (this.offsets) {
      const C = this.o.contextBuckets;
      const oh = new Float32Array(B * C);
      for (let r = 0; r < B; r++) {
        const b = buckets(r);
        if (b >= 0 && b < C) oh[r * C + b] = 1;
      }
      this.onehotT = tf.tensor2d(oh, [B, C]);
    }
  }

  /** v (B + M) × d → with Δ of each row's song, renormalised. */
  items(v: tf.Tensor2D): tf.Tensor2D {
    return this.delta ? l2Normalize(tf.add(v, tf.gather(this.delta, this.rowsT!))) : v;
  }

  /** u (B × d) → u + o_bucket. */
  user(u: tf.Tensor2D): tf.Tensor2D {
    return this.offsets ? tf.add(u, tf.matMul(this.onehotT!, this.offsets)) : u;
  }

  /** Weighted candidate-slice softmax loss (0 when off). x: B × 1 positive and B × M negative u·v. */
  softmaxLoss(pos: tf.Tensor2D, neg: tf.Tensor2D, B: number): tf.Scalar | undefined {
    if (this.o.softmaxWeight <= 0) return undefined;
    const raw = tf.concat<tf.Tensor2D>([pos, neg], 1);
    const logits: tf.Tensor2D = this.logQT ? tf.sub(raw, this.logQT) : raw;
    const [lp] = tf.split<tf.Tensor2D>(logits, [1, neg.shape[1]], 1);
    const loss = tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.reshape(lp, [B])));
    return tf.mul<tf.Scalar>(loss, this.o.softmaxWeight);
  }

  /** Item-tower cache → with Δ (history pooling sees adapted warm vectors). */
  adaptCache(cache: Float32Array): Float32Array {
    return this.delta ? addItemDelta(cache, this.delta.dataSync() as Float32Array, this.d) : cache;
  }

  learned(): StarsLearned {
    return {
      itemDelta: this.delta ? Float32Array.from(this.delta.dataSync()) : undefined,
      contextOffsets: this.offsets ? Float32Array.from(this.offsets.dataSync()) : undefined,
    };
  }

  release(): void {
    this.rowsT?.dispose();
    this.logQT?.dispose();
    this.onehotT?.dispose();
    this.rowsT = this.logQT = this.onehotT = undefined;
  }

  dispose(): void {
    this.release();
    this.variables().forEach((v) => v.dispose());
  }
}
