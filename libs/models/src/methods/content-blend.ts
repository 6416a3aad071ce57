/**
 * Chooses the I2I encoder's content weight α on the cold VALIDATION items: neighbours of each
 * validation song by α²·cos(content) + (1 − α)²·cos(tower), for every α of a grid, scored by the
 * caller (audience Recall@100 through the same selector as every row). α = 1 is content-KNN, so
 * the chosen blend is never worse than content-KNN on validation.
 *
 * On the native backend the tower cosines, the blends and their top-k run on the device (one
 * matMul, then one fused blend + topk per α); elsewhere in JS, as the wasm numbers were recorded.
 */
import type { Neighbour } from '@debut/audience';
import { normaliseRows } from '@debut/evaluation';
import { isNativeBackend } from '../native-ops';
import { SparseRows, sparseRows } from '../ridge';
import { tf } from '../tf';

export const CONTENT_WEIGHTS = [0, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** Content cosine of every (query, base) pair through the base's column postings. */
function contentCosines(query: SparseRows, base: SparseRows): Float32Array {
  const postings: Array<Array<[number, number]>> = Array.from({ length: base.cols }, () => []);
  for (let r = 0; r < base.rows; r++) {
    for (let p = base.rowStart[r]; p < base.rowStart[r + 1]; p++)
      postings[base.col[p]].push([r, base.val[p]]);
  }
  const out = new Float32Array(query.rows * base.rows);
  for (let q = 0; q < query.rows; q++) {
    const o = q * base.rows;
    for (let p = query.rowStart[q]; p < query.rowStart[q + 1]; p++) {
      const v = query.val[p];
      for (const [r, w] of postings[query.col[p]]) out[o + r] += v * w;
    }
  }
  return out;
}

/** The k best of one row (bounded insertion: k is small, the row is long). */
function topK(
  scores: Float32Array,
  offset: number,
  n: number,
  k: number,
  ids: readonly string[],
): Neighbour[] {
  const idx = new Int32Array(k);
  const val = new Float32Array(k).fill(-Infinity);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const v = scores[offset + i];
    if (size === k && v <= val[k - 1]) continue;
    let p = size < k ? size++ : k - 1;
    while (p > 0 && val[p - 1] < v) {
      val[p] = val[p - 1];
      idx[p] = idx[p - 1];
      p--;
    }
    val[p] = v;
    idx[p] = i;
  }
  return Array.from(idx.subarray(0, size), (i, t) => ({ songId: ids[i], similarity: val[t] }));
}

export class ContentBlendSearch {
  private readonly cos: Float32Array;
  private readonly nq: number;
  private readonly nw: number;

  constructor(
    private readonly warmIds: readonly string[],
    warmInputs: Float32Array,
    valInputs: Float32Array,
    inputDim: number,
    private readonly validate: (neighbours: Neighbour[][]) => Promise<number>,
    private readonly k = 50,
  ) {
    this.nw = warmIds.length;
    this.nq = valInputs.length / inputDim;
    this.cos = contentCosines(
      sparseRows(normaliseRows(Float32Array.from(valInputs), inputDim), inputDim),
      sparseRows(normaliseRows(Float32Array.from(warmInputs), inputDim), inputDim),
    );
  }

  /** The best α of the grid for these (unit) tower vectors, and its validation score. */
  async best(
    towerWarm: Float32Array,
    towerVal: Float32Array,
    dim: number,
    alphas = CONTENT_WEIGHTS,
  ): Promise<{ alpha: number; score: number; grid: number[] }> {
    const neighboursAt = isNativeBackend()
      ? this.onDevice(towerWarm, towerVal, dim)
      : this.inJs(towerWarm, towerVal, dim);
    let best = { alpha: alphas[0], score: -Infinity };
    const grid: number[] = [];
    for (const alpha of alphas) {
      const score = await this.validate(neighboursAt(alpha));
      grid.push(score);
      if (score > best.score) best = { alpha, score };
    }
    neighboursAt.done?.();
    return { ...best, grid };
  }

  /** Frees the device copy of the content cosines (native backend). */
  dispose(): void {
    this.cosOnDevice?.dispose();
    this.cosOnDevice = null;
  }

  private cosOnDevice: tf.Tensor2D | null = null;

  /** Blend weights of α: (α²·cos(content) + (1 − α)²·cos(tower)) / (α² + (1 − α)²). */
  private static weights(alpha: number): [number, number] {
    const a = alpha * alpha;
    const b = (1 - alpha) * (1 - alpha);
    return [a / (a + b), b / (a + b)];
  }

  private inJs(towerWarm: Float32Array, towerVal: Float32Array, dim: number): NeighboursAt {
    const { nq, nw } = this;
    const tower = new Float32Array(nq * nw);
    for (let q = 0; q < nq; q++) {
      for (let w = 0; w < nw; w++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += towerVal[q * dim + j] * towerWarm[w * dim + j];
        tower[q * nw + w] = s;
      }
    }
    const mixed = new Float32Array(nq * nw);
    return (alpha) => {
      const a = alpha * alpha;
      const b = (1 - alpha) * (1 - alpha);
      const scale = 1 / (a + b);
      for (let i = 0; i < mixed.length; i++) mixed[i] = (a * this.cos[i] + b * tower[i]) * scale;
      return Array.from({ length: nq }, (_, q) => topK(mixed, q * nw, nw, this.k, this.warmIds));
    };
  }

  private onDevice(towerWarm: Float32Array, towerVal: Float32Array, dim: number): NeighboursAt {
    const { nq, nw } = this;
    const k = Math.min(this.k, nw);
    this.cosOnDevice ??= tf.tensor2d(this.cos, [nq, nw]);
    const cos = this.cosOnDevice;
    const tower = tf.tidy(() =>
      tf.matMul(tf.tensor2d(towerVal, [nq, dim]), tf.tensor2d(towerWarm, [nw, dim]), false, true),
    );
    const at: NeighboursAt = (alpha) => {
      const [wc, wt] = ContentBlendSearch.weights(alpha);
      const { values, indices } = tf.tidy(() => tf.topk(tf.add(tf.mul(cos, wc), tf.mul(tower, wt)), k));
      const v = values.dataSync();
      const ix = indices.dataSync();
      values.dispose();
      indices.dispose();
      return Array.from({ length: nq }, (_, q) =>
        Array.from({ length: k }, (_, t) => ({
          songId: this.warmIds[ix[q * k + t]],
          similarity: v[q * k + t],
        })),
      );
    };
    at.done = () => tower.dispose();
    return at;
  }
}

/** The k neighbours of every validation song for a blend weight α. */
type NeighboursAt = ((alpha: number) => Neighbour[][]) & { done?: () => void };
