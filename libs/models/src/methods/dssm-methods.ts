/**
 * DSSM rows of bench:quality and the model behind `trainer train dssm`: the three-tower DSSM of
 * libs/models trained on the warm songs of a TrainContext, early-stopped on the cold VALIDATION
 * items (gate F1 + Recall@20 of the boundary model; the test split is never looked at).
 *  - `dssm-topk`: the same towers without the boundary (the evaluator gates by a fixed top-k);
 *  - `dssm-boundary`: gate u·i > u·b.
 * Both rows share ONE training run per TrainContext (cached), so they differ only in the gate.
 */
import {
  Item,
  TrainContext,
  U2IMethod,
  U2IModel,
  auc,
  deriveSeed,
  gateScores,
  mulberry32,
  randInt,
} from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { DssmModel, UserVectors, initItemTowerFromI2I } from '../dssm/model';
import type { DssmTowers } from '../dssm/towers';
import { ContextOffsets, MONTH_BUCKETS, monthBucket } from '../dssm/context-offsets';
import { DssmTrainConfig, DssmTrainResult, trainDssm } from '../dssm/trainer';
import { StarsLearned, addItemDelta } from '../dssm/stars-training';
import type { TrainProgress } from '../i2i-trainer';
import { initTf } from '../tf';

/**
 * Per-dataset overrides of the trainer defaults, chosen on cold VALIDATION items only. Last.fm:
 * an artist's tag profile does carry popularity, so dividing popularity out costs ranking and
 * gate quality there: at 50% popularity negatives the best val F1 + R@20 was 0.835 (F1 0.227,
 * R@20 0.608) against 0.751 (F1 0.190, R@20 0.561) at the synthetic-tuned 80%.
 */
const DATASET_CONFIG: Record<string, Partial<DssmTrainConfig>> = {
  lastfm: { popularNegatives: 0.5 },
};

export interface DssmMethodOptions {
  config?: Partial<DssmTrainConfig>;
  /** I2I artifact directory whose item tower initialises the DSSM item tower. */
  fromI2I?: string;
  /** Initialises the towers before training (wins over fromI2I). */
  init?: (towers: DssmTowers) => Promise<void> | void;
  onProgress?: (p: TrainProgress) => void;
  /** Receives the shared fit (towers and user vectors) once trained. */
  onFit?: (fit: DssmFit, ctx: TrainContext) => void;
}

/** Boundary-gate quality on the cold validation items (what early stopping maximises). */
export interface DssmValidation {
  f1: number;
  precision: number;
  recall: number;
  recall20: number;
  passRate: number;
  /** u·i − u·b on listened vs as many random unlistened (user, item) pairs. */
  auc: number;
  /** Synthetic only: share of hits-only users passing no cold val item / of others passing ≥ 1. */
  hitsOnlyShownNone?: number;
  othersShownSome?: number;
  score: number;
}

export interface DssmFit {
  model: DssmModel;
  train: DssmTrainResult;
  validation?: DssmValidation;
  /** User and boundary vectors of ctx.dataset.users (in that order) from their training history. */
  vectors: UserVectors;
  userRow: Map<string, number>;
}

/** Per user: indices into `warm` of its training songs, strongest (most plays) first. */
function trainingHistories(ctx: TrainContext, warmIndex: Map<string, number>): Int32Array[] {
  const byUser = new Map<string, Array<{ j: number; s: number }>>();
  for (const it of ctx.split.train) {
    const j = warmIndex.get(it.itemId);
    if (j === undefined) continue;
    let l = byUser.get(it.userId);
    if (!l) byUser.set(it.userId, (l = []));
    l.push({ j, s: it.strength });
  }
  return ctx.dataset.users.map((u) =>
    Int32Array.from(
      (byUser.get(u) ?? []).sort((a, b) => b.s - a.s || a.j - b.j),
      (x) => x.j,
    ),
  );
}

/** Per user: indices into `warm` of its training songs, most recent first (no `at`: strongest first). */
export function recentFirstHistories(ctx: TrainContext, warmIndex: Map<string, number>): Int32Array[] {
  const byUser = new Map<string, Array<{ j: number; at: number; s: number }>>();
  for (const it of ctx.split.train) {
    const j = warmIndex.get(it.itemId);
    if (j === undefined) continue;
    let l = byUser.get(it.userId);
    if (!l) byUser.set(it.userId, (l = []));
    l.push({ j, at: it.at ?? 0, s: it.strength });
  }
  return ctx.dataset.users.map((u) =>
    Int32Array.from(
      (byUser.get(u) ?? []).sort((a, b) => b.at - a.at || b.s - a.s || a.j - b.j),
      (x) => x.j,
    ),
  );
}

