import type {
  BatchInput,
  HnswParams,
  IndexKind,
  Neighbour,
  SearchOptions,
  VectorIndexStats,
  VectorInput,
} from './types';

/**
 * A vector index over faiss-node with string ids, exact ('flat', FlatVectorIndex) or
 * approximate ('hnsw', HnswVectorIndex). Scores are inner products, so for the L2-normalised
 * song vectors they are cosine similarities, best first.
 */
export interface VectorIndexContract {
  readonly name: string;
  readonly dim: number;
  readonly kind: IndexKind;
  /** HNSW only: tombstones beyond this fraction of stored vectors trigger a rebuild. */
  readonly maxTombstoneFraction: number;
  /** Effective HNSW parameters (null for flat). */
  readonly hnsw: Readonly<HnswParams> | null;
  /** Live (searchable) vectors. */
  readonly size: number;
  has(id: string): boolean;
  /** Live ids in insertion order. */
  ids(): string[];
  stats(): VectorIndexStats;
  /**
   * Adds `ids.length` vectors given row-major in `vectors` (length ids.length × dim). An id that
   * is already present is replaced. Ids must be non-empty strings, unique within the call.
   * Validation happens before anything changes: a bad call leaves the index untouched.
   */
  add(ids: readonly string[], vectors: VectorInput): void;
  /** Removes ids (unknown ids are ignored); returns how many were removed. */
  remove(ids: Iterable<string>): number;
  /** The `k` live vectors with the highest inner product with `vector`, best first. */
  search(vector: VectorInput, k: number, options?: SearchOptions): Neighbour[];
  /**
   * Searches many queries at once: `vectors` is either row-major (n × dim) or an array of
   * vectors. Faster than repeated search() (one native call per chunk of queries).
   */
  searchBatch(vectors: BatchInput, k: number, options?: SearchOptions): Neighbour[][];
  /**
   * HNSW: changes the search beam width stored in the faiss index (a copy of the index is made,
   * so call it when tuning, not per query). Flat: no effect.
   */
  setEfSearch(efSearch: number): void;
  /**
   * HNSW: rebuilds the graph from the live vectors (drops tombstones). Flat: nothing to do.
   * Runs automatically when tombstones exceed maxTombstoneFraction.
   */
  rebuild(): void;
  /**
   * Saves to `dir` (created if needed); readers of `dir` see the old or the new index, never a
   * mix. Not safe across processes: one writer per directory.
   */
  save(dir: string): void;
}
