import type { tf } from './tf';
import { restore, snapshot } from './towers';

/**
 * Keeps the weights of the best validation epoch and says when `patience` epochs passed
 * without improvement (higher scores are better). Used by runTrainingLoop (training-loop.ts).
 */
export class EarlyStopping {
  private best: { epoch: number; score: number; weights: Float32Array[] } | null = null;
  private sinceBest = 0;

  constructor(
    private readonly vars: tf.Variable[],
    private readonly patience: number,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** Records an epoch's score (undefined: no validation); true when training should stop. */
  update(epoch: number, score: number | undefined): boolean {
    if (score === undefined || !Number.isFinite(score)) return false;
    if (!this.best || score > this.best.score) {
      this.best = { epoch, score, weights: snapshot(this.vars) };
      this.sinceBest = 0;
      return false;
    }
    if (++this.sinceBest < this.patience) return false;
    this.log(
      `early stop after epoch ${epoch}; best epoch ${this.best.epoch} (${this.best.score.toFixed(4)})`,
    );
    return true;
  }

  /** Puts the best epoch's weights back (no-op without validation). */
  restoreBest(): void {
    if (this.best) restore(this.vars, this.best.weights);
  }

  bestEpoch(epochsRun: number): number {
    return this.best ? this.best.epoch : epochsRun;
  }

  get bestScore(): number | undefined {
    return this.best?.score;
  }
}
