#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { ConfigError } from '@debut/config';
import { registerBenches } from './commands';

/** The benchmarks' CLI (`npm run bench:<name>`): model quality, training, gate, index, pipeline, api, faults. */
async function main(): Promise<void> {
  const program = new Command('bench')
    .description('Debut benchmarks: each prints what it measured, on what data, with which backend')
    .showHelpAfterError();
  registerBenches(program);
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) console.error(e.message);
  else console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
