/**
 * The DSSM with an interest boundary and its training (DESIGN.md §3, U2I):
 * p(u listens to i) = σ(u·i − u·b), weighted binary cross-entropy
 *   loss = α · mean_pos softplus(−x) + (1 − α) · mean_neg softplus(x),   x = u·i − u·b
 * (softplus forms: tf.logSigmoid's gradient fails on wasm). Adam; epochs and early stopping on a
 * validation score supplied by the caller (cold VALIDATION items, best epoch's weights kept) come
 * from training-loop.ts.
 *
 * What α means: with these weights the loss is minimised at x = log(α·π_u(i) / ((1 − α)·ν(i)))
 * where π_u is the user's positive distribution and ν the negative sampler. With uniform
 * negatives, song i passes u's gate when P(u listens to i) > base rate · (1 − α)/α, so α < 0.5
 * makes the boundary stricter than "better than this user's average song". A user whose history
 * carries no content signal (a hits-only listener: content cannot tell hits apart) ends at
 * x ≈ log(α/(1 − α)) < 0 for every song, i.e. is shown nothing.
 *
 * Training items are the whole known song space (hot and cold-as-warm: every song with training
 * interactions, whatever its popularity). Per step:
 *  - B positives: (user, song) training interactions, shuffled each epoch;
 *  - M negatives shared by the batch, every positive's user scored against all M (one B × M
 *    matmul, as in the I2I trainer). Sampled from the training songs: a share `popularNegatives`
 *    ∝ listeners^`negativePower`, the rest uniform. Why popularity: with ν ∝ popularity the
 *    optimum π_u(i)/ν(i) divides popularity out, leaving taste — which is what a cold song's
 *    content can predict (its popularity it can, at best, weakly). Without it, the few top hits that every
 *    hits-only listener plays are memorised as a "taste" and cold songs that happen to land near
 *    them pass those users' gates. Why still some uniform negatives: the cold pool is arbitrary
 *    songs, so the boundary must also be calibrated against songs nobody plays. 0.8 was chosen
 *    on cold VALIDATION items of the synthetic set (0.5 let the hits-only group's gate flip
 *    between epochs; 0.8 kept it shut while others still pass). Accidental hits
 *    on a user's own songs are rare (|history| ≪ N) and left in.
 *  - user/boundary input: MEAN of the item-tower vectors of the user's top-`historyLength`
 *    songs (strongest first), the target positive EXCLUDED (at inference a cold song is never in
 *    the history). History vectors come from a cache of all item vectors refreshed every
 *    `refreshEvery` steps, i.e. no gradient flows through the history: running the item tower
 *    on B × 50 history songs per step would cost ~50× more on 2 wasm cores, and the item tower is
 *    still trained through targets and negatives.
 */
import type { FieldSpec } from '@debut/features';
import { copyRowsByField } from '../i2i-trainer';
import { meanSoftplus, rowDot } from '../losses';
import { adam } from '../optimizer';
import { mulberry32, randInt } from '../random';
import { SparseInputs, disposeSparseBatch } from '../sparse-inputs';
import { backendName, tf } from '../tf';
import { transformFields } from '../towers';
import { TrainProgress, planBatches, runTrainingLoop } from '../training-loop';
import { DEFAULT_DSSM_ARCH, DssmArchConfig, DssmTowers } from './towers';
import {
  STARS_TRAIN_DEFAULTS,
  StarsLearned,
  StarsTrainOptions,
  StarsTraining,
  starsEnabled,
} from './stars-training';

/** StarsTrainOptions (stars-training.ts): item delta, logQ softmax, context offsets; all off by default. */
export interface DssmTrainConfig extends DssmArchConfig, StarsTrainOptions {
  epochs: number;
  /** Positive (user, song) pairs per step. */
  batchSize: number;
  /** Negatives per step, shared by every positive of the step. */
  negatives: number;
  /** Share of negatives drawn ∝ listeners^negativePower (rest uniform). */
  popularNegatives: number;
  negativePower: number;
  /** Multiplicative Gaussian noise on the item tower's field embeddings while training (0 = off). */
  itemNoise: number;
  /**
   * Item-ID fields (modalities in `idModalities`, e.g. SID prefixes, hashed song IDs) zeroed for
   * this share of the training items of each step (DropoutNet-style; 0 = off). Why: a cold song
   * carries ID features learned from a few warm songs; training with them sometimes missing
   * keeps the content path able to rank alone, so those rows only add what they know.
   */
  idDropout: number;
  idModalities: string[];
  /**
   * Weight of the next-intent task (issue 16, STARS' h_next trained with the same towers): the
   * user and boundary towers also see the mean of the user's `nextLength` MOST RECENT songs
   * (`recentHistories`) and must score the same target against the same negatives. 0 = off.
   * Why: h_next is pooled from a short recent window at serving time; trained only on 50-song
   * means, the towers map short windows close to the long-term vector.
   */
  nextWeight: number;
  nextLength: number;
  learningRate: number;
  /** Weight of positives (negatives get 1 − α); 0.5 = unweighted BCE. */
  alpha: number;
  /** Steps between refreshes of the cached item vectors used for history pooling. */
  refreshEvery: number;
  patience: number;
  /** Cap on positives per epoch (random subset each epoch); 0 = all. */
  maxPositivesPerEpoch: number;
}

