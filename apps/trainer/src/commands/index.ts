import { Command } from 'commander';
import { registerDemo } from './demo';
import { registerMigrate } from './migrate';

/** Every trainer sub-command registers itself here. */
export function registerCommands(program: Command): void {
  registerMigrate(program);
  registerDemo(program);
}
