import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { parseDataset } from '@debut/evaluation';
import { dssmSidMethods, i2iMethods, initTf } from '@debut/models';
import { runQualityBench } from './quality';
import { runQualitySeeds } from './quality-seeds';
import { runTrainBench } from './train-bench';
import { runSearchBench, runSearchSeeds } from './search-bench';
import { runSidBench } from './sid-bench';
import { registerGateBench } from './gate-bench';
import { registerOpsBenches } from './ops-commands';
import { registerScaleBench } from './scale-bench';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${v}`);
  return n;
};

/** Dataset and seed options of a seeded bench. */
interface SeedArgs {
  dataset: string;
  seed: number;
  seeds?: string;
  out?: string;
}

/** `bench <name>`: the npm run bench:* scripts land here. */
export function registerBenches(bench: Command): void {
  bench
    .command('quality')
    .description(
      'DESIGN.md §6: cold-item split, every baseline and every model on the same split; Markdown + JSON + PNG',
    )
    .option('--dataset <name>', 'lastfm | synthetic | synthetic-drift', 'synthetic')
    .option('--seed <n>', 'split seed', int, 42)
    .option(
      '--seeds <list>',
      'comma list of split seeds: every row on each, then mean ± sd per row (one single-seed report each too)',
    )
    .option(
      '--out <file>',
      'JSON report (default reports/quality-<dataset>-<seed>.json, or -seeds-A-B-C.json)',
    )
    .option(
      '--methods <list>',
      'comma list of model families to train: i2i,dssm; issue 15: dssm-sid, dssm-sid-spm (docs/models.md); issue 16: dual-memory, tower-options, context, or stars = all three (each with the dssm rows; baselines always run)',
      'i2i,dssm',
    )
    .option(
      '--warm-holdout',
      'opt-in: hide a seeded 10% of each user warm plays from training; U2I rows add u2i.recall@20.warm / u2i.ndcg@20.warm',
    )
    .option(
      '--id-dropout <list>',
      'issue 15 ID rows (dssm-sid-ngram, dssm-sid-spm, dssm-random-hash): ID-feature dropout rates tried, best on cold validation',
      '0',
    )
    .option(
      '--no-id-warm-start',
      'issue 15 ID rows: train from scratch instead of from the trained content-only DSSM (the default: extra fields reach nothing at first, then fine-tuned; with a dssm-content-finetuned control row)',
    )
    .option(
      '--next-task-weight <w>',
      'issue 16 dual-memory rows: train their DSSM with the next-intent task at this weight (0 = share dssm-boundary)',
      (v) => Number(v),
      0,
    )
    .action(
      async (
        o: SeedArgs & {
          methods: string;
          warmHoldout?: boolean;
          idDropout: string;
          idWarmStart?: boolean;
          nextTaskWeight: number;
        },
      ) => {
        const config = loadConfig();
        const families = new Set(
          o.methods
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        );
        const backend = await initTf({ backend: config.models.tfBackend, log: (m) => console.error(m) });
        const base = {
          dataset: parseDataset(o.dataset),
          out: o.out,
          backend,
          methods: {
            i2i: families.has('i2i') ? i2iMethods() : [],
            dssm: families.has('dssm'),
            // Issue 15: content-only vs SID n-gram vs random-hash ID features in the item tower.
            u2i:
              families.has('dssm-sid') || families.has('dssm-sid-spm')
                ? dssmSidMethods({
                    // The dssm and issue-16 families already emit dssm-boundary.
                    contentRow: !['dssm', 'dual-memory', 'tower-options', 'context', 'stars'].some((x) =>
                      families.has(x),
                    ),
                    spm: families.has('dssm-sid-spm'),
                    warmStart: o.idWarmStart === true,
                    idDropout: o.idDropout.split(',').map((x) => {
                      const p = Number(x.trim());
                      if (!(p >= 0 && p < 1)) throw new Error(`--id-dropout: ${x} is not a rate in [0, 1)`);
                      return p;
                    }),
                  })
                : [],
            stars: {
              dual: families.has('dual-memory') || families.has('stars'),
              nextWeight: o.nextTaskWeight,
              towerOptions: families.has('tower-options') || families.has('stars'),
              context: families.has('context') || families.has('stars'),
            },
          },
          warmHoldout: o.warmHoldout === true,
        };
        if (o.seeds)
          await runQualitySeeds(
            o.seeds.split(',').map((s) => int(s.trim())),
            base,
          );
        else await runQualityBench({ ...base, seed: o.seed });
      },
    );

  bench
    .command('train')
    .description(
      'full I2I training timed end to end, with throughput and backend (target ≤ 90 s on Last.fm, native backend, 2 cores)',
    )
    .option('--dataset <name>', 'lastfm | synthetic', 'lastfm')
    .option('--seed <n>', 'split seed', int, 42)
    .option('--target <s>', 'target seconds', int, 90)
    .option(
      '--out <file>',
      'also write { dataset, seed, backend, wallSeconds, bestValRecall100, epochs } as JSON',
    )
    .action(async (o: { dataset: string; seed: number; target: number; out?: string }) => {
      const backend = await initTf({ backend: loadConfig().models.tfBackend, log: (m) => console.error(m) });
      await runTrainBench({
        dataset: parseDataset(o.dataset),
        seed: o.seed,
        backend,
        targetSeconds: o.target,
        out: o.out,
      });
    });

  bench
    .command('search')
    .description(
      'issue 15: known-item search from held-out / indexed Last.fm tags (lexical, dense, joint, hybrid) + audience R@100 (joint vs rec-only); docs/search.md',
    )
    .option('--dataset <name>', 'lastfm', 'lastfm')
    .option('--seed <n>', 'split seed', int, 42)
    .option(
      '--seeds <list>',
      'comma list of split seeds: mean ± sd per row (one single-seed report each too)',
    )
    .option(
      '--out <file>',
      'JSON report (default reports/search-<dataset>-<seed>.json, or -seeds-A-B-C.json)',
    )
    .option('--epochs <n>', 'epochs of dense, joint and rec-only', int, 8)
    .option('--max-pairs <n>', 'examples per epoch of dense, joint and rec-only (0 = all)', int, 60000)
    .action(
      async (o: {
        dataset: string;
        seed: number;
        seeds?: string;
        out?: string;
        epochs: number;
        maxPairs: number;
      }) => {
        if (o.dataset !== 'lastfm')
          throw new Error(`bench:search needs --dataset lastfm (tags), got "${o.dataset}"`);
        const backend = await initTf({
          backend: loadConfig().models.tfBackend,
          log: (m) => console.error(m),
        });
        const base = {
          dataset: 'lastfm' as const,
          out: o.out,
          backend,
          epochs: o.epochs,
          maxPairsPerEpoch: o.maxPairs,
        };
        if (o.seeds)
          await runSearchSeeds(
            o.seeds.split(',').map((s) => int(s.trim())),
            base,
          );
        else await runSearchBench({ ...base, seed: o.seed });
      },
    );

  bench
    .command('sid')
    .description(
      'issue 15: RQ-KMeans semantic IDs of the I2I vectors per codebook shape: unique SIDs, codebook use, songs per prefix, neighbour prefix agreement vs chance, fit time; docs/semantic-ids.md',
    )
    .option('--dataset <name>', 'lastfm | synthetic', 'lastfm')
    .option('--seed <n>', 'split, training and k-means seed', int, 42)
    .option('--shapes <list>', 'comma list of LEVELSxCODES', '3x64,3x128,3x256')
    .option('--k <n>', 'FAISS neighbours per song', int, 10)
    .option('--out <file>', 'also write the rows as JSON')
    .action(async (o: { dataset: string; seed: number; shapes: string; k: number; out?: string }) => {
      const backend = await initTf({ backend: loadConfig().models.tfBackend, log: (m) => console.error(m) });
      await runSidBench({
        dataset: parseDataset(o.dataset),
        seed: o.seed,
        backend,
        shapes: o.shapes.split(',').map((s) => s.trim()),
        k: o.k,
        out: o.out,
      });
    });

  registerGateBench(bench);
  registerOpsBenches(bench);
  registerScaleBench(bench);
}