export const DEFAULT_DSSM_TRAIN_CONFIG: DssmTrainConfig = {
  ...DEFAULT_DSSM_ARCH,
  epochs: 15,
  batchSize: 512,
  negatives: 512,
  popularNegatives: 0.8,
  negativePower: 1,
  itemNoise: 0,
  idDropout: 0,
  idModalities: [],
  nextWeight: 0,
  nextLength: 20,
  learningRate: 2e-3,
  alpha: 0.15,
  refreshEvery: 50,
  patience: 3,
  maxPositivesPerEpoch: 0,
  ...STARS_TRAIN_DEFAULTS,
};

export interface DssmTrainingData {
  fields: FieldSpec[];
  inputDim: number;
  /** N × inputDim row-major inputs of the training songs. */
  inputs: Float32Array;
  numItems: number;
  /** Per user: indices of its training songs, strongest first (users without songs: empty). */
  histories: Int32Array[];
  /** Optional calendar bucket of each history entry (same shape; −1 = unknown), for contextBuckets. */
  historyBuckets?: Int32Array[];
  /** Per user: training songs MOST RECENT first (for nextWeight > 0). */
  recentHistories?: Int32Array[];
}

export interface DssmEpochMetrics {
  epoch: number;
  loss: number;
  positives: number;
  seconds: number;
  positivesPerSecond: number;
  validation?: number;
}

export interface DssmTrainHooks {
  /** Item tower weights to start from (e.g. `initItemTowerFromI2I`); runs before training. */
  init?: (towers: DssmTowers) => Promise<void> | void;
  /** After each epoch; may return a validation score (higher is better) for early stopping. */
  onEpoch?: (
    epoch: number,
    metrics: DssmEpochMetrics,
    towers: DssmTowers,
    learned: StarsLearned,
  ) => Promise<number | undefined> | number | undefined;
  onProgress?: (p: TrainProgress) => void;
  log?: (message: string) => void;
}

export interface DssmTrainResult {
  towers: DssmTowers;
  config: DssmTrainConfig;
  history: DssmEpochMetrics[];
  bestEpoch: number;
  bestValidation?: number;
  trainSeconds: number;
  totalSeconds: number;
  positivesPerSecond: number;
  backend: string;
  /** Item deltas / context offsets of the best epoch (STARS options; empty when off). */
  learned: StarsLearned;
}

/** Cumulative sampling table ∝ listeners^power over the training songs. */
function popularityTable(data: DssmTrainingData, power: number): Float64Array {
  const counts = new Float64Array(data.numItems);
  for (const h of data.histories) for (const j of h) counts[j]++;
  const cum = new Float64Array(data.numItems);
  let acc = 0;
  for (let j = 0; j < data.numItems; j++) cum[j] = acc += Math.pow(counts[j], power);
  return cum;
}

