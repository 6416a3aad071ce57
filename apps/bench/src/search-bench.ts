/**
 * bench:search (issue 15, docs/search.md): known-item search over Last.fm artists from their
 * tags, rows `lexical` (BM25), `dense` (search-only query encoder + item tower), `joint`
 * (the same trained jointly with the I2I encoder's BPR on co-listened pairs), `hybrid`
 * (lexical + joint, normalised score sum) and `rec-only` (the BPR-only encoder, cb2cf-bpr's
 * objective, for the audience comparison), all on the same partial profiles:
 *  - every artist's kept tags are split by a seeded shuffle: half (rounded up) indexed, the rest
 *    held out; an artist's content for EVERY row (BM25 text, item-tower input, the I2I encoder's
 *    input, the audience evaluation) is its name plus its indexed tags only;
 *  - held-out queries (`search.*`): the held-out tag names of an artist, target = that artist,
 *    among all artists; indexed queries (`search.*.indexed`): a seeded half of its indexed tags;
 *  - the DESIGN.md §6 cold split of the same seed: cold-VALIDATION artists' queries choose every
 *    hyper-parameter and stop every training; reported queries are those of the warm and
 *    cold-test artists, and `.cold` those of the cold-test artists only (they got no
 *    collaborative training: no pair has them and no training query comes from them);
 *  - `audience.recall@100` as bench:quality measures it (ColdStartEvaluator.evaluateI2I).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '@debut/config';
import { deriveSeed, mulberry32 } from '@debut/common';
import {
  ColdStartDataset,
  ColdStartEvaluator,
  Item,
  QualityReport,
  QualityRow,
  lastfmTagNames,
  loadWithSplit,
} from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import {
  Bm25Index,
  I2IEncoder,
  Phrase,
  SearchTrainConfig,
  SearchTrainResult,
  asItemEncoder,
  buildTrainingPairs,
  embedWithTower,
  fitI2I,
  FusionMode,
  fuse,
  initTf,
  tf,
  tokenizeAll,
  trainSearch,
} from '@debut/models';
import { summarise } from './quality-seeds';

export interface SearchBenchOptions {
  dataset: 'lastfm';
  seed: number;
  out?: string;
  backend?: string;
  quiet?: boolean;
  /** Share of each artist's tags that is indexed (default 0.5). */
  indexedFraction?: number;
  /** Training budget shared by dense, joint and rec-only. */
  epochs?: number;
  maxPairsPerEpoch?: number;
  /** Joint query-loss weights tried (BPR weight 1); chosen on cold validation. */
  jointWeights?: number[];
}

interface Query {
  item: number;
  tokens: string[];
}

type QuerySets = Record<'val' | 'test' | 'cold', Query[]>;

/** Per query, the scores of every artist (rows of `n`). */
type Scorer = (queries: Query[]) => Float32Array[];

/** Rank of the target (ties counted against it) → recall@10 and nDCG@10, averaged. */
function knownItem(queries: Query[], scorer: Scorer, chunk = 512): { recall: number; ndcg: number } {
  let hits = 0;
  let gain = 0;
  for (let s = 0; s < queries.length; s += chunk) {
    const part = queries.slice(s, s + chunk);
    const scores = scorer(part);
    part.forEach((q, i) => {
      const row = scores[i];
      const t = row[q.item];
      let rank = 0;
      for (let d = 0; d < row.length && rank < 10; d++) if (d !== q.item && row[d] >= t) rank++;
      if (rank < 10) {
        hits++;
        gain += 1 / Math.log2(rank + 2);
      }
    });
  }
  const n = Math.max(1, queries.length);
  return { recall: hits / n, ndcg: gain / n };
}

