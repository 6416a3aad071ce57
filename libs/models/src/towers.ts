/**
 * Composable tower pieces (TF Recommenders style) on raw tf ops + tf.variable, so they run on
 * the wasm backend without its training traps (DESIGN.md §5): no tf.gather (categorical fields
 * are one-hot / multi-hot slices of the flat input, embedded by a matmul), plain matMul only.
 *
 * Every module exposes `variables()` (for the optimizer) and `weights()` (named, for artifacts).
 */
import type { FieldSpec } from '@debut/features';
import { isNativeBackend, nativeRandomNormal, nativeRelu } from './native-ops';
import type { SparseFieldBatch } from './sparse-inputs';
import { tf } from './tf';

export type Activation = 'relu' | 'tanh' | 'linear';

/** Named weights of a model, in a stable order (artifact save/load). */
export type NamedVariables = Array<{ name: string; variable: tf.Variable }>;

export interface Module {
  variables(): tf.Variable[];
  weights(): NamedVariables;
}

let variableCounter = 0;
function uniqueName(base: string): string {
  return `${base}_${++variableCounter}`;
}

/** Glorot-uniform seeded weight matrix. */
export function glorot(rows: number, cols: number, seed: number, name: string): tf.Variable {
  const limit = Math.sqrt(6 / (rows + cols));
  return tf.tidy(() =>
    tf.variable(tf.randomUniform([rows, cols], -limit, limit, 'float32', seed), true, uniqueName(name)),
  );
}

export function zerosVar(n: number, name: string): tf.Variable {
  // In tidy, like glorot: the initial zeros tensor would otherwise outlive the model's dispose().
  return tf.tidy(() => tf.variable(tf.zeros([n]), true, uniqueName(name)));
}

/** Row-wise L2 normalisation (safe for zero rows). */
export function l2Normalize(x: tf.Tensor2D, eps = 1e-8): tf.Tensor2D {
  if (isNativeBackend()) return l2NormalizeFused(x, eps);
  return tf.tidy<tf.Tensor2D>(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), eps))));
}

/**
 * The same y = x / √(Σx² + ε) with its gradient written out, dx = (dy − y·Σ(dy·y)) / n: five
 * kernels instead of tfjs's chain rule through div, sqrt, add, sum and square (~15 kernels, and
 * Sum's gradient fills a ones tensor in JS). Native backend only (wasm keeps its recorded numbers).
 */
function l2NormalizeFused(x: tf.Tensor2D, eps: number): tf.Tensor2D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(input), 1, true), eps));
    const y = tf.div(input, norm);
    save([y, norm]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [yS, normS]: tf.Tensor[]) =>
        tf.div(tf.sub(dy, tf.mul(yS, tf.sum(tf.mul(dy, yS), 1, true))), normS),
    };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * Σ over each segment of vals[k] · W[cols[k]] (the sparse field embedding), with its gradient
 * written out: dW = UnsortedSegmentSum(vals · dy[segments], cols). tfjs's chain rule through
 * gather and UnsortedSegmentSum costs ~10 kernels over nnz × d values plus a JS-filled mask (its
 * gradient allows negative segment ids, which a SparseFieldBatch never has).
 */
function sparseRowSums(W: tf.Tensor2D, b: SparseFieldBatch, numSegments: number): tf.Tensor2D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [kernel] = args as [tf.Tensor2D];
    return {
      value: tf.unsortedSegmentSum(tf.mul(tf.gather(kernel, b.cols), b.vals), b.segments, numSegments),
      gradFunc: (dy: tf.Tensor) =>
        tf.unsortedSegmentSum(tf.mul(tf.gather(dy, b.segments), b.vals), b.cols, kernel.shape[0]),
    };
  });
  return f(W) as tf.Tensor2D;
}

export interface FieldEmbeddingConfig {
  fields: FieldSpec[];
  /** Output dimension per field. */
  dim: number;
  seed: number;
}

/**
 * Per-field linear embedding: field f's input slice x[:, off_f : off_f + w_f] × W_f (w_f × d)
 * + b_f → d-dim vector. Implemented as one matmul per field on the field's slice (F× fewer
 * FLOPs than a dense block-masked matrix over the full input; for Last.fm's 2108-dim tag input
 * with 8 fields that is the difference between ~20 ms and ~150 ms per training step on wasm).
 * The input itself is a constant, so the slices need no gradient.
 */
export class FieldEmbedding implements Module {
  readonly fields: FieldSpec[];
  readonly dim: number;
  readonly kernels: tf.Variable[];
  readonly biases: tf.Variable[];

  constructor(cfg: FieldEmbeddingConfig) {
    this.fields = cfg.fields;
    this.dim = cfg.dim;
    this.kernels = cfg.fields.map((f, i) =>
      glorot(f.width, cfg.dim, cfg.seed + 101 * (i + 1), `field_${f.name}_W`),
    );
    this.biases = cfg.fields.map((f) => zerosVar(cfg.dim, `field_${f.name}_b`));
  }

