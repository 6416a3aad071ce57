import { Option, type Command } from 'commander';
import { loadConfig } from '@debut/config';
import { ColdStartEvaluator, loadWithSplit, parseDataset } from '@debut/evaluation';
import { DssmTrainConfig, MONTH_BUCKETS, fitDssm, initTf, saveDssmArtifact } from '@debut/models';
import { progressBar, saveTrainedVersion } from './train-support';

interface TrainDssmOptions {
  dataset: string;
  seed: number;
  epochs?: number;
  alpha?: number;
  fromI2i?: string;
  context: 'none' | 'month';
  register: boolean;
}

/**
 * `trainer train dssm`: the three-tower DSSM with interest boundary on the dataset's warm songs,
 * early-stopped on the cold VALIDATION items, saved as a versioned `dssm` artifact under
 * MODELS_DIR and registered in model_versions like the I2I model.
 */
export function registerTrainDssm(train: Command): void {
  train
    .command('dssm')
    .description('the multimodal DSSM with interest boundary (user, item and boundary towers)')
    .option('--dataset <name>', 'lastfm | synthetic | synthetic-drift', 'synthetic')
    .option('--seed <n>', 'split and training seed', (v) => Number(v), 42)
    .option('--epochs <n>', 'maximum epochs (early stopping on cold validation items)', (v) => Number(v))
    .option('--alpha <x>', 'weight of positives in the BCE (negatives get 1 − α)', (v) => Number(v))
    .option(
      '--from-i2i <dir>',
      'initialise the item tower from this I2I artifact directory (same schema and sizes)',
    )
    .addOption(
      new Option(
        '--context <kind>',
        'learn calendar offsets of the user vector (month of the play), applied when a gate request names `at`; needs plays with timestamps (synthetic-drift)',
      )
        .choices(['none', 'month'])
        .default('none'),
    )
    .option('--no-register', 'do not register the version in the database')
    .action(async (o: TrainDssmOptions) => {
      const config = loadConfig();
      const backend = await initTf({ backend: config.models.tfBackend, log: (m) => console.log(m) });
      const log = (m: string) => console.log(m);
      const { dataset, split } = loadWithSplit(parseDataset(o.dataset), o.seed, log);
      // Offsets learned from plays without a month would stay zero and be served as if learned.
      if (o.context === 'month' && !split.train.some((it) => it.at !== undefined))
        throw new Error(
          `--context month needs plays with timestamps; ${o.dataset} has none (use --dataset synthetic-drift)`,
        );
      const ev = new ColdStartEvaluator(dataset, split, { k: config.audience.neighbours, seed: o.seed });
      const bar = progressBar('dssm');
      // Epoch logs go through the bar's stream order: stop the bar before printing.
      const ctx = ev.trainContext({
        log: (m) => {
          bar.stop();
          log(m);
        },
      });
      const fit = await fitDssm(ctx, {
        config: {
          ...(o.epochs ? { epochs: o.epochs } : {}),
          ...(o.alpha !== undefined ? { alpha: o.alpha } : {}),
          ...(o.context === 'month' ? { contextBuckets: MONTH_BUCKETS } : {}),
        },
        fromI2I: o.fromI2i,
        onProgress: (p) => bar.update(p),
      });
      bar.stop();
      const val = fit.validation;
      const metrics = {
        dataset: o.dataset,
        seed: o.seed,
        backend,
        fromI2I: o.fromI2i ?? null,
        context: o.context,
        bestEpoch: fit.train.bestEpoch,
        'val.gate.f1': val?.f1,
        'val.gate.precision': val?.precision,
        'val.gate.recall': val?.recall,
        'val.gate.auc': val?.auc,
        'val.gate.passRate': val?.passRate,
        'val.u2i.recall@20': val?.recall20,
        ...(val?.hitsOnlyShownNone !== undefined
          ? {
              'val.gate.hitsOnlyShownNone': val.hitsOnlyShownNone,
              'val.gate.othersShownSome': val.othersShownSome,
            }
          : {}),
        trainSeconds: fit.train.trainSeconds,
        positivesPerSecond: fit.train.positivesPerSecond,
        history: fit.train.history,
      };
      await saveTrainedVersion({
        kind: 'dssm',
        modelsDir: config.models.dir,
        save: (dir, version) =>
          saveDssmArtifact(
            dir,
            fit.model,
            fit.train.config as DssmTrainConfig & Record<string, unknown>,
            metrics,
            version,
          ),
        train: fit.train,
        backend,
        after: () => {
          console.log('cold-validation metrics:');
          for (const [k, v] of Object.entries(metrics))
            if (k.startsWith('val.') && typeof v === 'number')
              console.log(`  ${k.padEnd(28)} ${v.toFixed(4)}`);
        },
        register: o.register ? { dim: fit.model.dim, activateHint: true } : null,
      });
    });
}
