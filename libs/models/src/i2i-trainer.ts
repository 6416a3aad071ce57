/**
 * The I2I encoder's training: BPR on (anchor, positive, negative) + λ·InfoNCE on two
 * correlated-feature-grouping views of the anchors, Adam. Epochs, early stopping on a validation
 * score supplied by the caller (best epoch's weights kept) and history come from training-loop.ts.
 */
import type { FieldSpec } from '@debut/features';
import { FieldCorrelation, GroupingMode, assignGroups, viewMasks } from './grouping';
import { bprLoss, bprLossAllNegatives, infoNCELoss, rowDot } from './losses';
import { TrainingPairs, sampleNegatives } from './pairs';
import { adam } from './optimizer';
import { mulberry32 } from './random';
import { SparseFieldBatch, SparseInputs, disposeSparseBatch } from './sparse-inputs';
import { tf, backendName } from './tf';
import { TrainProgress, planBatches, runTrainingLoop } from './training-loop';
import { ItemTower, ProjectionHead, fieldNorms, transformFields } from './towers';

export interface I2ITrainConfig {
  /** Output dimension per field embedding. */
  fieldDim: number;
  /** Hidden layer sizes of the tower MLP. */
  hidden: number[];
  /** Song vector dimension. */
  outputDim: number;
  /** Projection head g layer sizes (InfoNCE only). */
  projection: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** BPR negatives per anchor: 'one' (its own sampled negative) or 'batch' (all sampled negatives of the batch). */
  bprNegatives: 'one' | 'batch';
  /** Inverse temperature applied to cosine scores inside BPR. */
  bprScale: number;
  /** Weight of the InfoNCE term; 0 = CB2CF-BPR. */
  lambda: number;
  temperature: number;
  /** Probability of dropping a field inside its own view's group. */
  maskRate: number;
  /** Multiplicative Gaussian noise on the kept field embeddings. */
  noiseScale: number;
  grouping: GroupingMode;
  /** EMA momentum of the field correlation matrix and how often (steps) it is refreshed. */
  corrMomentum: number;
  corrEvery: number;
  /** Early stopping: epochs without validation improvement before stopping. */
  patience: number;
  /** L2 penalty on the tower's weights (guards small catalogues against memorising pairs); 0 = none. */
  weightDecay: number;
  /** Cap on pairs used per epoch (random subset each epoch); 0 = all. */
  maxPairsPerEpoch: number;
  seed: number;
}

export const DEFAULT_I2I_CONFIG: I2ITrainConfig = {
  fieldDim: 32,
  hidden: [256],
  outputDim: 64,
  projection: [64],
  epochs: 12,
  batchSize: 512,
  learningRate: 2e-3,
  bprNegatives: 'batch',
  bprScale: 10,
  lambda: 0.3,
  temperature: 0.1,
  maskRate: 0.1,
  noiseScale: 0.1,
  grouping: 'correlated',
  corrMomentum: 0.9,
  corrEvery: 10,
  patience: 3,
  weightDecay: 0,
  maxPairsPerEpoch: 0,
  seed: 42,
};

export interface EpochMetrics {
  epoch: number;
  bprLoss: number;
  infoNCELoss: number;
  loss: number;
  pairs: number;
  seconds: number;
  pairsPerSecond: number;
  /** Validation score returned by onEpoch (higher is better), if any. */
  validation?: number;
}

// Re-exported: callers have always imported the progress type from here.
export type { TrainProgress };

export interface I2ITrainHooks {
  /** After each epoch; may return a validation score (higher is better) for early stopping. */
  onEpoch?(
    epoch: number,
    metrics: EpochMetrics,
    tower: ItemTower,
  ): Promise<number | undefined> | number | undefined;
  onProgress?: (p: TrainProgress) => void;
  log?: (message: string) => void;
}

export interface I2ITrainingData {
  fields: FieldSpec[];
  inputDim: number;
  /** N × inputDim row-major inputs of the training (warm) items, in pair index order. */
  inputs: Float32Array;
  numItems: number;
  pairs: TrainingPairs;
}

export interface I2ITrainResult {
  tower: ItemTower;
  config: I2ITrainConfig;
  history: EpochMetrics[];
  bestEpoch: number;
  bestValidation?: number;
  /** Training seconds (excluding validation callbacks) and throughput over all epochs. */
  trainSeconds: number;
  totalSeconds: number;
  pairsPerSecond: number;
  meanStepMillis: number;
  backend: string;
  correlation: number[][];
}

/**
 * Copies the given rows of a flat N × dim input straight into per-field buffers (one per field,
 * rows × width): splitting on the device (SplitV) costs ~25 ms per 1536 × 2109 batch on wasm.
 */