  get numFields(): number {
    return this.fields.length;
  }

  get outputDim(): number {
    return this.fields.length * this.dim;
  }

  /** Splits the flat N × inputDim input into per-field slices (constants; no gradient). */
  split(x: tf.Tensor2D): tf.Tensor2D[] {
    const widths = this.fields.map((f) => f.width);
    return tf.split<tf.Tensor2D>(x, widths, 1);
  }

  /** Per-field embeddings, each N × dim. Accepts the flat input or already split slices. */
  apply(x: tf.Tensor2D | tf.Tensor2D[]): tf.Tensor2D[] {
    const slices = Array.isArray(x) ? x : this.split(x);
    return slices.map((s, i) => tf.add<tf.Tensor2D>(tf.matMul(s, this.kernels[i]), this.biases[i]));
  }

  /**
   * The concatenated field embeddings (N × F·d, as `combineFields(apply(x))`) of a sparse batch:
   * each non-zero gathers its kernel row, UnsortedSegmentSum adds them per (row, field), with the
   * gradient written out (sparseRowSums). Gather and UnsortedSegmentSum kernels are needed, so the
   * native backend only (see sparse-inputs.ts).
   */
  applySparse(b: SparseFieldBatch): tf.Tensor2D {
    return tf.tidy(() => {
      const F = this.fields.length;
      const W = F === 1 ? this.kernels[0] : tf.concat(this.kernels, 0);
      const sums = sparseRowSums(W as tf.Tensor2D, b, b.rows * F);
      const bias = F === 1 ? this.biases[0] : tf.concat(this.biases, 0);
      return tf.add<tf.Tensor2D>(tf.reshape(sums, [b.rows, F * this.dim]), bias);
    });
  }

  variables(): tf.Variable[] {
    return [...this.kernels, ...this.biases];
  }

  weights(): NamedVariables {
    return this.fields.flatMap((f, i) => [
      { name: `field/${f.name}/kernel`, variable: this.kernels[i] },
      { name: `field/${f.name}/bias`, variable: this.biases[i] },
    ]);
  }
}

/**
 * View transformation on the concatenated field embeddings h (N × F·d, fields in order, d each):
 * `mask` (N × F; 0 drops field f of example n, 1 keeps it) and multiplicative Gaussian noise
 * h·(1 + noiseScale·ε) per dimension (scale-free, so it does not depend on the magnitude the
 * field embeddings happen to have).
 */
export function transformFields(
  h: tf.Tensor2D,
  numFields: number,
  mask?: tf.Tensor2D,
  noiseScale = 0,
  noiseSeed?: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, width] = h.shape;
    let out = h;
    if (mask) {
      const d = width / numFields;
      const m = tf.reshape(tf.tile(tf.reshape(mask, [n, numFields, 1]), [1, 1, d]), [n, width]);
      out = tf.mul<tf.Tensor2D>(out, m);
    }
    if (noiseScale > 0) {
      // tf.randomNormal draws in JS; the native backend draws on the device (native-ops.ts).
      const noise = isNativeBackend()
        ? nativeRandomNormal<tf.Rank.R2>(
            [n, width],
            noiseScale,
            noiseSeed ?? Math.floor(Math.random() * 2 ** 31),
          )
        : tf.randomNormal([n, width], 0, noiseScale, 'float32', noiseSeed);
      out = tf.mul<tf.Tensor2D>(out, tf.add(1, noise));
    }
    return out;
  });
}

/** Concatenates per-field embeddings (N × d each) into N × (F·d), optionally transformed. */
export function combineFields(
  fieldEmbeddings: tf.Tensor2D[],
  mask?: tf.Tensor2D,
  noiseScale = 0,
  noiseSeed?: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const h = fieldEmbeddings.length === 1 ? fieldEmbeddings[0] : tf.concat<tf.Tensor2D>(fieldEmbeddings, 1);
    return mask || noiseScale > 0
      ? transformFields(h, fieldEmbeddings.length, mask, noiseScale, noiseSeed)
      : h;
  });
}

/** Per-example L2 norm of each field block of h (N × F·d) → N × F (no gradient needed). */
export function fieldNorms(h: tf.Tensor2D, numFields: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, width] = h.shape;
    return tf.sqrt(tf.sum(tf.square(tf.reshape(h, [n, numFields, width / numFields])), 2)) as tf.Tensor2D;
  });
}

export interface MLPConfig {
  inputDim: number;
  /** Layer sizes, the last one is the output. */
  units: number[];
  /** Activation of hidden layers; the output layer is linear unless `outputActivation`. */
  activation?: Activation;
  outputActivation?: Activation;
  seed: number;
  name?: string;
}

function activate(x: tf.Tensor2D, a: Activation): tf.Tensor2D {
  if (a === 'relu') return isNativeBackend() ? nativeRelu(x) : tf.relu(x);
  if (a === 'tanh') return tf.tanh(x);
  return x;
}

