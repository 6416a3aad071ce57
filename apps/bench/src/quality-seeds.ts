/**
 * bench:quality --seeds A,B,C: every row on each split seed (one single-seed report each, as
 * --seed writes them), then mean ± standard deviation per row and metric, Markdown + JSON + PNG.
 * A model result counts only when it holds over the seeds, beside the strongest simple
 * baseline (max of content-knn and content-ridge) of the same runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '@debut/config';
import { AUDIENCE_COLUMNS, QualityReport, U2I_COLUMNS, barChart } from '@debut/evaluation';
import { QualityBenchOptions, runQualityBench } from './quality';

type Metrics = Record<string, number>;

export interface SeedsRow {
  method: string;
  perSeed: Record<string, Metrics>;
  mean: Metrics;
  sd: Metrics;
  /** Mean training seconds over the seeds. */
  trainSeconds: number;
}

export interface SeedsReport {
  dataset: string;
  seeds: number[];
  backend: string;
  rows: SeedsRow[];
}

export function summarise(reports: QualityReport[]): SeedsRow[] {
  const methods = [...new Set(reports.flatMap((r) => r.rows.map((x) => x.method)))];
  return methods.map((method) => {
    const perSeed: Record<string, Metrics> = {};
    const seconds: number[] = [];
    for (const r of reports) {
      const row = r.rows.find((x) => x.method === method);
      if (!row) continue;
      perSeed[String(r.seed)] = row.metrics;
      seconds.push(row.trainSeconds);
    }
    const keys = [...new Set(Object.values(perSeed).flatMap((m) => Object.keys(m)))];
    const mean: Metrics = {};
    const sd: Metrics = {};
    for (const k of keys) {
      const xs = Object.values(perSeed)
        .map((m) => m[k])
        .filter((x): x is number => Number.isFinite(x));
      if (!xs.length) continue;
      const mu = xs.reduce((s, x) => s + x, 0) / xs.length;
      mean[k] = mu;
      sd[k] = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mu) ** 2, 0) / (xs.length - 1)) : 0;
    }
    return {
      method,
      perSeed,
      mean,
      sd,
      trainSeconds: seconds.reduce((s, x) => s + x, 0) / Math.max(1, seconds.length),
    };
  });
}

const cell = (r: SeedsRow, k: string) =>
  r.mean[k] === undefined ? '—' : `${r.mean[k].toFixed(4)} ± ${r.sd[k].toFixed(4)}`;

/** The verdicts the targets ask for, computed on the means (never on one seed). */
function verdicts(rows: SeedsRow[]): string[] {
  const m = (name: string, k: string) => rows.find((r) => r.method === name)?.mean[k];
  const r100 = 'audience.recall@100';
  const knn = m('content-knn', r100) ?? 0;
  const ridge = m('content-ridge', r100) ?? 0;
  const strongest = Math.max(knn, ridge);
  const learned = ['i2i-contrastive', 'i2i-contrastive-random-groups', 'cb2cf-bpr', 'u2i-audience', 'fusion'];
  const best = learned
    .map((name) => ({ name, v: m(name, r100) }))
    .filter((x): x is { name: string; v: number } => x.v !== undefined)
    .sort((a, b) => b.v - a.v)[0];
  const out: string[] = [
    `Strongest simple baseline (mean R@100): ${strongest === ridge ? 'content-ridge' : 'content-knn'} ${strongest.toFixed(4)}.`,
  ];
  const says = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
  if (best) {
    out.push(
      `Best learned audience row: ${best.name} ${best.v.toFixed(4)} = ${(best.v / knn).toFixed(3)} × content-knn ` +
        `(target ≥ 1.15: ${says(best.v >= 1.15 * knn)}); vs content-ridge ${says(best.v > ridge)}.`,
    );
  }
  const i2i = m('i2i-contrastive', r100);
  const rnd = m('i2i-contrastive-random-groups', r100);
  if (i2i !== undefined) {
    out.push(
      `i2i-contrastive ${i2i.toFixed(4)} ≥ content-knn ${knn.toFixed(4)}: ${says(i2i >= knn)}; above its random-grouping ablation ${rnd?.toFixed(4) ?? '—'}: ${says(rnd !== undefined && i2i > rnd)}.`,
    );
  }
  const f1 = (name: string) => m(name, 'gate.f1');
  const b = f1('dssm-boundary');
  if (b !== undefined) {
    out.push(
      `dssm-boundary gate F1 ${b.toFixed(4)} above dssm-topk ${f1('dssm-topk')?.toFixed(4) ?? '—'}: ${says(b > (f1('dssm-topk') ?? Infinity))}; ` +
        `above content-mean ${f1('content-mean')?.toFixed(4) ?? '—'}: ${says(b > (f1('content-mean') ?? Infinity))}.`,
    );
  }
  out.push(...starsVerdicts(rows));
  // Issue 15: item-ID features against content only, warm (held-out plays) and cold.
  const warmK = 'u2i.recall@20.warm';
  const coldK = 'u2i.recall@20';
  const content = { warm: m('dssm-boundary', warmK), cold: m('dssm-boundary', coldK) };
  for (const row of ['dssm-sid-ngram', 'dssm-sid-spm', 'dssm-random-hash']) {
    const w = m(row, warmK);
    const c = m(row, coldK);
    if (w === undefined || c === undefined || content.warm === undefined || content.cold === undefined)
      continue;
    out.push(
      `${row} vs content-only dssm-boundary: warm R@20 ${w.toFixed(4)} ≥ ${content.warm.toFixed(4)}: ${says(w >= content.warm)}; ` +
        `cold R@20 ${c.toFixed(4)} > ${content.cold.toFixed(4)}: ${says(c > content.cold)}.`,
    );
    // With --id-warm-start, the same fine-tuning without ID fields is the fair content-only row.
    const fw = m('dssm-content-finetuned', warmK);
    const fc = m('dssm-content-finetuned', coldK);
    if (fw !== undefined && fc !== undefined && row !== 'dssm-content-finetuned')
      out.push(
        `${row} vs content-only dssm-content-finetuned: warm R@20 ${w.toFixed(4)} ≥ ${fw.toFixed(4)}: ${says(w >= fw)}; ` +
          `cold R@20 ${c.toFixed(4)} > ${fc.toFixed(4)}: ${says(c > fc)}.`,
      );
  }
  return out;
}

