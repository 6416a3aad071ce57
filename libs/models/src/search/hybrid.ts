/**
 * Hybrid retrieval over candidates, as served: the lexical path's top K (BM25, matched documents
 * only) and the dense path's top K (inner product in the joint space) are merged, every candidate
 * gets both scores (its exact dense score, its BM25 score or 0), and the union is ranked by the
 * fusion of fusion.ts (normalised score sum or weighted RRF) over the candidates. The trainer
 * chooses the fusion on validation queries through this same function, so the weight it picks
 * is the one that serves.
 */
import type { ScoredDoc } from './bm25';
import { FusionMode, fuse } from './fusion';

export type SearchMode = 'hybrid' | 'joint' | 'lexical';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'joint', 'lexical'];

export interface FusionChoice {
  mode: FusionMode;
  /** w: 1 = lexical only, 0 = dense only. */
  lexicalWeight: number;
}

export interface SearchHit {
  doc: number;
  score: number;
  /** 1-based rank in the lexical top K (null: not matched or beyond K). */
  lexicalRank: number | null;
  /** 1-based rank in the dense top K (null: beyond K, or the query has no known word). */
  denseRank: number | null;
}

/**
 * Merges the two paths' top lists and ranks the union. `denseScoreOf` gives the exact dense
 * score of a lexical candidate the dense list does not hold; `lexicalScoreOf` the BM25 score of
 * a dense candidate (0 when unmatched). `joint` ranks the dense list, `lexical` the lexical one.
 */
export function rankHybrid(
  mode: SearchMode,
  lexical: readonly ScoredDoc[],
  dense: readonly ScoredDoc[],
  fusion: FusionChoice,
  limit: number,
  scores: { denseScoreOf(doc: number): number; lexicalScoreOf(doc: number): number },
): SearchHit[] {
  const lexRank = new Map(lexical.map((d, i) => [d.doc, i + 1]));
  const denseRank = new Map(dense.map((d, i) => [d.doc, i + 1]));
  const hit = (doc: number, score: number): SearchHit => ({
    doc,
    score,
    lexicalRank: lexRank.get(doc) ?? null,
    denseRank: denseRank.get(doc) ?? null,
  });
  if (mode === 'lexical') return lexical.slice(0, limit).map((d) => hit(d.doc, d.score));
  if (mode === 'joint' || lexical.length === 0) return dense.slice(0, limit).map((d) => hit(d.doc, d.score));
  // A query with no known word has no dense list: the lexical ranking, with its BM25 scores.
  if (dense.length === 0) return lexical.slice(0, limit).map((d) => hit(d.doc, d.score));
  const docs = [...new Set([...lexical.map((d) => d.doc), ...dense.map((d) => d.doc)])];
  const lex = Float32Array.from(docs, (d) => {
    const r = lexRank.get(d);
    return r !== undefined ? lexical[r - 1].score : scores.lexicalScoreOf(d);
  });
  const den = Float32Array.from(docs, (d) => {
    const r = denseRank.get(d);
    return r !== undefined ? dense[r - 1].score : scores.denseScoreOf(d);
  });
  const fused = fuse(fusion.mode, lex, den, fusion.lexicalWeight);
  return docs
    .map((d, i) => ({ d, s: fused[i] }))
    .sort((a, b) => b.s - a.s || a.d - b.d)
    .slice(0, limit)
    .map(({ d, s }) => hit(d, s));
}

/** The fusions the trainer tries: both modes × w ∈ {0, 0.1, …, 1}. */
export function fusionGrid(): FusionChoice[] {
  const ws = Array.from({ length: 11 }, (_, i) => i / 10);
  return (['score-sum', 'rrf'] as const).flatMap((mode) =>
    ws.map((lexicalWeight) => ({ mode, lexicalWeight })),
  );
}
