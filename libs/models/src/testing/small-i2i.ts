import type { ColdSplit, ColdStartDataset } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { I2IEncoder } from '../encoder';
import { buildTrainingPairs } from '../pairs';
import { trainI2I } from '../i2i-trainer';

/** A small I2I encoder trained on a split's warm items, for tests (a few seconds on one core). */
export async function trainSmallEncoder(
  catalogue: ColdStartDataset,
  split: ColdSplit,
  options: { seed?: number; epochs?: number; fieldDim?: number; hidden?: number[]; outputDim?: number } = {},
): Promise<{ encoder: I2IEncoder; trained: Awaited<ReturnType<typeof trainI2I>> }> {
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  const featurizer = new Featurizer(catalogue.schema);
  const inputs = featurizer.encodeBatch(split.warmItems.map((id) => byId.get(id)!.content));
  const pairs = buildTrainingPairs(split.train, split.warmItems, {
    topK: 20,
    minCoListeners: 2,
    minLift: 1.5,
  });
  const trained = await trainI2I(
    {
      fields: featurizer.fields,
      inputDim: featurizer.inputDim,
      inputs,
      numItems: split.warmItems.length,
      pairs,
    },
    {
      epochs: options.epochs ?? 2,
      batchSize: 256,
      fieldDim: options.fieldDim ?? 8,
      hidden: options.hidden ?? [32],
      outputDim: options.outputDim ?? 16,
      lambda: 0.3,
      seed: options.seed ?? 11,
    },
  );
  return { encoder: new I2IEncoder(featurizer, trained.tower), trained };
}
