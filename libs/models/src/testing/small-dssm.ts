import type { ColdSplit, ColdStartDataset, Interaction } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import type { DssmTrainConfig, DssmTrainingData } from '../dssm/trainer';

/** A DSSM small enough to train in about a second on one core, for tests. */
export const SMALL_DSSM: Partial<DssmTrainConfig> = {
  epochs: 2,
  batchSize: 128,
  negatives: 128,
  dim: 16,
  hidden: [32],
  userHidden: [32],
  boundaryHidden: [32],
};

/**
 * DSSM training data of a split's warm songs: histories strongest first, with the month of each
 * entry's last play and the most-recent-first histories when the plays carry timestamps.
 */
export function smallDssmData(ds: ColdStartDataset, split: ColdSplit) {
  const featurizer = new Featurizer(ds.schema);
  const byId = new Map(ds.items.map((i) => [i.id, i]));
  const warm = split.warmItems;
  const index = new Map(warm.map((id, j) => [id, j]));
  const byUser = new Map<string, Interaction[]>();
  for (const it of split.train) {
    if (!byUser.has(it.userId)) byUser.set(it.userId, []);
    byUser.get(it.userId)!.push(it);
  }
  const timed = split.train.every((it) => it.at !== undefined);
  const ordered = (by: (a: Interaction, b: Interaction) => number) =>
    ds.users.map((u) => [...(byUser.get(u) ?? [])].sort(by));
  const strongest = ordered((a, b) => b.strength - a.strength);
  const data: DssmTrainingData = {
    fields: featurizer.fields,
    inputDim: featurizer.inputDim,
    inputs: featurizer.encodeBatch(warm.map((id) => byId.get(id)!.content)),
    numItems: warm.length,
    histories: strongest.map((h) => Int32Array.from(h, (it) => index.get(it.itemId)!)),
    historyBuckets: timed
      ? strongest.map((h) => Int32Array.from(h, (it) => new Date(it.at!).getUTCMonth()))
      : undefined,
  };
  const recentHistories = timed
    ? ordered((a, b) => b.at! - a.at!).map((h) => Int32Array.from(h, (it) => index.get(it.itemId)!))
    : undefined;
  return { featurizer, byId, warm, data, recentHistories };
}
