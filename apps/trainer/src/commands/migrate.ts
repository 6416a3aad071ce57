import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { openDatabase } from '@debut/catalog';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create the database if absent and apply pending migrations')
    .action(async () => {
      const config = loadConfig();
      const ds = await openDatabase(config.db);
      const applied = await ds.query('SELECT name FROM schema_migrations ORDER BY id');
      console.log(`database ${config.db.database} on ${config.db.host}:${config.db.port}: ${applied.length} migrations applied`);
      await ds.destroy();
    });
}
