import type { FeatureSchema } from '@debut/features';
import type { ColdStartDataset, Interaction, Item } from './types';
import { Rng, deriveSeed, gaussian, mulberry32, randInt, sampleCumulative } from './random';

export interface SyntheticParams {
  seed: number;
  songs: number;
  users: number;
  /** Mean listening draws per user (distinct songs end up a little fewer). */
  interactionsPerUser: number;
  /** Dimension of the latent style / taste space. */
  latentDim: number;
  /** Total audio dim, of which `audioDistractors` are pure noise. */
  audioDim: number;
  textDim: number;
  /** Pure-noise dims (large variance) appended inside audio / text: they fool raw-content cosine. */
  audioDistractors: number;
  textDistractors: number;
  /** Std of the distractor dims (signal dims have std ≈ 1). */
  distractorScale: number;
  /** Observation noise on the signal dims. */
  contentNoise: number;
  /** Softmax temperature of taste · style. */
  temperature: number;
  /** Zipf exponent of popularity. */
  zipf: number;
  /** Share of users who only play hits. */
  hitsOnlyShare: number;
  /** Share of songs (most popular first) that count as hits. */
  hitShare: number;
}

export const DEFAULT_SYNTHETIC: SyntheticParams = {
  seed: 42,
  songs: 3000,
  users: 1500,
  interactionsPerUser: 40,
  latentDim: 8,
  audioDim: 32,
  textDim: 16,
  audioDistractors: 12,
  textDistractors: 6,
  distractorScale: 2.0,
  contentNoise: 0.6,
  temperature: 0.15,
  zipf: 0.9,
  hitsOnlyShare: 0.15,
  hitShare: 0.05,
};

export const SYNTHETIC_LANGUAGES = ['en', 'zh', 'ja', 'ko', 'es'];
export const SYNTHETIC_GENRES = [
  'pop',
  'rock',
  'folk',
  'hiphop',
  'electronic',
  'jazz',
  'classical',
  'metal',
  'rnb',
  'indie',
  'country',
  'ambient',
];

export function syntheticSchema(
  p: Pick<SyntheticParams, 'audioDim' | 'textDim'> = DEFAULT_SYNTHETIC,
): FeatureSchema {
  return {
    version: 1,
    modalities: [
      { name: 'audio', kind: 'dense', dim: p.audioDim, fields: 4 },
      { name: 'text', kind: 'dense', dim: p.textDim, fields: 2 },
      { name: 'language', kind: 'categorical', vocabulary: [...SYNTHETIC_LANGUAGES] },
      { name: 'genres', kind: 'multi', vocabulary: [...SYNTHETIC_GENRES] },
    ],
  };
}

export function unitGaussian(rng: Rng, d: number): Float64Array {
  const v = new Float64Array(d);
  let n = 0;
  for (let i = 0; i < d; i++) {
    v[i] = gaussian(rng);
    n += v[i] * v[i];
  }
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < d; i++) v[i] /= n;
  return v;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** A random linear map latentDim → out, entries N(0, 1) scaled so outputs have std ≈ 1. */
function projection(rng: Rng, out: number, d: number): Float64Array[] {
  return Array.from({ length: out }, () => {
    const row = new Float64Array(d);
    for (let j = 0; j < d; j++) row[j] = gaussian(rng);
    return row;
  });
}

const pad = (i: number, w: number) => String(i).padStart(w, '0');

/** What the listening simulations draw from: the songs, their latent styles and popularity. */
export interface SyntheticCatalogue {
  items: Item[];
  styles: Float64Array[];
  pop: Float64Array;
  /** Hit songs (most popular first) and their cumulative popularity. */
  hits: number[];
  hitCum: Float64Array;
  nHits: number;
  audioSignal: number;
  textSignal: number;
}

/**
 * The songs of generateSynthetic (content, style, popularity), drawn from `rng` in the order
 * generateSynthetic always drew them, so a listening simulation that continues with the same
 * rng (generateSynthetic) or its own stream (synthetic-drift.ts) shares the catalogue.
 */
