/**
 * Residual-quantisation k-means (RQ-KMeans) semantic IDs: level 1 clusters the song vectors,
 * level 2 clusters what level 1 left over (vector − its level-1 centroid), and so on. A song's
 * semantic ID is its code per level, coarse to fine, so songs that share a prefix sit in the same
 * region of the space at that resolution. Spotify's joint search/recommendation work found
 * RQ-KMeans better than RQ-VAE for this; it also needs no training loop: a new song gets its
 * code from its vector at once (nearest centroid per level), which is what cold start needs.
 *
 * Pure arithmetic on Float32Arrays (no tensors, no storage), so the trainer, the bench and the
 * serving side share one implementation.
 */
import { Rng, deriveSeed, mulberry32, randInt } from '../random';

export interface RqKMeansConfig {
  /** Number of residual levels (code length). */
  levels: number;
  /** Codes per level (codebook size). */
  codes: number;
  /** Lloyd iterations per level. */
  iterations: number;
  /** Fit on at most this many vectors (a seeded sample); every vector is encoded afterwards. */
  sample: number;
  seed: number;
}

export const DEFAULT_RQ_KMEANS: RqKMeansConfig = {
  levels: 3,
  codes: 64,
  iterations: 20,
  sample: 50_000,
  seed: 42,
};

/** Fitted codebooks: `centroids[l]` is codes × dim, row-major. */
export interface SemanticIdCodebook {
  levels: number;
  codes: number;
  dim: number;
  centroids: Float32Array[];
}

/** Index of the nearest row of `centroids` (k × dim) to x (dim), by squared distance. */
function nearest(
  x: Float32Array,
  xo: number,
  centroids: Float32Array,
  norms: Float32Array,
  k: number,
  dim: number,
): number {
  // ‖x − c‖² = ‖x‖² − 2x·c + ‖c‖²; ‖x‖² is the same for every c.
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < k; c++) {
    let dot = 0;
    const co = c * dim;
    for (let j = 0; j < dim; j++) dot += x[xo + j] * centroids[co + j];
    const d = norms[c] - 2 * dot;
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function rowNorms(m: Float32Array, k: number, dim: number): Float32Array {
  const out = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += m[c * dim + j] * m[c * dim + j];
    out[c] = s;
  }
  return out;
}

function sqDist(a: Float32Array, ao: number, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const d = a[ao + j] - b[bo + j];
    s += d * d;
  }
  return s;
}

/** k-means++ seeding: each next centre drawn with probability ∝ squared distance to the chosen. */
function seedCentroids(x: Float32Array, n: number, dim: number, k: number, rng: Rng): Float32Array {
  const c = new Float32Array(k * dim);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = randInt(rng, n);
  for (let m = 0; m < k; m++) {
    c.set(x.subarray(pick * dim, (pick + 1) * dim), m * dim);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = sqDist(x, i * dim, c, m * dim, dim);
      if (d < d2[i]) d2[i] = d;
      total += d2[i];
    }
    if (total <= 0) {
      pick = randInt(rng, n); // fewer distinct points than codes: duplicates are harmless
      continue;
    }
    let r = rng() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= d2[i];
      if (r <= 0) {
        pick = i;
        break;
      }
    }
  }
  return c;
}

/** Lloyd iterations; an emptied cluster is re-seeded at the point farthest from its centre. */
function lloyd(
  x: Float32Array,
  n: number,
  dim: number,
  c: Float32Array,
  k: number,
  iterations: number,
): void {
  const assign = new Int32Array(n);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let it = 0; it < iterations; it++) {
    const norms = rowNorms(c, k, dim);
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const a = nearest(x, i * dim, c, norms, k, dim);
      if (a !== assign[i] || it === 0) changed++;
      assign[i] = a;
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const a = assign[i];
      counts[a]++;
      for (let j = 0; j < dim; j++) sums[a * dim + j] += x[i * dim + j];
    }
    for (let m = 0; m < k; m++) {
      if (counts[m] === 0) {
        let far = 0;
        let farD = -1;
        for (let i = 0; i < n; i++) {
          const d = sqDist(x, i * dim, c, assign[i] * dim, dim);
          if (d > farD) {
            farD = d;
            far = i;
          }
        }
        c.set(x.subarray(far * dim, (far + 1) * dim), m * dim);
        continue;
      }
      for (let j = 0; j < dim; j++) c[m * dim + j] = sums[m * dim + j] / counts[m];
    }
    if (changed === 0) break;
  }
}

