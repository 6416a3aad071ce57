/**
 * The flat item inputs as sparse rows, for the native backend's field embedding.
 *
 * The featurised inputs are mostly multi-hot (Last.fm: 2109 tag columns, 0.3% non-zero), and a
 * field embedding x_f·W_f + b_f of such rows is a weighted sum of a few rows of W_f. On the
 * wasm backend the towers compute it as a dense matmul (tf.gather has no gradient there); on
 * the native backend, where gather and its gradient (UnsortedSegmentSum) exist, the trainer
 * sends only the batch's non-zeros to the device and `FieldEmbedding.applySparse` gathers the
 * kernel rows: the same function, without copying and multiplying the batch's dense
 * 3·B × inputDim block (13 MB per Last.fm step) on every step.
 */
import type { FieldSpec } from '@debut/features';
import { tf } from './tf';

/** A batch of input rows as device COO: value k adds vals[k] · kernelRow cols[k] to segment segments[k]. */
export interface SparseFieldBatch {
  rows: number;
  /** Row of the concatenated field kernels (fields in order) of each non-zero (int32, nnz). */
  cols: tf.Tensor1D;
  /** Its value (nnz × 1). */
  vals: tf.Tensor2D;
  /** row · numFields + field of each non-zero (int32, nnz). */
  segments: tf.Tensor1D;
}

export function disposeSparseBatch(b: SparseFieldBatch): void {
  b.cols.dispose();
  b.vals.dispose();
  b.segments.dispose();
}

/** CSR of an N × dim row-major input, built once; `batch` makes a SparseFieldBatch of chosen rows. */
export class SparseInputs {
  readonly rows: number;
  readonly nnz: number;
  readonly numFields: number;
  private readonly rowStart: Int32Array;
  /** Per non-zero: kernel row (concatenated fields) and field index. */
  private readonly kernelRow: Int32Array;
  private readonly field: Int32Array;
  private readonly value: Float32Array;

  constructor(inputs: Float32Array, dim: number, fields: FieldSpec[]) {
    this.rows = inputs.length / dim;
    this.numFields = fields.length;
    // Column → (field, row of the concatenated kernels); columns outside every field are ignored,
    // exactly as the per-field slices of the dense path ignore them.
    const colField = new Int32Array(dim).fill(-1);
    const colKernelRow = new Int32Array(dim);
    let base = 0;
    fields.forEach((f, i) => {
      for (let c = 0; c < f.width; c++) {
        colField[f.offset + c] = i;
        colKernelRow[f.offset + c] = base + c;
      }
      base += f.width;
    });
    let nnz = 0;
    for (let i = 0; i < inputs.length; i++) if (inputs[i] !== 0 && colField[i % dim] >= 0) nnz++;
    this.nnz = nnz;
    this.rowStart = new Int32Array(this.rows + 1);
    this.kernelRow = new Int32Array(nnz);
    this.field = new Int32Array(nnz);
    this.value = new Float32Array(nnz);
    let p = 0;
    for (let r = 0; r < this.rows; r++) {
      this.rowStart[r] = p;
      const o = r * dim;
      for (let c = 0; c < dim; c++) {
        const v = inputs[o + c];
        if (v === 0 || colField[c] < 0) continue;
        this.kernelRow[p] = colKernelRow[c];
        this.field[p] = colField[c];
        this.value[p] = v;
        p++;
      }
    }
    this.rowStart[this.rows] = p;
  }

  /** The given rows, in order (several index lists are concatenated), as device tensors. */
  batch(...rowLists: ArrayLike<number>[]): SparseFieldBatch {
    let n = 0;
    let nnz = 0;
    for (const list of rowLists) {
      n += list.length;
      for (let i = 0; i < list.length; i++) nnz += this.rowStart[list[i] + 1] - this.rowStart[list[i]];
    }
    const cols = new Int32Array(nnz);
    const vals = new Float32Array(nnz);
    const segments = new Int32Array(nnz);
    const F = this.numFields;
    let out = 0;
    let row = 0;
    for (const list of rowLists) {
      for (let i = 0; i < list.length; i++, row++) {
        const r = list[i];
        for (let p = this.rowStart[r]; p < this.rowStart[r + 1]; p++, out++) {
          cols[out] = this.kernelRow[p];
          vals[out] = this.value[p];
          segments[out] = row * F + this.field[p];
        }
      }
    }
    return {
      rows: n,
      cols: tf.tensor1d(cols, 'int32'),
      vals: tf.tensor2d(vals, [nnz, 1]),
      segments: tf.tensor1d(segments, 'int32'),
    };
  }
}
