#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { ConfigError } from '@debut/config';
import { registerCommands } from './commands';

/** The ML engineer's CLI: import data, train, evaluate, benchmark, activate, reindex. */
async function main(): Promise<void> {
  const program = new Command('trainer')
    .description('Debut trainer: import data, train and evaluate models, run benchmarks, activate versions')
    .showHelpAfterError();
  registerCommands(program);
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) console.error(e.message);
  else console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
