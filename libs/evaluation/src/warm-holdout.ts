/**
 * Opt-in warm holdout (issue 15): a seeded share (default 10%) of each user's plays of WARM
 * songs is hidden from training, so that a model can also be scored on songs it has seen other
 * listeners of (`u2i.recall@20.warm`), beside today's cold-song protocol. Only applied when
 * asked for (`SplitOptions.warmHoldout`, `bench:quality --warm-holdout`): without it the split
 * and every figure stay as they were.
 */
import type { ColdSplit, Interaction, Item, U2IModel, Metrics } from './types';
import { deriveSeed, mulberry32, shuffleInPlace } from './random';
import { mean, ndcgAtK, recallAtK } from './metrics';
import { scoreMatrix } from './vectors';

/** Default share of each user's warm plays hidden when the holdout is on. */
export const WARM_HOLDOUT_SHARE = 0.1;

/**
 * Moves round(share × n) of each user's n training interactions (seeded, per user) from
 * `split.train` to `split.warmHoldout`. Users are taken in first-appearance order and each
 * user's interactions in dataset order before shuffling, so a seed fixes the holdout.
 */
export function withWarmHoldout(split: ColdSplit, share = WARM_HOLDOUT_SHARE): ColdSplit {
  if (!(share > 0 && share < 1)) throw new Error(`warm holdout share must be in (0, 1), got ${share}`);
  const byUser = new Map<string, number[]>();
  split.train.forEach((it, i) => {
    let l = byUser.get(it.userId);
    if (!l) byUser.set(it.userId, (l = []));
    l.push(i);
  });
  const rng = mulberry32(deriveSeed(split.seed, 'warm-holdout'));
  const hidden = new Uint8Array(split.train.length);
  for (const rows of byUser.values()) {
    shuffleInPlace(rows, rng);
    const n = Math.round(rows.length * share);
    for (let t = 0; t < n; t++) hidden[rows[t]] = 1;
  }
  const train: Interaction[] = [];
  const warmHoldout: Interaction[] = [];
  split.train.forEach((it, i) => (hidden[i] ? warmHoldout : train).push(it));
  return { ...split, train, warmHoldout };
}

/**
 * Warm ranking on the holdout: for each user with held-out plays, every warm song NOT in the
 * user's training history ranked by u·i; `u2i.recall@20.warm` and `u2i.ndcg@20.warm`.
 */
export function warmU2IMetrics(split: ColdSplit, warm: Item[], users: string[], model: U2IModel): Metrics {
  const holdout = split.warmHoldout;
  if (!holdout?.length) return {};
  const hiddenBy = new Map<string, Set<string>>();
  for (const it of holdout) {
    let s = hiddenBy.get(it.userId);
    if (!s) hiddenBy.set(it.userId, (s = new Set()));
    s.add(it.itemId);
  }
  const seen = new Map<string, Set<string>>();
  for (const it of split.train) {
    let s = seen.get(it.userId);
    if (!s) seen.set(it.userId, (s = new Set()));
    s.add(it.itemId);
  }
  const evalUsers = users.filter((u) => hiddenBy.has(u));
  const d = model.dim;
  const I = model.embedItems(warm);
  const n = warm.length;
  const rec: number[] = [];
  const nd: number[] = [];
  // Users in chunks: the score block stays small (chunk × warm songs).
  const chunk = 256;
  for (let s = 0; s < evalUsers.length; s += chunk) {
    const ids = evalUsers.slice(s, s + chunk);
    const S = scoreMatrix(model.embedUsers(ids), I, d);
    ids.forEach((user, r) => {
      const own = seen.get(user) ?? new Set<string>();
      const cand: number[] = [];
      for (let j = 0; j < n; j++) if (!own.has(warm[j].id)) cand.push(j);
      const o = r * n;
      const ranked = topK(cand, (j) => S[o + j], 20).map((j) => warm[j].id);
      const rel = hiddenBy.get(user)!;
      rec.push(recallAtK(ranked, rel, 20)!);
      nd.push(ndcgAtK(ranked, rel, 20)!);
    });
  }
  const m: Metrics = {};
  const r = mean(rec);
  const g = mean(nd);
  if (r !== undefined) m['u2i.recall@20.warm'] = r;
  if (g !== undefined) m['u2i.ndcg@20.warm'] = g;
  return m;
}

/**
 * Warm-holdout popularity baseline as a U2I model (d = 1): every user ranks warm songs by
 * log1p(training listeners), the same order for all. Cold songs score 0 (nobody trained on them).
 */
export function popularityU2IModel(split: ColdSplit): U2IModel {
  const listeners = new Map<string, number>();
  for (const it of split.train) listeners.set(it.itemId, (listeners.get(it.itemId) ?? 0) + 1);
  return {
    dim: 1,
    embedItems: (items) => Float32Array.from(items, (i) => Math.log1p(listeners.get(i.id) ?? 0)),
    embedUsers: (ids) => new Float32Array(ids.length).fill(1),
  };
}

/** The k best of `cand` by `score`, best first (ties: lower index first). */
function topK(cand: number[], score: (j: number) => number, k: number): number[] {
  const best: number[] = [];
  for (const j of cand) {
    const s = score(j);
    if (best.length === k && s <= score(best[k - 1])) continue;
    let p = best.length;
    while (p > 0 && score(best[p - 1]) < s) p--;
    best.splice(p, 0, j);
    if (best.length > k) best.pop();
  }
  return best;
}
