/**
 * I2IEncoder: the trained encoder f as the service and the bench use it — song contents in,
 * L2-normalised N × dim vectors out (row-major Float32Array).
 *
 * With a content weight α > 0 the song vector is [α·x̂, (1 − α)·f(x)] / norm, x̂ the
 * L2-normalised content input: a residual path from the content, so the space starts from
 * content-KNN's (α = 1 is exactly content-KNN) and the learned part only adds what the content's
 * own cosine misses. α is chosen on cold validation while training.
 */
import { Featurizer, SongContent } from '@debut/features';
import { tf } from './tf';
import { ItemTower } from './towers';

export class I2IEncoder {
  constructor(
    readonly featurizer: Featurizer,
    readonly tower: ItemTower,
    /** Rows per forward pass (bounds memory). */
    readonly chunkSize = 2048,
    /** α of the content path; 0 = the tower alone. */
    readonly contentWeight = 0,
  ) {
    if (!(contentWeight >= 0 && contentWeight <= 1))
      throw new Error(`contentWeight must be in [0, 1], got ${contentWeight}`);
  }

  get dim(): number {
    return this.tower.outputDim + (this.contentWeight > 0 ? this.featurizer.inputDim : 0);
  }

  /** Featurizes and embeds contents → N × dim. */
  embed(contents: SongContent[]): Float32Array {
    return this.embedInputs(this.featurizer.encodeBatch(contents), contents.length);
  }

  /** Embeds already-featurized rows (N × featurizer.inputDim). */
  embedInputs(inputs: Float32Array, n: number): Float32Array {
    const D = this.featurizer.inputDim;
    const towerOut = embedWithTower(this.tower, inputs, n, D, this.chunkSize);
    const alpha = this.contentWeight;
    if (alpha === 0) return towerOut;
    return blendWithContent(inputs, towerOut, n, D, this.tower.outputDim, alpha);
  }

  dispose(): void {
    this.tower.variables().forEach((v) => v.dispose());
  }
}

/** Embeds rows with any tower (used during training for validation without building an encoder). */
export function embedWithTower(
  tower: ItemTower,
  inputs: Float32Array,
  n: number,
  inputDim: number,
  chunk = 2048,
): Float32Array {
  const dim = tower.outputDim;
  const out = new Float32Array(n * dim);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const v = tf.tidy(() =>
      tower.apply(
        tf.tensor2d(inputs.subarray(start * inputDim, (start + rows) * inputDim), [rows, inputDim]),
      ),
    );
    out.set(v.dataSync(), start * dim);
    v.dispose();
  }
  return out;
}

/**
 * Rows [α·x̂, (1 − α)·f] / √(α² + (1 − α)²): x̂ the unit content input, f the unit tower output,
 * so every row is unit length and an inner product is α²·cos(x) + (1 − α)²·cos(f), rescaled.
 */
export function blendWithContent(
  inputs: Float32Array,
  towerOut: Float32Array,
  n: number,
  inputDim: number,
  towerDim: number,
  alpha: number,
): Float32Array {
  const dim = inputDim + towerDim;
  const out = new Float32Array(n * dim);
  const scale = 1 / Math.sqrt(alpha * alpha + (1 - alpha) * (1 - alpha));
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < inputDim; j++) s += inputs[r * inputDim + j] ** 2;
    const cx = s > 0 ? (alpha * scale) / Math.sqrt(s) : 0;
    for (let j = 0; j < inputDim; j++) out[r * dim + j] = inputs[r * inputDim + j] * cx;
    const cf = (1 - alpha) * scale;
    for (let j = 0; j < towerDim; j++) out[r * dim + inputDim + j] = towerOut[r * towerDim + j] * cf;
  }
  return out;
}