function sampleCum(cum: Float64Array, r: number): number {
  const x = r * cum[cum.length - 1];
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Item-tower vectors of all training songs (no gradient), N × d. */
function embedAll(towers: DssmTowers, data: DssmTrainingData, chunk = 2048): Float32Array {
  const d = towers.dim;
  const D = data.inputDim;
  const out = new Float32Array(data.numItems * d);
  for (let s = 0; s < data.numItems; s += chunk) {
    const rows = Math.min(chunk, data.numItems - s);
    const v = tf.tidy(() =>
      towers.item.apply(tf.tensor2d(data.inputs.subarray(s * D, (s + rows) * D), [rows, D])),
    );
    out.set(v.dataSync(), s * d);
    v.dispose();
  }
  return out;
}

/** Trains the DSSM. Call `await initTf()` first. */
export async function trainDssm(
  data: DssmTrainingData,
  partial: Partial<DssmTrainConfig> = {},
  hooks: DssmTrainHooks = {},
): Promise<DssmTrainResult> {
  const cfg: DssmTrainConfig = { ...DEFAULT_DSSM_TRAIN_CONFIG, ...partial };
  const log = hooks.log ?? (() => {});
  const rng = mulberry32(cfg.seed);
  const towers = new DssmTowers(data.fields, cfg);
  await hooks.init?.(towers);
  const d = cfg.dim;
  const H = cfg.historyLength;
  const optimizer = adam(cfg.learningRate);

  // Positives: every (user, song) pair of users with ≥ 2 songs (otherwise the history without
  // the target is empty and there is nothing to pool).
  const pu: number[] = [];
  const pi: number[] = [];
  const pb: number[] = [];
  data.histories.forEach((h, u) => {
    if (h.length < 2) return;
    h.forEach((j, t) => {
      pu.push(u);
      pi.push(j);
      pb.push(data.historyBuckets?.[u]?.[t] ?? -1);
    });
  });
  const nPos = pu.length;
  if (nPos === 0) throw new Error('trainDssm: no user has two or more training songs');
  const batches = planBatches(nPos, cfg.batchSize, cfg.maxPositivesPerEpoch);
  const B = batches.batchSize;
  const M = cfg.negatives;
  const popCum = popularityTable(data, cfg.negativePower);
  const stars = starsEnabled(cfg)
    ? new StarsTraining(cfg, data.numItems, d, { popCum, popularShare: cfg.popularNegatives })
    : undefined;
  const vars = [...towers.variables(), ...(stars?.variables() ?? [])];
  // Native backend: the batch's non-zeros only, embedded by kernel-row gathers (as trainI2I
  // does, sparse-inputs.ts); wasm: dense per-field buffers and matmuls.
  const sparse =
    backendName() === 'tensorflow' ? new SparseInputs(data.inputs, data.inputDim, data.fields) : null;
  const fieldBufs = sparse ? [] : data.fields.map((f) => new Float32Array((B + M) * f.width));
  const rows = new Int32Array(B + M);
  const pooled = new Float32Array(B * d);
  const F = data.fields.length;
  const idFields = data.fields.flatMap((f, i) => (cfg.idModalities.includes(f.modality) ? [i] : []));
  const idMask = cfg.idDropout > 0 && idFields.length ? new Float32Array((B + M) * F) : null;

  // History sums over the cached item vectors; the pooled input of (u, target) is
  // (sum_u − v_target·[target in top-H]) / (k_u − [target in top-H]).
  let cache: Float32Array = new Float32Array(0);
  const sums = new Float32Array(data.histories.length * d);
  const topH = data.histories.map((h) => new Set(h.subarray(0, H)));
  // The next-intent view: the same sums over each user's most recent songs.
  const K = cfg.nextLength;
  const recent = cfg.nextWeight > 0 ? data.recentHistories : undefined;
  if (cfg.nextWeight > 0 && !recent) throw new Error('trainDssm: nextWeight > 0 needs recentHistories');
  const recentSums = recent ? new Float32Array(recent.length * d) : null;
  const topK = recent?.map((h) => new Set(h.subarray(0, K)));
  const pooledNext = recent ? new Float32Array(B * d) : null;
  const sumTop = (hs: Int32Array[], n: number, out: Float32Array) => {
    out.fill(0);
    hs.forEach((h, u) => {
      const k = Math.min(n, h.length);
      for (let t = 0; t < k; t++) for (let c = 0; c < d; c++) out[u * d + c] += cache[h[t] * d + c];
    });
  };
  const refresh = () => {
    cache = stars ? stars.adaptCache(embedAll(towers, data)) : embedAll(towers, data);
    sumTop(data.histories, H, sums);
    if (recent && recentSums) sumTop(recent, K, recentSums);
  };

  /** One Adam step on a batch of positives and M shared negatives; returns [loss]. */
  const step = (batch: Int32Array, stepIndex: number): number[] => {
    if (stepIndex % cfg.refreshEvery === 0) refresh();
    pooled.fill(0);
    for (let r = 0; r < B; r++) {
      const u = pu[batch[r]];
      const target = pi[batch[r]];
      rows[r] = target;
      const drop = topH[u].has(target);
      const k = Math.min(H, data.histories[u].length) - (drop ? 1 : 0);
      for (let c = 0; c < d; c++)
        pooled[r * d + c] = (sums[u * d + c] - (drop ? cache[target * d + c] : 0)) / k;
      if (recent && recentSums && pooledNext) {
        const dropN = topK![u].has(target);
        const kn = Math.max(1, Math.min(K, recent[u].length) - (dropN ? 1 : 0));
        for (let c = 0; c < d; c++)
          pooledNext[r * d + c] = (recentSums[u * d + c] - (dropN ? cache[target * d + c] : 0)) / kn;
      }
    }
    for (let r = B; r < B + M; r++)
      rows[r] = rng() < cfg.popularNegatives ? sampleCum(popCum, rng()) : randInt(rng, data.numItems);
    stars?.prepare(rows, B, (r) => pb[batch[r]]);
    const sb = sparse ? sparse.batch(rows) : null;
    if (!sparse) copyRowsByField(data.inputs, data.inputDim, data.fields, rows, fieldBufs, 0);
    const x = sparse ? [] : data.fields.map((f, i) => tf.tensor2d(fieldBufs[i], [B + M, f.width]));
    const pooledT = tf.tensor2d(pooled, [B, d]);
    const pooledNextT = pooledNext ? tf.tensor2d(pooledNext, [B, d]) : undefined;
    const noiseSeed = Math.floor(rng() * 2 ** 31);
    if (idMask) {
      idMask.fill(1);
      for (let r = 0; r < B + M; r++)
        if (rng() < cfg.idDropout) for (const i of idFields) idMask[r * F + i] = 0;
    }
    const maskT = idMask ? tf.tensor2d(idMask, [B + M, F]) : undefined;
    const loss = optimizer.minimize(
      () => {
        const tower = sb
          ? towers.item.fromFieldMatrix(
              cfg.itemNoise > 0 || maskT
                ? transformFields(towers.item.fieldMatrixSparse(sb), F, maskT, cfg.itemNoise, noiseSeed)
                : towers.item.fieldMatrixSparse(sb),
            )
          : towers.item.fromFields(towers.item.fieldEmbeddings(x), maskT, cfg.itemNoise, noiseSeed);
        const v = stars ? stars.items(tower) : tower;
        const [vp, vn] = tf.split<tf.Tensor2D>(v, [B, M], 0);
        const ub0 = towers.userAndBoundary(towers.userInput(pooledT));
        const u = stars ? stars.user(ub0.u) : ub0.u;
        const b = ub0.b;
        const vnT = tf.transpose(vn);
        /** Weighted BCE of the (user, boundary) pair on the step's positives and shared negatives. */
        const gateBce = (uu: tf.Tensor2D, bb: tf.Tensor2D) => {
          const ub = tf.reshape(rowDot(uu, bb), [B, 1]);
          const xPos = tf.sub(rowDot(uu, vp), tf.reshape(ub, [B]));
          // u·vnᵀ via a plain matMul on an explicit transpose (fast kernel on wasm).
          const xNeg = tf.sub(tf.matMul(uu, vnT), ub);
          const lPos = meanSoftplus(tf.neg(xPos));
          const lNeg = meanSoftplus(xNeg);
          return tf.add<tf.Scalar>(tf.mul(lPos, cfg.alpha), tf.mul(lNeg, 1 - cfg.alpha));
        };
        let bce = gateBce(u, b);
        if (pooledNextT) {
          const next = towers.userAndBoundary(towers.userInput(pooledNextT));
          bce = tf.add<tf.Scalar>(bce, tf.mul(gateBce(next.u, next.b), cfg.nextWeight));
        }
        const sm = stars?.softmaxLoss(tf.reshape(rowDot(u, vp), [B, 1]), tf.matMul(u, vnT), B);
        return sm ? tf.add<tf.Scalar>(bce, sm) : bce;
      },
      true,
      vars,
    );
    x.forEach((t) => t.dispose());
    if (sb) disposeSparseBatch(sb);
    pooledT.dispose();
    pooledNextT?.dispose();
    maskT?.dispose();
    stars?.release();
    const value = loss!.dataSync()[0];
    loss!.dispose();
    return [value];
  };

  const fit = await runTrainingLoop<DssmEpochMetrics>({
    epochs: cfg.epochs,
    patience: cfg.patience,
    batches,
    rng,
    keepBest: vars,
    step,
    epochMetrics: (epoch, { seconds, examples, lossSums: [sumLoss] }) => ({
      epoch,
      loss: sumLoss / batches.steps,
      positives: examples,
      seconds,
      positivesPerSecond: examples / seconds,
    }),
    describe: (m) => `loss ${m.loss.toFixed(4)} ${m.positivesPerSecond.toFixed(0)} positives/s`,
    validate: (epoch, metrics) => hooks.onEpoch?.(epoch, metrics, towers, stars?.learned() ?? {}),
    onProgress: hooks.onProgress,
    log,
  });
  optimizer.dispose();
  const learned = stars?.learned() ?? {};
  stars?.dispose();
  return {
    towers,
    config: cfg,
    history: fit.history,
    bestEpoch: fit.bestEpoch,
    bestValidation: fit.bestValidation,
    trainSeconds: fit.trainSeconds,
    totalSeconds: fit.totalSeconds,
    positivesPerSecond: fit.examples / Math.max(1e-9, fit.trainSeconds),
    backend: backendName(),
    learned,
  };
}
