import * as fs from 'fs';
import * as path from 'path';
import { CurvePoint, PALETTE, barChart, curveChart, fontAvailable } from './charts';

export interface QualityRow {
  method: string;
  metrics: Record<string, number>;
  trainSeconds: number;
}

/** The JSON report other tooling reads (its shape is fixed: docs/evaluation.md). */
export interface QualityReport {
  dataset: string;
  seed: number;
  split: { warmItems: number; coldValItems: number; coldTestItems: number; users: number };
  backend: string;
  rows: QualityRow[];
}

/** Context for the Markdown header (not part of the JSON shape). */
export interface ReportContext {
  datasetStats: Record<string, number>;
  k: number;
  weighting: string;
  notes?: Record<string, string>;
  timings?: Record<string, number>;
}

export const AUDIENCE_COLUMNS = [
  'audience.recall@50',
  'audience.recall@100',
  'audience.recall@200',
  'audience.ndcg@100',
];
export const U2I_COLUMNS = ['u2i.recall@20', 'u2i.ndcg@20', 'gate.auc', 'gate.f1'];
export const MAIN_COLUMNS = [...AUDIENCE_COLUMNS, ...U2I_COLUMNS];

const fmt = (v: number | undefined, name: string) =>
  v === undefined ? '—' : name.endsWith('found@100') || name === 'gate.topk' ? v.toFixed(1) : v.toFixed(4);

function table(
  rows: QualityRow[],
  columns: string[],
  extra: (r: QualityRow) => string[] = () => [],
  extraHead: string[] = [],
): string {
  const head = ['method', ...columns, ...extraHead];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows)
    lines.push(`| ${[r.method, ...columns.map((c) => fmt(r.metrics[c], c)), ...extra(r)].join(' | ')} |`);
  return lines.join('\n');
}

export function markdownReport(report: QualityReport, ctx: ReportContext, charts: string[] = []): string {
  const s = report.split;
  const stats = Object.entries(ctx.datasetStats)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const otherCols = [
    ...new Set(report.rows.flatMap((r) => Object.keys(r.metrics)).filter((k) => !MAIN_COLUMNS.includes(k))),
  ].sort();
  const out = [
    `## bench:quality — ${report.dataset}, seed ${report.seed}, backend ${report.backend}`,
    '',
    `Data: ${stats}.`,
    `Split (DESIGN.md §6, seed ${report.seed}): ${s.warmItems} warm items, ${s.coldValItems} cold validation items, ` +
      `${s.coldTestItems} cold test items, ${s.users} users. Metrics on cold TEST items; cold interactions hidden from training.`,
    `Audience: k = ${ctx.k} neighbours, listener weights \`${ctx.weighting}\`, Recall@K = found / hidden listeners, ` +
      `averaged over cold test items. Gate P/R/F1 over all (user, cold test item) pairs; AUC on listened vs equally many ` +
      `sampled unlistened pairs; methods without a boundary gate by a fixed top-k chosen on cold validation items.`,
    '',
    "**`oracle-cf` cheats by construction**: it picks neighbours with the cold item's hidden listeners. It is a ceiling, not a competitor.",
    '',
    table(report.rows, MAIN_COLUMNS, (r) => [r.trainSeconds.toFixed(1)], ['train s']),
    '',
  ];
  if (otherCols.length > 0) out.push('More metrics:', '', table(report.rows, otherCols), '');
  if (ctx.notes && Object.keys(ctx.notes).length > 0) {
    out.push(...Object.entries(ctx.notes).map(([m, n]) => `- \`${m}\`: ${n}`), '');
  }
  if (ctx.timings) {
    out.push(
      `Timings: ${Object.entries(ctx.timings)
        .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
        .join(', ')}.`,
      '',
    );
  }
  if (charts.length > 0) {
    out.push(`Charts: ${charts.join(', ')}.`);
    if (!fontAvailable()) {
      out.push(
        'No TTF font found: charts carry no labels. Groups are methods in table order; bar colours: ' +
          MAIN_COLUMNS.map((c, i) => `${c} ${PALETTE[i % 4]}`).join(', ') +
          '.',
      );
    }
    out.push('');
  }
  return out.join('\n');
}

/** Writes the JSON report, the bar charts and (if any) the training-curve chart; returns chart paths. */
export async function writeReport(
  file: string,
  report: QualityReport,
  curves: CurvePoint[] = [],
): Promise<string[]> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  const base = file.replace(/\.json$/, '');
  const methods = report.rows.map((r) => r.method);
  const value = (m: string, k: string) => report.rows.find((r) => r.method === m)?.metrics[k];
  const charts: string[] = [];
  const audienceMethods = methods.filter((m) => AUDIENCE_COLUMNS.some((k) => value(m, k) !== undefined));
  await barChart(
    `${base}-audience.png`,
    `I2I2U audience — ${report.dataset}, seed ${report.seed}`,
    audienceMethods,
    AUDIENCE_COLUMNS,
    value,
  );
  charts.push(`${base}-audience.png`);
  const u2iMethods = methods.filter((m) => U2I_COLUMNS.some((k) => value(m, k) !== undefined));
  if (u2iMethods.length > 0) {
    await barChart(
      `${base}-u2i.png`,
      `U2I ranking and gate — ${report.dataset}, seed ${report.seed}`,
      u2iMethods,
      U2I_COLUMNS,
      value,
    );
    charts.push(`${base}-u2i.png`);
  }
  if (await curveChart(`${base}-curves.png`, curves)) charts.push(`${base}-curves.png`);
  return charts;
}
