import type { Command } from 'commander';

/** bench:gate (registered under `bench`). Filled in by the DSSM work. */
export function registerGateBench(bench: Command): void {
  void bench;
}
