/** Seeded randomness lives in libs/common (mulberry32), so pair sampling, grouping and init are reproducible. */
export * from '@debut/common';
