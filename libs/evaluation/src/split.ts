import type { ColdSplit, ColdStartDataset, Interaction } from './types';
import { deriveSeed, mulberry32, shuffleInPlace } from './random';
import { WARM_HOLDOUT_SHARE, withWarmHoldout } from './warm-holdout';

export interface SplitOptions {
  seed?: number;
  /** Items need at least this many distinct listeners to be eligible for cold (default 5). */
  minListeners?: number;
  /** Share of eligible items made cold (default 0.2), split half validation, half test. */
  coldShare?: number;
  /** Opt-in: also hide a seeded share of each user's warm plays (true = 10%); see warm-holdout.ts. */
  warmHoldout?: boolean | number;
}

/**
 * DESIGN.md §6 cold-item split: among items with ≥ 5 distinct listeners, a seeded 20% become
 * cold (first half validation, second half test); all of their interactions are hidden. Every
 * other item is warm, and the training interactions are exactly the interactions on warm items.
 * Eligible items are taken in dataset order before shuffling, so a seed fixes the split.
 */
export function coldSplit(dataset: ColdStartDataset, options: SplitOptions = {}): ColdSplit {
  const seed = options.seed ?? 42;
  const minListeners = options.minListeners ?? 5;
  const coldShare = options.coldShare ?? 0.2;
  const listeners = new Map<string, Set<string>>();
  for (const it of dataset.interactions) {
    let s = listeners.get(it.itemId);
    if (!s) listeners.set(it.itemId, (s = new Set()));
    s.add(it.userId);
  }
  const eligible = dataset.items
    .map((i) => i.id)
    .filter((id) => (listeners.get(id)?.size ?? 0) >= minListeners);
  shuffleInPlace(eligible, mulberry32(deriveSeed(seed, 'cold-split')));
  const nCold = Math.round(eligible.length * coldShare);
  const nVal = Math.floor(nCold / 2);
  const coldValItems = eligible.slice(0, nVal);
  const coldTestItems = eligible.slice(nVal, nCold);
  const val = new Set(coldValItems);
  const test = new Set(coldTestItems);
  const warmItems = dataset.items.map((i) => i.id).filter((id) => !val.has(id) && !test.has(id));
  const train: Interaction[] = [];
  const coldVal: Interaction[] = [];
  const coldTest: Interaction[] = [];
  for (const it of dataset.interactions) {
    if (val.has(it.itemId)) coldVal.push(it);
    else if (test.has(it.itemId)) coldTest.push(it);
    else train.push(it);
  }
  const split = { seed, warmItems, coldValItems, coldTestItems, train, coldVal, coldTest };
  const holdout = options.warmHoldout;
  if (!holdout) return split;
  return withWarmHoldout(split, holdout === true ? WARM_HOLDOUT_SHARE : holdout);
}