/** UTC month (0–11) of each history entry's last play; −1 without a timestamp. */
function monthBuckets(ctx: TrainContext, warm: string[], histories: Int32Array[]): Int32Array[] {
  const at = new Map<string, number>();
  for (const it of ctx.split.train) if (it.at !== undefined) at.set(`${it.userId}\u0001${it.itemId}`, it.at);
  return ctx.dataset.users.map((u, r) =>
    Int32Array.from(histories[r], (j) => {
      const t = at.get(`${u}\u0001${warm[j]}`);
      return t === undefined ? -1 : monthBucket(t);
    }),
  );
}

/** User vectors from histories over the (current) item vectors of the warm songs. */
function userVectors(model: DssmModel, warmVecs: Float32Array, histories: Int32Array[]): UserVectors {
  const d = model.dim;
  return model.embedUsersFromItemVectors(
    histories.map((h) => {
      const k = Math.min(model.historyLength, h.length);
      const out = new Float32Array(k * d);
      for (let t = 0; t < k; t++) out.set(warmVecs.subarray(h[t] * d, (h[t] + 1) * d), t * d);
      return out;
    }),
  );
}

/** Boundary gate F1 over all (user, cold val item) pairs and per-user Recall@20 of u·i. */
function validate(ctx: TrainContext, model: DssmModel, uv: UserVectors): DssmValidation {
  const ids = ctx.split.coldValItems;
  const byId = new Map(ctx.dataset.items.map((i) => [i.id, i]));
  const col = new Map(ids.map((id, i) => [id, i]));
  const I = model.embedItems(ids.map((id) => byId.get(id)!.content));
  const truth = new Map<string, Set<number>>();
  for (const it of ctx.split.coldVal) {
    let s = truth.get(it.userId);
    if (!s) truth.set(it.userId, (s = new Set()));
    s.add(col.get(it.itemId)!);
  }
  const d = model.dim;
  const n = ids.length;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let passed = 0;
  const recalls: number[] = [];
  const users = ctx.dataset.users;
  const margins = new Float32Array(users.length * n);
  const scores = new Float32Array(n);
  const pos: number[] = [];
  const shown = { hits: 0, hitsN: 0, others: 0, othersN: 0 };
  const hitsOnly = ctx.dataset.hitsOnlyUsers;
  users.forEach((user, u) => {
    const rel = truth.get(user) ?? new Set<number>();
    let any = false;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += uv.users[u * d + c] * I[i * d + c];
      scores[i] = s;
      margins[u * n + i] = s - uv.thresholds[u];
      if (rel.has(i)) pos.push(margins[u * n + i]);
      const pass = uv.hasHistory[u] && s > uv.thresholds[u];
      any ||= pass;
      if (pass) passed++;
      if (pass && rel.has(i)) tp++;
      else if (pass) fp++;
      else if (rel.has(i)) fn++;
    }
    if (hitsOnly?.has(user)) {
      shown.hitsN++;
      if (!any) shown.hits++;
    } else {
      shown.othersN++;
      if (any) shown.others++;
    }
    if (rel.size === 0) return;
    const top = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => scores[b] - scores[a])
      .slice(0, 20);
    recalls.push(top.filter((i) => rel.has(i)).length / Math.min(20, rel.size));
  });
  const { precision, recall, f1 } = gateScores({ tp, fp, fn });
  const recall20 = recalls.reduce((a, b) => a + b, 0) / Math.max(1, recalls.length);
  const rng = mulberry32(deriveSeed(ctx.seed, 'dssm-val-negatives'));
  const neg: number[] = [];
  for (let guard = 0; neg.length < pos.length && guard < 50 * pos.length; guard++) {
    const u = randInt(rng, users.length);
    const i = randInt(rng, n);
    if (!truth.get(users[u])?.has(i)) neg.push(margins[u * n + i]);
  }
  // Both halves matter: the boundary (F1) and the ranking both rows share (Recall@20).
  return {
    f1,
    precision,
    recall,
    recall20,
    passRate: passed / Math.max(1, n * users.length),
    auc: auc(pos, neg) ?? 0.5,
    ...(hitsOnly?.size
      ? { hitsOnlyShownNone: shown.hits / shown.hitsN, othersShownSome: shown.others / shown.othersN }
      : {}),
    score: f1 + recall20,
  };
}

/**
 * A saved DSSM as a fit on a TrainContext: user and boundary vectors of ctx.dataset.users from
 * their training histories, as fitDssm computes them (for `trainer train audience`).
 */
