import { esc, type Html } from './html';

/**
 * Small SVG charts rendered on the server (no script, no external library): each one is an
 * image with a title and a text description a screen reader reads, and scales to its container.
 */

const W = 640;
const H = 240;
/** The top margin leaves room for a legend row above the plot. */
const PAD = { left: 48, right: 16, top: 30, bottom: 40 };
const COLOURS = ['#1f5fa8', '#b34700', '#2e7d32', '#6a1b9a'];

let seq = 0;
const nextId = (prefix: string) => `${prefix}-${++seq}`;

function fmt(n: number): string {
  if (n === 0) return '0';
  const a = Math.abs(n);
  if (a >= 1000 || a < 0.01) return n.toExponential(1);
  return n.toFixed(a >= 10 ? 0 : a >= 1 ? 1 : 2);
}

function frame(title: string, desc: string, inner: string): Html {
  const t = nextId('chart-title');
  const d = nextId('chart-desc');
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${t} ${d}" preserveAspectRatio="xMidYMid meet">
<title id="${t}">${esc(title)}</title><desc id="${d}">${esc(desc)}</desc>
${inner}</svg>`;
}

function axes(yMin: number, yMax: number, xLabels: Array<[number, string]>): string {
  const x0 = PAD.left;
  const y0 = H - PAD.bottom;
  const parts = [
    `<line x1="${x0}" y1="${PAD.top}" x2="${x0}" y2="${y0}" class="axis"/>`,
    `<line x1="${x0}" y1="${y0}" x2="${W - PAD.right}" y2="${y0}" class="axis"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = yMin + ((yMax - yMin) * i) / 4;
    const y = y0 - ((y0 - PAD.top) * i) / 4;
    parts.push(`<line x1="${x0 - 4}" y1="${y}" x2="${W - PAD.right}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end" class="tick">${esc(fmt(v))}</text>`);
  }
  for (const [x, label] of xLabels)
    parts.push(`<text x="${x}" y="${y0 + 16}" text-anchor="middle" class="tick">${esc(label)}</text>`);
  return parts.join('');
}

/**
 * A histogram of `values` in `bins` equal-width bins, optionally with a vertical marker (e.g. the
 * user's interest boundary). Empty input gives a note instead of a chart.
 */
export function histogram(opts: {
  title: string;
  values: number[];
  bins?: number;
  xLabel: string;
  marker?: { at: number; label: string };
}): Html {
  const values = opts.values.filter(Number.isFinite);
  if (!values.length) return `<p class="empty">No values to chart.</p>`;
  const bins = opts.bins ?? 12;
  let lo = Math.min(...values, opts.marker?.at ?? Infinity);
  let hi = Math.max(...values, opts.marker?.at ?? -Infinity);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  const top = Math.max(...counts);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (v: number) => PAD.left + ((v - lo) / (hi - lo)) * plotW;
  const bars = counts
    .map((c, i) => {
      const h = (c / top) * plotH;
      return `<rect x="${x(lo + i * width) + 1}" y="${H - PAD.bottom - h}" width="${Math.max(1, plotW / bins - 2)}" height="${h}" class="bar"><title>${esc(
        `${fmt(lo + i * width)} to ${fmt(lo + (i + 1) * width)}: ${c}`,
      )}</title></rect>`;
    })
    .join('');
  const marker = opts.marker
    ? `<line x1="${x(opts.marker.at)}" y1="${PAD.top}" x2="${x(opts.marker.at)}" y2="${H - PAD.bottom}" class="marker"/>` +
      // The label sits on the side of the marker that has room.
      `<text x="${x(opts.marker.at) + (x(opts.marker.at) > W / 2 ? -4 : 4)}" y="${PAD.top - 8}" text-anchor="${
        x(opts.marker.at) > W / 2 ? 'end' : 'start'
      }" class="marker-label">${esc(opts.marker.label)}</text>`
    : '';
  const xLabels: Array<[number, string]> = [0, 0.25, 0.5, 0.75, 1].map((f) => [
    PAD.left + f * plotW,
    fmt(lo + f * (hi - lo)),
  ]);
  const peak = counts.indexOf(top);
  const desc =
    `${values.length} values from ${fmt(Math.min(...values))} to ${fmt(Math.max(...values))}; ` +
    `the fullest bin (${top}) is ${fmt(lo + peak * width)} to ${fmt(lo + (peak + 1) * width)}` +
    (opts.marker ? `; ${opts.marker.label} at ${fmt(opts.marker.at)}` : '') +
    '.';
  return frame(
    opts.title,
    desc,
    axes(0, top, xLabels) +
      bars +
      marker +
      `<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle" class="axis-label">${esc(opts.xLabel)}</text>`,
  );
}

/** Lines over a shared x axis (epochs); series without finite points are left out. */
export function lineChart(opts: {
  title: string;
  xLabel: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
}): Html {
  const series = opts.series
    .map((s) => ({ ...s, points: s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)) }))
    .filter((s) => s.points.length);
  if (!series.length) return `<p class="empty">No training curve recorded.</p>`;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const px = (v: number) => PAD.left + ((v - x0) / (x1 - x0)) * plotW;
  const py = (v: number) => H - PAD.bottom - ((v - y0) / (y1 - y0)) * plotH;
  const lines = series
    .map((s, i) => {
      const c = COLOURS[i % COLOURS.length];
      const d = s.points
        .map(([a, b], j) => `${j ? 'L' : 'M'}${px(a).toFixed(1)},${py(b).toFixed(1)}`)
        .join(' ');
      const dots = s.points
        .map(([a, b]) => `<circle cx="${px(a).toFixed(1)}" cy="${py(b).toFixed(1)}" r="3" fill="${c}"/>`)
        .join('');
      return `<path d="${d}" fill="none" stroke="${c}" stroke-width="2"/>${dots}`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${PAD.left + i * 150}" y="6" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>` +
        `<text x="${PAD.left + 16 + i * 150}" y="16" class="tick">${esc(s.name)}</text>`,
    )
    .join('');
  const ticks = [...new Set(xs)].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(ticks.length / 8));
  const xLabels = ticks.filter((_, i) => i % step === 0).map((t): [number, string] => [px(t), String(t)]);
  const desc = series
    .map((s) => {
      const first = s.points[0];
      const last = s.points[s.points.length - 1];
      return `${s.name}: ${fmt(first[1])} at ${first[0]} to ${fmt(last[1])} at ${last[0]}`;
    })
    .join('; ');
  return frame(
    opts.title,
    desc,
    axes(y0, y1, xLabels) +
      lines +
      legend +
      `<text x="${PAD.left + plotW / 2}" y="${H - 6}" text-anchor="middle" class="axis-label">${esc(opts.xLabel)}</text>`,
  );
}
