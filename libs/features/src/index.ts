export * from './schema';
export * from './featurizer';
export * from './song-released';
export * from './user-interaction';
export * from './storable';
export * from './audience-rules';
export * from './user-profile';
export * from './song-exposed';
