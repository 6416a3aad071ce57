/**
 * `trainer train search`: the joint search model fitted on a dataset's cold split — one item
 * tower trained on the query–item InfoNCE and the collaborative BPR of co-listened warm pairs
 * (search-trainer.ts, bprWeight 1), a query encoder over the words of the warm songs' tag
 * phrases, and the hybrid fusion chosen on the cold-validation songs' queries:
 *  - tag queries: a seeded half (at least one) of a song's tag phrases (genres / tag names), the
 *    task the query encoder learns (it must find the song from those words);
 *  - name queries: the song's title words, where the lexical path is the one that can answer;
 *  - mixed queries: the title words and the tag query together ("<artist> <genre>"), which a
 *    fusion that ignores either path gets wrong.
 * Retrieval runs over every song of the dataset (warm and cold alike), through rankHybrid, the
 * function that serves. Early stopping: ½ · validation tag-query Recall@10 (joint) + ½ ·
 * validation audience Recall@100 (the I2I protocol), so neither task is traded away unseen.
 */
import type { Item, TrainContext } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { I2IEncoder, embedWithTower } from '../encoder';
import { asItemEncoder } from '../methods/i2i-methods';
import { buildTrainingPairs, formatPairStats } from '../pairs';
import { mulberry32 } from '../random';
import { initTf, tf } from '../tf';
import type { ItemTower } from '../towers';
import { Bm25Index, ScoredDoc, topK } from './bm25';
import { FusionChoice, SearchMode, fusionGrid, rankHybrid } from './hybrid';
import { QueryEncoder } from './query-encoder';
import { SearchModel } from './search-model';
import { Phrase, SearchTrainConfig, SearchTrainResult, sampleQuery, trainSearch } from './search-trainer';
import { SearchTextConfig, songPhrases, songTokens } from './song-text';
import { tokenize, tokenizeAll } from './text';

export interface FitSearchOptions {
  config?: Partial<SearchTrainConfig>;
  text?: SearchTextConfig;
  /** Candidates per path that the hybrid ranks (default 100). */
  candidates?: number;
}

export interface FitSearchResult {
  model: SearchModel;
  train: SearchTrainResult;
  /** Validation Recall@10 per query set and mode (`val.tag.joint.recall@10`, …). */
  validation: Record<string, number>;
}

interface Query {
  target: number;
  tokens: string[];
}

