import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { DatabaseRepository, openDatabase } from '@debut/catalog';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create the database if absent and apply pending migrations')
    .action(async () => {
      const config = loadConfig();
      const ds = await openDatabase(config.db);
      const applied = await new DatabaseRepository(ds).appliedMigrations();
      console.log(
        `database ${config.db.database} on ${config.db.host}:${config.db.port}: ${applied.length} migrations applied`,
      );
      await ds.destroy();
    });
}
