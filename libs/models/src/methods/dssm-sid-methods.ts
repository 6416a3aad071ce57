/**
 * Issue 15: item-ID features in the DSSM item tower, beside today's content-only DSSM.
 *  - `dssm-boundary`: content only (today's row; trained once and shared, see below);
 *  - `dssm-sid-ngram`: content + SID prefix n-grams (sid-features.ts). The SIDs are RQ-KMeans
 *    codes of the content-only DSSM's item vectors: the codebook is fitted on WARM songs only
 *    (vectors of a model trained on training interactions only), and every song, cold ones
 *    included, gets its code by encoding its content-derived vector with that codebook — no
 *    hidden interaction reaches the codes;
 *  - `dssm-random-hash`: content + a learned row per hashed song ID; non-warm songs all map to
 *    one reserved, never-trained bucket (the paper's random-ID baseline).
 * Every row is the same DSSM (same trainer, config and early stopping on cold validation), only
 * the item tower's input differs; the gate is the boundary gate of `dssm-boundary`.
 */
import type { Item, TrainContext, U2IMethod, U2IModel } from '@debut/evaluation';
import type { FeatureSchema } from '@debut/features';
import { DssmFit, DssmMethodOptions, asU2IModel, dssmMethods, fitDssm } from './dssm-methods';
import {
  DEFAULT_RQ_KMEANS,
  RqKMeansConfig,
  encodeSemanticIds,
  fitRqKMeans,
  semanticIdStats,
} from '../semantic-ids/rq-kmeans';
import {
  DEFAULT_SID_FEATURES,
  ITEM_HASH_MODALITY,
  SidFeatureConfig,
  UNSEEN_BUCKET,
  itemHashBucket,
  itemHashSchema,
  sidPrefixModality,
  sidSchema,
  sidValues,
  withCategorical,
} from '../semantic-ids/sid-features';

export interface DssmSidOptions extends DssmMethodOptions {
  /** Emit the content-only `dssm-boundary` row too (off when the `dssm` family already does). */
  contentRow?: boolean;
  /** SID feature settings tried by `dssm-sid-ngram`; the best on cold validation is kept. */
  sid?: Array<Partial<SidFeatureConfig>>;
  rq?: Partial<RqKMeansConfig>;
  /** Hash buckets of `dssm-random-hash` (trained rows; the reserved unseen row is extra). */
  hashBuckets?: number;
}

/**
 * The `dssm-sid-ngram` candidates, one DSSM each, chosen by the cold-validation score (gate F1 +
 * R@20) that early-stops every DSSM: prefixes of length 1–2 (every level-2 prefix its own row),
 * or 1–3 (level 3 hashed into 8192 rows). A first design (1–3 in 64/2048/2048 rows) lost
 * 0.05 cold R@20 against content only on seed 42: fine, mostly song-unique prefixes in small
 * hashed tables hand a cold song some warm song's memorised row.
 */
export const SID_FEATURE_CANDIDATES: Array<Partial<SidFeatureConfig>> = [
  { levels: 2, tableSizes: [64, 4096] },
  { levels: 3, tableSizes: [64, 4096, 8192] },
];

/** Per-song extra features: the schema they extend and each song's values (by song id). */
interface ItemIdFeatures {
  schema: FeatureSchema;
  values: (item: Item) => Record<string, string>;
  notes: string;
}

/** A TrainContext whose songs carry the extra features (split, users and hooks unchanged). */
function withFeatures(ctx: TrainContext, f: ItemIdFeatures, name: string): TrainContext {
  const items = ctx.dataset.items.map((i) => ({ ...i, content: withCategorical(i.content, f.values(i)) }));
  return {
    ...ctx,
    dataset: { ...ctx.dataset, schema: f.schema, items },
    log: (m) => ctx.log(`[${name}] ${m}`),
    curve: (_method, epoch, values) => ctx.curve(name, epoch, values),
  };
}

/** The fit as an evaluation model: songs get their extra features before the item tower. */
function featuredModel(fit: DssmFit, f: ItemIdFeatures): U2IModel {
  const base = asU2IModel(fit, true);
  return {
    ...base,
    embedItems: (items) =>
      base.embedItems(items.map((i) => ({ ...i, content: withCategorical(i.content, f.values(i)) }))),
  };
}

