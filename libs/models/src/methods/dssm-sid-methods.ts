/**
 * Issue 15: item-ID features in the DSSM item tower, beside today's content-only DSSM.
 *  - `dssm-boundary`: content only (today's row; trained once and shared, see below);
 *  - `dssm-sid-ngram`: content + SID prefix n-grams (sid-features.ts). The SIDs are RQ-KMeans
 *    codes of the content-only DSSM's item vectors: the codebook is fitted on WARM songs only
 *    (vectors of a model trained on training interactions only), and every song, cold ones
 *    included, gets its code by encoding its content-derived vector with that codebook — no
 *    hidden interaction reaches the codes;
 *  - `dssm-sid-spm`: content + SentencePiece-style pieces over the same SIDs (one multi-hot
 *    table; pieces shared by ≥ 5 warm songs, so no song-unique token);
 *  - `dssm-random-hash`: content + a learned row per hashed song ID; non-warm songs all map to
 *    one reserved, never-trained bucket (the paper's random-ID baseline).
 * Every row is the same DSSM (same trainer, config and early stopping on cold validation), only
 * the item tower's input differs; the gate is the boundary gate of `dssm-boundary`.
 */
import type { Item, TrainContext, U2IMethod, U2IModel } from '@debut/evaluation';
import type { FeatureSchema } from '@debut/features';
import { warmStartFromContent } from '../dssm/warm-start';
import { DssmFit, DssmMethodOptions, asU2IModel, dssmFitOnce, dssmMethods, fitDssm } from './dssm-methods';
import {
  DEFAULT_RQ_KMEANS,
  RqKMeansConfig,
  encodeSemanticIds,
  fitRqKMeans,
  semanticIdStats,
} from '../semantic-ids/rq-kmeans';
import {
  DEFAULT_SID_FEATURES,
  DEFAULT_SID_PIECES,
  ITEM_HASH_MODALITY,
  IdFeatureValues,
  SID_PIECES_MODALITY,
  SidFeatureConfig,
  SidPieceConfig,
  fitSidPieces,
  sidPieces,
  UNSEEN_BUCKET,
  itemHashBucket,
  itemHashSchema,
  sidPrefixModality,
  sidSchema,
  sidValues,
  withIdFeatures,
} from '../semantic-ids/sid-features';

export interface DssmSidOptions extends DssmMethodOptions {
  /** Emit the content-only `dssm-boundary` row too (off when the `dssm` family already does). */
  contentRow?: boolean;
  /** SID feature settings tried by `dssm-sid-ngram`; the best on cold validation is kept. */
  sid?: Array<Partial<SidFeatureConfig>>;
  rq?: Partial<RqKMeansConfig>;
  /** Also the `dssm-sid-spm` row (default true). */
  spm?: boolean;
  /** Piece vocabulary of `dssm-sid-spm` (over 3-level SIDs). */
  pieces?: Partial<SidPieceConfig>;
  /** Hash buckets of `dssm-random-hash` (trained rows; the reserved unseen row is extra). */
  hashBuckets?: number;
  /**
   * ID-feature dropout rates tried for every feature set of every ID row (DssmTrainConfig
   * idDropout), the best on cold validation kept; [0] = none.
   */
  idDropout?: number[];
  /**
   * Start every ID row from the trained content-only DSSM (dssm/warm-start.ts: the extra fields
   * reach nothing at first) and fine-tune at `warmStartLearningRate`, instead of from scratch.
   */
  warmStart?: boolean;
  warmStartLearningRate?: number;
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
  /** The modalities these features add (what idDropout drops). */
  modalities: string[];
  values: (item: Item) => IdFeatureValues;
  notes: string;
}

/** A TrainContext whose songs carry the extra features (split, users and hooks unchanged). */
function withFeatures(ctx: TrainContext, f: ItemIdFeatures, name: string): TrainContext {
  const items = ctx.dataset.items.map((i) => ({ ...i, content: withIdFeatures(i.content, f.values(i)) }));
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
      base.embedItems(items.map((i) => ({ ...i, content: withIdFeatures(i.content, f.values(i)) }))),
  };
}

/** RQ-KMeans SIDs of every song, the codebook fitted on the warm songs' content-DSSM vectors only. */
interface SongCodes {
  levels: number;
  codes: number;
  /** Codes of ctx.dataset.items, row-major, and the rows of the warm songs in it. */
  ids: Int32Array;
  row: Map<string, number>;
  warmRows: number[];
  /** Codes of a song outside the dataset (none in the bench): encoded on the fly. */
  encode(item: Item): Int32Array;
}

