/**
 * Ranking and classification metrics. Relevance is binary throughout.
 *
 * - Recall@K = |top-K ∩ relevant| / |relevant| (the denominator is |relevant|, not
 *   min(K, |relevant|): an audience of 100 cannot find all of 300 listeners, and the metric
 *   says so).
 * - NDCG@K = DCG@K / IDCG@K with gain 1 at rank r (0-based) discounted by 1/log2(r + 2);
 *   IDCG puts min(K, |relevant|) hits first.
 * - AUC: probability that a random positive outscores a random negative, ties counted 0.5
 *   (Mann–Whitney U over average ranks).
 */

export function hitsAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) hits++;
  return hits;
}

/** Undefined when nothing is relevant (such cases are skipped, never counted as 0 or 1). */
export function recallAtK(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): number | undefined {
  if (relevant.size === 0) return undefined;
  return hitsAtK(ranked, relevant, k) / relevant.size;
}

export function precisionAtK(ranked: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  return k > 0 ? hitsAtK(ranked, relevant, k) / k : 0;
}

export function ndcgAtK(
  ranked: readonly string[],
  relevant: ReadonlySet<string>,
  k: number,
): number | undefined {
  if (relevant.size === 0) return undefined;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i])) dcg += 1 / Math.log2(i + 2);
  let idcg = 0;
  const ideal = Math.min(k, relevant.size);
  for (let i = 0; i < ideal; i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/** ROC AUC of scores: positives should score higher. Ties count one half. O(n log n). */
export function auc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number | undefined {
  const np = positives.length;
  const nn = negatives.length;
  if (np === 0 || nn === 0) return undefined;
  const all: Array<[number, number]> = [];
  for (let i = 0; i < np; i++) all.push([positives[i], 1]);
  for (let i = 0; i < nn; i++) all.push([negatives[i], 0]);
  all.sort((a, b) => a[0] - b[0]);
  // Sum of (1-based, tie-averaged) ranks of the positives.
  let rankSum = 0;
  let i = 0;
  while (i < all.length) {
    let j = i;
    while (j + 1 < all.length && all[j + 1][0] === all[i][0]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (all[t][1] === 1) rankSum += avgRank;
    i = j + 1;
  }
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}

export interface GateCounts {
  tp: number;
  fp: number;
  fn: number;
  tn?: number;
}

export interface GateScores {
  precision: number;
  recall: number;
  f1: number;
}

/** Precision / recall / F1 of a binary gate; 0 where the denominator is 0. */
export function gateScores(c: GateCounts): GateScores {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** Counts from parallel arrays of predictions and truths. */
export function gateCounts(predicted: ArrayLike<boolean>, actual: ArrayLike<boolean>): Required<GateCounts> {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (predicted[i] && actual[i]) tp++;
    else if (predicted[i]) fp++;
    else if (actual[i]) fn++;
    else tn++;
  }
  return { tp, fp, fn, tn };
}

/** Share of the universe that appears in at least one list. */
export function coverage(lists: Iterable<readonly string[]>, universeSize: number): number {
  if (universeSize <= 0) return 0;
  const seen = new Set<string>();
  for (const l of lists) for (const x of l) seen.add(x);
  return seen.size / universeSize;
}

/** Mean of the defined values; undefined when there are none. */
export function mean(values: ReadonlyArray<number | undefined>): number | undefined {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (v !== undefined && Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n > 0 ? s / n : undefined;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
