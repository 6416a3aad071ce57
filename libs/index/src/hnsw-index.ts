import { IndexFormatError, IndexInputError } from './errors';
import { FaissIndex, loadFaiss, METRIC_INNER_PRODUCT } from './faiss';
import { FaissVectorIndex } from './faiss-vector-index';
import { createHnswWithParams } from './hnsw-format';
import { indexSettings } from './input';
import { LabelMap } from './label-map';
import type { IndexSnapshot, IndexState } from './persistence';
import { DEFAULT_HNSW_PARAMS, type HnswParams, type VectorIndexOptions } from './types';
import { VectorStore } from './vector-store';

export type HnswIndexOptions = Omit<VectorIndexOptions, 'kind'>;

/**
 * Approximate search: faiss IndexHNSWFlat with METRIC_INNER_PRODUCT. HNSW cannot remove
 * vectors, so removed/replaced entries become tombstones that searches skip; the graph is
 * rebuilt from the kept vectors (a JS copy kept for that purpose) once tombstones exceed
 * `maxTombstoneFraction`.
 */
export class HnswVectorIndex extends FaissVectorIndex {
  readonly kind = 'hnsw' as const;
  private params: Readonly<HnswParams>;
  private store: VectorStore;

  constructor(options: HnswIndexOptions) {
    const settings = indexSettings(options, 'hnsw');
    const wanted = checkParams({ ...DEFAULT_HNSW_PARAMS, ...(options.hnsw ?? {}) });
    const created = newHnsw(settings.dim, wanted);
    super(settings, created.index);
    this.params = Object.freeze({
      ...wanted,
      efConstruction: created.efConstruction,
      efSearch: created.efSearch,
    });
    this.store = new VectorStore(settings.dim);
  }

  /** Effective parameters: faiss's defaults where this faiss build's format cannot be patched. */
  get hnsw(): Readonly<HnswParams> {
    return this.params;
  }

  /**
   * Changes the search beam width stored in the faiss index (a copy of the index is made, so
   * call it when tuning, not per query).
   */
  setEfSearch(efSearch: number): void {
    if (efSearch === this.params.efSearch) return;
    checkRange(`${this.name}: efSearch`, efSearch);
    const patched = createHnswWithParams(loadFaiss(), this.faissIndex, this.params.efConstruction, efSearch);
    if (!patched) throw new IndexInputError(`${this.name}: this faiss build's HNSW format cannot be patched`);
    this.faissIndex = patched;
    this.params = Object.freeze({ ...this.params, efSearch });
  }

  /** Rebuilds the graph from the live vectors, dropping tombstones. */
  rebuild(): void {
    const compact = this.store.gather(this.labels.livePositions());
    this.faissIndex = newHnsw(this.dim, this.params).index;
    this.faissAdd(compact.used());
    this.labels = new LabelMap(this.labels.ids());
    this.store = compact;
  }

  override snapshot(): IndexSnapshot {
    return { ...super.snapshot(), vectors: this.store.used() };
  }

  override restore(state: IndexState): void {
    if (!state.vectors)
      throw new IndexFormatError(`${this.name}: an HNSW index cannot be restored without its vector copy`);
    super.restore(state);
    this.store = new VectorStore(this.dim, state.vectors);
  }

  protected removeExisting(ids: readonly string[]): void {
    this.labels.tombstone(ids);
  }

  protected override appended(rows: Float32Array): void {
    this.store.append(rows);
  }

  protected override compactIfNeeded(): void {
    const { tombstones, stored } = this.labels;
    if (tombstones > 0 && tombstones > this.maxTombstoneFraction * stored) this.rebuild();
  }
}

function checkRange(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 10_000) {
    throw new IndexInputError(`${what} must be an integer in [1, 10000], got ${String(value)}`);
  }
}

function checkParams(p: HnswParams): HnswParams {
  for (const key of ['M', 'efConstruction', 'efSearch'] as const) checkRange(`hnsw.${key}`, p[key]);
  if (p.M < 2) throw new IndexInputError(`hnsw.M must be at least 2, got ${p.M}`);
  return p;
}

function newHnsw(
  dim: number,
  p: HnswParams,
): { index: FaissIndex; efConstruction: number; efSearch: number } {
  const faiss = loadFaiss();
  const base = faiss.Index.fromFactory(dim, `HNSW${p.M},Flat`, METRIC_INNER_PRODUCT);
  // Both parameters are written into the (empty) faiss index: see hnsw-format.ts for why
  // efSearch cannot be left to the per-search k.
  const patched = createHnswWithParams(faiss, base, p.efConstruction, p.efSearch);
  return patched
    ? { index: patched, efConstruction: p.efConstruction, efSearch: p.efSearch }
    : { index: base, efConstruction: 40, efSearch: 16 };
}
