import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ColdStartEvaluator, DatasetName, loadWithSplit } from '@debut/evaluation';
import { fitI2I, tfThreads } from '@debut/models';

/** What `bench:train --out F` writes. */
export interface TrainBenchReport {
  dataset: DatasetName;
  seed: number;
  backend: string;
  wallSeconds: number;
  bestValRecall100: number | null;
  epochs: number;
}

/**
 * bench:train: the full I2I training (`i2i-contrastive`, the configuration `trainer train i2i`
 * uses) on a dataset, timed end to end: pair mining, every epoch, and the per-epoch
 * validation. Prints throughput (pairs/s, step time) and the backend; target ≤ 90 s on Last.fm
 * (native TensorFlow backend, 2 cores). With `out`, also writes a TrainBenchReport as JSON.
 */
export async function runTrainBench(opts: {
  dataset: DatasetName;
  seed: number;
  backend: string;
  targetSeconds: number;
  out?: string;
}): Promise<TrainBenchReport> {
  const log = (m: string) => console.error(m);
  const t0 = Date.now();
  const { dataset, split } = loadWithSplit(opts.dataset, opts.seed, log);
  const loadSeconds = (Date.now() - t0) / 1000;
  const ev = new ColdStartEvaluator(dataset, split, { seed: opts.seed });
  const t1 = Date.now();
  const fit = await fitI2I(ev.trainContext({ log }), 'i2i-contrastive');
  const wall = (Date.now() - t1) / 1000;
  const r = fit.train;
  const epochs = r.history.length;
  const pairsSeen = r.history.reduce((s, e) => s + e.pairs, 0);
  const met = wall <= opts.targetSeconds;
  const threads = tfThreads();
  const backendCell =
    r.backend === 'tensorflow' && threads
      ? `tensorflow (native; ${threads.intraOp} intra-op / ${threads.interOp} inter-op threads)`
      : r.backend;
  console.log(`## bench:train — i2i-contrastive on ${opts.dataset} (seed ${opts.seed})

| measure | value |
|---|---|
| backend | ${backendCell} |
| machine | ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} |
| warm items / training pairs kept | ${split.warmItems.length} / ${fit.pairs.keptPairs} |
| epochs run (early stopping, patience ${r.config.patience}) | ${epochs} (best ${r.bestEpoch}) |
| pairs seen | ${pairsSeen} |
| training throughput | ${r.pairsPerSecond.toFixed(0)} pairs/s, ${r.meanStepMillis.toFixed(1)} ms per step of ${r.config.batchSize} |
| training seconds (steps only) | ${r.trainSeconds.toFixed(1)} |
| wall seconds (pairs + epochs + validation) | ${wall.toFixed(1)} |
| dataset load seconds | ${loadSeconds.toFixed(1)} |
| best cold-validation audience Recall@100 | ${r.bestValidation?.toFixed(4) ?? '—'} |

Target: full training ≤ ${opts.targetSeconds} s — ${met ? 'met' : `MISSED by ${(wall - opts.targetSeconds).toFixed(1)} s`}.`);
  const report: TrainBenchReport = {
    dataset: opts.dataset,
    seed: opts.seed,
    backend: r.backend,
    wallSeconds: Math.round(wall * 10) / 10,
    bestValRecall100: r.bestValidation ?? null,
    epochs,
  };
  if (opts.out) {
    fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
    fs.writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    log(`[bench:train] wrote ${opts.out}`);
  }
  return report;
}