function songCodes(
  ctx: TrainContext,
  content: DssmFit,
  levels: number,
  codes: number,
  rq: Partial<RqKMeansConfig>,
): SongCodes {
  const model = content.model;
  const all = ctx.dataset.items;
  const vectors = model.embedItems(all.map((i) => i.content));
  const warm = new Set(ctx.split.warmItems);
  const d = model.dim;
  const warmRows = all.flatMap((i, r) => (warm.has(i.id) ? [r] : []));
  const warmVecs = new Float32Array(warmRows.length * d);
  warmRows.forEach((r, t) => warmVecs.set(vectors.subarray(r * d, (r + 1) * d), t * d));
  const codebook = fitRqKMeans(warmVecs, d, { ...DEFAULT_RQ_KMEANS, levels, codes, seed: ctx.seed, ...rq });
  return {
    levels: codebook.levels,
    codes: codebook.codes,
    ids: encodeSemanticIds(codebook, vectors),
    row: new Map(all.map((i, r) => [i.id, r])),
    warmRows,
    encode: (item) => encodeSemanticIds(codebook, model.embedItems([item.content])),
  };
}

const codesOf = (c: SongCodes, r: number) => c.ids.subarray(r * c.levels, (r + 1) * c.levels);

/** Codes of one song: stored row, or encoded from its content. */
const songCodesOf = (c: SongCodes, item: Item) => {
  const r = c.row.get(item.id);
  return r === undefined ? c.encode(item) : codesOf(c, r);
};

/** SID prefix features from RQ-KMeans codes of the content DSSM's item vectors (fitted on warm songs). */
export function sidFeatures(
  ctx: TrainContext,
  content: DssmFit,
  sid: SidFeatureConfig,
  rq: Partial<RqKMeansConfig>,
): ItemIdFeatures {
  const c = songCodes(ctx, content, sid.levels, sid.codes, rq);
  const L = c.levels;
  const all = ctx.dataset.items;
  const values = all.map((_, r) => sidValues(codesOf(c, r), sid));
  const warmIds = new Int32Array(c.warmRows.length * L);
  c.warmRows.forEach((r, t) => warmIds.set(codesOf(c, r), t * L));
  const stats = semanticIdStats(warmIds, L, c.codes);
  // Cold songs whose finest prefix row some warm song also trains.
  const warmFull = new Set(c.warmRows.map((r) => values[r][sidPrefixModality(L)]));
  const warmSet = new Set(c.warmRows);
  const coldRows = all.map((_, r) => r).filter((r) => !warmSet.has(r));
  const coldShared = coldRows.filter((r) => warmFull.has(values[r][sidPrefixModality(L)])).length;
  const notes =
    `prefixes 1–${L}: RQ-KMeans ${L}×${c.codes} on content-DSSM item vectors of ${c.warmRows.length} warm songs; ` +
    `codes used per level ${stats.codesUsed.join('/')}, distinct prefixes ${stats.distinctPrefixes.join('/')}, ` +
    `unique full SIDs ${(100 * stats.uniqueShare).toFixed(1)}%; tables ${sid.tableSizes.join('/')}; ` +
    `cold songs whose level-${L} row a warm song shares: ${coldShared}/${coldRows.length}`;
  ctx.log(`[dssm-sid-ngram] ${notes}`);
  return {
    schema: sidSchema(ctx.dataset.schema, sid),
    modalities: Array.from({ length: L }, (_, p) => sidPrefixModality(p + 1)),
    values: (item) => {
      const r = c.row.get(item.id);
      return r === undefined ? sidValues(c.encode(item), sid) : values[r];
    },
    notes,
  };
}

