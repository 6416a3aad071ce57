/**
 * bench:scale (docs/scaling.md): what one release costs in process as the catalogue grows,
 * stage by stage, with the project's own code — the I2I encoder (featurizer + tower), the warm
 * VectorIndex (flat and HNSW, as the worker builds it), aggregateAudience over the neighbours'
 * listener lists — and the per-unit sizes the scaling arithmetic needs. Kafka, PostgreSQL reads
 * and writes are not in these numbers (bench:pipeline measures them end to end).
 *
 * JSON (--out F): { machine, backend, faiss, ompThreads, data, rows } with rows
 *   { songs, stage, batch, usPerRelease, seconds, bytes, unit, recall10, note }
 * (null where a field does not apply). Stage names are stable (add, never rename):
 *   encode            I2I forward pass (featurize + tower), µs per release at `batch`; songs null
 *   flat.build, hnsw.build, ivfpq.build
 *                     `seconds` to build at `songs`; `bytes` per vector (flat, hnsw: RSS growth of
 *                     the process over the build ÷ songs, ids included; ivfpq: serialised size ÷ songs)
 *   flat.search, hnsw.search, ivfpq.search, ivfpq.rerank
 *                     µs per release for the neighbours + 1 nearest at `batch`, `recall10` of the
 *                     top 10 against exact search (ivfpq.rerank: the PQ candidates rescored exactly)
 *   aggregate         aggregateAudience over the neighbours' in-memory listener lists, µs per release
 *   aggregate.target  the same with listener lists at the 10B plays / 10M songs / 100M users ratio
 *   release           encode + hnsw.search + aggregate at `batch`: the in-process cost at `songs`
 *   gate              InterestBoundary (u·b) + gate over `candidates` songs, µs per call
 *   listener-cache    bytes per cached listener entry (ListenerWeight objects with their user ids)
 *   user-state        bytes per user of an in-memory gate state (id → row Map, u and b Float32 rows)
 *   pg.<table>        bytes per stored row in the bench database: pg_total_relation_size ÷ count(*)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { StatsRepository, openDatabase } from '@debut/catalog';
import {
  InterestBoundary,
  aggregateAudience,
  listenerWeightOf,
  topNeighbours,
  type ListenerWeight,
  type Neighbour,
} from '@debut/audience';
import { loadConfig } from '@debut/config';
import { generateSynthetic } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import {
  DEFAULT_HNSW_PARAMS,
  VectorIndex,
  clusteredUnitVectors,
  faissNodeVersion,
  loadFaiss,
} from '@debut/index';
import {
  DEFAULT_DSSM_ARCH,
  DEFAULT_I2I_CONFIG,
  I2IEncoder,
  ItemTower,
  initTf,
  mulberry32,
} from '@debut/models';
import { DEFAULT_CATALOGUE, machineLine } from './services';
import {
  locateIvfNprobe,
  parseSizes,
  recallAtK,
  sizeLabel,
  zipfListenerCounts,
  type ListenerModel,
} from './scale-model';
import { positive } from './cli-args';

export interface ScaleRow {
  songs: number | null;
  stage: string;
  batch: number | null;
  usPerRelease: number | null;
  seconds: number | null;
  bytes: number | null;
  unit: string | null;
  recall10: number | null;
  note: string;
}

export interface ScaleBenchOptions {
  sizes: number[];
  dim: number;
  batch: number;
  queries: number;
  flatMax: number;
  ivfpq: number[];
  pq: string[];
  nprobe: number[];
  rerank: number[];
  hnsw: boolean;
  neighbours: number;
  audienceSize: number;
  playsPerSong: number;
  playsPerUser: number;
  zipf: number;
  listenerCap: number;
  candidates: number;
  seed: number;
  out?: string;
}

/** The scale docs/scaling.md extrapolates to (issue #13). */
const TARGET = { songs: 10_000_000, users: 100_000_000, plays: 10_000_000_000 };
/** Time spent per timed loop once its first round is done. */
const BUDGET_MS = 1500;

// A full collection between stages, so that memory deltas are the stage's own.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function settled(): Promise<{ rss: number; js: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r)); // native finalizers (faiss indexes) run after GC
  }
  const m = process.memoryUsage();
  return { rss: m.rss, js: m.heapUsed + m.external };
}

const now = () => performance.now();

