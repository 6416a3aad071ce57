export * from './song-content';
export * from './pg-listener-source';
export * from './model-runtime';
export * from './model-loaders';
export * from './audience.service';
export * from './gate.service';
export * from './serving.module';
export * from './feature-schema';
