import type { ColdSplit, ColdStartDataset } from './types';
import { SplitOptions, coldSplit } from './split';
import { generateSynthetic } from './synthetic';
import { generateSyntheticDrift } from './synthetic-drift';
import { loadLastfm } from './lastfm';

export const DATASET_NAMES = ['lastfm', 'synthetic', 'synthetic-drift'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function parseDataset(name: string): DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(name))
    throw new Error(`--dataset must be ${DATASET_NAMES.join(', ')}, got "${name}"`);
  return name as DatasetName;
}

function loadDataset(name: DatasetName, seed: number, log: (m: string) => void): ColdStartDataset {
  if (name === 'lastfm') return loadLastfm({ log });
  // synthetic-drift: the synthetic songs with timestamps, planted taste drift and a season.
  return name === 'synthetic-drift' ? generateSyntheticDrift({ seed }) : generateSynthetic({ seed });
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
  const dataset = loadDataset(name, seed, log);
  const split = coldSplit(dataset, { ...splitOptions, seed });
  log(
    `${name} seed ${seed}: ${dataset.items.length} songs, ${dataset.users.length} users, ${dataset.interactions.length} interactions; ` +
      `${split.warmItems.length} warm, ${split.coldValItems.length + split.coldTestItems.length} cold (held out)` +
      (split.warmHoldout ? `; warm holdout ${split.warmHoldout.length} plays hidden from training` : ''),
  );
  return { dataset, split };
}