/** Dense scores: query vectors · item vectors, per chunk of queries. */
function denseScorer(model: SearchTrainResult, itemVecs: Float32Array, nItems: number): Scorer {
  const d = model.tower.outputDim;
  const items = tf.tensor2d(itemVecs, [nItems, d]);
  return (queries) => {
    const q = model.queryEncoder.embed(queries.map((x) => x.tokens));
    const s = tf.tidy(() => tf.matMul(tf.tensor2d(q, [queries.length, d]), items, false, true));
    const flat = s.dataSync() as Float32Array;
    s.dispose();
    return queries.map((_, i) => flat.subarray(i * nItems, (i + 1) * nItems));
  };
}

/** The partial profiles: each item's tag vector restricted to its indexed tags (renormalised). */
function partialProfiles(
  dataset: ColdStartDataset,
  seed: number,
  fraction: number,
): { dataset: ColdStartDataset; indexed: number[][]; heldOut: number[][] } {
  const rng = mulberry32(deriveSeed(seed, 'search-tags'));
  const indexed: number[][] = [];
  const heldOut: number[][] = [];
  const items: Item[] = dataset.items.map((item) => {
    const v = item.content.features.tags;
    const cols = v.flatMap((x, j) => (x !== 0 ? [j] : []));
    for (let i = cols.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [cols[i], cols[j]] = [cols[j], cols[i]];
    }
    const keep = cols.length < 2 ? cols.length : Math.min(cols.length - 1, Math.ceil(fraction * cols.length));
    const idx = cols.slice(0, keep).sort((a, b) => a - b);
    indexed.push(idx);
    heldOut.push(cols.slice(keep).sort((a, b) => a - b));
    const w = new Array<number>(v.length).fill(0);
    let norm = 0;
    for (const j of idx) norm += v[j] * v[j];
    norm = Math.sqrt(norm) || 1;
    for (const j of idx) w[j] = v[j] / norm;
    return { ...item, content: { ...item.content, features: { ...item.content.features, tags: w } } };
  });
  return { dataset: { ...dataset, items }, indexed, heldOut };
}

