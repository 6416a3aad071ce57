export * from './schema';
export * from './featurizer';
export * from './song-released';
export * from './user-interaction';
export * from './storable';