/**
 * µs per release of `run(first, count)` over `total` releases taken `batch` at a time, stopping
 * early once BUDGET_MS has passed (at least one round always runs).
 */
function perRelease(total: number, batch: number, run: (first: number, count: number) => void): number {
  let done = 0;
  const t0 = now();
  while (done < total) {
    const count = Math.min(batch, total - done);
    run(done, count);
    done += count;
    if (now() - t0 > BUDGET_MS) break;
  }
  return ((now() - t0) * 1000) / done;
}

const row = (r: Partial<ScaleRow> & Pick<ScaleRow, 'stage'>): ScaleRow => ({
  songs: null,
  batch: null,
  usPerRelease: null,
  seconds: null,
  bytes: null,
  unit: null,
  recall10: null,
  note: '',
  ...r,
});

const fmt = (v: number | null, digits = 1) =>
  v === null || Number.isNaN(v) ? '-' : v.toLocaleString('en', { maximumFractionDigits: digits });

function printRow(r: ScaleRow): void {
  console.log(
    `| ${r.songs === null ? '-' : sizeLabel(r.songs)} | ${r.stage} | ${r.batch ?? '-'} | ${fmt(r.usPerRelease)} | ` +
      `${fmt(r.seconds)} | ${fmt(r.bytes, 0)}${r.unit ? ` / ${r.unit}` : ''} | ${fmt(r.recall10, 4)} | ${r.note} |`,
  );
}

