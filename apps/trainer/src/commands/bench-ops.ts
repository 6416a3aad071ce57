import type { Command } from 'commander';

/** bench:index, bench:api, bench:pipeline, bench:faults (registered under `bench`). */
export function registerOpsBenches(bench: Command): void {
  void bench;
}
