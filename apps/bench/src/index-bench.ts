/**
 * bench:index (DESIGN.md §7): exact (flat inner product) against HNSW on the same vectors, at
 * the sizes of a real warm pool. Build time, queries per second (batched, as activation and
 * evaluation search, and one at a time, as the worker searches per release), and HNSW's
 * recall@10 against the exact answer.
 */
import {
  DEFAULT_HNSW_PARAMS,
  VectorIndex,
  clusteredUnitVectors,
  faissNodeVersion,
  loadFaiss,
  type Neighbour,
} from '@debut/index';
import { machineLine, verdict } from './services';

export interface IndexBenchOptions {
  sizes: number[];
  dim: number;
  queries: number;
  efSearch: number[];
  seed: number;
  rawFaiss: boolean;
}

const RECALL_TARGET = 0.95;
const K = 10;

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

function recallAt10(approx: Neighbour[][], exact: Neighbour[][]): number {
  let hit = 0;
  for (let q = 0; q < exact.length; q++) {
    const truth = new Set(exact[q].map((n) => n.id));
    hit += approx[q].filter((n) => truth.has(n.id)).length;
  }
  return hit / (exact.length * K);
}

/** Queries per second of one-at-a-time search over the first `n` queries (the worker's pattern). */
function singleQps(
  index: VectorIndex,
  queries: Float32Array,
  dim: number,
  n: number,
  efSearch?: number,
): number {
  const t0 = process.hrtime.bigint();
  for (let q = 0; q < n; q++) index.search(queries.subarray(q * dim, (q + 1) * dim), K, { efSearch });
  return n / secs(t0);
}

export function runIndexBench(o: IndexBenchOptions): void {
  console.log(`bench:index — faiss-node ${faissNodeVersion()} (Debian libfaiss), ${machineLine()}`);
  console.log(
    `data: clusteredUnitVectors (seeded, L2-normalised, clustered like genre scenes), dim ${o.dim}; ` +
      `${o.queries} held-out queries from the same clusters; k=${K}; HNSW M=${DEFAULT_HNSW_PARAMS.M}, efConstruction=${DEFAULT_HNSW_PARAMS.efConstruction}`,
  );
  const rows: string[] = [];
  let worstRecall = 1;
  for (const n of o.sizes) {
    // One draw for base and queries so that queries come from the base's clusters.
    const all = clusteredUnitVectors(n + o.queries, o.dim, o.seed);
    const base = all.subarray(0, n * o.dim);
    const queries = all.subarray(n * o.dim);
    const ids = Array.from({ length: n }, (_, i) => `s-${i}`);
    const singles = Math.min(o.queries, n >= 500_000 ? 200 : 1000);

    let t0 = process.hrtime.bigint();
    const flat = VectorIndex.build({ dim: o.dim, kind: 'flat', name: 'exact' }, ids, base);
    const flatBuild = secs(t0);
    t0 = process.hrtime.bigint();
    const exact = flat.searchBatch(queries, K);
    const flatBatchQps = o.queries / secs(t0);
    const flatSingleQps = singleQps(flat, queries, o.dim, singles);
    rows.push(row(n, 'flat (exact)', flatBuild, flatBatchQps, flatSingleQps, 1));
    console.log(rows[rows.length - 1]);

    t0 = process.hrtime.bigint();
    const hnsw = VectorIndex.build({ dim: o.dim, kind: 'hnsw', name: 'hnsw' }, ids, base);
    const hnswBuild = secs(t0);
    for (const ef of o.efSearch) {
      t0 = process.hrtime.bigint();
      const approx = hnsw.searchBatch(queries, K, { efSearch: ef });
      const batchQps = o.queries / secs(t0);
      const recall = recallAt10(approx, exact);
      if (ef === DEFAULT_HNSW_PARAMS.efSearch) worstRecall = Math.min(worstRecall, recall);
      rows.push(
        row(
          n,
          `hnsw efSearch=${ef}${ef === DEFAULT_HNSW_PARAMS.efSearch ? ' (default)' : ''}`,
          hnswBuild,
          batchQps,
          singleQps(hnsw, queries, o.dim, singles, ef),
          recall,
        ),
      );
      console.log(rows[rows.length - 1]);
    }
    if (o.rawFaiss) {
      // Diagnosis, not the service's index: faiss HNSW fed in one add() call (VectorIndex adds
      // in 16,384-row chunks). Shows how much of the recall gap the chunked insertion explains.
      t0 = process.hrtime.bigint();
      const raw = loadFaiss().Index.fromFactory(
        o.dim,
        `HNSW${DEFAULT_HNSW_PARAMS.M},Flat`,
        0 /* faiss METRIC_INNER_PRODUCT */,
      );
      raw.add(Array.from(base));
      const rawBuild = secs(t0);
      t0 = process.hrtime.bigint();
      const fetch = DEFAULT_HNSW_PARAMS.efSearch;
      const r = raw.search(Array.from(queries), fetch);
      const rawQps = o.queries / secs(t0);
      const approx = exact.map((_, q) =>
        Array.from({ length: K }, (_, j) => ({
          id: `s-${r.labels[q * fetch + j]}`,
          score: r.distances[q * fetch + j],
        })),
      );
      rows.push(
        row(
          n,
          `raw faiss HNSW, one add() call, efConstruction 40, ef=${fetch} (diagnosis)`,
          rawBuild,
          rawQps,
          NaN,
          recallAt10(approx, exact),
        ),
      );
      console.log(rows[rows.length - 1]);
    }
  }
  console.log(
    '\n| vectors | index | build s | batch q/s | single q/s | recall@10 |\n|---:|---|---:|---:|---:|---:|',
  );
  for (const r of rows) console.log(r);
  console.log(
    `\ntarget: HNSW recall@10 ≥ ${RECALL_TARGET} at the default efSearch=${DEFAULT_HNSW_PARAMS.efSearch}: ` +
      `worst ${worstRecall.toFixed(4)} over sizes ${o.sizes.join(', ')} → ${verdict(worstRecall >= RECALL_TARGET)}`,
  );
  console.log(
    'note: times depend on what else runs on the machine (see the load average above); recall does not.',
  );
}

function row(
  n: number,
  kind: string,
  build: number,
  batchQps: number,
  single: number,
  recall: number,
): string {
  const single$ = Number.isNaN(single) ? '-' : Math.round(single).toLocaleString('en');
  return `| ${n.toLocaleString('en')} | ${kind} | ${build.toFixed(1)} | ${Math.round(batchQps).toLocaleString('en')} | ${single$} | ${recall.toFixed(4)} |`;
}
