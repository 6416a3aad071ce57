/** Seeded randomness lives in libs/common, shared by every library. */
export * from '@debut/common';