export async function runScaleBench(o: ScaleBenchOptions): Promise<ScaleRow[]> {
  const config = loadConfig();
  const backend = await initTf({ backend: config.models.tfBackend, log: () => undefined });
  loadFaiss(); // sets OMP_NUM_THREADS=1 unless given, as every service does
  const header = [
    `bench:scale — ${machineLine()}`,
    `tf backend ${backend}; faiss-node ${faissNodeVersion()}, OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS}`,
    `warm vectors: clusteredUnitVectors (seeded, L2-normalised), dim ${o.dim}; ${o.queries} new-song queries from the same clusters; ` +
      `k = ${o.neighbours} neighbours (+1 fetched), HNSW M=${DEFAULT_HNSW_PARAMS.M} efConstruction=${DEFAULT_HNSW_PARAMS.efConstruction} efSearch=${DEFAULT_HNSW_PARAMS.efSearch}`,
    `listener lists: Zipf(${o.zipf}) over song rank, mean ${o.playsPerSong} listeners per song (the bench catalogue: ` +
      `${DEFAULT_CATALOGUE.interactions.toLocaleString('en')} plays / ${DEFAULT_CATALOGUE.songs.toLocaleString('en')} songs), ` +
      `${o.playsPerUser} songs per user, listeners drawn uniformly; audience size ${o.audienceSize}, 3 explanations`,
    'times are one thread, in process, on a machine other work shares (see the load average): indicative',
  ];
  header.forEach((l) => console.log(l));
  console.log(
    '\n| songs | stage | batch | µs/release | build s | bytes | recall@10 | note |\n|---:|---|---:|---:|---:|---:|---:|---|',
  );
  const rows: ScaleRow[] = [];
  const add = (r: ScaleRow) => {
    rows.push(r);
    printRow(r);
  };
  const batches = batchSizes(o);

  // I2I encoder: its cost does not depend on the catalogue size, so it is measured once.
  const { us: encodeUs, weightBytes, inputDim } = measureEncoder(o, batches);
  for (const [b, us] of encodeUs)
    add(
      row({
        stage: 'encode',
        batch: b,
        usPerRelease: us,
        bytes: weightBytes,
        unit: 'model (weights)',
        note: `${inputDim}-wide input, DEFAULT_I2I_CONFIG tower (fields ${DEFAULT_I2I_CONFIG.fieldDim}-d, hidden ${DEFAULT_I2I_CONFIG.hidden.join('/')}, out ${DEFAULT_I2I_CONFIG.outputDim}), initialised weights, synthetic schema`,
      }),
    );

  for (const n of o.sizes) await measureSize(o, n, encodeUs, add);

  add(await measureTargetAggregation(o));
  add(measureGate(o));
  add(await measureListenerEntries());
  add(await measureUserState(1_000_000, DEFAULT_DSSM_ARCH.dim));
  for (const r of await measureStoredRows()) add(r);

  if (o.out) {
    fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
    fs.writeFileSync(
      o.out,
      JSON.stringify(
        {
          machine: machineLine(),
          backend,
          faiss: faissNodeVersion(),
          ompThreads: process.env.OMP_NUM_THREADS ?? null,
          data: header.slice(2, 4).join('; '),
          rows,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`\nwrote ${o.out}`);
  }
  return rows;
}

const songIndex = (id: string) => Number(id.slice(2));
const batchSizes = (o: ScaleBenchOptions) => [...new Set([1, o.batch])];

/** One catalogue size: exact and HNSW (and IVF-PQ) indexes, the aggregation, the release total. */
async function measureSize(
  o: ScaleBenchOptions,
  n: number,
  encodeUs: Map<number, number>,
  add: (r: ScaleRow) => void,
): Promise<void> {
  const K = o.neighbours + 1; // the worker asks for one more: the song itself may come back
  const users = Math.round((n * o.playsPerSong) / o.playsPerUser);
  const all = clusteredUnitVectors(n + o.queries, o.dim, o.seed);
  const base = all.subarray(0, n * o.dim);
  const queries = all.subarray(n * o.dim);
  const q = (first: number, count: number) => queries.subarray(first * o.dim, (first + count) * o.dim);
  let exactHits: IndexHit[][] | null = null;
  let exact: string[][] | null = null;
  if (!o.hnsw && n > o.flatMax) throw new Error(`--no-hnsw needs the exact index: ${n} > --flat-max`);

  if (n <= o.flatMax) {
    const flat = await buildIndex('flat', n, o.dim, base);
    add(row({ songs: n, stage: 'flat.build', seconds: flat.seconds, bytes: flat.bytes, unit: 'vector' }));
    exactHits = flat.index.searchBatch(queries, K);
    exact = exactHits.map((hits) => hits.map((h) => h.id));
    for (const b of batchSizes(o)) {
      const us = perRelease(o.queries, b, (f, c) => flat.index.searchBatch(q(f, c), K));
      add(row({ songs: n, stage: 'flat.search', batch: b, usPerRelease: us, recall10: 1 }));
    }
  }

  const hnswUs = o.hnsw ? await measureHnsw(o, n, base, queries, exact, add) : null;
  if (o.ivfpq.includes(n) && exact)
    for (const code of o.pq) for (const r of measureIvfPq(o, n, code, base, queries, exact, K)) add(r);

  // Audience aggregation over the neighbours the HNSW search found (exact ones without HNSW).
  const found = hnswUs?.found ?? exactHits!;
  const neighbours = found.map((hits) =>
    topNeighbours(
      hits.map((h) => ({ songId: h.id, similarity: h.score })),
      o.neighbours,
    ),
  );
  const counts = zipfListenerCounts({ songs: n, meanPerSong: o.playsPerSong, users, exponent: o.zipf });
  const agg = measureAggregation(neighbours, (id) => counts[songIndex(id)], users, o);
  add(
    row({
      songs: n,
      stage: 'aggregate',
      batch: 1,
      usPerRelease: agg.us,
      note: `${fmt(agg.entries, 0)} listener entries per release (mean), ${users.toLocaleString('en')} users`,
    }),
  );
  if (hnswUs)
    add(
      row({
        songs: n,
        stage: 'release',
        batch: o.batch,
        usPerRelease: encodeUs.get(o.batch)! + hnswUs.searchUs.get(o.batch)! + agg.us,
        note: 'encode + hnsw.search + aggregate; no PostgreSQL, no Kafka',
      }),
    );
}

type IndexHit = { id: string; score: number };

/** The worker's warm index: HNSW build, memory, search per release, recall against exact. */
async function measureHnsw(
  o: ScaleBenchOptions,
  n: number,
  base: Float32Array,
  queries: Float32Array,
  exact: string[][] | null,
  add: (r: ScaleRow) => void,
): Promise<{ found: IndexHit[][]; searchUs: Map<number, number> }> {
  const K = o.neighbours + 1;
  const q = (first: number, count: number) => queries.subarray(first * o.dim, (first + count) * o.dim);
  const hnsw = await buildIndex('hnsw', n, o.dim, base);
  add(
    row({
      songs: n,
      stage: 'hnsw.build',
      seconds: hnsw.seconds,
      bytes: hnsw.bytes,
      unit: 'vector',
      note: 'faiss graph + vectors, the VectorIndex copy kept for rebuilds, ids',
    }),
  );
  const found = hnsw.index.searchBatch(queries, K);
  const recall = exact
    ? recallAtK(
        found.map((hits) => hits.map((h) => h.id)),
        exact,
        10,
      )
    : null;
  const searchUs = new Map<number, number>();
  for (const b of batchSizes(o)) {
    searchUs.set(
      b,
      perRelease(o.queries, b, (f, c) => hnsw.index.searchBatch(q(f, c), K)),
    );
    add(row({ songs: n, stage: 'hnsw.search', batch: b, usPerRelease: searchUs.get(b)!, recall10: recall }));
  }
  return { found, searchUs };
}

function measureEncoder(
  o: ScaleBenchOptions,
  batches: number[],
): { us: Map<number, number>; weightBytes: number; inputDim: number } {
  const cat = generateSynthetic({
    seed: o.seed,
    songs: Math.max(256, o.batch * 4),
    users: 4,
    interactionsPerUser: 3,
  });
  const featurizer = new Featurizer(cat.schema);
  const tower = new ItemTower({
    fields: featurizer.fields,
    fieldDim: DEFAULT_I2I_CONFIG.fieldDim,
    hidden: DEFAULT_I2I_CONFIG.hidden,
    outputDim: DEFAULT_I2I_CONFIG.outputDim,
    seed: o.seed,
  });
  const encoder = new I2IEncoder(featurizer, tower);
  const contents = cat.items.map((i) => i.content);
  const out = new Map<number, number>();
  for (const b of batches) {
    for (let i = 0; i < 5; i++) encoder.embed(contents.slice(0, b)); // warm-up (kernels, JIT)
    const total = Math.max(200, b * 40);
    out.set(
      b,
      perRelease(total, b, (first) => {
        const at = first % (contents.length - b + 1);
        encoder.embed(contents.slice(at, at + b));
      }),
    );
  }
  const weightBytes = tower.variables().reduce((sum, v) => sum + v.size * 4, 0); // float32
  encoder.dispose();
  return { us: out, weightBytes, inputDim: featurizer.inputDim };
}

async function buildIndex(
  kind: 'flat' | 'hnsw',
  n: number,
  dim: number,
  base: Float32Array,
): Promise<{ index: VectorIndex; seconds: number; bytes: number }> {
  const m0 = await settled();
  const t0 = now();
  const ids = Array.from({ length: n }, (_, i) => `s-${i}`); // the index's own ids, as loaded from a table
  const index = VectorIndex.build({ dim, kind, name: `scale-${kind}` }, ids, base);
  const seconds = (now() - t0) / 1000;
  const m1 = await settled();
  return { index, seconds, bytes: (m1.rss - m0.rss) / n };
}

/**
 * faiss IVF-PQ (raw faiss-node: the project's VectorIndex has flat and HNSW only) on the same
 * vectors: coarse quantiser of nlist ≈ √n lists, the PQ `code` (a faiss factory string), searched at
 * each nprobe (patched into the serialised index, faiss-node has no setter), raw and re-ranked.
 */
function measureIvfPq(
  o: ScaleBenchOptions,
  n: number,
  code: string,
  base: Float32Array,
  queries: Float32Array,
  exact: string[][],
  K: number,
): ScaleRow[] {
  const faiss = loadFaiss();
  const nlist = 2 ** Math.round(Math.log2(Math.sqrt(n)));
  const descriptor = `IVF${nlist},${code}`;
  const rows: ScaleRow[] = [];
  const t0 = now();
  const trained = faiss.Index.fromFactory(o.dim, descriptor, 0 /* faiss METRIC_INNER_PRODUCT */);
  const sample = Math.min(n, 40 * nlist); // faiss asks for ≥ 39 training points per list
  trained.train(Array.from(base.subarray(0, sample * o.dim)));
  const trainSeconds = (now() - t0) / 1000;
  const step = 16_384 * o.dim;
  for (let s = 0; s < base.length; s += step)
    trained.add(Array.from(base.subarray(s, Math.min(base.length, s + step))));
  const seconds = (now() - t0) / 1000;
  const buf = trained.toBuffer();
  rows.push(
    row({
      songs: n,
      stage: 'ivfpq.build',
      seconds,
      bytes: buf.length / n,
      unit: 'vector',
      note: `${descriptor}, inner product, trained on ${sample.toLocaleString('en')} vectors in ${trainSeconds.toFixed(1)} s; serialised size (codes, list ids, centroids)`,
    }),
  );
  const at = locateIvfNprobe(buf, nlist);
  if (at === null) {
    rows.push(row({ songs: n, stage: 'ivfpq.search', note: 'NOT MEASURED: unexpected faiss IVF-PQ layout' }));
    return rows;
  }
  const nq = queries.length / o.dim;
  const dot = (qi: number, label: number) => {
    let s = 0;
    for (let j = 0; j < o.dim; j++) s += queries[qi * o.dim + j] * base[label * o.dim + j];
    return s;
  };
  for (const nprobe of o.nprobe.filter((p) => p <= nlist)) {
    buf.writeBigUInt64LE(BigInt(nprobe), at);
    const index = faiss.Index.fromBuffer(buf);
    const search = (first: number, count: number, fetch: number) =>
      index.search(Array.from(queries.subarray(first * o.dim, (first + count) * o.dim)), fetch).labels;
    /** Query `first + i` of a search over queries first.. : its ids, PQ order or rescored. */
    const topIds = (labels: number[], fetch: number, first: number, i: number, rescore: boolean) => {
      const mine = labels.slice(i * fetch, (i + 1) * fetch).filter((l) => l >= 0);
      const ranked = rescore
        ? mine
            .map((l) => ({ l, s: dot(first + i, l) }))
            .sort((a, b) => b.s - a.s)
            .map((x) => x.l)
        : mine;
      return ranked.slice(0, K).map((l) => `s-${l}`);
    };
    const variants: Array<[string, number, boolean]> = [
      ['ivfpq.search', K, false],
      ...o.rerank.map((r): [string, number, boolean] => ['ivfpq.rerank', Math.max(K, r), true]),
    ];
    for (const [stage, fetch, rescore] of variants) {
      const approx: string[][] = [];
      const us = perRelease(nq, o.batch, (first, count) => {
        const labels = search(first, count, fetch);
        for (let i = 0; i < count; i++) approx.push(topIds(labels, fetch, first, i, rescore));
      });
      // Recall over every query (the timed loop may have stopped early).
      for (let first = approx.length; first < nq; first += o.batch) {
        const count = Math.min(o.batch, nq - first);
        const labels = search(first, count, fetch);
        for (let i = 0; i < count; i++) approx.push(topIds(labels, fetch, first, i, rescore));
      }
      rows.push(
        row({
          songs: n,
          stage,
          batch: o.batch,
          usPerRelease: us,
          recall10: recallAtK(approx, exact, 10),
          note: `${code}, nprobe ${nprobe}/${nlist}${rescore ? `, top ${fetch} by PQ rescored with the float vectors` : ''}`,
        }),
      );
    }
  }
  return rows;
}

/** Listener ids drawn without repetition, uniformly from `users`. */
function drawListeners(rand: () => number, count: number, users: number): ListenerWeight[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(rand() * users));
  // Weights as the serving path makes them: log1p of a play signal (1–5 plays here).
  return [...chosen].map((u) => ({ userId: `u-${u}`, weight: listenerWeightOf(1 + Math.floor(rand() * 5)) }));
}

/** aggregateAudience (as AudienceService.selectMany calls it) per release, over lists held in memory. */
function measureAggregation(
  neighbours: Neighbour[][],
  listenersOf: (songId: string) => number,
  users: number,
  o: ScaleBenchOptions,
): { us: number; entries: number } {
  const rand = mulberry32(o.seed + 7);
  const lists = new Map<string, ListenerWeight[]>();
  let entries = 0;
  for (const nb of neighbours)
    for (const { songId } of nb) {
      if (!lists.has(songId))
        lists.set(songId, drawListeners(rand, Math.min(users, listenersOf(songId)), users));
      entries += lists.get(songId)!.length;
    }
  const options = { k: o.neighbours, n: o.audienceSize, explain: 3, exclude: new Set<string>() };
  for (const nb of neighbours) aggregateAudience(nb, lists, options); // warm-up pass (JIT)
  const us = perRelease(5 * neighbours.length, 1, (i) =>
    aggregateAudience(neighbours[i % neighbours.length], lists, options),
  );
  return { us, entries: entries / neighbours.length };
}

/**
 * The aggregation with listener lists at the target's ratio (1,000 listeners per song, 100M
 * users, Zipf over 10M ranks), each neighbour's list cut to its `listenerCap` strongest
 * listeners: neighbours are content neighbours, so their ranks are drawn uniformly.
 */
async function measureTargetAggregation(o: ScaleBenchOptions): Promise<ScaleRow> {
  const model: ListenerModel = {
    songs: TARGET.songs,
    meanPerSong: TARGET.plays / TARGET.songs,
    users: TARGET.users,
    exponent: o.zipf,
  };
  const counts = zipfListenerCounts(model);
  const rand = mulberry32(o.seed + 11);
  const releases = 40;
  let uncapped = 0;
  const neighbours: Neighbour[][] = Array.from({ length: releases }, (_, r) =>
    Array.from({ length: o.neighbours }, (_, j) => {
      const rank = Math.floor(rand() * model.songs);
      uncapped += counts[rank];
      return { songId: `s-${rank}-${r}`, similarity: 0.9 - 0.004 * j };
    }),
  );
  const agg = measureAggregation(
    neighbours,
    (id) => Math.min(o.listenerCap, counts[Number(id.split('-')[1])]),
    model.users,
    o,
  );
  await settled();
  return row({
    songs: TARGET.songs,
    stage: 'aggregate.target',
    batch: 1,
    usPerRelease: agg.us,
    note:
      `modelled lists: ${model.meanPerSong} listeners/song mean, Zipf(${o.zipf}), ${model.users.toLocaleString('en')} users, ` +
      `cut at ${o.listenerCap.toLocaleString('en')} per neighbour: ${fmt(agg.entries, 0)} entries per release (uncapped: ${fmt(uncapped / releases, 0)})`,
  });
}

function measureGate(o: ScaleBenchOptions): ScaleRow {
  const dim = DEFAULT_DSSM_ARCH.dim;
  const rand = mulberry32(o.seed + 3);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
  const users = 1000;
  const u = fill(users * dim);
  const b = fill(users * dim);
  const items = fill(o.candidates * dim);
  const ids = Array.from({ length: o.candidates }, (_, i) => `c-${i}`);
  const call = (i: number) => {
    const at = (i % users) * dim;
    return new InterestBoundary({ user: u.subarray(at, at + dim), boundary: b.subarray(at, at + dim) }).gate(
      ids,
      items,
    );
  };
  for (let i = 0; i < 5000; i++) call(i);
  const us = perRelease(1_000_000, 1, (i) => call(i));
  return row({
    stage: 'gate',
    batch: 1,
    usPerRelease: us,
    note: `µs per call: InterestBoundary (u·b) + gate over ${o.candidates} candidates, ${dim}-d, ${fmt((o.candidates * 1e6) / us, 0)} pairs/s`,
  });
}

/** Heap per ListenerWeight entry, with a user id string of its own per entry (as rows from pg give). */
async function measureListenerEntries(): Promise<ScaleRow> {
  const entries = 1_000_000;
  const m0 = await settled();
  const lists: ListenerWeight[][] = [];
  for (let s = 0; s < entries / 10; s++)
    lists.push(Array.from({ length: 10 }, (_, i) => ({ userId: `u-${1_000_000 + s * 10 + i}`, weight: 1 })));
  const m1 = await settled();
  const bytes = (m1.js - m0.js) / entries;
  lists.length = 0;
  return row({
    stage: 'listener-cache',
    bytes,
    unit: 'entry',
    note: `${entries.toLocaleString('en')} { userId, weight } entries in lists of 10, 9-character ids`,
  });
}

/** An in-memory gate state: user id → row, and the u and b rows in two Float32Array pools. */
async function measureUserState(users: number, dim: number): Promise<ScaleRow> {
  const m0 = await settled();
  const rowOf = new Map<string, number>();
  for (let i = 0; i < users; i++) rowOf.set(`u-${10_000_000 + i}`, i);
  const u = new Float32Array(users * dim);
  const b = new Float32Array(users * dim);
  u.fill(1);
  b.fill(1);
  const m1 = await settled();
  const bytes = (m1.js - m0.js) / users;
  // Read after the measurement, so that the collector cannot take the state before it.
  const held = rowOf.size + u[0] + b[0] - 2;
  return row({
    stage: 'user-state',
    bytes,
    unit: 'user',
    note: `${held.toLocaleString('en')} users: Map<id, row> + u and b as ${dim}-d Float32 rows (${2 * dim * 4} bytes of vectors)`,
  });
}

/**
 * Bytes per row of the tables the scale arithmetic multiplies, in the bench database (created
 * by the bench:pipeline / bench:api catalogue; never created here).
 */
async function measureStoredRows(): Promise<ScaleRow[]> {
  const db = { ...loadConfig().db, database: process.env.BENCH_PGDATABASE ?? 'debut_bench' };
  let ds: DataSource;
  try {
    ds = await openDatabase(db, { migrate: false });
  } catch (e) {
    const why = /does not exist/.test(String(e)) ? `${db.database} does not exist` : (e as Error).message;
    return [row({ stage: 'pg.*', note: `NOT MEASURED: ${why} (bench:pipeline or bench:api creates it)` })];
  }
  try {
    return (await new StatsRepository(ds).storedRowSizes()).map((r) =>
      row({
        stage: `pg.${r.table}`,
        bytes: r.rows ? r.bytes / r.rows : null,
        unit: 'row',
        note:
          `${r.rows.toLocaleString('en')} rows, ${(r.bytes / 2 ** 20).toFixed(1)} MiB with indexes and TOAST in ${db.database}` +
          (r.members ? `; ${r.members.toFixed(0)} members per row` : ''),
      }),
    );
  } finally {
    await ds.destroy();
  }
}

const ints = (v: string) => (v === 'none' ? [] : parseSizes(v));

/** bench:scale (registered under `bench`). */
export function registerScaleBench(bench: Command): void {
  bench
    .command('scale')
    .description(
      'per-release cost at growing catalogue sizes, stage by stage (encoder, flat/HNSW/IVF-PQ index, aggregation), and per-unit sizes',
    )
    .option(
      '--sizes <list>',
      'established songs (10k, 1m accepted)',
      parseSizes,
      [10_000, 100_000, 1_000_000],
    )
    .option(
      '--dim <n>',
      "warm vector dimension (default: the I2I encoder's output)",
      positive,
      DEFAULT_I2I_CONFIG.outputDim,
    )
    .option('--batch <n>', 'releases per worker batch (encoder and search)', positive, 64)
    .option('--queries <n>', 'new-song queries per size', positive, 200)
    .option(
      '--flat-max <n>',
      'largest size that also gets an exact index (recall needs it)',
      positive,
      1_000_000,
    )
    .option('--ivfpq <list>', "sizes that also get a faiss IVF-PQ index ('none' to skip)", ints, [1_000_000])
    .option(
      '--pq <codes>',
      'faiss PQ codes of the IVF-PQ rows, comma list: PQ32x4fs = 32 four-bit codes (16 bytes, fast-scan); PQ16 = 16 eight-bit codes (16 bytes)',
      (v: string) => v.split(',').map((c) => c.trim()),
      ['PQ32x4fs'],
    )
    .option('--nprobe <list>', 'IVF lists searched per query', ints, [8, 32])
    .option('--rerank <list>', 'IVF-PQ candidates rescored exactly, one rerank row each', ints, [200])
    .option(
      '--no-hnsw',
      'skip the HNSW index (its 1M build is the long part); aggregation then uses exact neighbours',
    )
    .option('--neighbours <n>', 'AUDIENCE_NEIGHBOURS', positive, 50)
    .option('--audience-size <n>', 'AUDIENCE_SIZE', positive, 200)
    .option(
      '--plays-per-song <n>',
      'mean listeners per established song',
      positive,
      DEFAULT_CATALOGUE.interactions / DEFAULT_CATALOGUE.songs,
    )
    .option('--plays-per-user <n>', 'distinct songs per user (the bench catalogue: ~68)', positive, 68)
    .option('--zipf <s>', 'popularity exponent (the synthetic generator: 0.9)', positive, 0.9)
    .option('--listener-cap <n>', 'listeners read per neighbour at the target ratio', positive, 10_000)
    .option('--candidates <n>', 'gate candidates per call', positive, 100)
    .option('--seed <n>', 'vector seed', positive, 42)
    .option('--out <file>', 'also write { machine, backend, faiss, ompThreads, data, rows } as JSON')
    .action(async (o: ScaleBenchOptions) => {
      const t0 = Date.now();
      await runScaleBench(o);
      console.log(`\nbench:scale took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    });
}
