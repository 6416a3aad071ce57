/**
 * Training pairs for the I2I encoder (pure, no tensors).
 *
 * Positives: for every warm item a, its top-K co-listened warm items b (ranked by cosine
 * co-listener similarity co / sqrt(n_a·n_b)), kept only when they pass the post-verification
 * filter — co-listeners ≥ minCoListeners and lift = co·|U| / (n_a·n_b) ≥ minLift (the offline
 * stand-in for "pairs users responded well to"). Negatives: uniform over all warm items, seeded.
 * Uses sparse user → items lists: cost is Σ_u |items(u)|², ~5M increments on Last.fm.
 */
import { Rng, randInt } from './random';

export interface PairFilterConfig {
  /** Candidate partners per anchor before the filter (top-K by cosine co-listening). */
  topK: number;
  minCoListeners: number;
  minLift: number;
  /** How candidates are ranked before the top-K cut: raw co-listener count or cosine. */
  rankBy?: 'cooccurrence' | 'cosine';
  /** Interactions with strength below this are ignored (default 0: all). */
  minStrength?: number;
}

export const DEFAULT_PAIR_FILTER: PairFilterConfig = {
  topK: 20,
  minCoListeners: 2,
  minLift: 2,
  rankBy: 'cooccurrence',
};

export interface PairStats {
  users: number;
  items: number;
  itemsWithListeners: number;
  candidatePairs: number;
  keptPairs: number;
  droppedByCoListeners: number;
  droppedByLift: number;
  anchorsWithPositives: number;
  meanCoListenersKept: number;
  meanLiftKept: number;
  filter: PairFilterConfig;
  millis: number;
}

export interface TrainingPairs {
  /** Row indices into `itemIds` (the item order of the training inputs). */
  anchors: Int32Array;
  positives: Int32Array;
  /** Per kept pair: co-listeners and lift (for reports / weighting). */
  coListeners: Int32Array;
  lift: Float32Array;
  stats: PairStats;
}

export interface InteractionLike {
  userId: string;
  itemId: string;
  strength: number;
}

/**
 * Builds filtered positive pairs. `itemIds` fixes the row order; interactions on other items
 * (e.g. hidden cold items) are ignored, so cold labels can never leak in.
 */
export function buildTrainingPairs(
  interactions: InteractionLike[],
  itemIds: string[],
  filter: Partial<PairFilterConfig> = {},
): TrainingPairs {
  const t0 = Date.now();
  const cfg: PairFilterConfig = { ...DEFAULT_PAIR_FILTER, ...filter };
  const itemIndex = new Map<string, number>();
  itemIds.forEach((id, i) => itemIndex.set(id, i));
  const userIndex = new Map<string, number>();
  const userItemsTmp: number[][] = [];
  const nItems = itemIds.length;
  const listeners = new Int32Array(nItems);
  const seen = new Set<number>();
  for (const it of interactions) {
    if (cfg.minStrength !== undefined && it.strength < cfg.minStrength) continue;
    const i = itemIndex.get(it.itemId);
    if (i === undefined) continue;
    let u = userIndex.get(it.userId);
    if (u === undefined) {
      u = userItemsTmp.length;
      userIndex.set(it.userId, u);
      userItemsTmp.push([]);
    }
    const key = u * nItems + i;
    if (seen.has(key)) continue;
    seen.add(key);
    userItemsTmp[u].push(i);
    listeners[i]++;
  }
  const nUsers = userItemsTmp.length;
  // item → users (CSR)
  const itemStart = new Int32Array(nItems + 1);
  for (let i = 0; i < nItems; i++) itemStart[i + 1] = itemStart[i] + listeners[i];
  const itemUsers = new Int32Array(itemStart[nItems]);
  const fill = itemStart.slice(0, nItems);
  userItemsTmp.forEach((items, u) => items.forEach((i) => (itemUsers[fill[i]++] = u)));

  const co = new Int32Array(nItems);
  const touched = new Int32Array(nItems);
  const anchors: number[] = [];
  const positives: number[] = [];
  const coKept: number[] = [];
  const liftKept: number[] = [];
  let candidates = 0;
  let dropCo = 0;
  let dropLift = 0;
  let anchorsWith = 0;
  const cand: number[] = [];
  for (let a = 0; a < nItems; a++) {
    if (listeners[a] === 0) continue;
    let nt = 0;
    for (let p = itemStart[a]; p < itemStart[a + 1]; p++) {
      for (const b of userItemsTmp[itemUsers[p]]) {
        if (b === a) continue;
        if (co[b] === 0) touched[nt++] = b;
        co[b]++;
      }
    }
    cand.length = 0;
    for (let t = 0; t < nt; t++) cand.push(touched[t]);
    const na = listeners[a];
    if (cfg.rankBy === 'cosine') {
      cand.sort((x, y) => co[y] / Math.sqrt(listeners[y]) - co[x] / Math.sqrt(listeners[x]) || x - y);
    } else {
      cand.sort((x, y) => co[y] - co[x] || x - y);
    }
    const k = Math.min(cfg.topK, cand.length);
    let kept = 0;
    for (let t = 0; t < k; t++) {
      const b = cand[t];
      candidates++;
      const c = co[b];
      const lift = (c * nUsers) / (na * listeners[b]);
      if (c < cfg.minCoListeners) {
        dropCo++;
        continue;
      }
      if (lift < cfg.minLift) {
        dropLift++;
        continue;
      }
      anchors.push(a);
      positives.push(b);
      coKept.push(c);
      liftKept.push(lift);
      kept++;
    }
    if (kept > 0) anchorsWith++;
    for (let t = 0; t < nt; t++) co[touched[t]] = 0;
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
  return {
    anchors: Int32Array.from(anchors),
    positives: Int32Array.from(positives),
    coListeners: Int32Array.from(coKept),
    lift: Float32Array.from(liftKept),
    stats: {
      users: nUsers,
      items: nItems,
      itemsWithListeners: listeners.reduce((s, x) => s + (x > 0 ? 1 : 0), 0),
      candidatePairs: candidates,
      keptPairs: anchors.length,
      droppedByCoListeners: dropCo,
      droppedByLift: dropLift,
      anchorsWithPositives: anchorsWith,
      meanCoListenersKept: mean(coKept),
      meanLiftKept: mean(liftKept),
      filter: cfg,
      millis: Date.now() - t0,
    },
  };
}

/** Uniform global negatives (seeded); re-draws the rare collision with the positive/anchor. */
export function sampleNegatives(
  rng: Rng,
  nItems: number,
  anchors: Int32Array,
  positives: Int32Array,
): Int32Array {
  const out = new Int32Array(anchors.length);
  for (let i = 0; i < anchors.length; i++) {
    let n = randInt(rng, nItems);
    for (let r = 0; r < 3 && (n === anchors[i] || n === positives[i]); r++) n = randInt(rng, nItems);
    out[i] = n;
  }
  return out;
}

export function formatPairStats(s: PairStats): string {
  return (
    `pairs: ${s.candidatePairs} candidates (top-${s.filter.topK} per anchor by ${s.filter.rankBy ?? 'cooccurrence'}) → ${s.keptPairs} kept ` +
    `(dropped ${s.droppedByCoListeners} with < ${s.filter.minCoListeners} co-listeners, ` +
    `${s.droppedByLift} with lift < ${s.filter.minLift}); ${s.anchorsWithPositives}/${s.items} anchors; ` +
    `mean co-listeners ${s.meanCoListenersKept.toFixed(1)}, mean lift ${s.meanLiftKept.toFixed(1)}; ${s.millis} ms`
  );
}
