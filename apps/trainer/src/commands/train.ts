import * as path from 'node:path';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '@debut/config';
import { ModelVersionRepository, openDatabase } from '@debut/catalog';
import { ColdStartEvaluator } from '@debut/evaluation';
import { ArtifactManifest, TrainProgress, initTf, newModelVersion, saveI2IArtifact } from '@debut/models';
import { fitI2I } from '../methods/i2i-methods';
import { loadWithSplit, parseDataset } from './datasets';
import { registerTrainDssm } from './train-dssm';

interface TrainOptions {
  dataset: string;
  seed: number;
  epochs?: number;
  lambda?: number;
  grouping?: 'correlated' | 'random';
  config?: string;
  activate?: boolean;
  register: boolean;
}

/** A progress bar per epoch on stderr (training logs stay readable on stdout). */
export function progressBar(label: string): { update(p: TrainProgress): void; stop(): void } {
  const bar = new SingleBar(
    { format: `${label} epoch {epoch}/{epochs} [{bar}] {value}/{total} steps | loss {loss}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let epoch = -1;
  return {
    update(p) {
      if (p.epoch !== epoch) {
        if (epoch >= 0) bar.stop();
        epoch = p.epoch;
        bar.start(p.steps, 0, { epoch: p.epoch, epochs: p.epochs, loss: '-' });
      }
      bar.update(p.step, { loss: p.loss.toFixed(4) });
    },
    stop: () => bar.stop(),
  };
}

/** Registers an artifact in model_versions (and optionally activates it). */
export async function registerVersion(manifest: ArtifactManifest, dir: string, dim: number, activate: boolean): Promise<void> {
  const ds = await openDatabase(loadConfig().db);
  try {
    const versions = new ModelVersionRepository(ds);
    await versions.register({
      version: manifest.version,
      kind: manifest.kind as 'i2i' | 'dssm',
      artifactPath: dir,
      dim,
      config: manifest.config as Record<string, unknown>,
      metrics: manifest.metrics,
    });
    console.log(`registered ${manifest.version} (${manifest.kind}) → ${dir}`);
  } finally {
    await ds.destroy();
  }
  if (activate) console.log(`activate it with: npm run trainer -- activate ${manifest.version}`);
}

export function registerTrain(program: Command): void {
  const train = program.command('train').description('train a model on a dataset and save a versioned artifact');
  train
    .command('i2i')
    .description('the I2I contrastive encoder (BPR + λ·InfoNCE, correlated feature grouping)')
    .option('--dataset <name>', 'lastfm | synthetic', 'synthetic')
    .option('--seed <n>', 'split and training seed', (v) => Number(v), 42)
    .option('--epochs <n>', 'maximum epochs (early stopping on cold validation items)', (v) => Number(v))
    .option('--lambda <x>', 'weight of the InfoNCE term (0 = CB2CF-BPR)', (v) => Number(v))
    .option('--grouping <mode>', 'correlated | random', undefined)
    .option('--config <json>', 'other I2ITrainConfig fields as JSON, e.g. \'{"weightDecay":1e-5}\'')
    .option('--no-register', 'do not register the version in the database')
    .action(async (o: TrainOptions) => {
      const config = loadConfig();
      const backend = await initTf({ backend: config.models.tfBackend, log: (m) => console.log(m) });
      const log = (m: string) => console.log(m);
      const { dataset, split } = loadWithSplit(parseDataset(o.dataset), o.seed, log);
      const ev = new ColdStartEvaluator(dataset, split, { k: config.audience.neighbours, seed: o.seed });
      const ctx = ev.trainContext({ log, curve: () => undefined });
      const bar = progressBar('i2i');
      const fit = await fitI2I(ctx, 'i2i-contrastive', {
        config: {
          ...(o.config ? (JSON.parse(o.config) as object) : {}),
          ...(o.epochs ? { epochs: o.epochs } : {}),
          ...(o.lambda !== undefined ? { lambda: o.lambda } : {}),
          ...(o.grouping ? { grouping: o.grouping } : {}),
        },
        onProgress: (p) => bar.update(p),
      });
      bar.stop();
      const version = newModelVersion('i2i');
      const dir = path.join(config.models.dir, version);
      const metrics = {
        dataset: o.dataset,
        seed: o.seed,
        backend,
        bestEpoch: fit.train.bestEpoch,
        'val.audience.recall@100': fit.train.bestValidation,
        trainSeconds: fit.train.trainSeconds,
        pairsPerSecond: fit.train.pairsPerSecond,
        pairs: fit.pairs,
        history: fit.train.history,
      };
      const manifest = await saveI2IArtifact(dir, fit.encoder, fit.train.config, metrics, version);
      console.log(
        `saved ${version} to ${dir}: best epoch ${fit.train.bestEpoch}, cold-validation audience Recall@100 ` +
          `${fit.train.bestValidation?.toFixed(4)}, ${fit.train.trainSeconds.toFixed(1)} s on ${backend}`,
      );
      if (o.register) await registerVersion(manifest, dir, fit.encoder.dim, true);
    });

  registerTrainDssm(train);
}
