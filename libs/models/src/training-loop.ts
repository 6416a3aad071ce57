/**
 * The one training loop of libs/models (a generic fit loop in the spirit of TensorFlow
 * Recommenders): epochs over shuffled mini-batches of training examples, progress callbacks,
 * a validation score per epoch with early stopping (best epoch's weights kept), history and
 * timings. A trainer supplies only what is specific to its model: how one step trains on a
 * batch of example indices, and what its epoch metrics and log line are.
 */
import { Rng, shuffleInPlace } from './random';
import type { tf } from './tf';
import { EarlyStopping } from './early-stopping';

export interface TrainProgress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
}

/** How the examples are cut into batches: `steps` batches of `batchSize` per epoch. */
export interface BatchPlan {
  examples: number;
  batchSize: number;
  steps: number;
}

/** Batches of min(batchSize, examples); an epoch sees `maxPerEpoch` examples (0 = all), at least one batch. */
export function planBatches(examples: number, batchSize: number, maxPerEpoch: number): BatchPlan {
  const B = Math.min(batchSize, examples);
  const perEpoch = maxPerEpoch > 0 ? Math.min(maxPerEpoch, examples) : examples;
  return { examples, batchSize: B, steps: Math.floor(perEpoch / B) || 1 };
}

/** What one epoch's steps produced, for the trainer's epoch metrics. */
export interface EpochSums {
  seconds: number;
  /** Examples trained on this epoch (steps × batch size). */
  examples: number;
  /** Per loss term, the sum of its values over the epoch's steps. */
  lossSums: number[];
}

export interface TrainingLoopOptions<M extends { validation?: number }> {
  epochs: number;
  patience: number;
  batches: BatchPlan;
  /** Shuffles the example order each epoch; the trainer's own draws share it, in order. */
  rng: Rng;
  /** Variables whose best-epoch values early stopping keeps and restores. */
  keepBest: tf.Variable[];
  /**
   * One optimisation step on `batch` (example indices, a view valid during the call); returns
   * its loss terms, the first one being the loss that progress reports.
   */
  step(batch: Int32Array, step: number): number[];
  epochMetrics(epoch: number, sums: EpochSums): M;
  /** The log line's body after `epoch N: ` (the validation score is appended here). */
  describe(metrics: M): string;
  /** After each epoch; may return a validation score (higher is better) for early stopping. */
  validate?(epoch: number, metrics: M): Promise<number | undefined> | number | undefined;
  onProgress?: (p: TrainProgress) => void;
  log: (message: string) => void;
}

export interface TrainingLoopResult<M> {
  history: M[];
  bestEpoch: number;
  bestValidation?: number;
  /** Seconds spent in steps (validation excluded), and in the whole loop. */
  trainSeconds: number;
  totalSeconds: number;
  /** Examples trained on over all epochs. */
  examples: number;
  meanStepMillis: number;
}

/** Runs the epochs; the best epoch's weights are in place when it returns. */
export async function runTrainingLoop<M extends { validation?: number }>(
  o: TrainingLoopOptions<M>,
): Promise<TrainingLoopResult<M>> {
  const { batchSize: B, steps } = o.batches;
  const order = Int32Array.from({ length: o.batches.examples }, (_, i) => i);
  const history: M[] = [];
  const stopper = new EarlyStopping(o.keepBest, o.patience, o.log);
  let trainMs = 0;
  let stepCount = 0;
  const t0 = Date.now();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const te = Date.now();
    shuffleInPlace(order, o.rng);
    const lossSums: number[] = [];
    for (let step = 0; step < steps; step++) {
      const terms = o.step(order.subarray(step * B, (step + 1) * B), step);
      terms.forEach((t, i) => (lossSums[i] = (lossSums[i] ?? 0) + t));
      stepCount++;
      o.onProgress?.({ epoch, epochs: o.epochs, step: step + 1, steps, loss: lossSums[0] / (step + 1) });
    }
    const seconds = (Date.now() - te) / 1000;
    trainMs += Date.now() - te;
    const metrics = o.epochMetrics(epoch, { seconds, examples: steps * B, lossSums });
    const score = await o.validate?.(epoch, metrics);
    if (score !== undefined && Number.isFinite(score)) metrics.validation = score;
    history.push(metrics);
    o.log(`epoch ${epoch}: ${o.describe(metrics)}${score !== undefined ? ` val ${score.toFixed(4)}` : ''}`);
    if (stopper.update(epoch, score)) break;
  }
  stopper.restoreBest();
  return {
    history,
    bestEpoch: stopper.bestEpoch(history.length),
    bestValidation: stopper.bestScore,
    trainSeconds: trainMs / 1000,
    totalSeconds: (Date.now() - t0) / 1000,
    examples: history.length * steps * B,
    meanStepMillis: trainMs / Math.max(1, stepCount),
  };
}
