/**
 * BM25 (Robertson–Sparck Jones idf, k1 = 1.2, b = 0.75 by default) over token lists, with
 * incremental adds: document frequencies and the mean length are kept current, so a song added
 * after the index was built is scored exactly as if it had been there from the start.
 * idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)).
 */
export interface Bm25Options {
  k1?: number;
  b?: number;
}

export interface ScoredDoc {
  doc: number;
  score: number;
}

export class Bm25Index {
  private readonly k1: number;
  private readonly b: number;
  /** term → postings (doc, term frequency). */
  private readonly postings = new Map<string, { docs: number[]; tf: number[] }>();
  private readonly lengths: number[] = [];
  private totalLength = 0;

  constructor(o: Bm25Options = {}) {
    this.k1 = o.k1 ?? 1.2;
    this.b = o.b ?? 0.75;
  }

  get size(): number {
    return this.lengths.length;
  }

  /** Adds a document; returns its index (documents are numbered in insertion order). */
  add(tokens: readonly string[]): number {
    const doc = this.lengths.length;
    const tf = new Map<string, number>();
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, n] of tf) {
      let p = this.postings.get(t);
      if (!p) this.postings.set(t, (p = { docs: [], tf: [] }));
      p.docs.push(doc);
      p.tf.push(n);
    }
    this.lengths.push(tokens.length);
    this.totalLength += tokens.length;
    return doc;
  }

  idf(term: string): number {
    const df = this.postings.get(term)?.docs.length ?? 0;
    const n = this.size;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** BM25 score of every document (0 where no query term occurs), into `out` if given. */
  scoreAll(query: readonly string[], out = new Float32Array(this.size)): Float32Array {
    out.fill(0);
    const avg = this.totalLength / Math.max(1, this.size);
    for (const term of new Set(query)) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = this.idf(term);
      for (let i = 0; i < p.docs.length; i++) {
        const d = p.docs[i];
        const f = p.tf[i];
        const norm = this.k1 * (1 - this.b + (this.b * this.lengths[d]) / Math.max(avg, 1e-9));
        out[d] += (idf * f * (this.k1 + 1)) / (f + norm);
      }
    }
    return out;
  }

  /** Share of the query's distinct terms that occur in document `doc` (0 for an empty query). */
  coverage(query: readonly string[], doc: number): number {
    const terms = new Set(query);
    let found = 0;
    for (const t of terms) {
      const docs = this.postings.get(t)?.docs;
      if (!docs) continue;
      // Postings are in insertion order, i.e. ascending document index.
      let lo = 0;
      let hi = docs.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (docs[mid] === doc) {
          found++;
          break;
        }
        if (docs[mid] < doc) lo = mid + 1;
        else hi = mid - 1;
      }
    }
    return terms.size ? found / terms.size : 0;
  }

  /** Top `k` documents with a positive score, best first (ties by document index). */
  search(query: readonly string[], k: number): ScoredDoc[] {
    return topK(this.scoreAll(query), k, true);
  }
}

/** Indices of the k highest scores (only positive ones when `positiveOnly`), best first. */
export function topK(scores: Float32Array, k: number, positiveOnly = false): ScoredDoc[] {
  const out: ScoredDoc[] = [];
  for (let d = 0; d < scores.length; d++) {
    const s = scores[d];
    if (positiveOnly && !(s > 0)) continue;
    if (out.length === k && s <= out[k - 1].score) continue;
    let i = out.length < k ? out.length : k - 1;
    if (out.length < k) out.push({ doc: d, score: s });
    while (i > 0 && out[i - 1].score < s) {
      out[i] = out[i - 1];
      i--;
    }
    out[i] = { doc: d, score: s };
  }
  return out;
}