/** SID prefix features from RQ-KMeans codes of the content DSSM's item vectors (fitted on warm songs). */
export function sidFeatures(
  ctx: TrainContext,
  content: DssmFit,
  sid: SidFeatureConfig,
  rq: Partial<RqKMeansConfig>,
): ItemIdFeatures {
  const model = content.model;
  const all = ctx.dataset.items;
  const vectors = model.embedItems(all.map((i) => i.content));
  const warm = new Set(ctx.split.warmItems);
  const d = model.dim;
  const warmRows = all.flatMap((i, r) => (warm.has(i.id) ? [r] : []));
  const warmVecs = new Float32Array(warmRows.length * d);
  warmRows.forEach((r, t) => warmVecs.set(vectors.subarray(r * d, (r + 1) * d), t * d));
  const codebook = fitRqKMeans(warmVecs, d, {
    ...DEFAULT_RQ_KMEANS,
    levels: sid.levels,
    codes: sid.codes,
    seed: ctx.seed,
    ...rq,
  });
  const ids = encodeSemanticIds(codebook, vectors);
  const L = codebook.levels;
  const byId = new Map(all.map((i, r) => [i.id, sidValues(ids.subarray(r * L, (r + 1) * L), sid)]));
  const warmIds = new Int32Array(warmRows.length * L);
  warmRows.forEach((r, t) => warmIds.set(ids.subarray(r * L, (r + 1) * L), t * L));
  const stats = semanticIdStats(warmIds, L, codebook.codes);
  // Share of cold songs whose full prefix also belongs to some warm song (a trained row).
  const warmFull = new Set(warmRows.map((r) => byId.get(all[r].id)![sidPrefixModality(L)]));
  const cold = all.filter((i) => !warm.has(i.id));
  const coldShared = cold.filter((i) => warmFull.has(byId.get(i.id)![sidPrefixModality(L)])).length;
  const notes =
    `prefixes 1–${sid.levels}: RQ-KMeans ${L}×${codebook.codes} on content-DSSM item vectors of ${warmRows.length} warm songs; ` +
    `codes used per level ${stats.codesUsed.join('/')}, distinct prefixes ${stats.distinctPrefixes.join('/')}, ` +
    `unique full SIDs ${(100 * stats.uniqueShare).toFixed(1)}%; tables ${sid.tableSizes.join('/')}; ` +
    `cold songs whose level-${L} bucket a warm song shares: ${coldShared}/${cold.length}`;
  ctx.log(`[dssm-sid-ngram] ${notes}`);
  return {
    schema: sidSchema(ctx.dataset.schema, sid),
    // Songs outside the dataset (none in the bench) would need the content model: encode on the fly.
    values: (item) =>
      byId.get(item.id) ?? sidValues(encodeSemanticIds(codebook, model.embedItems([item.content])), sid),
    notes,
  };
}

/** Random-hash item-ID features: warm songs hashed into `buckets` rows, every other song unseen. */
export function randomHashFeatures(ctx: TrainContext, buckets: number): ItemIdFeatures {
  const warm = new Set(ctx.split.warmItems);
  const salt = ctx.seed;
  return {
    schema: itemHashSchema(ctx.dataset.schema, buckets),
    values: (item) => ({
      [ITEM_HASH_MODALITY]: warm.has(item.id)
        ? String(itemHashBucket(item.id, buckets, salt))
        : UNSEEN_BUCKET,
    }),
    notes: `${buckets} hash buckets over ${warm.size} warm songs; other songs share the reserved unseen row`,
  };
}

/** `dssm-boundary` (optional), `dssm-sid-ngram`, `dssm-random-hash`. */
export function dssmSidMethods(opts: DssmSidOptions = {}): U2IMethod[] {
  const sids = (opts.sid ?? SID_FEATURE_CANDIDATES).map((s) => ({ ...DEFAULT_SID_FEATURES, ...s }));
  const buckets = opts.hashBuckets ?? 4096;
  // Today's content-only rows, trained once per TrainContext; onFit hands over the fit before
  // the row's own fit resolves (both wait on the same promise, onFit's callback registered first).
  const contentFits = new WeakMap<TrainContext, DssmFit>();
  const [, boundary] = dssmMethods({
    ...opts,
    onFit: (fit, ctx) => {
      contentFits.set(ctx, fit);
      opts.onFit?.(fit, ctx);
    },
  });
  const contentFit = async (ctx: TrainContext): Promise<DssmFit> => {
    await boundary.fit(ctx);
    const fit = contentFits.get(ctx);
    if (!fit) throw new Error('content-only DSSM fit missing');
    return fit;
  };
  /** One DSSM per candidate feature set; the best cold-validation score is kept. */
  const featured = (
    name: string,
    candidates: (ctx: TrainContext) => Promise<ItemIdFeatures[]>,
  ): U2IMethod => ({
    name,
    fit: async (ctx) => {
      let best: { fit: DssmFit; f: ItemIdFeatures; score: number } | undefined;
      for (const f of await candidates(ctx)) {
        const fit = await fitDssm(withFeatures(ctx, f, name), { ...opts, fromI2I: undefined });
        const score = fit.validation?.score ?? -Infinity;
        ctx.log(`[${name}] ${f.notes}: cold-validation score ${score.toFixed(4)}`);
        if (!best || score > best.score) best = { fit, f, score };
      }
      if (!best) throw new Error(`${name}: no candidate feature set`);
      ctx.log(`[${name}] chosen on cold validation: ${best.f.notes}`);
      return featuredModel(best.fit, best.f);
    },
  });
  return [
    ...(opts.contentRow === false ? [] : [boundary]),
    featured('dssm-sid-ngram', async (ctx) => {
      const content = await contentFit(ctx);
      return sids.map((sid) => sidFeatures(ctx, content, sid, opts.rq ?? {}));
    }),
    featured('dssm-random-hash', (ctx) => Promise.resolve([randomHashFeatures(ctx, buckets)])),
  ];
}
