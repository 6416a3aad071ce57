import { DataSource, type Logger } from 'typeorm';
import type { DebutConfig } from '@debut/config';
import { catalogEntities } from './entities';
import { DatabaseAdmin } from './repositories/database-admin';
import { migrations } from '../../../migrations';

export type DbConfig = DebutConfig['db'];

/** Where TypeORM records applied migrations (DatabaseRepository lists it). */
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface DataSourceOptions {
  /** Receives every statement TypeORM sends (the SQL generator records them); without one, errors are printed. */
  logger?: Logger;
}

/** Creates the project's database when absent; true when this call created it. */
export function ensureDatabase(db: DbConfig): Promise<boolean> {
  return withDatabaseAdmin(db, (admin) => admin.createIfAbsent(db.database));
}

function server(db: DbConfig) {
  return {
    type: 'postgres',
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
  } as const;
}

export function createDataSource(db: DbConfig, opts: DataSourceOptions = {}): DataSource {
  return new DataSource({
    ...server(db),
    database: db.database,
    entities: catalogEntities,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    synchronize: false,
    logging: ['error'],
    logger: opts.logger,
    extra: { max: db.poolSize },
  });
}

/**
 * A connection to the server's `postgres` database, for statements that act on whole databases
 * (they cannot run inside the database they create or drop).
 */
function createMaintenanceDataSource(db: DbConfig, opts: DataSourceOptions = {}): DataSource {
  return new DataSource({
    ...server(db),
    database: 'postgres',
    // A lost creation race fails by design; it must not print as an error.
    logging: false,
    logger: opts.logger,
    extra: { max: 1 },
  });
}

/** Runs `fn` with a DatabaseAdmin on its own short-lived maintenance connection. */
export async function withDatabaseAdmin<T>(
  db: DbConfig,
  fn: (admin: DatabaseAdmin) => Promise<T>,
  opts: DataSourceOptions = {},
): Promise<T> {
  const ds = createMaintenanceDataSource(db, opts);
  await ds.initialize();
  try {
    return await fn(new DatabaseAdmin(ds));
  } finally {
    await ds.destroy();
  }
}

/** ensureDatabase + connect + apply pending migrations; returns an initialised DataSource. */
export async function openDatabase(
  db: DbConfig,
  opts: DataSourceOptions & { migrate?: boolean } = {},
): Promise<DataSource> {
  await ensureDatabase(db);
  const ds = createDataSource(db, opts);
  await ds.initialize();
  if (opts.migrate !== false) await ds.runMigrations({ transaction: 'each' });
  return ds;
}
