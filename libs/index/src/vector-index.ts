import { IndexInputError } from './errors';
import type { FaissVectorIndex } from './faiss-vector-index';
import { FlatVectorIndex } from './flat-index';
import { HnswVectorIndex } from './hnsw-index';
import { checkDim } from './input';
import { indexDirExists, readIndexDir } from './persistence';
import type { VectorIndexOptions, VectorInput } from './types';
import type { VectorIndexContract } from './vector-index-contract';

/** The interface (vector-index-contract.ts), under the name of the factory object below. */
export type VectorIndex = VectorIndexContract;

function instantiate(options: VectorIndexOptions): FaissVectorIndex {
  const kind = options.kind ?? 'flat';
  if (kind === 'flat') return new FlatVectorIndex(options);
  if (kind === 'hnsw') return new HnswVectorIndex(options);
  checkDim(options.dim); // a bad dim has always been reported before a bad kind
  throw new IndexInputError(`kind must be 'flat' or 'hnsw', got ${String(kind)}`);
}

/** An empty index of `options.kind` (default 'flat'). */
export function createVectorIndex(options: VectorIndexOptions): VectorIndex {
  return instantiate(options);
}

/** Creates an index and fills it. */
export function buildVectorIndex(
  options: VectorIndexOptions,
  ids: readonly string[],
  vectors: VectorInput,
): VectorIndex {
  const index = instantiate(options);
  index.add(ids, vectors);
  return index;
}

/** Loads an index saved by save(), of the kind it was saved as; throws IndexFormatError when missing or inconsistent. */
export function loadVectorIndex(dir: string): VectorIndex {
  return readIndexDir(dir, instantiate);
}

/** True when `dir` holds a saved index. */
export function vectorIndexExists(dir: string): boolean {
  return indexDirExists(dir);
}

/** The statics callers knew from the former single class: `VectorIndex.load(dir)` and the like. */
export const VectorIndex = Object.freeze({
  build: buildVectorIndex,
  load: loadVectorIndex,
  exists: vectorIndexExists,
});