export function dssmFitFromModel(
  ctx: TrainContext,
  model: DssmModel,
): Pick<DssmFit, 'model' | 'vectors' | 'userRow'> {
  const byId = new Map(ctx.dataset.items.map((i) => [i.id, i]));
  const warm = ctx.split.warmItems;
  const inputs = model.featurizer.encodeBatch(warm.map((id) => byId.get(id)!.content));
  const histories = trainingHistories(ctx, new Map(warm.map((id, j) => [id, j])));
  const vectors = userVectors(model, model.embedItemInputs(inputs, warm.length), histories);
  return { model, vectors, userRow: new Map(ctx.dataset.users.map((u, i) => [u, i])) };
}

/**
 * The gate offset τ (pass when u·i − u·b > τ) with the best F1 over every (user, cold
 * VALIDATION item) pair: margins sorted once, F1 swept over every cut. Users without history
 * never pass, whatever τ.
 */
export function calibrateGateOffset(
  ctx: TrainContext,
  model: DssmModel,
  uv: UserVectors,
): { offset: number; f1: number } {
  const ids = ctx.split.coldValItems;
  const byId = new Map(ctx.dataset.items.map((i) => [i.id, i]));
  const col = new Map(ids.map((id, i) => [id, i]));
  const I = model.embedItems(ids.map((id) => byId.get(id)!.content));
  const listened = new Set(ctx.split.coldVal.map((it) => `${it.userId}\u0001${col.get(it.itemId)}`));
  const d = model.dim;
  const margins: number[] = [];
  const labels: boolean[] = [];
  let positives = 0;
  ctx.dataset.users.forEach((user, u) => {
    for (let i = 0; i < ids.length; i++) {
      const label = listened.has(`${user}\u0001${i}`);
      if (label) positives++;
      if (!uv.hasHistory[u]) continue;
      let s = 0;
      for (let c = 0; c < d; c++) s += uv.users[u * d + c] * I[i * d + c];
      margins.push(s - uv.thresholds[u]);
      labels.push(label);
    }
  });
  const order = margins.map((_, i) => i).sort((a, b) => margins[b] - margins[a]);
  let best = { offset: 0, f1: -1 };
  let tp = 0;
  for (let r = 0; r < order.length; r++) {
    if (labels[order[r]]) tp++;
    // Cut between r and r + 1: the r + 1 best pass.
    const next = r + 1 < order.length ? margins[order[r + 1]] : margins[order[r]] - 1;
    if (next === margins[order[r]]) continue;
    const f1 = (2 * tp) / (r + 1 + positives);
    if (f1 > best.f1) best = { offset: (margins[order[r]] + next) / 2, f1 };
  }
  return best.f1 < 0 ? { offset: 0, f1: 0 } : best;
}

/** Trains the DSSM on a TrainContext (used by both bench rows and `trainer train dssm`). */
export async function fitDssm(ctx: TrainContext, opts: DssmMethodOptions = {}): Promise<DssmFit> {
  await initTf({ log: ctx.log });
  const featurizer = new Featurizer(ctx.dataset.schema);
  const byId = new Map(ctx.dataset.items.map((i) => [i.id, i]));
  const warm = ctx.split.warmItems;
  const warmIndex = new Map(warm.map((id, j) => [id, j]));
  const inputs = featurizer.encodeBatch(warm.map((id) => byId.get(id)!.content));
  const histories = trainingHistories(ctx, warmIndex);
  const config = { seed: ctx.seed, ...DATASET_CONFIG[ctx.dataset.name], ...opts.config };
  if (config.contextBuckets && config.contextBuckets !== MONTH_BUCKETS)
    throw new Error(
      `contextBuckets: only ${MONTH_BUCKETS} (months of the year) is supported, got ${config.contextBuckets}`,
    );
  // Warm vectors carry the learned per-song deltas when the itemDelta option trained them.
  const evaluate = (towersModel: DssmModel, learned: StarsLearned = {}) => {
    const warmVecs = towersModel.embedItemInputs(inputs, warm.length);
    if (learned.itemDelta) addItemDelta(warmVecs, learned.itemDelta, towersModel.dim);
    const uv = userVectors(towersModel, warmVecs, histories);
    return { uv, val: validate(ctx, towersModel, uv) };
  };
  let bestVal: DssmValidation | undefined;
  const train = await trainDssm(
    {
      fields: featurizer.fields,
      inputDim: featurizer.inputDim,
      inputs,
      numItems: warm.length,
      histories,
      historyBuckets: config.contextBuckets ? monthBuckets(ctx, warm, histories) : undefined,
      recentHistories: config.nextWeight ? recentFirstHistories(ctx, warmIndex) : undefined,
    },
    config,
    {
      log: (m) => ctx.log(`[dssm] ${m}`),
      onProgress: opts.onProgress,
      init: opts.init ?? (opts.fromI2I ? (towers) => initItemTowerFromI2I(towers, opts.fromI2I!) : undefined),
      onEpoch: (epoch, metrics, towers, learned) => {
        const { val } = evaluate(new DssmModel(featurizer, towers), learned);
        ctx.log(
          `[dssm] epoch ${epoch} val gate F1 ${val.f1.toFixed(4)} (P ${val.precision.toFixed(3)} R ${val.recall.toFixed(3)}, ` +
            `pass ${(100 * val.passRate).toFixed(2)}%) AUC ${val.auc.toFixed(4)} R@20 ${val.recall20.toFixed(4)}` +
            (val.hitsOnlyShownNone !== undefined
              ? ` hits-only shown none ${val.hitsOnlyShownNone.toFixed(3)}, others shown some ${val.othersShownSome!.toFixed(3)}`
              : ''),
        );
        ctx.curve('dssm', epoch, { loss: metrics.loss, valGateF1: val.f1, valRecall20: val.recall20 });
        if (!bestVal || val.score > bestVal.score) bestVal = val;
        return val.score;
      },
    },
  );
  const uncalibrated = new DssmModel(featurizer, train.towers);
  const { uv } = evaluate(uncalibrated, train.learned);
  const gate = calibrateGateOffset(ctx, uncalibrated, uv);
  const learnedContext = train.learned.contextOffsets;
  const model = uncalibrated
    .withGateOffset(gate.offset)
    .withContext(learnedContext && new ContextOffsets(learnedContext, uncalibrated.dim));
  ctx.log(
    `[dssm] gate offset τ ${gate.offset.toFixed(4)} calibrated on cold validation (val F1 ${gate.f1.toFixed(4)}; uncalibrated ${bestVal?.f1.toFixed(4) ?? '-'})`,
  );
  ctx.log(
    `[dssm] best epoch ${train.bestEpoch}: val gate F1 ${bestVal?.f1.toFixed(4) ?? '-'} R@20 ${bestVal?.recall20.toFixed(4) ?? '-'}; ` +
      `${train.trainSeconds.toFixed(1)} s training, ${train.positivesPerSecond.toFixed(0)} positives/s on ${train.backend}`,
  );
  return {
    model,
    train,
    validation: bestVal,
    vectors: uv,
    userRow: new Map(ctx.dataset.users.map((u, i) => [u, i])),
  };
}

