import { Command } from 'commander';
import { registerActivate } from './activate';
import { registerCheck } from './check';
import { registerDemo } from './demo';
import { registerDemoSearch } from './demo-search';
import { registerDlq } from './dlq';
import { registerImport } from './import';
import { registerMigrate } from './migrate';
import { registerTrain } from './train';
import { registerSidStats } from './train-sid';

/** Every trainer sub-command registers itself here. */
export function registerCommands(program: Command): void {
  registerMigrate(program);
  registerImport(program);
  registerTrain(program);
  registerSidStats(program);
  registerActivate(program);
  registerDemo(program);
  registerDemoSearch(program);
  registerDlq(program);
  registerCheck(program);
}
