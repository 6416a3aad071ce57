import { lineChart } from '../charts';
import { actionButton, badge, esc, layout, num, table, time, type Html } from '../html';
import type { ModelVersionView, QualityReportView } from '../model-admin.service';

const LOSS_KEYS = ['loss', 'bprLoss', 'infoNCELoss', 'trainLoss'];

function curves(v: ModelVersionView): Html {
  if (!v.curve.length) return '<p class="empty">No training curve recorded with this version.</p>';
  const x = (p: Record<string, number>, i: number) => p.epoch ?? i + 1;
  const keys = [...new Set(v.curve.flatMap((p) => Object.keys(p)))];
  const losses = keys.filter((k) => LOSS_KEYS.includes(k) || /loss$/i.test(k));
  const validation = keys.filter((k) => /^val|validation|recall|auc/i.test(k));
  const chart = (title: string, names: string[]) =>
    names.length
      ? `<figure>${lineChart({
          title,
          xLabel: 'epoch',
          series: names.map((n) => ({
            name: n,
            points: v.curve.map((p, i): [number, number] => [x(p, i), p[n]]),
          })),
        })}</figure>`
      : '';
  return `<div class="grid2">${chart(`Training loss of ${v.version}`, losses)}${chart(
    `Validation of ${v.version}`,
    validation,
  )}</div>`;
}

function metricList(v: ModelVersionView): Html {
  const entries = Object.entries(v.metrics).filter(([k]) => k !== 'dataset');
  if (!entries.length) return '<span class="muted">—</span>';
  return entries
    .slice(0, 8)
    .map(([k, m]) => `<span class="mono">${esc(k)}</span> ${typeof m === 'number' ? num(m, 4) : esc(m)}`)
    .join('<br>');
}

export function modelsPage(versions: ModelVersionView[], reports: QualityReportView[]): Html {
  const rows = versions.map((v) => [
    `<code>${esc(v.version)}</code>`,
    esc(v.kind),
    v.active ? badge('ok', 'active') : badge('neutral', 'inactive'),
    esc(v.dataset ?? '—'),
    String(v.dim),
    time(v.createdAt),
    metricList(v),
    v.active
      ? `<span class="muted">activated ${time(v.activatedAt)}</span>`
      : actionButton({
          label: `Activate ${v.version}`,
          post: `/v1/models/${encodeURIComponent(v.version)}/activate`,
          pending: `Activating ${v.version}: embedding songs and building its pool…`,
          done: `${v.version} is active.`,
        }),
  ]);
  const active = (['i2i', 'dssm', 'audience'] as const).map((k) => {
    const v = versions.find((x) => x.kind === k && x.active);
    return `<li><strong>${k}</strong>: ${v ? `<code>${esc(v.version)}</code>` : '<span class="muted">none active</span>'}</li>`;
  });
  const details = versions
    .map(
      (
        v,
      ) => `<details${v.active ? ' open' : ''}><summary>Training curves of <code>${esc(v.version)}</code> (${esc(v.kind)})</summary>
${curves(v)}</details>`,
    )
    .join('\n');
  const quality = reports.length
    ? reports
        .map(
          (
            r,
          ) => `<h3>${esc(r.name)}${r.dataset ? ` — ${esc(r.dataset)}` : ''}${r.seed !== null ? `, seed ${r.seed}` : ''}</h3>
${
  r.charts.length
    ? `<div class="grid2">${r.charts
        .map(
          (c) =>
            `<figure><img class="report" src="/console/reports/${encodeURIComponent(c)}" alt="Quality report chart ${esc(c)}" loading="lazy"><figcaption>${esc(c)}</figcaption></figure>`,
        )
        .join('')}</div>`
    : '<p class="empty">This report has no charts.</p>'
}`,
        )
        .join('\n')
    : '<p class="empty">No quality report yet: <code>npm run bench:quality</code> writes one (with its charts) under <code>reports/</code>.</p>';
  return layout({
    title: 'Models',
    section: 'models',
    body: `<h1>Models</h1>
<h2>Active</h2>
<ul>${active.join('')}</ul>
<h2>Versions</h2>
<p class="muted">Activating embeds every song with the version, builds its pool and switches the services (the same as <code>trainer activate</code>); it needs the API key.</p>
${table({
  label: 'Model versions',
  head: ['Version', 'Kind', 'State', 'Dataset', 'Dim', 'Trained', 'Metrics', 'Action'],
  numeric: [4],
  rows,
  empty: 'No model trained yet: npm run trainer -- train i2i.',
})}
<h2>Training curves</h2>
${versions.length ? details : '<p class="empty">No versions.</p>'}
<h2>Quality reports</h2>
${quality}`,
  });
}