/** Fits `levels` codebooks on n × dim vectors (row-major); seeded, so a seed reproduces them. */
export function fitRqKMeans(
  vectors: Float32Array,
  dim: number,
  config: Partial<RqKMeansConfig> = {},
): SemanticIdCodebook {
  const cfg = { ...DEFAULT_RQ_KMEANS, ...config };
  const total = Math.floor(vectors.length / dim);
  if (total === 0) throw new Error('RQ-KMeans needs at least one vector');
  const rng = mulberry32(deriveSeed(cfg.seed, 'rq-kmeans'));
  // Seeded sample without replacement (partial Fisher–Yates over row indices).
  const n = Math.min(total, cfg.sample);
  const rows = Int32Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + randInt(rng, total - i);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const residual = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) residual.set(vectors.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim);
  const k = Math.min(cfg.codes, n);
  const centroids: Float32Array[] = [];
  for (let l = 0; l < cfg.levels; l++) {
    const c = seedCentroids(residual, n, dim, k, rng);
    lloyd(residual, n, dim, c, k, cfg.iterations);
    const norms = rowNorms(c, k, dim);
    for (let i = 0; i < n; i++) {
      const a = nearest(residual, i * dim, c, norms, k, dim);
      for (let j = 0; j < dim; j++) residual[i * dim + j] -= c[a * dim + j];
    }
    // Always `codes` rows, so a code is valid whatever the sample size.
    const full = new Float32Array(cfg.codes * dim);
    full.set(c);
    for (let m = k; m < cfg.codes; m++) full.set(c.subarray(0, dim), m * dim);
    centroids.push(full);
  }
  return { levels: cfg.levels, codes: cfg.codes, dim, centroids };
}

/** Semantic IDs of n × dim vectors: n × levels codes, row-major, coarse level first. */
export function encodeSemanticIds(codebook: SemanticIdCodebook, vectors: Float32Array): Int32Array {
  const { dim, levels, codes } = codebook;
  const n = Math.floor(vectors.length / dim);
  if (n * dim !== vectors.length)
    throw new Error(`vectors length ${vectors.length} is not a multiple of ${dim}`);
  const out = new Int32Array(n * levels);
  const norms = codebook.centroids.map((c) => rowNorms(c, codes, dim));
  const r = new Float32Array(dim);
  for (let i = 0; i < n; i++) {
    r.set(vectors.subarray(i * dim, (i + 1) * dim));
    for (let l = 0; l < levels; l++) {
      const c = codebook.centroids[l];
      const a = nearest(r, 0, c, norms[l], codes, dim);
      out[i * levels + l] = a;
      for (let j = 0; j < dim; j++) r[j] -= c[a * dim + j];
    }
  }
  return out;
}

/** Mean squared reconstruction error of the codes (how much of the vector the SID keeps). */
export function reconstructionError(
  codebook: SemanticIdCodebook,
  vectors: Float32Array,
  ids: Int32Array,
): number {
  const { dim, levels } = codebook;
  const n = Math.floor(vectors.length / dim);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      let v = vectors[i * dim + j];
      for (let l = 0; l < levels; l++) v -= codebook.centroids[l][ids[i * levels + l] * dim + j];
      total += v * v;
    }
  }
  return n === 0 ? 0 : total / n;
}

/** "12-5-40": the storable, printable form of one song's codes. */
export function formatSemanticId(codes: ArrayLike<number>): string {
  return Array.from(codes).join('-');
}

/** Inverse of formatSemanticId; throws on anything that is not non-negative integers joined by '-'. */
export function parseSemanticId(sid: string): number[] {
  if (!/^\d+(-\d+)*$/.test(sid)) throw new Error(`not a semantic ID: ${sid}`);
  return sid.split('-').map(Number);
}

export interface SemanticIdStats {
  songs: number;
  levels: number;
  codes: number;
  /** Distinct codes used at each level (of `codes`). */
  codesUsed: number[];
  /** Distinct prefixes of length 1..levels. */
  distinctPrefixes: number[];
  /** Mean and max number of songs sharing a prefix of length 1..levels. */
  meanSongsPerPrefix: number[];
  maxSongsPerPrefix: number[];
  /** Median number of songs per used prefix of length 1..levels. */
  medianSongsPerPrefix: number[];
  /** Songs whose full ID is shared with at least one other song. */
  collidingSongs: number;
  /** Share of songs with a unique full ID. */
  uniqueShare: number;
}

/** Codebook use, collisions and prefix sharing of n × levels codes. */
export function semanticIdStats(ids: Int32Array, levels: number, codes: number): SemanticIdStats {
  const n = Math.floor(ids.length / levels);
  const codesUsed: number[] = [];
  for (let l = 0; l < levels; l++) {
    const s = new Set<number>();
    for (let i = 0; i < n; i++) s.add(ids[i * levels + l]);
    codesUsed.push(s.size);
  }
  const distinctPrefixes: number[] = [];
  const meanSongsPerPrefix: number[] = [];
  const maxSongsPerPrefix: number[] = [];
  const medianSongsPerPrefix: number[] = [];
  let fullCounts = new Map<string, number>();
  for (let p = 1; p <= levels; p++) {
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const key = formatSemanticId(ids.subarray(i * levels, i * levels + p));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    distinctPrefixes.push(counts.size);
    meanSongsPerPrefix.push(counts.size ? n / counts.size : 0);
    maxSongsPerPrefix.push(counts.size ? Math.max(...counts.values()) : 0);
    medianSongsPerPrefix.push(median([...counts.values()]));
    fullCounts = counts;
  }
  let colliding = 0;
  for (const c of fullCounts.values()) if (c > 1) colliding += c;
  return {
    songs: n,
    levels,
    codes,
    codesUsed,
    distinctPrefixes,
    meanSongsPerPrefix,
    maxSongsPerPrefix,
    medianSongsPerPrefix,
    collidingSongs: colliding,
    uniqueShare: n ? (n - colliding) / n : 0,
  };
}

function median(values: number[]): number {
  if (!values.length) return 0;
  const v = values.sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
