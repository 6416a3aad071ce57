export * from './audience-selector';
export * from './interest-boundary';
export * from './audience-method';
export * from './user-scorers';
export * from './cluster-audience';
export * from './audience-rules';
