export type IndexKind = 'flat' | 'hnsw';

/** HNSW graph parameters (faiss IndexHNSWFlat with the inner-product metric). */
export interface HnswParams {
  /** Neighbours per node (graph degree); fixed at creation. */
  M: number;
  /** Candidate list size while inserting; fixed at creation. */
  efConstruction: number;
  /** Candidate list size while searching (default for every search; overridable per search). */
  efSearch: number;
}

export const DEFAULT_HNSW_PARAMS: Readonly<HnswParams> = Object.freeze({
  M: 32,
  efConstruction: 80,
  efSearch: 128,
});

export interface VectorIndexOptions {
  /** Vector dimension. */
  dim: number;
  /** 'flat' = exact inner product (default); 'hnsw' = approximate (HNSW graph, inner product). */
  kind?: IndexKind;
  hnsw?: Partial<HnswParams>;
  /** HNSW only: rebuild the graph once tombstones exceed this fraction of stored vectors. */
  maxTombstoneFraction?: number;
  /** A name for logs and errors, e.g. 'warm' or 'cold'. */
  name?: string;
}

export interface Neighbour {
  id: string;
  /** Inner product with the query (cosine similarity for L2-normalised vectors). */
  score: number;
}

export interface SearchOptions {
  /** Ids never returned (e.g. the query song itself, songs the user already has). */
  exclude?: ReadonlySet<string>;
  /** HNSW only: candidate list size; a new value becomes the index's efSearch (costs a copy: tune, do not vary per query). */
  efSearch?: number;
}

export interface VectorIndexStats {
  name: string;
  kind: IndexKind;
  dim: number;
  /** Live vectors (searchable ids). */
  size: number;
  /** Vectors stored in faiss, including HNSW tombstones. */
  stored: number;
  tombstones: number;
  hnsw: HnswParams | null;
}

export type VectorInput = Float32Array | Float64Array | ArrayLike<number>;
export type BatchInput = VectorInput | readonly VectorInput[];