export async function fitSearch(ctx: TrainContext, opts: FitSearchOptions = {}): Promise<FitSearchResult> {
  await initTf({ log: ctx.log });
  const { dataset, split } = ctx;
  const text = opts.text ?? {};
  const K = opts.candidates ?? 100;
  const featurizer = new Featurizer(dataset.schema);
  const items = dataset.items;
  const pos = new Map(items.map((it, i) => [it.id, i]));
  const phrasesOf = (it: Item) => songPhrases(dataset.schema, featurizer.fields, it.content, text);
  const allPhrases = items.map(phrasesOf);
  const warm = split.warmItems;
  const warmPhrases: Phrase[][] = warm.map((id) => allPhrases[pos.get(id)!]);
  const vocabulary = [...new Set(warmPhrases.flatMap((ps) => tokenizeAll(ps.map((p) => p.text))))].sort();
  const pairs = buildTrainingPairs(split.train, warm);
  ctx.log(`[search] ${formatPairStats(pairs.stats)}; ${vocabulary.length} query words`);

  const bm25 = new Bm25Index();
  items.forEach((it, i) => bm25.add(songTokens(it, allPhrases[i])));
  const allInputs = featurizer.encodeBatch(items.map((it) => it.content));
  const rng = mulberry32(ctx.seed + 7);
  const tagQueries: Query[] = [];
  const nameQueries: Query[] = [];
  const mixedQueries: Query[] = [];
  for (const id of split.coldValItems) {
    const i = pos.get(id)!;
    const tag = sampleQuery(rng, allPhrases[i], 0.5).tokens;
    if (tag.length) tagQueries.push({ target: i, tokens: tag });
    const name = tokenize(items[i].title ?? '');
    if (name.length) nameQueries.push({ target: i, tokens: name });
    if (name.length && tag.length) mixedQueries.push({ target: i, tokens: [...name, ...tag] });
  }
  ctx.log(
    `[search] validation: ${tagQueries.length} tag, ${nameQueries.length} name, ${mixedQueries.length} mixed queries`,
  );

  /** Recall@10 of a query set under one mode and fusion, with the item vectors of `tower`. */
  const recall = (
    tower: ItemTower,
    encoder: QueryEncoder,
    queries: Query[],
    runs: Array<{ mode: SearchMode; fusion: FusionChoice }>,
  ): number[] => {
    if (!queries.length) return runs.map(() => 0);
    const d = tower.outputDim;
    const vecs = embedWithTower(tower, allInputs, items.length, featurizer.inputDim);
    const hits = runs.map(() => 0);
    const qv = encoder.embed(queries.map((q) => q.tokens));
    const scores = tf.tidy(() =>
      tf.matMul(tf.tensor2d(qv, [queries.length, d]), tf.tensor2d(vecs, [items.length, d]), false, true),
    );
    const flat = scores.dataSync() as Float32Array;
    scores.dispose();
    queries.forEach((q, r) => {
      const row = flat.subarray(r * items.length, (r + 1) * items.length);
      const dense: ScoredDoc[] = encoder.known(q.tokens) ? topK(row, K) : [];
      const lexAll = bm25.scoreAll(q.tokens);
      const lexical = topK(lexAll, K, true);
      runs.forEach((run, k) => {
        const top = rankHybrid(run.mode, lexical, dense, run.fusion, 10, {
          denseScoreOf: (doc) => row[doc],
          lexicalScoreOf: (doc) => lexAll[doc],
        });
        if (top.some((h) => h.doc === q.target)) hits[k]++;
      });
    });
    return hits.map((h) => h / Math.max(1, queries.length));
  };
  const jointRun = [{ mode: 'joint' as const, fusion: { mode: 'score-sum' as const, lexicalWeight: 0 } }];

  const train = await trainSearch(
    {
      fields: featurizer.fields,
      inputDim: featurizer.inputDim,
      inputs: featurizer.encodeBatch(warm.map((id) => items[pos.get(id)!].content)),
      numItems: warm.length,
      phrases: warmPhrases,
      vocabulary,
      pairs,
    },
    { bprWeight: 1, queryWeight: 1, seed: ctx.seed, ...opts.config },
    {
      log: (m) => ctx.log(`[search] ${m}`),
      onEpoch: async (_e, _m, { tower, queryEncoder }) => {
        const [s] = recall(tower, queryEncoder, tagQueries, jointRun);
        const a = await ctx.validateI2I(asItemEncoder(new I2IEncoder(featurizer, tower)));
        ctx.log(`[search] val tag-query R@10 ${s.toFixed(4)}, val audience R@100 ${a.toFixed(4)}`);
        return 0.5 * s + 0.5 * a;
      },
    },
  );

  // The fusion: best mean Recall@10 over the three query sets (ties → score sum, lower weight).
  const sets = { tag: tagQueries, name: nameQueries, mixed: mixedQueries };
  const grid = fusionGrid().map((fusion) => ({ mode: 'hybrid' as const, fusion }));
  const lexRun = [{ mode: 'lexical' as const, fusion: grid[0].fusion }];
  const perSet = Object.values(sets).map((qs) => recall(train.tower, train.queryEncoder, qs, grid));
  const mean = (k: number) => perSet.reduce((a, r) => a + r[k], 0) / perSet.length;
  let best = 0;
  grid.forEach((_, k) => {
    if (mean(k) > mean(best) + 1e-12) best = k;
  });
  const fusion = grid[best].fusion;
  const validation: Record<string, number> = {};
  Object.entries(sets).forEach(([name, qs], j) => {
    validation[`val.${name}.queries`] = qs.length;
    validation[`val.${name}.lexical.recall@10`] = recall(train.tower, train.queryEncoder, qs, lexRun)[0];
    validation[`val.${name}.joint.recall@10`] = recall(train.tower, train.queryEncoder, qs, jointRun)[0];
    validation[`val.${name}.hybrid.recall@10`] = perSet[j][best];
  });
  validation['val.audience.recall@100'] = await ctx.validateI2I(
    asItemEncoder(new I2IEncoder(featurizer, train.tower)),
  );
  ctx.log(
    `[search] fusion ${fusion.mode} w=${fusion.lexicalWeight} (val mean R@10 ${mean(best).toFixed(4)})`,
  );
  const model = new SearchModel(dataset.schema, train.tower, train.queryEncoder, {
    train: train.config,
    vocabulary,
    text,
    fusion,
    candidates: K,
  });
  return { model, train, validation };
}