export class MLP implements Module {
  readonly kernels: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  readonly name: string;

  constructor(readonly cfg: MLPConfig) {
    this.name = cfg.name ?? 'mlp';
    let prev = cfg.inputDim;
    cfg.units.forEach((u, i) => {
      this.kernels.push(glorot(prev, u, cfg.seed + 7919 * (i + 1), `${this.name}_${i}_W`));
      this.biases.push(zerosVar(u, `${this.name}_${i}_b`));
      prev = u;
    });
  }

  get outputDim(): number {
    return this.cfg.units[this.cfg.units.length - 1];
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const last = this.kernels.length - 1;
    this.kernels.forEach((k, i) => {
      h = tf.add<tf.Tensor2D>(tf.matMul(h, k), this.biases[i]);
      h = activate(h, i === last ? (this.cfg.outputActivation ?? 'linear') : (this.cfg.activation ?? 'relu'));
    });
    return h;
  }

  variables(): tf.Variable[] {
    return [...this.kernels, ...this.biases];
  }

  weights(): NamedVariables {
    return this.kernels.flatMap((k, i) => [
      { name: `${this.name}/${i}/kernel`, variable: k },
      { name: `${this.name}/${i}/bias`, variable: this.biases[i] },
    ]);
  }
}

export interface ItemTowerConfig {
  fields: FieldSpec[];
  fieldDim: number;
  hidden: number[];
  outputDim: number;
  seed: number;
}

/**
 * The encoder f: field embeddings → (optional per-field mask / noise) → MLP → L2-normalised
 * vector. The DSSM item tower can be this class (optionally initialised from an I2I artifact).
 */
export class ItemTower implements Module {
  readonly fieldEmbedding: FieldEmbedding;
  readonly mlp: MLP;

  constructor(readonly cfg: ItemTowerConfig) {
    this.fieldEmbedding = new FieldEmbedding({ fields: cfg.fields, dim: cfg.fieldDim, seed: cfg.seed });
    this.mlp = new MLP({
      inputDim: this.fieldEmbedding.outputDim,
      units: [...cfg.hidden, cfg.outputDim],
      activation: 'relu',
      seed: cfg.seed + 1,
      name: 'tower',
    });
  }

  get outputDim(): number {
    return this.cfg.outputDim;
  }

  /** Field embeddings of a flat input batch (shared by the BPR pass and the two views). */
  fieldEmbeddings(x: tf.Tensor2D | tf.Tensor2D[]): tf.Tensor2D[] {
    return this.fieldEmbedding.apply(x);
  }

  /** Concatenated field embeddings N × F·d of a flat input batch (or its per-field slices). */
  fieldMatrix(x: tf.Tensor2D | tf.Tensor2D[]): tf.Tensor2D {
    return combineFields(this.fieldEmbeddings(x));
  }

  /** `fieldMatrix` of a sparse batch (native backend; see FieldEmbedding.applySparse). */
  fieldMatrixSparse(b: SparseFieldBatch): tf.Tensor2D {
    return this.fieldEmbedding.applySparse(b);
  }

  /** Concatenated (possibly transformed) field embeddings → MLP → L2-normalised vector. */
  fromFieldMatrix(h: tf.Tensor2D): tf.Tensor2D {
    return l2Normalize(this.mlp.apply(h));
  }

  /** Field embeddings → mask/noise → MLP → L2-normalised vector. */
  fromFields(fields: tf.Tensor2D[], mask?: tf.Tensor2D, noiseScale = 0, noiseSeed?: number): tf.Tensor2D {
    return l2Normalize(this.mlp.apply(combineFields(fields, mask, noiseScale, noiseSeed)));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.fromFields(this.fieldEmbeddings(x));
  }

  variables(): tf.Variable[] {
    return [...this.fieldEmbedding.variables(), ...this.mlp.variables()];
  }

  weights(): NamedVariables {
    return [...this.fieldEmbedding.weights(), ...this.mlp.weights()];
  }
}

/** Projection head g (only for InfoNCE): small MLP whose output is L2-normalised. */
export class ProjectionHead implements Module {
  readonly mlp: MLP;
  constructor(inputDim: number, units: number[], seed: number) {
    this.mlp = new MLP({ inputDim, units, activation: 'relu', seed, name: 'proj' });
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return l2Normalize(this.mlp.apply(x));
  }
  variables(): tf.Variable[] {
    return this.mlp.variables();
  }
  weights(): NamedVariables {
    return this.mlp.weights();
  }
}

/** Snapshot of variable values (best-epoch bookkeeping). */
export function snapshot(vars: tf.Variable[]): Float32Array[] {
  return vars.map((v) => v.dataSync().slice() as Float32Array);
}

export function restore(vars: tf.Variable[], values: Float32Array[]): void {
  vars.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape)));
}

export function disposeModule(m: Module): void {
  m.variables().forEach((v) => v.dispose());
}
