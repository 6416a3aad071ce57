import * as path from 'path';
import { projectRoot } from '@debut/config';
import {
  contextMethods,
  dssmFitOnce,
  dssmMethods,
  dualMemoryMethods,
  towerOptionMethods,
} from '@debut/models';
import { AudienceRows } from './audience-rows';
import {
  ColdStartEvaluator,
  CurvePoint,
  DatasetName,
  I2IMethod,
  ListenerWeighting,
  QualityReport,
  QualityRow,
  U2IMethod,
  loadWithSplit,
  markdownReport,
  runBaselines,
  warmU2IMetrics,
  writeReport,
} from '@debut/evaluation';

/** Issue 16 rows (each implies the dssm rows, their ablation): dual memory, tower options, context. */
export interface StarsFamilies {
  dual?: boolean;
  /** > 0: the dual-memory rows use their own DSSM trained with the next-intent task at this weight. */
  nextWeight?: number;
  towerOptions?: boolean;
  context?: boolean;
}

export interface QualityBenchOptions {
  dataset: DatasetName;
  seed: number;
  /** JSON report path; default reports/quality-<dataset>-<seed>.json under the project root. */
  out?: string;
  /** Model rows: I2I encoders; the DSSM (its two gate rows, then u2i-audience and fusion). */
  methods?: { i2i: I2IMethod[]; dssm: boolean; u2i?: U2IMethod[]; stars?: StarsFamilies };
  quiet?: boolean;
  /** Tensor backend the caller initialised ('wasm' | 'tensorflow' | 'none'). */
  backend?: string;
  /** Neighbours per cold item (default 50). */
  k?: number;
  weighting?: ListenerWeighting;
  /**
   * Opt-in (issue 15): hide a seeded 10% of each user's warm plays from training and add
   * u2i.recall@20.warm / u2i.ndcg@20.warm to every U2I row. Off: today's split and figures.
   */
  warmHoldout?: boolean;
  /** Where the Markdown goes (default stdout unless quiet). */
  print?: (markdown: string) => void;
}

/**
 * bench:quality: load → DESIGN.md §6 split → every baseline → every passed-in method (I2I
 * methods get audience metrics on cold test items, U2I methods ranking + gate metrics) → JSON
 * report, PNG charts, Markdown table. A method that throws becomes a logged failure, not a crash
 * of the whole run.
 */
export async function runQualityBench(opts: QualityBenchOptions): Promise<QualityReport> {
  const log = (m: string) => {
    if (!opts.quiet) console.error(`[bench:quality] ${m}`);
  };
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  // The same dataset and split that `trainer import` and `trainer train` use.
  const { dataset, split } = loadWithSplit(
    opts.dataset,
    opts.seed,
    log,
    opts.warmHoldout ? { warmHoldout: true } : {},
  );
  if (opts.dataset !== 'lastfm') {
    log(
      `synthetic: ${Object.entries(dataset.stats)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  timings.load = (Date.now() - t0) / 1000;
  const ev = new ColdStartEvaluator(dataset, split, {
    k: opts.k ?? 50,
    weighting: opts.weighting,
    seed: opts.seed,
  });
  log(
    `split seed ${opts.seed}: ${split.warmItems.length} warm, ${split.coldValItems.length} cold val, ` +
      `${split.coldTestItems.length} cold test items; ${split.train.length} training interactions`,
  );

  let t = Date.now();
  const rows: QualityRow[] = [];
  const notes: Record<string, string> = {};
  for (const r of await runBaselines(ev, log)) {
    rows.push({ method: r.method, metrics: r.metrics, trainSeconds: r.trainSeconds });
    if (r.notes) notes[r.method] = r.notes;
  }
  const curves: CurvePoint[] = [];
  const ctx = ev.trainContext({
    log,
    curve: (method, epoch, values) => curves.push({ method, epoch, values: { ...values } }),
  });
  const audience = new AudienceRows(ev, ctx, log);
  await audience.baselines(rows, notes);
  timings.baselines = (Date.now() - t) / 1000;

  for (const m of opts.methods?.i2i ?? []) {
    t = Date.now();
    try {
      const encoder = await m.fit(ctx);
      const trainSeconds = (Date.now() - t) / 1000;
      const metrics = await ev.evaluateI2I(encoder);
      rows.push({ method: m.name, metrics, trainSeconds });
      await audience.addSpace(m.name, encoder, rows);
      log(
        `${m.name}: trained in ${trainSeconds.toFixed(1)} s, audience.recall@100 ${metrics['audience.recall@100']?.toFixed(4)}`,
      );
    } catch (e) {
      notes[m.name] = `FAILED: ${(e as Error).message}`;
      log(`${m.name} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }
  const stars = opts.methods?.stars ?? {};
  const fitOnce = dssmFitOnce({ onFit: audience.onDssmFit });
  const u2iMethods = [
    ...(opts.methods?.dssm || stars.dual || stars.towerOptions || stars.context
      ? dssmMethods({}, fitOnce)
      : []),
    ...(stars.dual
      ? dualMemoryMethods(
          stars.nextWeight ? dssmFitOnce({ config: { nextWeight: stars.nextWeight } }) : fitOnce,
        )
      : []),
    ...(stars.towerOptions ? towerOptionMethods() : []),
    ...(stars.context ? contextMethods() : []),
    ...(opts.methods?.u2i ?? []),
  ];
  for (const m of u2iMethods) {
    t = Date.now();
    try {
      const model = await m.fit(ctx);
      const trainSeconds = (Date.now() - t) / 1000;
      const metrics = ev.evaluateU2I(model);
      if (split.warmHoldout) Object.assign(metrics, warmU2IMetrics(split, ev.warm, dataset.users, model));
      if (m.name === 'dssm-boundary') audience.setGate(model);
      rows.push({ method: m.name, metrics, trainSeconds });
      log(
        `${m.name}: trained in ${trainSeconds.toFixed(1)} s, u2i.recall@20 ${metrics['u2i.recall@20']?.toFixed(4)}` +
          (split.warmHoldout ? `, u2i.recall@20.warm ${metrics['u2i.recall@20.warm']?.toFixed(4)}` : ''),
      );
    } catch (e) {
      notes[m.name] = `FAILED: ${(e as Error).message}`;
      log(`${m.name} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }

  t = Date.now();
  try {
    await audience.finish(rows, notes);
  } catch (e) {
    notes.fusion = `FAILED: ${(e as Error).message}`;
    log(`audience rows failed: ${(e as Error).stack ?? String(e)}`);
  }
  timings.audienceRows = (Date.now() - t) / 1000;

  const report: QualityReport = {
    dataset: opts.dataset,
    seed: opts.seed,
    split: {
      warmItems: split.warmItems.length,
      coldValItems: split.coldValItems.length,
      coldTestItems: split.coldTestItems.length,
      users: dataset.users.length,
    },
    backend: opts.backend ?? 'none',
    rows,
  };
  const out = opts.out ?? path.join(projectRoot, 'reports', `quality-${opts.dataset}-${opts.seed}.json`);
  const charts = await writeReport(out, report, curves);
  timings.total = (Date.now() - t0) / 1000;
  const md = markdownReport(
    report,
    { datasetStats: dataset.stats, k: ev.k, weighting: ev.weighting, notes, timings },
    [out, ...charts].map((f) => path.relative(process.cwd(), f)),
  );
  if (opts.print) opts.print(md);
  else if (!opts.quiet) console.log(md);
  return report;
}