export async function runSearchBench(o: SearchBenchOptions): Promise<QualityReport> {
  const log = (m: string) => {
    if (!o.quiet) console.error(`[bench:search] ${m}`);
  };
  const t0 = Date.now();
  const { dataset: full, split } = loadWithSplit(o.dataset, o.seed, log);
  const tagNames = lastfmTagNames();
  const { dataset, indexed, heldOut } = partialProfiles(full, o.seed, o.indexedFraction ?? 0.5);
  const N = dataset.items.length;
  const pos = new Map(dataset.items.map((it, i) => [it.id, i]));
  const ev = new ColdStartEvaluator(dataset, split, { k: 50, seed: o.seed });
  const ctx = ev.trainContext({ log });

  // Lexical index: artist name + indexed tag names.
  const bm25 = new Bm25Index();
  dataset.items.forEach((it, i) =>
    bm25.add(tokenizeAll([it.title ?? '', ...indexed[i].map((j) => tagNames[j])])),
  );

  // Query sets.
  const qrng = mulberry32(deriveSeed(o.seed, 'search-queries'));
  const heldQuery = (i: number): Query | null =>
    heldOut[i].length ? { item: i, tokens: tokenizeAll(heldOut[i].map((j) => tagNames[j])) } : null;
  const indexedQuery = (i: number): Query | null => {
    const cols = [...indexed[i]];
    if (!cols.length) return null;
    for (let k = cols.length - 1; k > 0; k--) {
      const j = Math.floor(qrng() * (k + 1));
      [cols[k], cols[j]] = [cols[j], cols[k]];
    }
    return {
      item: i,
      tokens: tokenizeAll(cols.slice(0, Math.ceil(cols.length / 2)).map((j) => tagNames[j])),
    };
  };
  const sets = (make: (i: number) => Query | null): QuerySets => {
    const of = (ids: string[]) =>
      ids.map((id) => make(pos.get(id)!)).filter((q): q is Query => q !== null && q.tokens.length > 0);
    const cold = of(split.coldTestItems);
    return { val: of(split.coldValItems), test: [...of(split.warmItems), ...cold], cold };
  };
  const held = sets(heldQuery);
  const idx = sets(indexedQuery);
  log(
    `queries: held-out ${held.test.length} test (${held.cold.length} cold) / ${held.val.length} val; ` +
      `indexed ${idx.test.length} test (${idx.cold.length} cold) / ${idx.val.length} val; ${N} artists`,
  );

  const lexicalScorer: Scorer = (qs) => qs.map((q) => bm25.scoreAll(q.tokens));
  const searchMetrics = (scorer: Scorer): Record<string, number> => {
    const m: Record<string, number> = {};
    const put = (suffix: string, r: { recall: number; ndcg: number }) => {
      m[`search.recall@10${suffix}`] = r.recall;
      m[`search.ndcg@10${suffix}`] = r.ndcg;
    };
    put('', knownItem(held.test, scorer));
    put('.cold', knownItem(held.cold, scorer));
    put('.indexed', knownItem(idx.test, scorer));
    put('.indexed.cold', knownItem(idx.cold, scorer));
    m['search.queries'] = held.test.length;
    m['search.queries.cold'] = held.cold.length;
    return m;
  };
  const rows: QualityRow[] = [];
  let t = Date.now();
  rows.push({
    method: 'lexical',
    metrics: searchMetrics(lexicalScorer),
    trainSeconds: (Date.now() - t) / 1000,
  });
  log(`lexical: R@10 ${rows[0].metrics['search.recall@10'].toFixed(4)}`);

  // Model inputs (partial profiles) and the training material.
  await initTf({ log });
  const featurizer = new Featurizer(dataset.schema);
  const warm = split.warmItems;
  const warmPos = warm.map((id) => pos.get(id)!);
  const inputs = featurizer.encodeBatch(warm.map((id) => dataset.items[pos.get(id)!].content));
  const phrases: Phrase[][] = warmPos.map((i) =>
    indexed[i].map((j) => ({ text: tagNames[j], columns: [j] })),
  );
  const vocabulary = [...new Set(phrases.flatMap((ps) => tokenizeAll(ps.map((p) => p.text))))].sort();
  const pairs = buildTrainingPairs(split.train, warm);
  const allInputs = featurizer.encodeBatch(dataset.items.map((it) => it.content));
  const epochs = o.epochs ?? 8;
  const maxPairs = o.maxPairsPerEpoch ?? 60000;
  const base: Partial<SearchTrainConfig> = { seed: o.seed, epochs, maxExamplesPerEpoch: maxPairs };
  const data = {
    fields: featurizer.fields,
    inputDim: featurizer.inputDim,
    inputs,
    numItems: warm.length,
    phrases,
    vocabulary,
    pairs,
  };
  log(`${vocabulary.length} query words; ${pairs.anchors.length} co-listened pairs`);

  const itemVectors = (m: SearchTrainResult) => embedWithTower(m.tower, allInputs, N, featurizer.inputDim);
  const valSearch = (m: SearchTrainResult) => knownItem(held.val, denseScorer(m, itemVectors(m), N)).recall;
  const encoderOf = (m: SearchTrainResult) => asItemEncoder(new I2IEncoder(featurizer, m.tower));
  const modelRow = async (method: string, m: SearchTrainResult, seconds: number) => {
    const metrics = {
      ...searchMetrics(denseScorer(m, itemVectors(m), N)),
      ...(await ev.evaluateI2I(encoderOf(m))),
    };
    rows.push({ method, metrics, trainSeconds: seconds });
    log(
      `${method}: R@10 ${metrics['search.recall@10'].toFixed(4)} cold ${metrics['search.recall@10.cold'].toFixed(4)}, audience R@100 ${metrics['audience.recall@100']?.toFixed(4)}`,
    );
  };

  // dense: search-only.
  t = Date.now();
  const dense = await trainSearch(
    data,
    { ...base, bprWeight: 0, queryWeight: 1 },
    {
      log: (m) => log(`[dense] ${m}`),
      onEpoch: (_e, _m, model) => valSearch(model as SearchTrainResult),
    },
  );
  const denseSeconds = (Date.now() - t) / 1000;
  const denseVal = dense.bestValidation ?? valSearch(dense);
  await modelRow('dense', dense, denseSeconds);

  // rec-only: the I2I encoder's BPR objective alone (cb2cf-bpr), same budget and partial profiles.
  t = Date.now();
  const rec = await fitI2I(ctx, 'rec-only', {
    config: { lambda: 0, epochs, maxPairsPerEpoch: maxPairs, seed: o.seed },
    contentPath: false,
  });
  const recSeconds = (Date.now() - t) / 1000;
  const recVal = rec.train.bestValidation ?? (await ctx.validateI2I(asItemEncoder(rec.encoder)));
  const recMetrics = await ev.evaluateI2I(asItemEncoder(rec.encoder));
  rows.push({ method: 'rec-only', metrics: recMetrics, trainSeconds: recSeconds });
  log(`rec-only: audience R@100 ${recMetrics['audience.recall@100']?.toFixed(4)} (val ${recVal.toFixed(4)})`);

  // joint: one tower, BPR + w · query loss; early stopping on the mean of the two validation
  // scores relative to the single-task models; w: the best validation search recall among the
  // weights whose validation audience R@100 is within 5% of rec-only's (else the best audience).
  const candidates: Array<{
    w: number;
    model: SearchTrainResult;
    search: number;
    audience: number;
    seconds: number;
  }> = [];
  for (const w of o.jointWeights ?? [0.3, 1]) {
    t = Date.now();
    const model = await trainSearch(
      data,
      { ...base, bprWeight: 1, queryWeight: w },
      {
        log: (m) => log(`[joint w=${w}] ${m}`),
        onEpoch: async (_e, _m, mm) => {
          const r = mm as SearchTrainResult;
          const s = valSearch(r);
          const a = await ctx.validateI2I(encoderOf(r));
          log(`[joint w=${w}] val search R@10 ${s.toFixed(4)}, val audience R@100 ${a.toFixed(4)}`);
          return 0.5 * (s / Math.max(denseVal, 1e-9)) + 0.5 * (a / Math.max(recVal, 1e-9));
        },
      },
    );
    const seconds = (Date.now() - t) / 1000;
    candidates.push({
      w,
      model,
      search: valSearch(model),
      audience: await ctx.validateI2I(encoderOf(model)),
      seconds,
    });
  }
  const ok = candidates.filter((c) => c.audience >= 0.95 * recVal);
  const chosen = (ok.length ? ok : candidates).sort((a, b) =>
    ok.length ? b.search - a.search : b.audience - a.audience,
  )[0];
  log(
    `joint: query weight ${chosen.w} chosen (val ${candidates.map((c) => `w=${c.w}: search ${c.search.toFixed(4)} audience ${c.audience.toFixed(4)}`).join('; ')})`,
  );
  await modelRow(
    'joint',
    chosen.model,
    candidates.reduce((s, c) => s + c.seconds, 0),
  );
  rows[rows.length - 1].metrics['joint.queryWeight'] = chosen.w;

  // hybrid: lexical + joint, the lexical weight chosen on validation queries.
  const jointVecs = itemVectors(chosen.model);
  const jointScorer = denseScorer(chosen.model, jointVecs, N);
  const hybridScorer =
    (mode: FusionMode, w: number): Scorer =>
    (qs) => {
      const lex = lexicalScorer(qs);
      const den = jointScorer(qs);
      return qs.map((_, i) => fuse(mode, lex[i], den[i], w));
    };
  const grid = (['score-sum', 'rrf'] as FusionMode[]).flatMap((mode) =>
    [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((w) => ({
      mode,
      w,
      r: knownItem(held.val, hybridScorer(mode, w)).recall,
    })),
  );
  // Ties go to the first grid point (score-sum before rrf, lower lexical weight first).
  const best = grid.reduce((a, b) => (b.r > a.r ? b : a));
  log(
    `hybrid: ${best.mode}, lexical weight ${best.w} (val R@10 ${grid.map((x) => `${x.mode}@${x.w}:${x.r.toFixed(4)}`).join(' ')})`,
  );
  rows.push({
    method: 'hybrid',
    metrics: {
      ...searchMetrics(hybridScorer(best.mode, best.w)),
      'hybrid.lexicalWeight': best.w,
      'hybrid.rrf': best.mode === 'rrf' ? 1 : 0,
    },
    trainSeconds: 0,
  });

  // hybrid-mixed: a fusion chosen on held-out AND indexed validation queries, each query set's
  // R@10 relative to the best single path on it (as joint's weight is chosen), averaged. No fixed
  // weight serves both (held-out queries lose with any lexical weight, indexed ones need it), so
  // the grid also has a query-aware gate: the lexical path takes part only in a query some
  // artist's indexed text covers to at least `cover` (share of the query's tokens in the best
  // BM25 match); cover 0 = always, the fixed fusion above.
  const coverage = (q: Query, lex: Float32Array): number => {
    let top = 0;
    for (let d = 1; d < lex.length; d++) if (lex[d] > lex[top]) top = d;
    return lex[top] > 0 ? bm25.coverage(q.tokens, top) : 0;
  };
  const gatedScorer =
    (mode: FusionMode, w: number, cover: number): Scorer =>
    (qs) => {
      const lex = lexicalScorer(qs);
      const den = jointScorer(qs);
      return qs.map((q, i) => fuse(mode, lex[i], den[i], coverage(q, lex[i]) >= cover ? w : 0));
    };
  const mixedGrid = (['score-sum', 'rrf'] as FusionMode[]).flatMap((mode) =>
    [0, 0.75, 1].flatMap((cover) =>
      [0.2, 0.5, 0.8, 1].map((w) => ({
        mode,
        w,
        cover,
        held: knownItem(held.val, gatedScorer(mode, w, cover)).recall,
        indexed: knownItem(idx.val, gatedScorer(mode, w, cover)).recall,
      })),
    ),
  );
  const bestOf = (key: 'held' | 'indexed') =>
    Math.max(1e-9, ...mixedGrid.map((g) => g[key]), key === 'held' ? best.r : 0);
  const score = (g: (typeof mixedGrid)[number]) =>
    0.5 * (g.held / bestOf('held') + g.indexed / bestOf('indexed'));
  const bestMixed = mixedGrid.reduce((x, y) => (score(y) > score(x) ? y : x));
  log(
    `hybrid-mixed: ${bestMixed.mode}, lexical weight ${bestMixed.w}, lexical only where a match covers ≥ ${bestMixed.cover} of the query ` +
      `(val held-out / indexed R@10: ${mixedGrid.map((g) => `${g.mode}@${g.w}/${g.cover}:${g.held.toFixed(4)}/${g.indexed.toFixed(4)}`).join(' ')})`,
  );
  rows.push({
    method: 'hybrid-mixed',
    metrics: {
      ...searchMetrics(gatedScorer(bestMixed.mode, bestMixed.w, bestMixed.cover)),
      'hybrid.lexicalWeight': bestMixed.w,
      'hybrid.rrf': bestMixed.mode === 'rrf' ? 1 : 0,
      'hybrid.cover': bestMixed.cover,
    },
    trainSeconds: 0,
  });

  const report: QualityReport = {
    dataset: o.dataset,
    seed: o.seed,
    split: {
      warmItems: split.warmItems.length,
      coldValItems: split.coldValItems.length,
      coldTestItems: split.coldTestItems.length,
      users: dataset.users.length,
    },
    backend: o.backend ?? 'none',
    rows,
  };
  const out = o.out ?? path.join(projectRoot, 'reports', `search-${o.dataset}-${o.seed}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  const md = [
    `## bench:search — ${o.dataset}, seed ${o.seed}, backend ${report.backend} (${seconds} s)`,
    '',
    `| method | ${COLUMNS.join(' | ')} | train s |`,
    `|---|${COLUMNS.map(() => '---').join('|')}|---|`,
    ...rows.map(
      (r) =>
        `| ${r.method} | ${COLUMNS.map((k) => (r.metrics[k] === undefined ? '—' : r.metrics[k].toFixed(4))).join(' | ')} | ${r.trainSeconds.toFixed(1)} |`,
    ),
    '',
    `JSON: ${path.relative(process.cwd(), out)}`,
  ].join('\n');
  if (!o.quiet) console.log(md);
  [dense, ...candidates.map((c) => c.model)].forEach((m) => {
    m.tower.variables().forEach((v) => v.dispose());
    m.queryEncoder.dispose();
  });
  rec.encoder.dispose();
  return report;
}

export const COLUMNS = [
  'search.recall@10',
  'search.ndcg@10',
  'search.recall@10.cold',
  'search.ndcg@10.cold',
  'search.recall@10.indexed',
  'search.ndcg@10.indexed',
  'search.recall@10.indexed.cold',
  'audience.recall@100',
];

/** --seeds A,B,C: one single-seed report each, then mean ± sd per row (quality-seeds.ts's summary). */
export async function runSearchSeeds(seeds: number[], o: Omit<SearchBenchOptions, 'seed'>): Promise<void> {
  const reports: QualityReport[] = [];
  for (const seed of seeds) reports.push(await runSearchBench({ ...o, seed, out: undefined }));
  const rows = summarise(reports);
  const report = { dataset: o.dataset, seeds, backend: o.backend ?? 'none', rows };
  const out = o.out ?? path.join(projectRoot, 'reports', `search-${o.dataset}-seeds-${seeds.join('-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  const cell = (r: (typeof rows)[number], k: string) =>
    r.mean[k] === undefined ? '—' : `${r.mean[k].toFixed(4)} ± ${r.sd[k].toFixed(4)}`;
  const m = (name: string, k: string) => rows.find((r) => r.method === name)?.mean[k] ?? NaN;
  const per = (name: string, k: string) =>
    seeds.map((s) => rows.find((r) => r.method === name)?.perSeed[String(s)]?.[k] ?? NaN);
  const each = (a: number[], b: number[], f: (x: number, y: number) => boolean) =>
    a.every((x, i) => f(x, b[i]));
  const says = (b: boolean) => (b ? 'MET' : 'NOT MET');
  const verdicts = [
    ...['search.recall@10', 'search.ndcg@10', 'search.recall@10.cold', 'search.ndcg@10.cold'].map(
      (k) =>
        `joint > lexical on ${k} on every seed: ${says(each(per('joint', k), per('lexical', k), (x, y) => x > y))} (mean ${m('joint', k).toFixed(4)} vs ${m('lexical', k).toFixed(4)})`,
    ),
    `joint audience R@100 ≥ 0.95 × rec-only on every seed: ${says(each(per('joint', 'audience.recall@100'), per('rec-only', 'audience.recall@100'), (x, y) => x >= 0.95 * y))} ` +
      `(ratios ${per('joint', 'audience.recall@100')
        .map((x, i) => (x / per('rec-only', 'audience.recall@100')[i]).toFixed(3))
        .join(', ')})`,
  ];
  const md = [
    `## bench:search — ${o.dataset}, seeds ${seeds.join(', ')}, backend ${report.backend}: mean ± sd over seeds`,
    '',
    `| method | ${COLUMNS.join(' | ')} | train s |`,
    `|---|${COLUMNS.map(() => '---').join('|')}|---|`,
    ...rows.map(
      (r) => `| ${r.method} | ${COLUMNS.map((k) => cell(r, k)).join(' | ')} | ${r.trainSeconds.toFixed(1)} |`,
    ),
    '',
    ...verdicts.map((v) => `- ${v}`),
    '',
    `JSON: ${path.relative(process.cwd(), out)}; per seed: ${seeds.map((s) => `reports/search-${o.dataset}-${s}.json`).join(', ')}`,
  ].join('\n');
  console.log(md);
  fs.writeFileSync(out.replace(/\.json$/, '.md'), md + '\n');
}
