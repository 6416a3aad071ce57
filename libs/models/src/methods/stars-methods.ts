/**
 * Dual-memory rows of bench:quality (issue 16), on the SAME DSSM fit as `dssm-boundary`
 * (dssm/stars.ts), so they differ from it only in how users are pooled and ranked:
 *  - `dssm-dual-memory`: cold items ranked and gated by the mix (1 − λ)·h_gen + λ·h_next;
 *  - `dssm-dual-memory-rr`: the h_gen list and the h_next list interleaved round-robin
 *    (duplicates skipped), s h_gen ranks per h_next rank each turn (s ∈ RR_SHARES, chosen on
 *    validation; s = 1 is STARS' interleave); the gate is the same mix.
 * recentLength (halfLife = recentLength / 2) and λ are chosen on cold VALIDATION R@20; τ of the
 * mixed gate is recalibrated on cold validation. "Recent" is the order of the training plays by
 * their timestamp (`at`, last play); a dataset without timestamps (Last.fm) falls back to the
 * strongest-first order, so there h_next is a short memory of favourites, not of recent plays.
 */
import { TrainContext, U2IMethod, U2IModel, mean, recallAtK, roundRobin } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { UserVectors } from '../dssm/model';
import { DualMemoryConfig, mixUserVectors, nextIntentVectors } from '../dssm/stars';
import {
  DssmFit,
  DssmFitOnce,
  asU2IModel,
  calibrateGateOffset,
  recentFirstHistories,
  userRowsOf,
} from './dssm-methods';

const RECENT_LENGTHS = [5, 10, 20];
const MIXES = [0.1, 0.25, 0.5, 0.75];
/**
 * Round-robin shares [h_gen ranks, h_next ranks] per turn: one each is STARS' interleave; more
 * long-term picks per next-intent pick suit a truth (a year of plays) that is mostly long-term.
 */
const RR_SHARES = [1, 2, 3];

export interface DualMemoryFit {
  gen: UserVectors;
  next: UserVectors;
  /** Next-intent vectors of the round-robin row (its own recentLength). */
  nextRr: UserVectors;
  /** h_gen ranks per h_next rank in each turn of the round-robin row. */
  rrShare: number;
  mixed: UserVectors;
  config: DualMemoryConfig;
  rrRecentLength: number;
  gateOffset: number;
  /** Cold-validation R@20 of every grid point, for the log. */
  grid: string[];
}

/** Mean R@20 over users with cold validation songs, each user's ranking from `rank`. */
function valRecall20(ctx: TrainContext, rank: (u: number) => number[]): number {
  const ids = ctx.split.coldValItems;
  const truth = new Map<string, Set<string>>();
  for (const it of ctx.split.coldVal) {
    let s = truth.get(it.userId);
    if (!s) truth.set(it.userId, (s = new Set()));
    s.add(it.itemId);
  }
  const rs: number[] = [];
  ctx.dataset.users.forEach((user, u) => {
    const rel = truth.get(user);
    if (rel?.size)
      rs.push(
        recallAtK(
          rank(u).map((i) => ids[i]),
          rel,
          20,
        )!,
      );
  });
  return mean(rs) ?? 0;
}

/** Indices of the n items by descending u·i for user row u. */
function ranker(users: Float32Array, items: Float32Array, d: number, n: number) {
  return (u: number): number[] => {
    const s = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let c = 0; c < d; c++) x += users[u * d + c] * items[i * d + c];
      s[i] = x;
    }
    return Array.from({ length: n }, (_, i) => i).sort((a, b) => s[b] - s[a]);
  };
}