export function copyRowsByField(
  src: Float32Array,
  dim: number,
  fields: FieldSpec[],
  rows: ArrayLike<number>,
  dst: Float32Array[],
  at: number,
): void {
  for (let i = 0; i < rows.length; i++) {
    const base = rows[i] * dim;
    for (let f = 0; f < fields.length; f++) {
      const { offset, width } = fields[f];
      dst[f].set(src.subarray(base + offset, base + offset + width), (at + i) * width);
    }
  }
}

/** Trains the I2I encoder. Call `await initTf()` first. */
export async function trainI2I(
  data: I2ITrainingData,
  partial: Partial<I2ITrainConfig> = {},
  hooks: I2ITrainHooks = {},
): Promise<I2ITrainResult> {
  const cfg: I2ITrainConfig = { ...DEFAULT_I2I_CONFIG, ...partial };
  const log = hooks.log ?? (() => {});
  const rng = mulberry32(cfg.seed);
  const tower = new ItemTower({
    fields: data.fields,
    fieldDim: cfg.fieldDim,
    hidden: cfg.hidden,
    outputDim: cfg.outputDim,
    seed: cfg.seed,
  });
  const useNCE = cfg.lambda > 0;
  const head = useNCE ? new ProjectionHead(cfg.outputDim, cfg.projection, cfg.seed + 17) : null;
  const trainVars = [...tower.variables(), ...(head ? head.variables() : [])];
  const optimizer = adam(cfg.learningRate);
  const F = data.fields.length;
  const corr = new FieldCorrelation(F, cfg.corrMomentum);
  const D = data.inputDim;
  const nPairs = data.pairs.anchors.length;
  if (nPairs === 0) throw new Error('trainI2I: no training pairs (check the pair filter thresholds)');
  const batches = planBatches(nPairs, cfg.batchSize, cfg.maxPairsPerEpoch);
  const B = batches.batchSize;
  // Native backend: only the batch's non-zeros go to the device, and the field embedding gathers
  // kernel rows (sparse-inputs.ts). Elsewhere (wasm, where gather has no gradient): the batch's
  // rows are copied into per-field buffers and embedded by dense matmuls, as before.
  const sparse = backendName() === 'tensorflow' ? new SparseInputs(data.inputs, D, data.fields) : null;
  const fieldBufs = sparse ? [] : data.fields.map((f) => new Float32Array(3 * B * f.width));
  const onePass = sparse !== null;
  const anchors = new Int32Array(B);
  const positives = new Int32Array(B);

  /** One Adam step on a batch of pairs; returns [BPR loss, InfoNCE loss (when λ > 0)]. */
  const step = (batch: Int32Array, stepIndex: number): number[] => {
    for (let i = 0; i < B; i++) {
      anchors[i] = data.pairs.anchors[batch[i]];
      positives[i] = data.pairs.positives[batch[i]];
    }
    const negatives = sampleNegatives(rng, data.numItems, anchors, positives);
    let sb: SparseFieldBatch | null = null;
    if (sparse) sb = sparse.batch(anchors, positives, negatives);
    else {
      copyRowsByField(data.inputs, D, data.fields, anchors, fieldBufs, 0);
      copyRowsByField(data.inputs, D, data.fields, positives, fieldBufs, B);
      copyRowsByField(data.inputs, D, data.fields, negatives, fieldBufs, 2 * B);
    }
    let m1: tf.Tensor2D | null = null;
    let m2: tf.Tensor2D | null = null;
    if (useNCE) {
      const groups = assignGroups(B, F, rng, cfg.grouping, corr);
      const [a, b] = viewMasks(groups, B, F, rng, cfg.maskRate);
      if (onePass) {
        const both = new Float32Array(2 * B * F);
        both.set(a);
        both.set(b, B * F);
        m1 = tf.tensor2d(both, [2 * B, F]);
      } else {
        m1 = tf.tensor2d(a, [B, F]);
        m2 = tf.tensor2d(b, [B, F]);
      }
    }
    const x = sparse ? [] : data.fields.map((f, i) => tf.tensor2d(fieldBufs[i], [3 * B, f.width]));
    const wantNorms = useNCE && cfg.grouping === 'correlated' && stepIndex % cfg.corrEvery === 0;
    let norms: tf.Tensor2D | null = null;
    let parts: tf.Scalar[] = [];
    const noiseSeed1 = Math.floor(rng() * 2 ** 31);
    const noiseSeed2 = Math.floor(rng() * 2 ** 31);
    const bpr = (va: tf.Tensor2D, vp: tf.Tensor2D, vn: tf.Tensor2D): tf.Scalar =>
      cfg.bprNegatives === 'batch'
        ? bprLossAllNegatives(va, vp, vn, cfg.bprScale)
        : bprLoss(rowDot(va, vp), rowDot(va, vn), cfg.bprScale);
    const withDecay = (total: tf.Scalar): tf.Scalar => {
      if (cfg.weightDecay <= 0) return total;
      const l2 = tf.addN(tower.variables().map((w) => tf.sum(tf.square(w)))) as tf.Scalar;
      return tf.add<tf.Scalar>(total, tf.mul(l2, cfg.weightDecay));
    };
    /** Three tower passes (pairs, view 1, view 2), as the wasm numbers were recorded. */
    const threePasses = (): tf.Scalar => {
      const h = sb ? tower.fieldMatrixSparse(sb) : tower.fieldMatrix(x);
      const v = tower.fromFieldMatrix(h);
      const [va, vp, vn] = tf.split<tf.Tensor2D>(v, 3, 0);
      const lb = bpr(va, vp, vn);
      let total: tf.Scalar = lb;
      parts = [tf.keep(lb)];
      if (useNCE && head && m1 && m2) {
        const ha = tf.slice(h, [0, 0], [B, h.shape[1]]);
        if (wantNorms) norms = tf.keep(fieldNorms(ha, F));
        const z1 = head.apply(tower.fromFieldMatrix(transformFields(ha, F, m1, cfg.noiseScale, noiseSeed1)));
        const z2 = head.apply(tower.fromFieldMatrix(transformFields(ha, F, m2, cfg.noiseScale, noiseSeed2)));
        const ln = infoNCELoss(z1, z2, cfg.temperature);
        parts.push(tf.keep(ln));
        total = tf.add<tf.Scalar>(lb, tf.mul(ln, cfg.lambda));
      }
      return withDecay(total);
    };
    /**
     * Native backend: the same loss with one tower pass over the 5B rows [pairs; view 1; view 2]
     * and one head pass over both views (m1 holds both views' masks, one noise draw covers them):
     * a third of the kernels of three passes, and matrices large enough for both cores.
     */
    const onePassLoss = (): tf.Scalar => {
      const h = tower.fieldMatrixSparse(sb!);
      const width = h.shape[1];
      const ha = tf.slice(h, [0, 0], [B, width]);
      if (wantNorms) norms = tf.keep(fieldNorms(ha, F));
      const views = transformFields(tf.concat([ha, ha], 0), F, m1!, cfg.noiseScale, noiseSeed1);
      const v = tower.fromFieldMatrix(tf.concat([h, views], 0));
      const [va, vp, vn, vv] = tf.split<tf.Tensor2D>(v, [B, B, B, 2 * B], 0);
      const [z1, z2] = tf.split<tf.Tensor2D>(head!.apply(vv), 2, 0);
      const lb = bpr(va, vp, vn);
      const ln = infoNCELoss(z1, z2, cfg.temperature);
      parts = [tf.keep(lb), tf.keep(ln)];
      return withDecay(tf.add<tf.Scalar>(lb, tf.mul(ln, cfg.lambda)));
    };
    const loss = optimizer.minimize(onePass && useNCE ? onePassLoss : threePasses, true, trainVars);
    x.forEach((t) => t.dispose());
    if (sb) disposeSparseBatch(sb);
    m1?.dispose();
    m2?.dispose();
    if (norms) {
      const n = norms as tf.Tensor2D;
      corr.update(n.dataSync() as Float32Array, B);
      n.dispose();
    }
    // Reading the losses every step syncs the backend anyway (wasm is synchronous).
    const terms = parts.map((t) => t.dataSync()[0]);
    parts.forEach((t) => t.dispose());
    loss?.dispose();
    return terms;
  };

  const fit = await runTrainingLoop<EpochMetrics>({
    epochs: cfg.epochs,
    patience: cfg.patience,
    batches,
    rng,
    keepBest: tower.variables(),
    step,
    epochMetrics: (epoch, { seconds, examples, lossSums: [sumBpr, sumNce = 0] }) => ({
      epoch,
      bprLoss: sumBpr / batches.steps,
      infoNCELoss: sumNce / batches.steps,
      loss: (sumBpr + cfg.lambda * sumNce) / batches.steps,
      pairs: examples,
      seconds,
      pairsPerSecond: examples / seconds,
    }),
    describe: (m) =>
      `bpr ${m.bprLoss.toFixed(4)} nce ${m.infoNCELoss.toFixed(4)} ${m.pairsPerSecond.toFixed(0)} pairs/s`,
    validate: (epoch, metrics) => hooks.onEpoch?.(epoch, metrics, tower),
    onProgress: hooks.onProgress,
    log,
  });
  optimizer.dispose();
  head?.variables().forEach((v) => v.dispose());
  return {
    tower,
    config: cfg,
    history: fit.history,
    bestEpoch: fit.bestEpoch,
    bestValidation: fit.bestValidation,
    trainSeconds: fit.trainSeconds,
    totalSeconds: fit.totalSeconds,
    pairsPerSecond: fit.examples / fit.trainSeconds,
    meanStepMillis: fit.meanStepMillis,
    backend: backendName(),
    correlation: corr.toArray(),
  };
}
