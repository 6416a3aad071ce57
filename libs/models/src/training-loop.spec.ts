import { mulberry32 } from './random';
import { initTf, tf } from './tf';
import { TrainProgress, TrainingLoopOptions, planBatches, runTrainingLoop } from './training-loop';

interface Metrics {
  epoch: number;
  loss: number;
  validation?: number;
}

beforeAll(async () => {
  await initTf({ log: () => undefined });
});

describe('planBatches', () => {
  it('caps the batch at the example count, the epoch at maxPerEpoch, and runs at least one step', () => {
    expect(planBatches(1000, 64, 0)).toEqual({ examples: 1000, batchSize: 64, steps: 15 });
    expect(planBatches(1000, 64, 300)).toEqual({ examples: 1000, batchSize: 64, steps: 4 });
    expect(planBatches(10, 64, 0)).toEqual({ examples: 10, batchSize: 10, steps: 1 });
    expect(planBatches(100, 64, 0)).toEqual({ examples: 100, batchSize: 64, steps: 1 });
  });
});

describe('runTrainingLoop', () => {
  /** A "model" whose one weight is set to the epoch number by each epoch's last step. */
  function setup(scores: Array<number | undefined>, patience: number) {
    const w = tf.variable(tf.scalar(0));
    const batches: number[][] = [];
    const progress: TrainProgress[] = [];
    const logs: string[] = [];
    let epoch = 0;
    const options: TrainingLoopOptions<Metrics> = {
      epochs: scores.length,
      patience,
      batches: planBatches(10, 4, 0),
      rng: mulberry32(1),
      keepBest: [w],
      step: (batch, step) => {
        batches.push(Array.from(batch));
        if (step === 1) w.assign(tf.scalar(++epoch));
        return step === 0 ? [1, 10] : [3, 30];
      },
      epochMetrics: (e, { lossSums }) => ({ epoch: e, loss: lossSums[0] + lossSums[1] }),
      describe: (m) => `loss ${m.loss}`,
      validate: (e) => scores[e - 1],
      onProgress: (p) => progress.push(p),
      log: (m) => logs.push(m),
    };
    return { w, batches, progress, logs, options };
  }

  it('trains on shuffled batches, sums loss terms, reports progress and logs each epoch', async () => {
    const { w, batches, progress, logs, options } = setup([undefined, undefined], 1);
    const r = await runTrainingLoop(options);
    expect(batches).toHaveLength(4);
    expect(batches.every((b) => b.length === 4)).toBe(true);
    expect(new Set(batches.slice(0, 2).flat()).size).toBe(8);
    expect(batches.slice(0, 2).flat()).not.toEqual(batches.slice(2).flat());
    expect(progress.map((p) => [p.epoch, p.step, p.steps, p.loss])).toEqual([
      [1, 1, 2, 1],
      [1, 2, 2, 2],
      [2, 1, 2, 1],
      [2, 2, 2, 2],
    ]);
    expect(r.history).toEqual([
      { epoch: 1, loss: 44 },
      { epoch: 2, loss: 44 },
    ]);
    expect(logs).toEqual(['epoch 1: loss 44', 'epoch 2: loss 44']);
    expect([r.bestEpoch, r.bestValidation, r.examples]).toEqual([2, undefined, 16]);
    expect(w.dataSync()[0]).toBe(2);
    w.dispose();
  });

  it('stops after `patience` scored epochs without improvement and restores the best epoch', async () => {
    const { w, logs, options } = setup([0.5, 0.7, NaN, 0.6, 0.65, 0.9], 2);
    const r = await runTrainingLoop(options);
    expect(r.history.map((h) => h.validation)).toEqual([0.5, 0.7, undefined, 0.6, 0.65]);
    expect(logs.slice(2)).toEqual([
      'epoch 3: loss 44 val NaN',
      'epoch 4: loss 44 val 0.6000',
      'epoch 5: loss 44 val 0.6500',
      'early stop after epoch 5; best epoch 2 (0.7000)',
    ]);
    expect([r.bestEpoch, r.bestValidation]).toEqual([2, 0.7]);
    expect(w.dataSync()[0]).toBe(2);
    w.dispose();
  });
});
