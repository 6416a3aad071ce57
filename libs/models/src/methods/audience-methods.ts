/**
 * Audience methods fitted on a TrainContext: the bench:quality rows and what `trainer train`
 * saves for serving. Every hyper-parameter is chosen on the cold VALIDATION items.
 *  - `content-ridge`: closed-form ridge from the content input to warm users' listening;
 *  - `u2i-audience`: users scored directly by the DSSM — item tower · user vectors, optionally
 *    minus the user's boundary (chosen on validation);
 *  - `fusion`: a weighted blend of audience methods, weights on a grid over validation.
 */
import {
  AudienceMember,
  AudienceMethod,
  AudienceOptions,
  AudienceQuery,
  FusionAudience,
  LinearUserScorer,
  ScoredAudience,
  VectorUserScorer,
} from '@debut/audience';
import { normaliseRows, type AudienceFit, type ItemEncoder, type TrainContext } from '@debut/evaluation';
import { fitRidge, sparseRows, type RidgeFit } from '../ridge';
import type { DssmFit } from './dssm-methods';

export const RIDGE_LAMBDAS = [1, 3, 10, 30, 100];

/** Rows packed and L2-normalised (the evaluation's normaliseRows). */
function unitRows(rows: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return normaliseRows(out, dim);
}

/** Ridge weights from the warm songs of a TrainContext; λ chosen on cold validation. */
export function fitContentRidge(
  ctx: TrainContext,
  inputs: (ids: string[]) => Float32Array[],
  lambdas = RIDGE_LAMBDAS,
): RidgeFit {
  const warm = ctx.split.warmItems;
  const warmRow = new Map(warm.map((id, i) => [id, i]));
  const userCol = new Map(ctx.dataset.users.map((u, i) => [u, i]));
  const warmInputs = inputs(warm);
  const dim = warmInputs[0]?.length ?? 0;
  const x = sparseRows(unitRows(warmInputs, dim), dim);
  // Binary targets: one per distinct (song, user) play; play counts only add noise here.
  const seen = new Set<string>();
  const song: number[] = [];
  const user: number[] = [];
  for (const it of ctx.split.train) {
    const key = `${it.itemId}\u0001${it.userId}`;
    const r = warmRow.get(it.itemId);
    const c = userCol.get(it.userId);
    if (r === undefined || c === undefined || seen.has(key)) continue;
    seen.add(key);
    song.push(r);
    user.push(c);
  }
  const targets = {
    users: ctx.dataset.users.length,
    song: Int32Array.from(song),
    user: Int32Array.from(user),
    value: new Float32Array(song.length).fill(1),
  };
  const val = sparseRows(unitRows(ctx.coldValInputs(), dim), dim);
  return fitRidge(x, targets, lambdas, { inputs: val, score: (pred) => ctx.validateUserScores(pred) });
}

export function ridgeAudience(fit: RidgeFit, userIds: readonly string[]): ScoredAudience {
  return new ScoredAudience('content-ridge', new LinearUserScorer(userIds, fit.inputDim, fit.weights));
}

/** `u2i-audience` from a fitted DSSM: u·i − u·b or u·i, whichever is better on validation. */
export async function u2iAudienceFromDssm(
  ctx: TrainContext,
  fit: Pick<DssmFit, 'model' | 'vectors'>,
): Promise<AudienceFit & { margin: boolean }> {
  const embed = (input: Float32Array) => fit.model.embedItemInputs(input, 1);
  const users = ctx.dataset.users;
  const margin = new ScoredAudience(
    'u2i-audience',
    new VectorUserScorer(users, fit.model.dim, fit.vectors.users, embed, fit.vectors.thresholds),
  );
  const dot = new ScoredAudience(
    'u2i-audience',
    new VectorUserScorer(users, fit.model.dim, fit.vectors.users, embed),
  );
  const m = await ctx.validateAudience(margin);
  const d = await ctx.validateAudience(dot);
  return {
    margin: m >= d,
    method: m >= d ? margin : dot,
    notes: `score ${m >= d ? 'u·i − u·b' : 'u·i'} (val R@100: margin ${m.toFixed(4)}, dot ${d.toFixed(4)})`,
  };
}

/** Remembers each component's answer per query object, so a weight grid scores each once. */
class RememberedAudience implements AudienceMethod {
  private readonly seen = new WeakMap<AudienceQuery, AudienceMember[]>();
  constructor(readonly inner: AudienceMethod) {}
  get name(): string {
    return this.inner.name;
  }
  async select(query: AudienceQuery, options?: AudienceOptions): Promise<AudienceMember[]> {
    let m = this.seen.get(query);
    if (!m) this.seen.set(query, (m = await this.inner.select(query, options)));
    return m;
  }
}

export interface FusionCandidate {
  method: AudienceMethod;
  /** True when a trained model (not a closed form, not raw content) produced it. */
  learned: boolean;
}

/**
 * Fusion weights on a grid (each weight in {0, 0.25, …, 1}, not all zero) by cold-validation
 * Recall@100; the components' queries carry the neighbours of `neighbours`.
 */
export async function fitFusion(
  ctx: TrainContext,
  candidates: readonly FusionCandidate[],
  neighbours?: ItemEncoder,
  steps = [0, 0.25, 0.5, 0.75, 1],
): Promise<AudienceFit & { weights: number[]; validation: number }> {
  const remembered = candidates.map((c) => new RememberedAudience(c.method));
  let best = { score: -1, weights: [] as number[] };
  const grid = (i: number, acc: number[]): number[][] =>
    i === candidates.length ? [acc] : steps.flatMap((s) => grid(i + 1, [...acc, s]));
  for (const weights of grid(0, [])) {
    if (weights.every((w) => w === 0)) continue;
    // Scale-free: only the ratios matter, so skip grid points that are multiples of a smaller one.
    const max = Math.max(...weights);
    if (max !== 1) continue;
    const fused = new FusionAudience(remembered.map((method, i) => ({ method, weight: weights[i] })));
    const score = await ctx.validateAudience(fused, neighbours);
    if (score > best.score) best = { score, weights };
  }
  const total = best.weights.reduce((s, w) => s + w, 0);
  const learned = candidates.reduce((s, c, i) => s + (c.learned ? best.weights[i] : 0), 0) / (total || 1);
  return {
    weights: best.weights,
    validation: best.score,
    method: new FusionAudience(candidates.map((c, i) => ({ method: c.method, weight: best.weights[i] }))),
    neighbours,
    notes:
      `weights ${candidates.map((c, i) => `${c.method.name} ${best.weights[i]}`).join(', ')} ` +
      `(val R@100 ${best.score.toFixed(4)}); ${(100 * learned).toFixed(0)}% of the weight on learned parts`,
    metrics: { 'fusion.learnedWeight': learned },
  };
}
