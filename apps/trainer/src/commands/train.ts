import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { ColdStartEvaluator, loadWithSplit, parseDataset } from '@debut/evaluation';
import { DEFAULT_SID_SHAPE, fitI2I, initTf, saveI2IArtifact } from '@debut/models';
import { progressBar, saveTrainedVersion } from './train-support';
import { registerTrainAudience } from './train-audience';
import { registerTrainDssm } from './train-dssm';
import { fitAndSaveSids, sidOption } from './train-sid';
import { registerTrainSearch } from './train-search';

interface TrainOptions {
  dataset: string;
  seed: number;
  epochs?: number;
  lambda?: number;
  grouping?: 'correlated' | 'random';
  config?: string;
  sid: { levels: number; codes: number } | null;
  activate?: boolean;
  register: boolean;
}

export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('train a model on a dataset and save a versioned artifact');
  train
    .command('i2i')
    .description('the I2I contrastive encoder (BPR + λ·InfoNCE, correlated feature grouping)')
    .option('--dataset <name>', 'lastfm | synthetic', 'synthetic')
    .option('--seed <n>', 'split and training seed', (v) => Number(v), 42)
    .option('--epochs <n>', 'maximum epochs (early stopping on cold validation items)', (v) => Number(v))
    .option('--lambda <x>', 'weight of the InfoNCE term (0 = CB2CF-BPR)', (v) => Number(v))
    .option('--grouping <mode>', 'correlated | random', undefined)
    .option('--config <json>', 'other I2ITrainConfig fields as JSON, e.g. \'{"weightDecay":1e-5}\'')
    .option(
      '--sid <LxK>',
      "semantic IDs: RQ-KMeans LEVELSxCODES fitted on the warm songs' vectors (default 3x128), or off",
      sidOption,
      { ...DEFAULT_SID_SHAPE },
    )
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
      await saveTrainedVersion({
        kind: 'i2i',
        modelsDir: config.models.dir,
        save: async (dir, version) => {
          const manifest = await saveI2IArtifact(dir, fit.encoder, fit.train.config, metrics, version);
          if (o.sid) {
            const warm = new Set(split.warmItems);
            const contents = dataset.items.filter((it) => warm.has(it.id)).map((it) => it.content);
            await fitAndSaveSids(dir, version, fit.encoder, contents, o.sid, o.seed);
          }
          return manifest;
        },
        train: fit.train,
        backend,
        tail: `cold-validation audience Recall@100 ${fit.train.bestValidation?.toFixed(4)}`,
        register: o.register ? { dim: fit.encoder.dim, activateHint: true } : null,
      });
    });

  registerTrainDssm(train);
  registerTrainAudience(train);
  registerTrainSearch(train);
}
