import { IndexInputError } from './errors';
import type { FaissIndex } from './faiss';
import { batchRows, checkIds, checkK, type IndexSettings, toRows } from './input';
import { LabelMap } from './label-map';
import { type IndexSnapshot, type IndexState, writeIndexDir } from './persistence';
import type {
  BatchInput,
  HnswParams,
  IndexKind,
  Neighbour,
  SearchOptions,
  VectorIndexStats,
  VectorInput,
} from './types';
import type { VectorIndexContract as VectorIndex } from './vector-index-contract';

/** Rows converted to a JS array per faiss-node call (faiss-node only accepts plain arrays). */
const ADD_CHUNK_ROWS = 16_384;
const SEARCH_CHUNK_QUERIES = 512;

/**
 * What both kinds share: string ids over faiss labels, input validation, chunked adds, and
 * searches that skip exclusions and tombstones. Scores are faiss inner products, so for the
 * L2-normalised song vectors they are cosine similarities, best first. Re-adding an existing id
 * replaces its vector. A kind supplies its faiss index and how it removes vectors.
 */
export abstract class FaissVectorIndex implements VectorIndex {
  abstract readonly kind: IndexKind;
  readonly name: string;
  readonly dim: number;
  /** Used by HNSW only; every kind keeps it so that a saved index round-trips its options. */
  readonly maxTombstoneFraction: number;
  protected labels = new LabelMap();

  protected constructor(
    settings: IndexSettings,
    protected faissIndex: FaissIndex,
  ) {
    this.name = settings.name;
    this.dim = settings.dim;
    this.maxTombstoneFraction = settings.maxTombstoneFraction;
  }

  abstract get hnsw(): Readonly<HnswParams> | null;
  abstract setEfSearch(efSearch: number): void;
  abstract rebuild(): void;
  /** Takes present ids out of faiss and the label map. */
  protected abstract removeExisting(ids: readonly string[]): void;

  /** Called with the rows of every add, after faiss and the label map have them. */
  protected appended(_rows: Float32Array): void {
    // flat: faiss's copy is the only one needed
  }

  /** Called after every add and remove. */
  protected compactIfNeeded(): void {
    // flat: removals leave nothing behind
  }

  get size(): number {
    return this.labels.size;
  }

  has(id: string): boolean {
    return this.labels.has(id);
  }

  ids(): string[] {
    return this.labels.ids();
  }

  stats(): VectorIndexStats {
    const { name, kind, dim, size } = this;
    const { stored, tombstones } = this.labels;
    return { name, kind, dim, size, stored, tombstones, hnsw: this.hnsw ? { ...this.hnsw } : null };
  }

  add(ids: readonly string[], vectors: VectorInput): void {
    checkIds(this, ids);
    const rows = toRows(this, vectors, ids.length, 'vectors', ids);
    if (ids.length === 0) return;
    const replaced = ids.filter((id) => this.labels.has(id));
    if (replaced.length > 0) this.removeExisting(replaced);
    this.faissAdd(rows);
    this.labels.append(ids);
    this.appended(rows);
    this.compactIfNeeded();
  }

  remove(ids: Iterable<string>): number {
    const present = [...new Set(ids)].filter((id) => typeof id === 'string' && this.labels.has(id));
    if (present.length === 0) return 0;
    this.removeExisting(present);
    this.compactIfNeeded();
    return present.length;
  }

  search(vector: VectorInput, k: number, options: SearchOptions = {}): Neighbour[] {
    return this.searchRows(toRows(this, vector, 1, 'query vector'), 1, k, options)[0];
  }

  searchBatch(vectors: BatchInput, k: number, options: SearchOptions = {}): Neighbour[][] {
    const { rows, n } = batchRows(this, vectors);
    return this.searchRows(rows, n, k, options);
  }

  save(dir: string): void {
    writeIndexDir(dir, this.snapshot());
  }

  /** For persistence: what save() writes. */
  snapshot(): IndexSnapshot {
    const { name, kind, dim, maxTombstoneFraction, faissIndex, labels } = this;
    return {
      name,
      kind,
      dim,
      maxTombstoneFraction,
      faissIndex,
      labels,
      hnsw: this.hnsw ? { ...this.hnsw } : null,
      vectors: null,
    };
  }

  /** For persistence: installs a loaded state into this freshly created index. */
  restore(state: IndexState): void {
    this.faissIndex = state.faissIndex;
    this.labels = state.labels;
  }

  protected faissAdd(rows: Float32Array): void {
    const step = ADD_CHUNK_ROWS * this.dim;
    for (let start = 0; start < rows.length; start += step) {
      this.faissIndex.add(Array.from(rows.subarray(start, Math.min(rows.length, start + step))));
    }
  }

  private searchRows(rows: Float32Array, n: number, k: number, options: SearchOptions): Neighbour[][] {
    checkK(this, k);
    const exclude = options.exclude;
    // Checked through `unknown` so that `exclude` keeps its element type (instanceof would make it Set<any>).
    if (exclude !== undefined && !((exclude as unknown) instanceof Set))
      throw new IndexInputError(`${this.name}: exclude must be a Set of ids`);
    if (options.efSearch !== undefined) this.setEfSearch(options.efSearch);
    let excludedPresent = 0;
    if (exclude) for (const id of exclude) if (this.labels.has(id)) excludedPresent++;
    const want = Math.min(k, this.size - excludedPresent);
    const out: Neighbour[][] = Array.from({ length: n }, () => []);
    if (want <= 0 || n === 0) return out;

    const { stored, tombstones } = this.labels;
    let fetch = want + excludedPresent;
    if (tombstones > 0) fetch = Math.ceil((fetch * stored) / this.size) + 8;
    fetch = Math.min(fetch, stored);

    const step = SEARCH_CHUNK_QUERIES * this.dim;
    for (let q0 = 0; q0 < n; q0 += SEARCH_CHUNK_QUERIES) {
      const chunk = rows.subarray(q0 * this.dim, Math.min(rows.length, q0 * this.dim + step));
      const nq = chunk.length / this.dim;
      const result = this.faissIndex.search(Array.from(chunk), fetch);
      for (let i = 0; i < nq; i++) {
        out[q0 + i] = this.collect(result.labels, result.distances, i * fetch, fetch, want, exclude);
      }
    }
    // Rare: too many candidates filtered out (or HNSW ran out of reachable nodes): widen and retry.
    for (let i = 0; i < n; i++) {
      let f = fetch;
      while (out[i].length < want && f < stored) {
        f = Math.min(stored, f * 2);
        const r = this.faissIndex.search(Array.from(rows.subarray(i * this.dim, (i + 1) * this.dim)), f);
        out[i] = this.collect(r.labels, r.distances, 0, f, want, exclude);
      }
    }
    return out;
  }

  private collect(
    labels: number[],
    distances: number[],
    offset: number,
    fetch: number,
    want: number,
    exclude?: ReadonlySet<string>,
  ): Neighbour[] {
    const hits: Neighbour[] = [];
    for (let j = 0; j < fetch && hits.length < want; j++) {
      const label = labels[offset + j];
      if (label < 0) continue; // faiss pads with -1 when it finds fewer than k
      const id = this.labels.idAt(label);
      if (id === null || id === undefined || exclude?.has(id)) continue;
      hits.push({ id, score: distances[offset + j] });
    }
    // faiss returns best first already; keep the contract explicit (stable for ties).
    hits.sort((a, b) => b.score - a.score);
    return hits;
  }
}
