import type { ColdSplit, ColdStartDataset } from './types';
import { SplitOptions, coldSplit } from './split';
import { generateSynthetic } from './synthetic';
import { loadLastfm } from './lastfm';

export type DatasetName = 'lastfm' | 'synthetic';

export function parseDataset(name: string): DatasetName {
  if (name !== 'lastfm' && name !== 'synthetic')
    throw new Error(`--dataset must be lastfm or synthetic, got "${name}"`);
  return name;
}

/**
 * The dataset and its DESIGN.md §6 cold split, exactly as bench:quality builds them, so that
 * what `trainer import` loads, what `trainer train` learns from and what the benchmark scores
 * are the same songs, users and hidden cold items.
 */
export function loadWithSplit(
  name: DatasetName,
  seed: number,
  log: (m: string) => void = () => undefined,
  splitOptions: Omit<SplitOptions, 'seed'> = {},
): {
  dataset: ColdStartDataset;
  split: ColdSplit;
} {
  const dataset = name === 'lastfm' ? loadLastfm({ log }) : generateSynthetic({ seed });
  const split = coldSplit(dataset, { ...splitOptions, seed });
  log(
    `${name} seed ${seed}: ${dataset.items.length} songs, ${dataset.users.length} users, ${dataset.interactions.length} interactions; ` +
      `${split.warmItems.length} warm, ${split.coldValItems.length + split.coldTestItems.length} cold (held out)` +
      (split.warmHoldout ? `; warm holdout ${split.warmHoldout.length} plays hidden from training` : ''),
  );
  return { dataset, split };
}
