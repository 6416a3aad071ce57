/**
 * I2IEncoder: the trained encoder f as the service and the bench use it — song contents in,
 * L2-normalised N × dim vectors out (row-major Float32Array).
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
  ) {}

  get dim(): number {
    return this.tower.outputDim;
  }

  /** Featurizes and embeds contents → N × dim. */
  embed(contents: SongContent[]): Float32Array {
    return this.embedInputs(this.featurizer.encodeBatch(contents), contents.length);
  }

  /** Embeds already-featurized rows (N × featurizer.inputDim). */
  embedInputs(inputs: Float32Array, n: number): Float32Array {
    const D = this.featurizer.inputDim;
    const out = new Float32Array(n * this.dim);
    for (let start = 0; start < n; start += this.chunkSize) {
      const rows = Math.min(this.chunkSize, n - start);
      const v = tf.tidy(() => this.tower.apply(tf.tensor2d(inputs.subarray(start * D, (start + rows) * D), [rows, D])));
      out.set(v.dataSync() as Float32Array, start * this.dim);
      v.dispose();
    }
    return out;
  }

  dispose(): void {
    this.tower.variables().forEach((v) => v.dispose());
  }
}

/** Embeds rows with any tower (used during training for validation without building an encoder). */
export function embedWithTower(tower: ItemTower, inputs: Float32Array, n: number, inputDim: number): Float32Array {
  const dim = tower.outputDim;
  const out = new Float32Array(n * dim);
  const chunk = 2048;
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const v = tf.tidy(() => tower.apply(tf.tensor2d(inputs.subarray(start * inputDim, (start + rows) * inputDim), [rows, inputDim])));
    out.set(v.dataSync() as Float32Array, start * dim);
    v.dispose();
  }
  return out;
}
