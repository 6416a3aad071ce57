import type { Command } from 'commander';

/** `trainer train dssm` (registered under `train`). Filled in by the DSSM work. */
export function registerTrainDssm(train: Command): void {
  void train;
}
