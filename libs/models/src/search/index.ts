export * from './text';
export * from './bm25';
export * from './fusion';
export * from './query-encoder';
export * from './search-trainer';