/** synthetic-drift slices, shown when some row has them. */
const STARS_COLUMNS = [
  'u2i.recall@20.drifted',
  'u2i.recall@20.recent',
  'u2i.recall@20.season',
  'u2i.coverage@20',
];

/** Issue 16 rows against their ablation `dssm-boundary`: "beats" = mean gain above both rows' sd. */
const STARS_ROWS: Array<[string, string]> = [
  ['dssm-dual-memory', 'u2i.recall@20'],
  ['dssm-dual-memory-rr', 'u2i.recall@20'],
  ['dssm-item-delta', 'u2i.recall@20'],
  ['dssm-softmax', 'u2i.recall@20'],
  ['dssm-logq-softmax', 'u2i.recall@20'],
  ['dssm-context', 'u2i.recall@20.season'],
];

function starsVerdicts(rows: SeedsRow[]): string[] {
  const base = rows.find((r) => r.method === 'dssm-boundary');
  if (!base) return [];
  return STARS_ROWS.flatMap(([name, k]) => {
    const r = rows.find((x) => x.method === name);
    if (!r || r.mean[k] === undefined || base.mean[k] === undefined) return [];
    const gain = r.mean[k] - base.mean[k];
    const spread = Math.max(r.sd[k], base.sd[k]);
    return [
      `${name} ${k} ${r.mean[k].toFixed(4)} vs dssm-boundary ${base.mean[k].toFixed(4)}: gain ${gain.toFixed(4)}, ` +
        `spread ${spread.toFixed(4)} → ${gain > spread ? 'beats its ablation (keep on)' : 'does not beat its ablation beyond the spread (keep off)'}.`,
    ];
  });
}

export async function runQualitySeeds(
  seeds: number[],
  opts: Omit<QualityBenchOptions, 'seed'>,
): Promise<SeedsReport> {
  const reports: QualityReport[] = [];
  const seconds: number[] = [];
  for (const seed of seeds) {
    const t0 = Date.now();
    reports.push(await runQualityBench({ ...opts, seed, out: undefined, quiet: false }));
    seconds.push((Date.now() - t0) / 1000);
  }
  const report: SeedsReport = {
    dataset: opts.dataset,
    seeds,
    backend: opts.backend ?? 'none',
    rows: summarise(reports),
  };
  const out =
    opts.out ?? path.join(projectRoot, 'reports', `quality-${opts.dataset}-seeds-${seeds.join('-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  const chart = out.replace(/\.json$/, '-audience.png');
  const value = (method: string, k: string) => report.rows.find((r) => r.method === method)?.mean[k];
  const audienceRows = report.rows
    .filter((r) => r.mean['audience.recall@100'] !== undefined)
    .map((r) => r.method);
  await barChart(
    chart,
    `audience, mean over seeds ${seeds.join(', ')} — ${opts.dataset}`,
    audienceRows,
    AUDIENCE_COLUMNS,
    value,
  );
  const columns = [
    ...AUDIENCE_COLUMNS.slice(1, 2),
    'audience.gatePass@100',
    'audience.gatedRecall@100',
    ...U2I_COLUMNS,
    ...STARS_COLUMNS.filter((k) => report.rows.some((r) => r.mean[k] !== undefined)),
    // Only with --warm-holdout (issue 15), so today's table keeps its columns.
    ...(report.rows.some((r) => r.mean['u2i.recall@20.warm'] !== undefined)
      ? ['u2i.recall@20.warm', 'u2i.ndcg@20.warm']
      : []),
  ];
  const md = [
    `## bench:quality — ${opts.dataset}, seeds ${seeds.join(', ')}, backend ${report.backend}: mean ± sd over seeds`,
    '',
    `Each seed is its own cold split (cold validation chooses every hyper-parameter; cold test is reported). Per-seed reports: ` +
      seeds.map((s) => `reports/quality-${opts.dataset}-${s}.json`).join(', ') +
      `; wall time per seed ${seconds.map((s) => s.toFixed(0)).join(', ')} s.`,
    '',
    `| method | ${columns.join(' | ')} | train s |`,
    `|---|${columns.map(() => '---').join('|')}|---|`,
    ...report.rows.map(
      (r) => `| ${r.method} | ${columns.map((k) => cell(r, k)).join(' | ')} | ${r.trainSeconds.toFixed(1)} |`,
    ),
    '',
    ...verdicts(report.rows).map((v) => `- ${v}`),
    '',
    `JSON: ${path.relative(process.cwd(), out)}; chart: ${path.relative(process.cwd(), chart)}.`,
  ].join('\n');
  console.log(md);
  fs.writeFileSync(out.replace(/\.json$/, '.md'), md + '\n');
  return report;
}