/** Rows of per-user vectors (N × d, in fit.userRow order) for `userIds`; unknown users: zeros (refused). */
export function userRowsOf(
  fit: Pick<DssmFit, 'model' | 'userRow'>,
  which: Float32Array,
  userIds: string[],
): Float32Array {
  const d = fit.model.dim;
  const out = new Float32Array(userIds.length * d);
  userIds.forEach((id, r) => {
    const row = fit.userRow.get(id);
    if (row !== undefined) out.set(which.subarray(row * d, (row + 1) * d), r * d);
  });
  return out;
}

/** The evaluation's view of a fit: with or without the boundary vectors. */
export function asU2IModel(
  fit: Pick<DssmFit, 'model' | 'userRow' | 'vectors'>,
  withBoundary: boolean,
): U2IModel {
  const d = fit.model.dim;
  const rowsOf = (which: Float32Array, userIds: string[]) => userRowsOf(fit, which, userIds);
  const model: U2IModel = {
    dim: d,
    embedItems: (items: Item[]) => fit.model.embedItems(items.map((i) => i.content)),
    embedUsers: (ids) => rowsOf(fit.vectors.users, ids),
  };
  if (withBoundary) {
    model.embedBoundaries = (ids) => rowsOf(fit.vectors.boundaries, ids);
    model.gateOffset = fit.model.gateOffset;
  }
  return model;
}

/** One DSSM training run per TrainContext, shared by every row built on it. */
export type DssmFitOnce = (ctx: TrainContext) => Promise<DssmFit>;

export function dssmFitOnce(opts: DssmMethodOptions = {}): DssmFitOnce {
  const fits = new WeakMap<TrainContext, Promise<DssmFit>>();
  return (ctx: TrainContext) => {
    let f = fits.get(ctx);
    if (!f) {
      fits.set(ctx, (f = fitDssm(ctx, opts)));
      // The failure itself reaches the caller through f; this branch only must not be unhandled.
      f.then((fit) => opts.onFit?.(fit, ctx)).catch(() => undefined);
    }
    return f;
  };
}

/** `dssm-topk` and `dssm-boundary`, sharing one training run per TrainContext (`fitOnce`). */
export function dssmMethods(opts: DssmMethodOptions = {}, fitOnce = dssmFitOnce(opts)): U2IMethod[] {
  return [
    { name: 'dssm-topk', fit: async (ctx) => asU2IModel(await fitOnce(ctx), false) },
    { name: 'dssm-boundary', fit: async (ctx) => asU2IModel(await fitOnce(ctx), true) },
  ];
}
