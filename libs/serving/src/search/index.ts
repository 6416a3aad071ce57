export * from './search-index';
export * from './search-store';
export * from './search-activation';
export * from './search-runtime';
export * from './search-loader';
