/**
 * One process's search index over every stored song under one search version: BM25 over each
 * song's title, artist and tag phrases, and a FAISS index of its vector in the joint space.
 * Songs are added, replaced and removed one at a time (a release is searchable as soon as it
 * is added); a replaced or removed song's BM25 document is masked until enough are masked that
 * the lexical index is rebuilt, so document statistics stay close to a fresh build.
 */
import type { SongContent } from '@debut/features';
import type { VectorIndex } from '@debut/index';
import { Bm25Index, type ScoredDoc, type SearchMode, SearchModel, rankHybrid, topK } from '@debut/models';

export interface IndexedSong {
  id: string;
  title: string;
  content: SongContent;
}

export interface SearchResultItem {
  songId: string;
  title: string;
  score: number;
  lexicalRank: number | null;
  denseRank: number | null;
}

/** Masked documents, as a share of all, beyond which the lexical index is rebuilt. */
const MAX_MASKED = 0.25;

export class SearchIndex {
  private bm25 = new Bm25Index();
  /** BM25 document → song id (null: masked). */
  private docs: Array<string | null> = [];
  private readonly docOf = new Map<string, number>();
  private readonly songs = new Map<string, { title: string; tokens: string[]; vector: Float32Array }>();
  private masked = 0;

  constructor(
    readonly model: SearchModel,
    /** An empty FAISS index (INDEX_KIND) for the joint vectors. */
    readonly dense: VectorIndex,
  ) {}

  get size(): number {
    return this.songs.size;
  }

  has(id: string): boolean {
    return this.songs.has(id);
  }

  /**
   * Adds or replaces songs. `vectors` (row-major, one per song) when already known (saved at
   * activation); otherwise the model embeds them.
   */
  upsert(songs: readonly IndexedSong[], vectors?: Float32Array): void {
    if (!songs.length) return;
    const dim = this.model.dim;
    const vecs = vectors ?? this.model.embedSongs(songs.map((s) => s.content));
    this.dense.add(
      songs.map((s) => s.id),
      vecs,
    );
    songs.forEach((s, i) => {
      this.maskDoc(s.id);
      const tokens = this.model.tokens(s);
      this.docOf.set(s.id, this.docs.length);
      this.docs.push(s.id);
      this.bm25.add(tokens);
      this.songs.set(s.id, { title: s.title, tokens, vector: vecs.slice(i * dim, (i + 1) * dim) });
    });
    this.compactIfNeeded();
  }

  remove(ids: readonly string[]): void {
    const present = ids.filter((id) => this.songs.has(id));
    if (!present.length) return;
    for (const id of present) {
      this.maskDoc(id);
      this.songs.delete(id);
    }
    this.dense.remove(present);
    this.compactIfNeeded();
  }

  /** Ranked songs for a tokenised query. */
  query(tokens: readonly string[], mode: SearchMode, limit: number): SearchResultItem[] {
    const K = Math.max(this.model.config.candidates, limit);
    const lexAll = this.bm25.scoreAll(tokens);
    this.docs.forEach((id, d) => {
      if (id === null) lexAll[d] = 0;
    });
    const lexical = mode === 'joint' ? [] : topK(lexAll, K, true);
    const q = mode === 'lexical' ? null : this.model.embedQuery(tokens);
    const dense: ScoredDoc[] = q
      ? this.dense.search(q, K).flatMap((n) => {
          const doc = this.docOf.get(n.id); // always present: both indexes change together
          return doc === undefined ? [] : [{ doc, score: n.score }];
        })
      : [];
    const hits = rankHybrid(mode, lexical, dense, this.model.config.fusion, limit, {
      denseScoreOf: (doc) => (q ? dot(q, this.songs.get(this.docs[doc]!)!.vector) : 0),
      lexicalScoreOf: (doc) => lexAll[doc],
    });
    return hits.map((h) => {
      const id = this.docs[h.doc]!;
      return {
        songId: id,
        title: this.songs.get(id)!.title,
        score: h.score,
        lexicalRank: h.lexicalRank,
        denseRank: h.denseRank,
      };
    });
  }

  private maskDoc(id: string): void {
    const d = this.docOf.get(id);
    if (d === undefined) return;
    this.docs[d] = null;
    this.docOf.delete(id);
    this.masked++;
  }

  private compactIfNeeded(): void {
    if (this.masked <= MAX_MASKED * Math.max(1, this.docs.length)) return;
    this.bm25 = new Bm25Index();
    this.docs = [];
    this.docOf.clear();
    for (const [id, s] of this.songs) {
      this.docOf.set(id, this.docs.length);
      this.docs.push(id);
      this.bm25.add(s.tokens);
    }
    this.masked = 0;
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
