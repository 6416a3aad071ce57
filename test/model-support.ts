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
  type DssmTrainConfig,
  fitDssm,
  fitSemanticIdModel,
  newModelVersion,
  saveDssmArtifact,
  saveI2IArtifact,
  saveSemanticIds,
  fitSearch,
  saveSearchArtifact,
} from '@debut/models';
import {
  ModelActivation,
  SearchActivation,
  importWarm,
  searchModelLoader,
  tfModelLoaders,
} from '@debut/serving';
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
 * it (inactive), as `trainer train i2i` does; with `sid`, also fits and saves its semantic-ID
 * codebook on the warm songs' vectors, as `trainer train i2i --sid LxK` does.
 */
export async function trainSmallI2I(
  ds: DataSource,
  env: DebutConfig,
  catalogue: ColdStartDataset,
  split: ColdSplit,
  seed = 11,
  sid?: { levels: number; codes: number },
): Promise<{ version: string; encoder: I2IEncoder; versions: ModelVersionRepository; dir: string }> {
  const { encoder, trained } = await trainSmallEncoder(catalogue, split, { seed });
  const version = newModelVersion('i2i');
  const dir = `${env.models.dir}/${version}`;
  const metrics = { dataset: catalogue.name, seed, history: trained.history };
  const manifest = await saveI2IArtifact(dir, encoder, trained.config, metrics, version);
  if (sid) {
    const byId = new Map(catalogue.items.map((i) => [i.id, i.content]));
    const warm = encoder.embed(split.warmItems.map((id) => byId.get(id)!));
    await saveSemanticIds(dir, fitSemanticIdModel(warm, encoder.dim, version, { ...sid, seed }));
  }
  const versions = new ModelVersionRepository(ds);
  await versions.register({
    version,
    kind: 'i2i',
    artifactPath: dir,
    dim: 16,
    config: {},
    metrics: manifest.metrics,
  });
  return { version, encoder, versions, dir };
}

/** A small I2I encoder trained, registered and activated (no DSSM: tests that need no gate). */
export async function trainAndActivateSmallI2I(
  ds: DataSource,
  env: DebutConfig,
  catalogue: ColdStartDataset,
  split: ColdSplit,
): Promise<{
  version: string;
  encoder: I2IEncoder;
  versions: ModelVersionRepository;
  activation: ModelActivation;
}> {
  const trained = await trainSmallI2I(ds, env, catalogue, split);
  const activation = new ModelActivation(
    env,
    trained.versions,
    new SongRepository(ds),
    new EmbeddingRepository(ds),
    new InteractionRepository(ds),
    tfModelLoaders('auto'),
  );
  await activation.activate(trained.version);
  return { ...trained, activation };
}

/** `dssmConfig`: training options on top of the small defaults (e.g. `contextBuckets` for month offsets). */
export async function trainAndActivateSmallModels(
  ds: DataSource,
  env: DebutConfig,
  catalogue: ColdStartDataset,
  split: ColdSplit,
  dssmConfig: Partial<DssmTrainConfig> = {},
): Promise<SmallModels & { dssmDir: string }> {
  const {
    version: i2iVersion,
    encoder: i2iEncoder,
    versions,
    activation,
  } = await trainAndActivateSmallI2I(ds, env, catalogue, split);

  const fit = await fitDssm(new ColdStartEvaluator(catalogue, split, { seed: 11 }).trainContext(), {
    config: { epochs: 3, seed: 11, ...dssmConfig },
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
  return { i2iVersion, i2iEncoder, dssmVersion, dssmModel: fit.model, dssmDir, versions, activation };
}

/**
 * Trains a small joint search model on the split, saves, registers and activates it, as
 * `trainer train search --activate` does (the API then loads it on its next refresh).
 */
export async function trainAndActivateSmallSearch(
  ds: DataSource,
  env: DebutConfig,
  catalogue: ColdStartDataset,
  split: ColdSplit,
  seed = 11,
): Promise<{ version: string; validation: Record<string, number> }> {
  const fit = await fitSearch(new ColdStartEvaluator(catalogue, split, { seed }).trainContext(), {
    config: {
      epochs: 4,
      batchSize: 256,
      fieldDim: 8,
      hidden: [64],
      outputDim: 16,
      queryEmbedDim: 16,
      queryHidden: [32],
    },
  });
  const version = newModelVersion('search');
  const dir = `${env.models.dir}/${version}`;
  const manifest = await saveSearchArtifact(
    dir,
    fit.model,
    { dataset: catalogue.name, ...fit.validation },
    version,
  );
  fit.model.dispose();
  const versions = new ModelVersionRepository(ds);
  await versions.register({
    version,
    kind: 'search',
    artifactPath: dir,
    dim: fit.model.dim,
    config: { fusion: manifest.config.fusion },
    metrics: manifest.metrics,
  });
  await new SearchActivation({
    config: env,
    versions,
    songs: new SongRepository(ds),
    embeddings: new EmbeddingRepository(ds),
    load: searchModelLoader('auto'),
  }).activate(version);
  return { version, validation: fit.validation };
}
