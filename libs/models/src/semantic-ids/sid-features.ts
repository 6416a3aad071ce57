/**
 * Item-ID features for the DSSM item tower (issue 15, after Google's "semantic IDs in ranking"):
 *
 *  - SID prefix n-grams: a song with semantic ID (c1, c2, c3) gets one token per prefix,
 *    (c1), (c1, c2), (c1, c2, c3), each looked up in its own learned table. A prefix table holds
 *    every possible prefix exactly when it is small enough (codes^p ≤ table size), otherwise the
 *    prefix is hashed into it. A cold song's SID comes from its content (encoded with the codebook
 *    fitted on warm songs), so it lands on the prefix rows that warm songs of its cluster trained.
 *  - Random-hash ID (the paper's baseline): a learned row per hashed song ID. Only warm songs
 *    have a trained row; every other song maps to one reserved bucket that no training song uses,
 *    so its row stays at its initial value — what a hashed-ID model knows of a new song.
 *
 * Both are extra categorical modalities appended to the dataset's schema, so the unchanged
 * Featurizer turns them into one-hot fields and the unchanged ItemTower learns one embedding
 * table (kernel) per field. Pure functions of codes and ids; no tensors here.
 */
import type { FeatureSchema, ModalitySpec, SongContent } from '@debut/features';
import { deriveSeed } from '../random';

/** Modality name of the SID prefix of length p (1-based). */
export const sidPrefixModality = (p: number): string => `sid.prefix${p}`;
export const ITEM_HASH_MODALITY = 'item.hash';
/** A value outside every vocabulary: the Featurizer's out-of-vocabulary row (never trained here). */
export const UNSEEN_BUCKET = '<unseen>';

export interface SidFeatureConfig {
  /** Code length used (prefixes 1..levels). */
  levels: number;
  /** Codes per level of the codebook. */
  codes: number;
  /** Rows of the table of prefix length p (index p − 1). */
  tableSizes: number[];
  /** Salt of the prefix hash. */
  hashSeed: number;
}

export const DEFAULT_SID_FEATURES: SidFeatureConfig = {
  levels: 3,
  codes: 64,
  tableSizes: [64, 2048, 2048],
  hashSeed: 42,
};

/** Table row of every prefix of one song's codes (coarse first): exact when it fits, else hashed. */
export function sidPrefixBuckets(codes: ArrayLike<number>, cfg: SidFeatureConfig): number[] {
  const out: number[] = [];
  let exact = 0;
  let key = '';
  for (let p = 1; p <= cfg.levels; p++) {
    const c = codes[p - 1];
    exact = exact * cfg.codes + c;
    key += (p > 1 ? '-' : '') + c;
    const size = cfg.tableSizes[p - 1];
    out.push(Math.pow(cfg.codes, p) <= size ? exact : deriveSeed(cfg.hashSeed, key) % size);
  }
  return out;
}

const vocabulary = (n: number) => Array.from({ length: n }, (_, i) => String(i));

/** The schema plus one categorical modality per SID prefix length. */
export function sidSchema(base: FeatureSchema, cfg: SidFeatureConfig): FeatureSchema {
  const extra: ModalitySpec[] = cfg.tableSizes.slice(0, cfg.levels).map((size, i) => ({
    name: sidPrefixModality(i + 1),
    kind: 'categorical',
    vocabulary: vocabulary(size),
  }));
  return { ...base, modalities: [...base.modalities, ...extra] };
}

/** The schema plus the hashed item-ID modality (`buckets` trained rows + the reserved one). */
export function itemHashSchema(base: FeatureSchema, buckets: number): FeatureSchema {
  return {
    ...base,
    modalities: [
      ...base.modalities,
      { name: ITEM_HASH_MODALITY, kind: 'categorical', vocabulary: vocabulary(buckets) },
    ],
  };
}

/** Hash bucket of a song ID in [0, buckets). */
export function itemHashBucket(id: string, buckets: number, seed: number): number {
  return deriveSeed(seed, id) % buckets;
}

/** Extra feature values of one song by modality: a string is categorical, a list multi-valued. */
export type IdFeatureValues = Record<string, string | string[]>;

/** A copy of `content` with extra feature values (where the Featurizer reads them). */
export function withIdFeatures(content: SongContent, values: IdFeatureValues): SongContent {
  const extra = content as unknown as {
    categorical?: Record<string, string>;
    multi?: Record<string, string[]>;
  };
  const categorical = { ...extra.categorical };
  const multi = { ...extra.multi };
  for (const [name, v] of Object.entries(values)) {
    if (Array.isArray(v)) multi[name] = v;
    else categorical[name] = v;
  }
  return { ...content, categorical, multi } as SongContent;
}

/** The SID prefix values of one song, by modality. */
export function sidValues(codes: ArrayLike<number>, cfg: SidFeatureConfig): Record<string, string> {
  const values: Record<string, string> = {};
  sidPrefixBuckets(codes, cfg).forEach((b, i) => (values[sidPrefixModality(i + 1)] = String(b)));
  return values;
}

/**
 * SentencePiece-style pieces over SIDs (`dssm-sid-spm`): a piece is a run of consecutive codes
 * tagged with its start level ("1:12-5" = codes 12, 5 at levels 1–2). The vocabulary keeps
 * every single code and the runs shared by at least `minCount` warm songs (most shared first, up
 * to `vocabSize`), so frequent regions of the code space get long pieces and rare ones fall
 * back to shorter ones, and no piece belongs to fewer than `minCount` warm songs unless it is a
 * single code. A song is cut left to right, taking the longest piece in the vocabulary each time.
 */
export const SID_PIECES_MODALITY = 'sid.pieces';

export interface SidPieceConfig {
  vocabSize: number;
  minCount: number;
}

export const DEFAULT_SID_PIECES: SidPieceConfig = { vocabSize: 4096, minCount: 5 };

const pieceKey = (codes: ArrayLike<number>, from: number, to: number) =>
  `${from + 1}:${Array.from({ length: to - from }, (_, t) => codes[from + t]).join('-')}`;

/** The piece vocabulary of warm songs' SIDs (n × levels, row-major). */
export function fitSidPieces(
  ids: Int32Array,
  levels: number,
  cfg: SidPieceConfig = DEFAULT_SID_PIECES,
): string[] {
  const n = Math.floor(ids.length / levels);
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const codes = ids.subarray(i * levels, (i + 1) * levels);
    for (let a = 0; a < levels; a++)
      for (let b = a + 1; b <= levels; b++) {
        const k = pieceKey(codes, a, b);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
  }
  const singles = [...counts.keys()].filter((k) => !k.includes('-'));
  const runs = [...counts]
    .filter(([k, c]) => k.includes('-') && c >= cfg.minCount)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, Math.max(0, cfg.vocabSize - singles.length))
    .map(([k]) => k);
  return [...singles.sort(), ...runs];
}

/** One song's pieces: longest vocabulary piece first, left to right (unknown single codes kept). */
export function sidPieces(codes: ArrayLike<number>, vocab: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const L = codes.length;
  for (let a = 0; a < L;) {
    let b = L;
    while (b > a + 1 && !vocab.has(pieceKey(codes, a, b))) b--;
    out.push(pieceKey(codes, a, b));
    a = b;
  }
  return out;
}
