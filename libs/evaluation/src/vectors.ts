/**
 * Exact top-k inner-product search over a small base (the warm items), brute force in JS. When
 * the base is sparse (e.g. Last.fm TF-IDF tag profiles, < 5% non-zeros) it builds an inverted
 * index and only touches the postings of the query's non-zeros, which makes content KNN on
 * 12k × 2k tag vectors take milliseconds per query instead of seconds.
 */

export interface TopK {
  index: Int32Array;
  score: Float32Array;
}

/** L2-normalises each row in place (zero rows stay zero). */
export function normaliseRows(m: Float32Array, dim: number): Float32Array {
  const n = dim > 0 ? m.length / dim : 0;
  for (let r = 0; r < n; r++) {
    let s = 0;
    const o = r * dim;
    for (let j = 0; j < dim; j++) s += m[o + j] * m[o + j];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) m[o + j] *= inv;
    }
  }
  return m;
}

export function density(m: Float32Array): number {
  if (m.length === 0) return 0;
  let nz = 0;
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) nz++;
  return nz / m.length;
}

/** Bounded best-k collector (insertion into a small sorted buffer; k is ~50). */
class Best {
  readonly idx: Int32Array;
  readonly val: Float32Array;
  size = 0;
  constructor(private readonly k: number) {
    this.idx = new Int32Array(k);
    this.val = new Float32Array(k);
  }
  push(i: number, v: number): void {
    const k = this.k;
    if (this.size === k && v <= this.val[k - 1]) return;
    let p = this.size < k ? this.size++ : k - 1;
    while (p > 0 && this.val[p - 1] < v) {
      this.val[p] = this.val[p - 1];
      this.idx[p] = this.idx[p - 1];
      p--;
    }
    this.val[p] = v;
    this.idx[p] = i;
  }
  result(): TopK {
    return { index: this.idx.slice(0, this.size), score: this.val.slice(0, this.size) };
  }
}

export interface InnerProductIndex {
  readonly size: number;
  search(query: Float32Array, queryOffset: number, k: number): TopK;
}

/** Brute-force exact inner-product index over row-major `base` (n × dim), sparse-aware. */
export function innerProductIndex(
  base: Float32Array,
  dim: number,
  options: { sparseBelow?: number } = {},
): InnerProductIndex {
  const n = dim > 0 ? base.length / dim : 0;
  if (density(base) < (options.sparseBelow ?? 0.05)) return sparseIndex(base, dim, n);
  return {
    size: n,
    search(q, qo, k) {
      const best = new Best(Math.min(k, n));
      for (let r = 0; r < n; r++) {
        let s = 0;
        const o = r * dim;
        for (let j = 0; j < dim; j++) s += q[qo + j] * base[o + j];
        best.push(r, s);
      }
      return best.result();
    },
  };
}

function sparseIndex(base: Float32Array, dim: number, n: number): InnerProductIndex {
  const counts = new Int32Array(dim + 1);
  for (let r = 0; r < n; r++) for (let j = 0; j < dim; j++) if (base[r * dim + j] !== 0) counts[j + 1]++;
  for (let j = 0; j < dim; j++) counts[j + 1] += counts[j];
  const start = counts.slice();
  const rows = new Int32Array(counts[dim]);
  const vals = new Float32Array(counts[dim]);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < dim; j++) {
      const v = base[r * dim + j];
      if (v !== 0) {
        rows[start[j]] = r;
        vals[start[j]++] = v;
      }
    }
  }
  const scores = new Float32Array(n);
  const touched = new Uint8Array(n);
  const list = new Int32Array(n);
  return {
    size: n,
    search(q, qo, k) {
      let m = 0;
      for (let j = 0; j < dim; j++) {
        const qv = q[qo + j];
        if (qv === 0) continue;
        for (let p = counts[j]; p < counts[j + 1]; p++) {
          const r = rows[p];
          if (!touched[r]) {
            touched[r] = 1;
            list[m++] = r;
          }
          scores[r] += qv * vals[p];
        }
      }
      const best = new Best(Math.min(k, n));
      for (let t = 0; t < m; t++) {
        const r = list[t];
        best.push(r, scores[r]);
        scores[r] = 0;
        touched[r] = 0;
      }
      // Rows never touched score 0; they only matter when fewer than k rows were touched.
      if (best.size < Math.min(k, n))
        for (let r = 0; r < n && best.size < k; r++) {
          if (!list.subarray(0, m).includes(r)) best.push(r, 0);
        }
      return best.result();
    },
  };
}

/**
 * Score matrix S = A · Bᵀ (rows of A against rows of B), skipping zeros of B's rows when B is
 * sparse. Returns row-major |A| × |B|.
 */
export function scoreMatrix(a: Float32Array, b: Float32Array, dim: number): Float32Array {
  const na = dim > 0 ? a.length / dim : 0;
  const nb = dim > 0 ? b.length / dim : 0;
  const out = new Float32Array(na * nb);
  // Per row of B: its non-zero positions (dense rows simply list every position).
  const nzIdx: Int32Array[] = [];
  for (let r = 0; r < nb; r++) {
    const o = r * dim;
    let c = 0;
    for (let j = 0; j < dim; j++) if (b[o + j] !== 0) c++;
    const idx = new Int32Array(c);
    c = 0;
    for (let j = 0; j < dim; j++) if (b[o + j] !== 0) idx[c++] = j;
    nzIdx.push(idx);
  }
  for (let i = 0; i < na; i++) {
    const ao = i * dim;
    for (let r = 0; r < nb; r++) {
      const bo = r * dim;
      const idx = nzIdx[r];
      let s = 0;
      for (let t = 0; t < idx.length; t++) s += a[ao + idx[t]] * b[bo + idx[t]];
      out[i * nb + r] = s;
    }
  }
  return out;
}
