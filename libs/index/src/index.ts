export * from './errors';
export { faissAvailable, faissNodeVersion, loadFaiss } from './faiss';
export * from './types';
export * from './vector-index';
export { FlatVectorIndex, type FlatIndexOptions } from './flat-index';
export { HnswVectorIndex, type HnswIndexOptions } from './hnsw-index';
export * from './synthetic';
