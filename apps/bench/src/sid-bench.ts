import * as fs from 'node:fs';
import * as path from 'node:path';
import { ColdStartEvaluator, DatasetName, loadWithSplit } from '@debut/evaluation';
import { createVectorIndex } from '@debut/index';
import { DEFAULT_RQ_KMEANS, fitI2I, fitSemanticIdModel, parseSidShape } from '@debut/models';

/** One codebook shape measured on one split's I2I vectors. */
export interface SidBenchRow {
  shape: string;
  levels: number;
  codes: number;
  fitSeconds: number;
  /** Share of established songs whose full SID no other established song has. */
  uniqueShare: number;
  reconstructionError: number;
  /** Per level 1..L. */
  codesUsed: number[];
  distinctPrefixes: number[];
  maxSongsPerPrefix: number[];
  medianSongsPerPrefix: number[];
  /** Share of (song, top-k FAISS neighbour) pairs among established songs sharing the first l codes. */
  neighbourAgreement: number[];
  /** The same for two established songs drawn at random (Σ n_p(n_p−1) / N(N−1)). */
  chanceAgreement: number[];
  /** Cold test songs (encoded as a release is) and their top-k established neighbours. */
  coldNeighbourAgreement: number[];
}

export interface SidBenchReport {
  dataset: DatasetName;
  seed: number;
  backend: string;
  index: string;
  k: number;
  warmSongs: number;
  coldSongs: number;
  dim: number;
  i2iSeconds: number;
  rows: SidBenchRow[];
}

/**
 * bench:sid: trains the I2I encoder (`trainer train i2i`'s configuration) on one split, encodes the
 * established (warm) songs, and for each codebook shape fits RQ-KMeans on them and reports codebook
 * use, unique full SIDs, songs per prefix, reconstruction error, fit time, and how often a song's
 * top-k FAISS neighbours (exact inner product) share its first l codes, beside the rate for random
 * pairs; cold test songs, encoded as releases are, against their established neighbours too.
 */
export async function runSidBench(opts: {
  dataset: DatasetName;
  seed: number;
  backend: string;
  shapes: string[];
  k: number;
  out?: string;
}): Promise<SidBenchReport> {
  const log = (m: string) => console.error(m);
  const shapes = opts.shapes.map((s) => ({ spec: s, ...parseSidShape(s) }));
  const { dataset, split } = loadWithSplit(opts.dataset, opts.seed, log);
  const ev = new ColdStartEvaluator(dataset, split, { seed: opts.seed });
  const t0 = performance.now();
  const fit = await fitI2I(ev.trainContext({ log }), 'i2i-contrastive');
  const i2iSeconds = (performance.now() - t0) / 1000;
  const byId = new Map(dataset.items.map((it) => [it.id, it.content] as const));
  const warm = fit.encoder.embed(split.warmItems.map((id) => byId.get(id)!));
  const cold = fit.encoder.embed(split.coldTestItems.map((id) => byId.get(id)!));
  const dim = fit.encoder.dim;
  const n = split.warmItems.length;

  // Top-k established neighbours of every established song (itself excluded) and of every cold one.
  const index = createVectorIndex({ dim, kind: 'flat', name: 'sid-bench' });
  index.add(
    split.warmItems.map((_, i) => String(i)),
    warm,
  );
  const warmHits = index.searchBatch(warm, opts.k + 1).map((hits, i) =>
    hits
      .map((h) => Number(h.id))
      .filter((j) => j !== i)
      .slice(0, opts.k),
  );
  const coldHits = index.searchBatch(cold, opts.k).map((hits) => hits.map((h) => Number(h.id)));
  log(`[bench:sid] ${n} established songs, ${split.coldTestItems.length} cold test songs, dim ${dim}`);

  const rows: SidBenchRow[] = [];
  for (const shape of shapes) {
    const fitted = fitSemanticIdModel(warm, dim, 'bench', {
      levels: shape.levels,
      codes: shape.codes,
      seed: opts.seed,
    });
    const m = fitted.manifest;
    const warmCodes = fitted.model.codesOf(warm);
    const coldCodes = fitted.model.codesOf(cold);
    const L = shape.levels;
    const shares = (a: Int32Array, i: number, b: Int32Array, j: number) => {
      let l = 0;
      while (l < L && a[i * L + l] === b[j * L + l]) l++;
      return l; // leading codes shared
    };
    const agreement = (codes: Int32Array, hits: number[][]) => {
      const count = new Array<number>(L).fill(0);
      let pairs = 0;
      hits.forEach((nb, i) => {
        for (const j of nb) {
          pairs++;
          const s = shares(codes, i, warmCodes, j);
          for (let l = 0; l < s; l++) count[l]++;
        }
      });
      return count.map((c) => (pairs ? c / pairs : 0));
    };
    rows.push({
      shape: shape.spec,
      levels: L,
      codes: shape.codes,
      fitSeconds: m.fitSeconds,
      uniqueShare: m.stats.uniqueShare,
      reconstructionError: m.reconstructionError,
      codesUsed: m.stats.codesUsed,
      distinctPrefixes: m.stats.distinctPrefixes,
      maxSongsPerPrefix: m.stats.maxSongsPerPrefix,
      medianSongsPerPrefix: m.stats.medianSongsPerPrefix,
      neighbourAgreement: agreement(warmCodes, warmHits),
      chanceAgreement: chance(warmCodes, n, L),
      coldNeighbourAgreement: agreement(coldCodes, coldHits),
    });
  }
  const report: SidBenchReport = {
    dataset: opts.dataset,
    seed: opts.seed,
    backend: opts.backend,
    index: 'faiss IndexFlatIP (exact)',
    k: opts.k,
    warmSongs: n,
    coldSongs: split.coldTestItems.length,
    dim,
    i2iSeconds,
    rows,
  };
  console.log(renderSidBench(report));
  if (opts.out) {
    fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
    fs.writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    log(`[bench:sid] wrote ${opts.out}`);
  }
  return report;
}

