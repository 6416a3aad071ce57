import type { DataSource, Logger } from 'typeorm';
import { loadConfig } from '@debut/config';
import { type DataSourceOptions, type DbConfig, openDatabase, withDatabaseAdmin } from '../src/database';

export interface FreshDatabase {
  ds: DataSource;
  db: DbConfig;
  /** Closes the connection and drops the database. */
  drop(): Promise<void>;
}

/**
 * `<PGDATABASE>_<suffix>`, dropped if a previous run left it, created and migrated: each test
 * file and the SQL generator work on a database nobody else writes to.
 */
export async function freshDatabase(suffix: string, opts: DataSourceOptions = {}): Promise<FreshDatabase> {
  const base = loadConfig().db;
  const db: DbConfig = { ...base, database: `${base.database}_${suffix}`, poolSize: 4 };
  const dropIt = () => withDatabaseAdmin(db, (admin) => admin.dropDatabase(db.database));
  await dropIt();
  const ds = await openDatabase(db, opts);
  return {
    ds,
    db,
    async drop() {
      if (ds.isInitialized) await ds.destroy();
      await dropIt();
    },
  };
}

/**
 * Prints nothing: tests and the generator provoke failures on purpose, and a failing statement
 * reaches them as the rejected promise anyway.
 */
export class QuietLogger implements Logger {
  logQuery(_query: string): void {}
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}
