import type * as FaissNode from 'faiss-node';
import { IndexUnavailableError } from './errors';

export type FaissModule = typeof FaissNode;
export type FaissIndex = FaissNode.Index;

/** faiss MetricType values (faiss/MetricType.h). */
export const METRIC_INNER_PRODUCT = 0;
export const METRIC_L2 = 1;

let cached: FaissModule | undefined;

/**
 * Loads faiss-node lazily, so that importing @debut/index never fails by itself: only code that
 * actually builds or loads an index needs the native addon (built by scripts/build-faiss.sh).
 */
export function loadFaiss(): FaissModule {
  if (cached) return cached;
  // One OpenMP thread unless told otherwise (read once, when libfaiss loads): our processes are
  // single-threaded Node servers sharing 2 cores, and faiss's spinning OpenMP workers made a
  // single HNSW query ~25x slower (87 vs 2,268 queries/s at 100k, bench:index).
  process.env.OMP_NUM_THREADS ??= '1';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require('faiss-node') as FaissModule;
    return cached;
  } catch (err) {
    throw new IndexUnavailableError(
      `faiss-node's native addon could not be loaded (${(err as Error).message.split('\n')[0]}); ` +
        'run `bash scripts/build-faiss.sh` to build it against the system libfaiss',
    );
  }
}

/** True when the faiss-node addon loads on this machine. */
export function faissAvailable(): boolean {
  try {
    loadFaiss();
    return true;
  } catch {
    return false;
  }
}

/** Installed faiss-node version (from its package.json), or 'unknown'. */
export function faissNodeVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('faiss-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
