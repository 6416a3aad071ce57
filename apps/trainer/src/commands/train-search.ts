import type { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { EmbeddingRepository, ModelVersionRepository, SongRepository, openDatabase } from '@debut/catalog';
import { ColdStartEvaluator, lastfmTagNames, loadWithSplit, parseDataset } from '@debut/evaluation';
import { fitSearch, initTf, saveSearchArtifact } from '@debut/models';
import { SearchActivation, searchModelLoader } from '@debut/serving';
import { saveTrainedVersion } from './train-support';

interface TrainSearchOptions {
  dataset: string;
  seed: number;
  epochs?: number;
  queryWeight: number;
  maxPairs?: number;
  activate?: boolean;
  register: boolean;
}

/** `trainer activate` of a search version: embed every stored song, save the vectors, flip. */
export async function activateSearch(version: string): Promise<void> {
  const config = loadConfig();
  const ds = await openDatabase(config.db);
  try {
    const r = await new SearchActivation({
      config,
      versions: new ModelVersionRepository(ds),
      songs: new SongRepository(ds),
      embeddings: new EmbeddingRepository(ds),
      load: searchModelLoader(config.models.tfBackend),
    }).activate(version);
    console.log(
      `activated ${r.version} (search): ${r.songsEmbedded} songs embedded, ${r.seconds.toFixed(1)} s. ` +
        'Running api processes switch on their next poll and add new releases as they are stored.',
    );
  } finally {
    await ds.destroy();
  }
}

/**
 * `trainer train search`: the joint search model (query encoder + item tower, InfoNCE on
 * tag queries + the collaborative BPR; fit-search.ts) on a dataset's cold split, saved as a
 * versioned `search` artifact with its validation metrics and the hybrid fusion chosen on
 * cold-validation queries, registered in model_versions (and activated with --activate).
 */
export function registerTrainSearch(train: Command): void {
  train
    .command('search')
    .description(
      'joint search model (query encoder + item tower, multi-task with BPR); hybrid fusion on validation',
    )
    .option('--dataset <name>', 'lastfm | synthetic', 'synthetic')
    .option('--seed <n>', 'split and training seed', (v) => Number(v), 42)
    .option('--epochs <n>', 'maximum epochs (early stopping on cold validation)', (v) => Number(v))
    .option('--query-weight <x>', 'weight of the query–item loss (BPR weight 1)', (v) => Number(v), 1)
    .option('--max-pairs <n>', 'co-listened pairs per epoch (0 = all)', (v) => Number(v))
    .option('--activate', 'activate the version once registered')
    .option('--no-register', 'do not register the version in the database')
    .action(async (o: TrainSearchOptions) => {
      const config = loadConfig();
      const backend = await initTf({ backend: config.models.tfBackend, log: (m) => console.log(m) });
      const log = (m: string) => console.log(m);
      const dataset = parseDataset(o.dataset);
      const { dataset: data, split } = loadWithSplit(dataset, o.seed, log);
      const ev = new ColdStartEvaluator(data, split, { k: config.audience.neighbours, seed: o.seed });
      const fit = await fitSearch(ev.trainContext({ log, curve: () => undefined }), {
        config: {
          queryWeight: o.queryWeight,
          ...(o.epochs ? { epochs: o.epochs } : {}),
          ...(o.maxPairs !== undefined ? { maxExamplesPerEpoch: o.maxPairs } : {}),
        },
        // Last.fm's content is a dense tag vector: its columns' names are the tag phrases.
        text: dataset === 'lastfm' ? { tagNames: { tags: lastfmTagNames() } } : {},
      });
      const metrics = {
        dataset: o.dataset,
        seed: o.seed,
        backend,
        bestEpoch: fit.train.bestEpoch,
        trainSeconds: fit.train.trainSeconds,
        fusion: fit.model.config.fusion,
        ...fit.validation,
        history: fit.train.history,
      };
      const { version } = await saveTrainedVersion({
        kind: 'search',
        modelsDir: config.models.dir,
        save: async (dir, version) => {
          const manifest = await saveSearchArtifact(dir, fit.model, metrics, version);
          for (const [k, v] of Object.entries(fit.validation)) log(`  ${k.padEnd(28)} ${v.toFixed(4)}`);
          return manifest;
        },
        train: fit.train,
        backend,
        lead: `fusion ${fit.model.config.fusion.mode} w=${fit.model.config.fusion.lexicalWeight}`,
        after: () => fit.model.dispose(),
        register: o.register
          ? {
              dim: fit.model.dim,
              activateHint: !o.activate,
              // The table keeps a summary; the artifact keeps the vocabulary and tag names.
              manifest: (m) => {
                const { vocabulary, text, ...rest } = m.config;
                const summary = {
                  ...rest,
                  vocabulary: vocabulary.length,
                  tagNames: Object.keys(text.tagNames ?? {}),
                };
                return { ...m, config: summary };
              },
            }
          : null,
      });
      if (o.register && o.activate) await activateSearch(version);
    });
}
