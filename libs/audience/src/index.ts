export * from './audience-selector';
export * from './interest-boundary';
