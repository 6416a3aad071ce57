/**
 * Pins trainI2I and trainDssm bit for bit (to 6 decimals) on a tiny synthetic catalogue: per-epoch
 * losses, validation scores, progress losses, log lines, early stopping and the restored weights.
 * The expected numbers were recorded on the wasm backend before the trainers shared one training
 * loop, so any change in the order of random draws or tensor operations shows up here.
 */
import { coldSplit, generateSynthetic } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { DssmTowers } from './dssm/towers';
import { trainDssm } from './dssm/trainer';
import { trainI2I } from './i2i-trainer';
import { buildTrainingPairs } from './pairs';
import { initTf, tf } from './tf';

jest.setTimeout(60_000);

const ds = generateSynthetic({ seed: 3, songs: 300, users: 200, interactionsPerUser: 20 });
const split = coldSplit(ds, { seed: 3 });
const featurizer = new Featurizer(ds.schema);
const byId = new Map(ds.items.map((i) => [i.id, i.content]));
const inputs = featurizer.encodeBatch(split.warmItems.map((id) => byId.get(id)!));
const items = {
  fields: featurizer.fields,
  inputDim: featurizer.inputDim,
  inputs,
  numItems: split.warmItems.length,
};
let probe: tf.Tensor2D;

interface Recording {
  losses: number[][];
  validation: Array<number | undefined>;
  progress: number[];
  logs: string[];
  bestEpoch: number;
  bestValidation?: number;
  weightSum: number;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const sumOf = (t: tf.Tensor) => round6(tf.tidy(() => tf.sum(tf.abs(t)).dataSync()[0]));
const weightSum = (vars: tf.Variable[]) => round6(vars.reduce((s, v) => s + sumOf(v), 0));
// Throughput depends on the machine; everything else in a log line must match.
const maskRates = (m: string) => m.replace(/\d+ (pairs|positives)\/s/, 'N $1/s');
// A score from the weights that falls after epoch 1, so early stopping stops after epoch 2
// (patience 1) and puts epoch 1's weights back.
function score(epoch: number, embed: (x: tf.Tensor2D) => tf.Tensor2D): number {
  const out = embed(probe);
  const s = (epoch === 1 ? 1 : 0) + sumOf(out) / 1000;
  out.dispose();
  return s;
}

interface Trained {
  history: Array<{ validation?: number }>;
  bestEpoch: number;
  bestValidation?: number;
  backend: string;
}

/** Collects progress and log lines while training, then the result's numbers. */
function recorder() {
  const progress: number[] = [];
  const logs: string[] = [];
  return {
    log: (m: string) => logs.push(maskRates(m)),
    onProgress: (p: { loss: number }) => progress.push(round6(p.loss)),
    finish: (result: Trained, losses: number[][], vars: tf.Variable[]): Recording => {
      expect(result.backend).toBe('wasm');
      return {
        losses,
        validation: result.history.map((h) => h.validation && round6(h.validation)),
        progress,
        logs,
        bestEpoch: result.bestEpoch,
        bestValidation: result.bestValidation && round6(result.bestValidation),
        weightSum: weightSum(vars),
      };
    },
  };
}

beforeAll(async () => {
  await initTf({ backend: 'wasm', log: () => undefined });
  probe = tf.tensor2d(inputs.subarray(0, 16 * featurizer.inputDim), [16, featurizer.inputDim]);
});

afterAll(() => probe.dispose());

it('trainI2I gives the recorded numbers', async () => {
  const { log, onProgress, finish } = recorder();
  const pairs = buildTrainingPairs(split.train, split.warmItems, { topK: 10, minCoListeners: 1, minLift: 1 });
  const result = await trainI2I(
    { ...items, pairs },
    {
      epochs: 3,
      batchSize: 64,
      maxPairsPerEpoch: 256,
      fieldDim: 8,
      hidden: [32],
      outputDim: 16,
      projection: [16],
      corrEvery: 2,
      weightDecay: 1e-4,
      patience: 1,
      seed: 5,
    },
    { log, onProgress, onEpoch: (e, _m, tower) => score(e, (x) => tf.tidy(() => tower.apply(x))) },
  );
  const losses = result.history.map((h) => [h.bprLoss, h.infoNCELoss, h.loss].map(round6));
  expect(finish(result, losses, result.tower.variables())).toEqual(EXPECTED_I2I);
  expect(round6(result.correlation.flat().reduce((s, x) => s + x, 0))).toBe(I2I_CORRELATION_SUM);
});

it('trainDssm gives the recorded numbers', async () => {
  const { log, onProgress, finish } = recorder();
  // Per user: warm indices of its training songs, most plays first (ties in split order).
  const warm = new Map(split.warmItems.map((id, j) => [id, j]));
  const userRow = new Map(ds.users.map((u, i) => [u, i]));
  const lists = ds.users.map((): number[] => []);
  for (const it of [...split.train].sort((a, b) => b.strength - a.strength)) {
    lists[userRow.get(it.userId)!].push(warm.get(it.itemId)!);
  }
  const histories = lists.map((l) => Int32Array.from(l));
  const result = await trainDssm(
    { ...items, histories },
    {
      fieldDim: 8,
      hidden: [32],
      dim: 16,
      userHidden: [16],
      boundaryHidden: [16],
      epochs: 3,
      batchSize: 64,
      negatives: 64,
      maxPositivesPerEpoch: 256,
      refreshEvery: 2,
      itemNoise: 0.1,
      patience: 1,
      seed: 5,
    },
    {
      log,
      onProgress,
      onEpoch: (e, _m, towers: DssmTowers) => score(e, (x) => tf.tidy(() => towers.item.apply(x))),
    },
  );
  const losses = result.history.map((h) => [round6(h.loss), h.positives]);
  expect(finish(result, losses, result.towers.variables())).toEqual(EXPECTED_DSSM);
});

// Recorded on the original trainI2I / trainDssm (wasm backend).
const I2I_CORRELATION_SUM = 15.113308;
const EXPECTED_I2I: Recording = {
  losses: [
    [1.249179, 5.631827, 2.938727],
    [0.968118, 4.927372, 2.446329],
  ],
  validation: [1.052948, 0.052766],
  progress: [1.471408, 1.424743, 1.287437, 1.249179, 0.97101, 0.97643, 1.006958, 0.968118],
  logs: [
    'epoch 1: bpr 1.2492 nce 5.6318 N pairs/s val 1.0529',
    'epoch 2: bpr 0.9681 nce 4.9274 N pairs/s val 0.0528',
    'early stop after epoch 2; best epoch 1 (1.0529)',
  ],
  bestEpoch: 1,
  bestValidation: 1.052948,
  weightSum: 504.333949,
};

const EXPECTED_DSSM: Recording = {
  losses: [
    [0.659415, 256],
    [0.59663, 256],
  ],
  validation: [1.05197, 0.050842],
  progress: [0.67749, 0.669963, 0.664548, 0.659415, 0.61412, 0.615815, 0.603675, 0.59663],
  logs: [
    'epoch 1: loss 0.6594 N positives/s val 1.0520',
    'epoch 2: loss 0.5966 N positives/s val 0.0508',
    'early stop after epoch 2; best epoch 1 (1.0520)',
  ],
  bestEpoch: 1,
  bestValidation: 1.05197,
  weightSum: 729.861429,
};
