import { loadFaiss } from './faiss';
import { FaissVectorIndex } from './faiss-vector-index';
import { indexSettings } from './input';
import type { VectorIndexOptions } from './types';

export type FlatIndexOptions = Omit<VectorIndexOptions, 'kind' | 'hnsw'>;

/** Exact search: faiss IndexFlatIP, every query scored against every vector. */
export class FlatVectorIndex extends FaissVectorIndex {
  readonly kind = 'flat' as const;

  constructor(options: FlatIndexOptions) {
    const settings = indexSettings(options, 'flat');
    super(settings, new (loadFaiss().IndexFlatIP)(settings.dim));
  }

  get hnsw(): null {
    return null;
  }

  setEfSearch(_efSearch: number): void {
    // an exact index has no search beam to widen
  }

  rebuild(): void {
    // removals compact faiss's storage at once: there is never anything to drop
  }

  protected removeExisting(ids: readonly string[]): void {
    // IndexFlat::remove_ids compacts storage keeping order: positions after a removed one shift.
    this.labels.removeShifting(ids, (doomed) => {
      const removed = this.faissIndex.removeIds(doomed);
      if (removed !== doomed.length) {
        throw new Error(
          `${this.name}: faiss removed ${removed} of ${doomed.length} vectors; index out of sync`,
        );
      }
    });
  }
}