export function syntheticCatalogue(p: SyntheticParams, rng: Rng): SyntheticCatalogue {
  const d = p.latentDim;
  const scale = Math.sqrt(d);
  const audioSignal = Math.max(0, p.audioDim - p.audioDistractors);
  const textSignal = Math.max(0, p.textDim - p.textDistractors);
  const Wa = projection(rng, audioSignal, d);
  const Wt = projection(rng, textSignal, d);
  const langProto = SYNTHETIC_LANGUAGES.map(() => unitGaussian(rng, d));
  const langPrior = [0.45, 0.25, 0.12, 0.1, 0.08].map(Math.log);
  const genreProto = SYNTHETIC_GENRES.map(() => unitGaussian(rng, d));

  const songW = String(p.songs).length;
  const styles: Float64Array[] = [];
  const items: Item[] = [];
  const artists = Math.max(1, Math.round(p.songs / 6));
  for (let j = 0; j < p.songs; j++) {
    const s = unitGaussian(rng, d);
    styles.push(s);
    const audio: number[] = [];
    for (const row of Wa)
      audio.push(round4(dot(row, s) * (scale / Math.sqrt(d)) + p.contentNoise * gaussian(rng)));
    for (let i = 0; i < p.audioDim - audioSignal; i++) audio.push(round4(p.distractorScale * gaussian(rng)));
    const text: number[] = [];
    for (const row of Wt)
      text.push(round4(dot(row, s) * (scale / Math.sqrt(d)) + p.contentNoise * gaussian(rng)));
    for (let i = 0; i < p.textDim - textSignal; i++) text.push(round4(p.distractorScale * gaussian(rng)));
    // Language: argmax of prior + affinity + Gumbel-ish noise.
    let bestL = 0;
    let bestLs = -Infinity;
    langProto.forEach((proto, l) => {
      const v = langPrior[l] + 3 * dot(proto, s) + 0.5 * gaussian(rng);
      if (v > bestLs) {
        bestLs = v;
        bestL = l;
      }
    });
    // Genres: the best-matching one, and a second one when it is close.
    const gScores = genreProto.map((proto, g) => [g, dot(proto, s) + 0.15 * gaussian(rng)] as const);
    gScores.sort((a, b) => b[1] - a[1]);
    const genres = [SYNTHETIC_GENRES[gScores[0][0]]];
    if (gScores[1][1] > gScores[0][1] - 0.1) genres.push(SYNTHETIC_GENRES[gScores[1][0]]);
    items.push({
      id: `s-${pad(j + 1, songW)}`,
      title: `Synthetic song ${j + 1}`,
      artistId: `a-${randInt(rng, artists) + 1}`,
      content: { language: SYNTHETIC_LANGUAGES[bestL], genres, features: { audio, text } },
    });
  }

  // Zipf popularity over a random rank order.
  const order = Array.from({ length: p.songs }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const k = randInt(rng, i + 1);
    [order[i], order[k]] = [order[k], order[i]];
  }
  const pop = new Float64Array(p.songs);
  order.forEach((song, rank) => (pop[song] = 1 / Math.pow(rank + 1, p.zipf)));
  const nHits = Math.max(1, Math.round(p.songs * p.hitShare));
  const hits = order.slice(0, nHits);
  const hitCum = new Float64Array(nHits);
  hits.forEach((song, i) => (hitCum[i] = (i > 0 ? hitCum[i - 1] : 0) + pop[song]));

  return { items, styles, pop, hits, hitCum, nHits, audioSignal, textSignal };
}

/**
 * A catalogue with planted structure. Every song has a latent style s (unit vector); `audio`
 * and `text` are noisy linear views of √d·s followed by distractor dims of pure, large-variance
 * noise (so raw-content cosine is partly fooled and a learned encoder can do better);
 * `language` and `genres` follow the style through prototype vectors. Popularity is Zipf over a
 * random rank. Users have taste vectors t; a listen picks song j with probability ∝
 * exp(t·s_j / τ) · pop_j. A hits-only segment plays only the top `hitShare` of songs by
 * popularity. Strength = number of draws of the song (a play count).
 */
export function generateSynthetic(params: Partial<SyntheticParams> = {}): ColdStartDataset {
  const p: SyntheticParams = { ...DEFAULT_SYNTHETIC, ...params };
  const rng = mulberry32(deriveSeed(p.seed, 'synthetic'));
  const cat = syntheticCatalogue(p, rng);
  const { items, styles, pop, hits, hitCum, nHits } = cat;
  const d = p.latentDim;
  const userW = String(p.users).length;
  const users: string[] = [];
  const hitsOnlyUsers = new Set<string>();
  const interactions: Interaction[] = [];
  const cum = new Float64Array(p.songs);
  for (let u = 0; u < p.users; u++) {
    const userId = `u-${pad(u + 1, userW)}`;
    users.push(userId);
    const hitsOnly = rng() < p.hitsOnlyShare;
    // Activity varies per user (log-normal around the mean).
    const draws = Math.max(3, Math.round(p.interactionsPerUser * Math.exp(0.5 * gaussian(rng) - 0.125)));
    const counts = new Map<number, number>();
    if (hitsOnly) {
      hitsOnlyUsers.add(userId);
      for (let t = 0; t < draws; t++) {
        const song = hits[sampleCumulative(hitCum, rng)];
        counts.set(song, (counts.get(song) ?? 0) + 1);
      }
    } else {
      const taste = unitGaussian(rng, d);
      let acc = 0;
      for (let j = 0; j < p.songs; j++) {
        acc += Math.exp(dot(taste, styles[j]) / p.temperature) * pop[j];
        cum[j] = acc;
      }
      for (let t = 0; t < draws; t++) {
        const song = sampleCumulative(cum, rng);
        counts.set(song, (counts.get(song) ?? 0) + 1);
      }
    }
    for (const [song, c] of [...counts.entries()].sort((a, b) => a[0] - b[0])) {
      interactions.push({ userId, itemId: items[song].id, strength: c });
    }
  }

  const listened = new Set(interactions.map((i) => i.itemId));
  return {
    name: 'synthetic',
    schema: syntheticSchema(p),
    items,
    users,
    interactions,
    hitsOnlyUsers,
    stats: {
      songs: items.length,
      users: users.length,
      interactions: interactions.length,
      listenedSongs: listened.size,
      hitsOnlyUsers: hitsOnlyUsers.size,
      hitSongs: nHits,
      latentDim: d,
      audioDistractors: p.audioDim - cat.audioSignal,
      textDistractors: p.textDim - cat.textSignal,
    },
  };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
