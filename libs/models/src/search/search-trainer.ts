/**
 * Search training (issue 15): one item tower (towers.ts ItemTower) and a query encoder
 * trained on the query–item loss, optionally jointly with the I2I encoder's collaborative loss.
 *
 *  - query–item: symmetric in-batch InfoNCE (losses.ts infoNCELoss) between the query vector
 *    and its item's vector. A training query is made from a warm item's own phrases (tags): a
 *    seeded random subset of about `queryFraction` of them; the item is encoded with those
 *    phrases' input columns zeroed (rescaled to the row's norm), so the model learns to find an
 *    item from phrases its content does not show — the held-out-tag task of bench:search.
 *  - collaborative (joint only): BPR of co-listened (anchor, positive) pairs against the batch's
 *    sampled negatives (pairs.ts, losses.ts bprLossAllNegatives), as `trainI2I` trains it.
 *  - loss = bprWeight · BPR + queryWeight · InfoNCE; `bprWeight = 0` is the search-only `dense`
 *    model. With pairs, an epoch is one pass over the pairs (the BPR term is skipped when its
 *    weight is 0) and each batch's query items are drawn uniformly from the warm items, so the
 *    dense and joint models see the same number and kind of training queries; without pairs an
 *    epoch is one query per warm item.
 * Epochs, early stopping on a caller-supplied validation score and history: training-loop.ts.
 */
import type { FieldSpec } from '@debut/features';
import { bprLossAllNegatives, infoNCELoss } from '../losses';
import { TrainingPairs, sampleNegatives } from '../pairs';
import { adam } from '../optimizer';
import { Rng, mulberry32, randInt } from '../random';
import { SparseInputs, disposeSparseBatch } from '../sparse-inputs';
import { backendName, tf } from '../tf';
import { planBatches, runTrainingLoop } from '../training-loop';
import { ItemTower } from '../towers';
import { QueryEncoder } from './query-encoder';
import { tokenizeAll } from './text';

/** A phrase of an item's text (e.g. one tag) and the input columns it sets (zeroed when queried). */
export interface Phrase {
  text: string;
  columns: number[];
}

export interface SearchTrainConfig {
  fieldDim: number;
  hidden: number[];
  outputDim: number;
  queryEmbedDim: number;
  queryHidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  temperature: number;
  /** Weight of the query–item InfoNCE term. */
  queryWeight: number;
  /** Weight of the BPR term; 0 = search-only (`dense`). */
  bprWeight: number;
  bprScale: number;
  /** Share of an item's phrases drawn into a training query (at least one). */
  queryFraction: number;
  patience: number;
  /** Cap on examples per epoch (random subset each epoch); 0 = all. */
  maxExamplesPerEpoch: number;
  seed: number;
}

export const DEFAULT_SEARCH_CONFIG: SearchTrainConfig = {
  fieldDim: 32,
  hidden: [256],
  outputDim: 64,
  queryEmbedDim: 64,
  queryHidden: [256],
  epochs: 8,
  batchSize: 512,
  learningRate: 2e-3,
  temperature: 0.1,
  queryWeight: 1,
  bprWeight: 0,
  bprScale: 10,
  queryFraction: 0.5,
  patience: 3,
  maxExamplesPerEpoch: 0,
  seed: 42,
};

export interface SearchTrainingData {
  fields: FieldSpec[];
  inputDim: number;
  /** N × inputDim row-major inputs of the warm items (pair index order). */
  inputs: Float32Array;
  numItems: number;
  /** Per warm item, the phrases its training queries are drawn from. */
  phrases: Phrase[][];
  /** Vocabulary of the query encoder. */
  vocabulary: string[];
  /** Co-listened pairs (needed when bprWeight > 0). */
  pairs?: TrainingPairs;
}

export interface SearchEpochMetrics {
  epoch: number;
  queryLoss: number;
  bprLoss: number;
  examples: number;
  seconds: number;
  validation?: number;
}

