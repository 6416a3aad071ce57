export * from './errors';
export { faissAvailable, faissNodeVersion, loadFaiss } from './faiss';
export * from './vector-index';
export * from './synthetic';