/** Probability that two distinct established songs drawn at random share the first l codes. */
function chance(codes: Int32Array, n: number, L: number): number[] {
  const out: number[] = [];
  for (let l = 1; l <= L; l++) {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const key = Array.from(codes.subarray(i * L, i * L + l)).join('-');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    let same = 0;
    for (const c of counts.values()) same += c * (c - 1);
    out.push(n > 1 ? same / (n * (n - 1)) : 0);
  }
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const perLevel = (xs: number[], f: (x: number) => string = String) => xs.map(f).join(' / ');

export function renderSidBench(r: SidBenchReport): string {
  const lines = [
    `## bench:sid — RQ-KMeans semantic IDs of the I2I vectors, ${r.dataset} seed ${r.seed}`,
    '',
    `${r.warmSongs} established songs (fit and prefix statistics), ${r.coldSongs} cold test songs; I2I dim ${r.dim} ` +
      `(i2i-contrastive, ${r.i2iSeconds.toFixed(1)} s on ${r.backend}); neighbours: top-${r.k} by ${r.index}; ` +
      `RQ-KMeans ${DEFAULT_RQ_KMEANS.iterations} Lloyd iterations per level, k-means++ seeding, seed ${r.seed}.`,
    '',
    '| shape | unique full SID | codes used per level | songs per prefix, max (median) per level | ' +
      `top-${r.k} neighbours sharing levels 1 / 2 / 3 | random pair (chance) | cold song → its neighbours | recon. MSE | fit s |`,
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of r.rows) {
    const prefix = row.maxSongsPerPrefix.map((m, l) => `${m} (${row.medianSongsPerPrefix[l]})`).join(' / ');
    lines.push(
      `| ${row.shape} | ${pct(row.uniqueShare)} | ${perLevel(row.codesUsed)} of ${row.codes} | ${prefix} | ` +
        `${perLevel(row.neighbourAgreement, pct)} | ${perLevel(row.chanceAgreement, pct)} | ` +
        `${perLevel(row.coldNeighbourAgreement, pct)} | ${row.reconstructionError.toFixed(4)} | ${row.fitSeconds.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}
