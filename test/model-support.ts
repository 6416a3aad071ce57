/**
 * Small models for the end-to-end tests, trained, saved, registered and activated the way
 * `trainer train i2i|dssm` + `trainer activate` do, on an imported synthetic catalogue.
 */
import type { DataSource } from 'typeorm';
import type { DebutConfig } from '@debut/config';
import {
  EmbeddingRepository,
  InteractionRepository,
  ModelVersionRepository,
  SongRepository,
} from '@debut/catalog';
import {
  ColdStartEvaluator,
  coldSplit,
  generateSynthetic,
  type ColdSplit,
  type ColdStartDataset,
  type Item,
} from '@debut/evaluation';
import {
  DssmModel,
  I2IEncoder,
  fitDssm,
  newModelVersion,
  saveDssmArtifact,
  saveI2IArtifact,
} from '@debut/models';
import { ModelActivation, importWarm, tfModelLoaders } from '@debut/serving';
import { trainSmallEncoder } from '../libs/models/src/testing/small-i2i';

export interface SmallModels {
  i2iVersion: string;
  i2iEncoder: I2IEncoder;
  dssmVersion: string;
  dssmModel: DssmModel;
  versions: ModelVersionRepository;
  activation: ModelActivation;
}

/**
 * A synthetic catalogue with its warm part imported as `trainer import` does, and its cold
 * songs (test, then validation) held out for releases.
 */
export async function importSyntheticCatalogue(
  ds: DataSource,
  options: { seed: number; songs: number; users: number; interactionsPerUser: number },
): Promise<{ catalogue: ColdStartDataset; split: ColdSplit; coldItems: Item[] }> {
  const catalogue = generateSynthetic(options);
  const split = coldSplit(catalogue, { seed: options.seed });
  await importWarm(ds, catalogue, split);
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  const coldItems = [...split.coldTestItems, ...split.coldValItems].map((id) => byId.get(id)!);
  return { catalogue, split, coldItems };
}

/**
 * Trains a small I2I encoder on the warm split, saves it with its training curve and registers
 * it (inactive), as `trainer train i2i` does.
 */
export async function trainSmallI2I(
  ds: DataSource,
  env: DebutConfig,
  catalogue: ColdStartDataset,
  split: ColdSplit,
  seed = 11,
): Promise<{ version: string; encoder: I2IEncoder; versions: ModelVersionRepository }> {
  const { encoder, trained } = await trainSmallEncoder(catalogue, split, { seed });
  const version = newModelVersion('i2i');
  const dir = `${env.models.dir}/${version}`;
  const metrics = { dataset: catalogue.name, seed, history: trained.history };
  const manifest = await saveI2IArtifact(dir, encoder, trained.config, metrics, version);
  const versions = new ModelVersionRepository(ds);
  await versions.register({
    version,
    kind: 'i2i',
    artifactPath: dir,
    dim: 16,
    config: {},
    metrics: manifest.metrics,
  });
  return { version, encoder, versions };
}

export async function trainAndActivateSmallModels(
  ds: DataSource,
  env: DebutConfig,
  catalogue: ColdStartDataset,
  split: ColdSplit,
): Promise<SmallModels> {
  const {
    version: i2iVersion,
    encoder: i2iEncoder,
    versions,
  } = await trainSmallI2I(ds, env, catalogue, split);
  const activation = new ModelActivation(
    env,
    versions,
    new SongRepository(ds),
    new EmbeddingRepository(ds),
    new InteractionRepository(ds),
    tfModelLoaders('auto'),
  );
  await activation.activate(i2iVersion);

  const fit = await fitDssm(new ColdStartEvaluator(catalogue, split, { seed: 11 }).trainContext(), {
    config: { epochs: 3, seed: 11 },
  });
  const dssmVersion = newModelVersion('dssm');
  const dssmDir = `${env.models.dir}/${dssmVersion}`;
  const dssmMetrics = { dataset: catalogue.name, history: fit.train.history };
  await saveDssmArtifact(dssmDir, fit.model, fit.train.config as never, dssmMetrics, dssmVersion);
  await versions.register({
    version: dssmVersion,
    kind: 'dssm',
    artifactPath: dssmDir,
    dim: fit.model.dim,
    config: {},
    metrics: dssmMetrics,
  });
  await activation.activate(dssmVersion);
  return { i2iVersion, i2iEncoder, dssmVersion, dssmModel: fit.model, versions, activation };
}