/** SentencePiece-style SID pieces (sid-features.ts), vocabulary from the warm songs' SIDs. */
export function sidPieceFeatures(
  ctx: TrainContext,
  content: DssmFit,
  sid: SidFeatureConfig,
  pieces: SidPieceConfig,
  rq: Partial<RqKMeansConfig>,
): ItemIdFeatures {
  const c = songCodes(ctx, content, sid.levels, sid.codes, rq);
  const warmIds = new Int32Array(c.warmRows.length * c.levels);
  c.warmRows.forEach((r, t) => warmIds.set(codesOf(c, r), t * c.levels));
  const vocab = fitSidPieces(warmIds, c.levels, pieces);
  const inVocab = new Set(vocab);
  const perSong = ctx.dataset.items.map((_, r) => sidPieces(codesOf(c, r), inVocab));
  const mean = (rows: number[]) => rows.reduce((s, r) => s + perSong[r].length, 0) / Math.max(1, rows.length);
  const warmSet = new Set(c.warmRows);
  const coldRows = ctx.dataset.items.map((_, r) => r).filter((r) => !warmSet.has(r));
  const notes =
    `SID pieces over RQ-KMeans ${c.levels}×${c.codes}: vocabulary ${vocab.length} (≥ ${pieces.minCount} warm songs per multi-code piece), ` +
    `pieces per song ${mean(c.warmRows).toFixed(2)} warm, ${mean(coldRows).toFixed(2)} cold`;
  ctx.log(`[dssm-sid-spm] ${notes}`);
  return {
    schema: {
      ...ctx.dataset.schema,
      modalities: [
        ...ctx.dataset.schema.modalities,
        { name: SID_PIECES_MODALITY, kind: 'multi', vocabulary: vocab },
      ],
    },
    modalities: [SID_PIECES_MODALITY],
    values: (item) => {
      const r = c.row.get(item.id);
      return {
        [SID_PIECES_MODALITY]: r === undefined ? sidPieces(songCodesOf(c, item), inVocab) : perSong[r],
      };
    },
    notes,
  };
}

/** Random-hash item-ID features: warm songs hashed into `buckets` rows, every other song unseen. */
export function randomHashFeatures(ctx: TrainContext, buckets: number): ItemIdFeatures {
  const warm = new Set(ctx.split.warmItems);
  const salt = ctx.seed;
  return {
    schema: itemHashSchema(ctx.dataset.schema, buckets),
    modalities: [ITEM_HASH_MODALITY],
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
  const dropouts = opts.idDropout ?? [0];
  // Today's content-only row and the content fit the SIDs come from: one training run per TrainContext.
  const contentFit = dssmFitOnce(opts);
  const [, boundary] = dssmMethods(opts, contentFit);
  /** One DSSM per candidate feature set; the best cold-validation score is kept. */
  const featured = (
    name: string,
    candidates: (ctx: TrainContext) => Promise<ItemIdFeatures[]>,
  ): U2IMethod => ({
    name,
    fit: async (ctx) => {
      let best: { fit: DssmFit; f: ItemIdFeatures; score: number; p: number } | undefined;
      const content = opts.warmStart ? await contentFit(ctx) : undefined;
      for (const f of await candidates(ctx))
        // Dropout has nothing to drop without an ID field (the control row): train it once.
        for (const p of f.modalities.length ? dropouts : [0]) {
          const fit = await fitDssm(withFeatures(ctx, f, name), {
            ...opts,
            fromI2I: undefined,
            init: content && ((towers) => warmStartFromContent(towers, content.train.towers)),
            config: {
              ...opts.config,
              idDropout: p,
              idModalities: f.modalities,
              ...(content ? { learningRate: opts.warmStartLearningRate ?? 5e-4 } : {}),
            },
          });
          const score = fit.validation?.score ?? -Infinity;
          ctx.log(`[${name}] ${f.notes}; ID dropout ${p}: cold-validation score ${score.toFixed(4)}`);
          if (!best || score > best.score) best = { fit, f, score, p };
        }
      if (!best) throw new Error(`${name}: no candidate feature set`);
      ctx.log(`[${name}] chosen on cold validation: ${best.f.notes}; ID dropout ${best.p}`);
      return featuredModel(best.fit, best.f);
    },
  });
  return [
    ...(opts.contentRow === false ? [] : [boundary]),
    featured('dssm-sid-ngram', async (ctx) => {
      const content = await contentFit(ctx);
      return sids.map((sid) => sidFeatures(ctx, content, sid, opts.rq ?? {}));
    }),
    ...(opts.spm === false
      ? []
      : [
          featured('dssm-sid-spm', async (ctx) => [
            sidPieceFeatures(
              ctx,
              await contentFit(ctx),
              { ...DEFAULT_SID_FEATURES, ...opts.sid?.[opts.sid.length - 1], levels: 3 },
              { ...DEFAULT_SID_PIECES, ...opts.pieces },
              opts.rq ?? {},
            ),
          ]),
        ]),
    featured('dssm-random-hash', (ctx) => Promise.resolve([randomHashFeatures(ctx, buckets)])),
    // The control of a warm start: the same fine-tuning with no extra field, so an ID row's
    // gain over it is the IDs' and not the extra epochs'.
    ...(opts.warmStart
      ? [
          featured('dssm-content-finetuned', (ctx) =>
            Promise.resolve([
              { schema: ctx.dataset.schema, modalities: [], values: () => ({}), notes: 'no extra field' },
            ]),
          ),
        ]
      : []),
  ];
}