/** h_next, the mix and the round-robin choice on cold validation, over a trained DSSM fit. */
export function fitDualMemory(ctx: TrainContext, fit: DssmFit): DualMemoryFit {
  const model = fit.model;
  const d = model.dim;
  const featurizer = new Featurizer(ctx.dataset.schema);
  const byId = new Map(ctx.dataset.items.map((i) => [i.id, i]));
  const warm = ctx.split.warmItems;
  const warmVecs = model.embedItemInputs(
    featurizer.encodeBatch(warm.map((id) => byId.get(id)!.content)),
    warm.length,
  );
  const recent = recentFirstHistories(ctx, new Map(warm.map((id, j) => [id, j])));
  const valIds = ctx.split.coldValItems;
  const I = model.embedItems(valIds.map((id) => byId.get(id)!.content));
  const n = valIds.length;
  const gen = fit.vectors;
  const genRank = ranker(gen.users, I, d, n);
  const genRanks = ctx.dataset.users.map((_, u) => genRank(u));
  const grid: string[] = [];
  let best = { val: -1, config: { recentLength: 10, halfLife: 5, mix: 0.5 }, next: gen, mixed: gen };
  let bestRr = { val: -1, recentLength: 10, share: 1, next: gen };
  for (const recentLength of RECENT_LENGTHS) {
    const halfLife = recentLength / 2;
    const next = nextIntentVectors(model, warmVecs, recent, { recentLength, halfLife });
    const nextRank = ranker(next.users, I, d, n);
    const nextRanks = ctx.dataset.users.map((_, u) => nextRank(u));
    for (const share of RR_SHARES) {
      const rr = valRecall20(ctx, (u) => roundRobin([genRanks[u], nextRanks[u]], Infinity, [share, 1]));
      grid.push(`rr R ${recentLength} ${share}:1: ${rr.toFixed(4)}`);
      if (rr > bestRr.val) bestRr = { val: rr, recentLength, share, next };
    }
    for (const mix of MIXES) {
      const mixed = mixUserVectors(gen, next, mix);
      const val = valRecall20(ctx, ranker(mixed.users, I, d, n));
      grid.push(`R ${recentLength} λ ${mix}: ${val.toFixed(4)}`);
      if (val > best.val) best = { val, config: { recentLength, halfLife, mix }, next, mixed };
    }
  }
  const gate = calibrateGateOffset(ctx, model, best.mixed);
  return {
    gen,
    next: best.next,
    nextRr: bestRr.next,
    rrShare: bestRr.share,
    mixed: best.mixed,
    config: best.config,
    rrRecentLength: bestRr.recentLength,
    gateOffset: gate.offset,
    grid,
  };
}

/** `dssm-dual-memory` and `dssm-dual-memory-rr` over the shared DSSM fit of `fitOnce`. */
export function dualMemoryMethods(fitOnce: DssmFitOnce): U2IMethod[] {
  const duals = new WeakMap<TrainContext, Promise<{ fit: DssmFit; dual: DualMemoryFit }>>();
  const dualOnce = (ctx: TrainContext) => {
    let f = duals.get(ctx);
    if (!f) {
      f = fitOnce(ctx).then((fit) => {
        const dual = fitDualMemory(ctx, fit);
        ctx.log(
          `[dual-memory] chosen on cold validation: recentLength ${dual.config.recentLength}, halfLife ${dual.config.halfLife}, ` +
            `λ ${dual.config.mix}; round-robin recentLength ${dual.rrRecentLength} ${dual.rrShare}:1; mixed gate τ ${dual.gateOffset.toFixed(4)} ` +
            `(val R@20 ${dual.grid.join(', ')})`,
        );
        return { fit, dual };
      });
      duals.set(ctx, f);
    }
    return f;
  };
  const mixedModel = (fit: DssmFit, dual: DualMemoryFit): U2IModel =>
    asU2IModel({ ...fit, model: fit.model.withGateOffset(dual.gateOffset), vectors: dual.mixed }, true);
  return [
    {
      name: 'dssm-dual-memory',
      fit: async (ctx) => {
        const { fit, dual } = await dualOnce(ctx);
        return mixedModel(fit, dual);
      },
    },
    {
      name: 'dssm-dual-memory-rr',
      fit: async (ctx) => {
        const { fit, dual } = await dualOnce(ctx);
        return {
          ...mixedModel(fit, dual),
          embedUserLists: (ids: string[]) => [
            userRowsOf(fit, dual.gen.users, ids),
            userRowsOf(fit, dual.nextRr.users, ids),
          ],
          listShares: [dual.rrShare, 1],
        };
      },
    },
  ];
}