export interface SearchTrainResult {
  tower: ItemTower;
  queryEncoder: QueryEncoder;
  config: SearchTrainConfig;
  history: SearchEpochMetrics[];
  bestEpoch: number;
  bestValidation?: number;
  trainSeconds: number;
  backend: string;
}

export interface SearchTrainHooks {
  onEpoch?(
    epoch: number,
    metrics: SearchEpochMetrics,
    model: { tower: ItemTower; queryEncoder: QueryEncoder },
  ): Promise<number | undefined> | number | undefined;
  log?: (message: string) => void;
}

/** A seeded training query of one item: a phrase subset, its tokens and the item's masked input row. */
export function sampleQuery(
  rng: Rng,
  phrases: readonly Phrase[],
  fraction: number,
): { chosen: Phrase[]; tokens: string[] } {
  const n = phrases.length;
  if (n === 0) return { chosen: [], tokens: [] };
  const take = Math.max(1, Math.min(n, Math.round(fraction * n)));
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < take; i++) {
    const j = i + randInt(rng, n - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const chosen = idx.slice(0, take).map((i) => phrases[i]);
  return { chosen, tokens: tokenizeAll(chosen.map((p) => p.text)) };
}

/** Trains the search model (dense or joint). Call `await initTf()` first. */
export async function trainSearch(
  data: SearchTrainingData,
  partial: Partial<SearchTrainConfig> = {},
  hooks: SearchTrainHooks = {},
): Promise<SearchTrainResult> {
  const cfg: SearchTrainConfig = { ...DEFAULT_SEARCH_CONFIG, ...partial };
  const log = hooks.log ?? (() => {});
  const joint = cfg.bprWeight > 0;
  if (joint && (!data.pairs || data.pairs.anchors.length === 0))
    throw new Error('trainSearch: the joint model needs co-listened training pairs');
  const rng = mulberry32(cfg.seed);
  const tower = new ItemTower({
    fields: data.fields,
    fieldDim: cfg.fieldDim,
    hidden: cfg.hidden,
    outputDim: cfg.outputDim,
    seed: cfg.seed,
  });
  const queryEncoder = new QueryEncoder({
    vocabulary: data.vocabulary,
    embedDim: cfg.queryEmbedDim,
    hidden: cfg.queryHidden,
    outputDim: cfg.outputDim,
    seed: cfg.seed + 101,
  });
  const vars = [...tower.variables(), ...queryEncoder.variables()];
  const optimizer = adam(cfg.learningRate);
  const D = data.inputDim;
  const V = Math.max(1, queryEncoder.vocabularySize);
  const byPairs = (data.pairs?.anchors.length ?? 0) > 0;
  const examples = byPairs ? data.pairs!.anchors.length : data.numItems;
  const batches = planBatches(examples, cfg.batchSize, cfg.maxExamplesPerEpoch);
  const B = batches.batchSize;
  const queryItems = new Int32Array(B);
  const native = backendName() === 'tensorflow';
  const sparse = native ? new SparseInputs(data.inputs, D, data.fields) : null;
  const anchors = new Int32Array(B);
  const positives = new Int32Array(B);
  const masked = new Float32Array(B * D);
  const allRows = Int32Array.from({ length: B }, (_, i) => i);

  const step = (batch: Int32Array): number[] => {
    for (let i = 0; i < B; i++) {
      if (byPairs) {
        anchors[i] = data.pairs!.anchors[batch[i]];
        positives[i] = data.pairs!.positives[batch[i]];
        queryItems[i] = randInt(rng, data.numItems);
      } else queryItems[i] = batch[i];
    }
    // Queries and the masked rows of their items.
    const tokens: string[][] = [];
    for (let i = 0; i < B; i++) {
      const item = queryItems[i];
      const row = data.inputs.subarray(item * D, (item + 1) * D);
      const dst = masked.subarray(i * D, (i + 1) * D);
      dst.set(row);
      const q = sampleQuery(rng, data.phrases[item], cfg.queryFraction);
      tokens.push(q.tokens);
      if (q.chosen.length < data.phrases[item].length) {
        let before = 0;
        for (let c = 0; c < D; c++) before += dst[c] * dst[c];
        for (const p of q.chosen) for (const c of p.columns) dst[c] = 0;
        let after = 0;
        for (let c = 0; c < D; c++) after += dst[c] * dst[c];
        if (after > 0) {
          const s = Math.sqrt(before / after);
          for (let c = 0; c < D; c++) dst[c] *= s;
        }
      }
    }
    const bags = tf.tensor2d(queryEncoder.bagOfWords(tokens), [B, V]);
    const maskedSparse = native ? new SparseInputs(masked, D, data.fields).batch(allRows) : null;
    const maskedDense = native ? null : tf.tensor2d(masked, [B, D]);
    const negatives = joint ? sampleNegatives(rng, data.numItems, anchors, positives) : null;
    const pairBatch = joint && sparse ? sparse.batch(anchors, positives, negatives!) : null;
    const pairDense =
      joint && !sparse
        ? tf.tensor2d(
            (() => {
              const out = new Float32Array(3 * B * D);
              [anchors, positives, negatives!].forEach((rows, k) =>
                rows.forEach((r, i) => out.set(data.inputs.subarray(r * D, (r + 1) * D), (k * B + i) * D)),
              );
              return out;
            })(),
            [3 * B, D],
          )
        : null;
    const parts: tf.Scalar[] = [];
    const loss = optimizer.minimize(
      () => {
        const q = queryEncoder.apply(bags);
        const vq = maskedSparse
          ? tower.fromFieldMatrix(tower.fieldMatrixSparse(maskedSparse))
          : tower.apply(maskedDense!);
        const lq = infoNCELoss(q, vq, cfg.temperature);
        parts.push(tf.keep(lq));
        let total = tf.mul<tf.Scalar>(lq, cfg.queryWeight);
        if (joint) {
          const v = pairBatch
            ? tower.fromFieldMatrix(tower.fieldMatrixSparse(pairBatch))
            : tower.apply(pairDense!);
          const [va, vp, vn] = tf.split<tf.Tensor2D>(v, 3, 0);
          const lb = bprLossAllNegatives(va, vp, vn, cfg.bprScale);
          parts.push(tf.keep(lb));
          total = tf.add<tf.Scalar>(total, tf.mul(lb, cfg.bprWeight));
        }
        return total;
      },
      true,
      vars,
    );
    bags.dispose();
    if (maskedSparse) disposeSparseBatch(maskedSparse);
    maskedDense?.dispose();
    if (pairBatch) disposeSparseBatch(pairBatch);
    pairDense?.dispose();
    const terms = parts.map((t) => t.dataSync()[0]);
    parts.forEach((t) => t.dispose());
    loss?.dispose();
    return terms;
  };

  const fit = await runTrainingLoop<SearchEpochMetrics>({
    epochs: cfg.epochs,
    patience: cfg.patience,
    batches,
    rng,
    keepBest: vars,
    step,
    epochMetrics: (epoch, { seconds, examples: n, lossSums: [sq, sb = 0] }) => ({
      epoch,
      queryLoss: sq / batches.steps,
      bprLoss: sb / batches.steps,
      examples: n,
      seconds,
    }),
    describe: (m) =>
      `query ${m.queryLoss.toFixed(4)} bpr ${m.bprLoss.toFixed(4)} ${(m.examples / m.seconds).toFixed(0)} ex/s`,
    validate: (epoch, metrics) => hooks.onEpoch?.(epoch, metrics, { tower, queryEncoder }),
    log,
  });
  optimizer.dispose();
  return {
    tower,
    queryEncoder,
    config: cfg,
    history: fit.history,
    bestEpoch: fit.bestEpoch,
    bestValidation: fit.bestValidation,
    trainSeconds: fit.trainSeconds,
    backend: backendName(),
  };
}
