import * as fs from 'fs';
import * as path from 'path';
import * as PImage from 'pureimage';

/**
 * PNG charts with pureimage (pure JS). Text needs a TTF: DejaVu Sans from the system fonts (or
 * $DEBUT_CHART_FONT). Without one the charts are drawn without labels and `fontAvailable()`
 * says so, so the Markdown report can carry the legend instead.
 */
const FONT_CANDIDATES = [
  process.env.DEBUT_CHART_FONT ?? '',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
].filter(Boolean);

const FAMILY = 'DebutChart';
let fontState: 'unknown' | 'ok' | 'none' = 'unknown';

export function fontAvailable(): boolean {
  if (fontState === 'unknown') {
    fontState = 'none';
    for (const f of FONT_CANDIDATES) {
      if (!fs.existsSync(f)) continue;
      try {
        PImage.registerFont(f, FAMILY).loadSync();
        fontState = 'ok';
        break;
      } catch {
        /* try the next one */
      }
    }
  }
  return fontState === 'ok';
}

export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

type Ctx = ReturnType<ReturnType<typeof PImage.make>['getContext']>;

function text(ctx: Ctx, s: string, x: number, y: number, size = 12, color = '#222222'): void {
  if (!fontAvailable()) return;
  ctx.fillStyle = color;
  ctx.font = `${size}pt ${FAMILY}`;
  ctx.fillText(s, x, y);
}

async function save(img: ReturnType<typeof PImage.make>, file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await PImage.encodePNGToStream(img, fs.createWriteStream(file));
}

/** Grouped bar chart: one group per method, one bar per metric (missing metrics leave a gap). */
export async function barChart(
  file: string,
  title: string,
  methods: string[],
  metricNames: string[],
  value: (method: string, metric: string) => number | undefined,
): Promise<void> {
  const groupW = Math.max(70, metricNames.length * 18 + 20);
  const W = Math.max(680, 80 + methods.length * groupW + 40);
  const H = 420;
  const x0 = 60;
  const y0 = 330;
  const plotH = 260;
  const img = PImage.make(W, H);
  const ctx = img.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  let vmax = 0;
  for (const m of methods) for (const k of metricNames) vmax = Math.max(vmax, value(m, k) ?? 0);
  vmax = vmax <= 1 ? 1 : Math.ceil(vmax);
  ctx.strokeStyle = '#cccccc';
  ctx.lineWidth = 1;
  for (let t = 0; t <= 4; t++) {
    const y = y0 - (plotH * t) / 4;
    ctx.beginPath();
    ctx.moveTo(x0, y);
    ctx.lineTo(W - 20, y);
    ctx.stroke();
    text(ctx, ((vmax * t) / 4).toFixed(2), 8, y + 4, 9);
  }
  const barW = (groupW - 20) / metricNames.length;
  methods.forEach((m, gi) => {
    const gx = x0 + 10 + gi * groupW;
    metricNames.forEach((k, bi) => {
      const v = value(m, k);
      if (v === undefined || !Number.isFinite(v)) return;
      const h = (Math.max(0, v) / vmax) * plotH;
      ctx.fillStyle = PALETTE[bi % PALETTE.length];
      ctx.fillRect(gx + bi * barW, y0 - h, Math.max(1, barW - 2), h);
    });
    text(ctx, m.length > 14 ? m.slice(0, 13) + '…' : m, gx, y0 + 16, 9);
  });
  text(ctx, title, x0, 24, 13);
  metricNames.forEach((k, i) => {
    const lx = 20 + (i % 4) * 165;
    const ly = H - 50 + Math.floor(i / 4) * 18;
    ctx.fillStyle = PALETTE[i % PALETTE.length];
    ctx.fillRect(lx, ly - 9, 10, 10);
    text(ctx, k, lx + 14, ly, 9);
  });
  await save(img, file);
}

export interface CurvePoint {
  method: string;
  epoch: number;
  values: Record<string, number>;
}

/** Training curves: one panel per value name, one line per method. */
export async function curveChart(file: string, points: CurvePoint[]): Promise<boolean> {
  if (points.length === 0) return false;
  const names = [...new Set(points.flatMap((p) => Object.keys(p.values)))].slice(0, 6);
  const methods = [...new Set(points.map((p) => p.method))];
  const panelH = 200;
  const W = 640;
  const H = names.length * panelH + 40;
  const img = PImage.make(W, H);
  const ctx = img.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, W, H);
  const maxEpoch = Math.max(1, ...points.map((p) => p.epoch));
  const minEpoch = Math.min(...points.map((p) => p.epoch));
  names.forEach((name, pi) => {
    const top = 20 + pi * panelH;
    const x0 = 60;
    const x1 = W - 150;
    const y0 = top + panelH - 30;
    const y1 = top + 20;
    const vals = points.flatMap((p) =>
      name in p.values && Number.isFinite(p.values[name]) ? [p.values[name]] : [],
    );
    let lo = Math.min(...vals);
    let hi = Math.max(...vals);
    if (!(hi > lo)) {
      hi = lo + 1;
      lo = lo - 1;
    }
    ctx.strokeStyle = '#999999';
    ctx.lineWidth = 1;
    ctx.strokeRect(x0, y1, x1 - x0, y0 - y1);
    text(ctx, name, x0, top + 12, 11);
    text(ctx, hi.toPrecision(3), 4, y1 + 8, 8);
    text(ctx, lo.toPrecision(3), 4, y0, 8);
    methods.forEach((m, mi) => {
      const series = points
        .filter((p) => p.method === m && name in p.values && Number.isFinite(p.values[name]))
        .sort((a, b) => a.epoch - b.epoch);
      if (series.length === 0) return;
      ctx.strokeStyle = PALETTE[mi % PALETTE.length];
      ctx.fillStyle = PALETTE[mi % PALETTE.length];
      ctx.lineWidth = 2;
      const px = (e: number) => x0 + ((e - minEpoch) / Math.max(1, maxEpoch - minEpoch)) * (x1 - x0);
      const py = (v: number) => y0 - ((v - lo) / (hi - lo)) * (y0 - y1);
      ctx.beginPath();
      series.forEach((p, i) =>
        i === 0 ? ctx.moveTo(px(p.epoch), py(p.values[name])) : ctx.lineTo(px(p.epoch), py(p.values[name])),
      );
      ctx.stroke();
      for (const p of series) ctx.fillRect(px(p.epoch) - 2, py(p.values[name]) - 2, 4, 4);
      ctx.fillRect(x1 + 10, y1 + 10 + mi * 16, 10, 10);
      text(ctx, m, x1 + 24, y1 + 19 + mi * 16, 9);
    });
  });
  await save(img, file);
  return true;
}
