import { DataSource } from 'typeorm';
import { Client } from 'pg';
import type { DebutConfig } from '@debut/config';
import { catalogEntities } from './entities';
import { migrations } from '../../../migrations';

type DbConfig = DebutConfig['db'];

/** Creates the project's database when absent (connecting to the server's `postgres` db). */
export async function ensureDatabase(db: DbConfig): Promise<boolean> {
  const admin = new Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: 'postgres' });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db.database]);
    if (found.rowCount) return false;
    // The name is validated by the config schema ([a-z_][a-z0-9_]*), so quoting is safe.
    await admin.query(`CREATE DATABASE "${db.database}"`);
    return true;
  } catch (e) {
    // Two processes racing to create it: the loser sees duplicate_database (42P04).
    if ((e as { code?: string }).code === '42P04') return false;
    throw e;
  } finally {
    await admin.end();
  }
}

export function createDataSource(db: DbConfig): DataSource {
  return new DataSource({
    type: 'postgres',
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    database: db.database,
    entities: catalogEntities,
    migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: ['error'],
    extra: { max: db.poolSize },
  });
}

/** ensureDatabase + connect + apply pending migrations; returns an initialised DataSource. */
export async function openDatabase(db: DbConfig, opts: { migrate?: boolean } = {}): Promise<DataSource> {
  await ensureDatabase(db);
  const ds = createDataSource(db);
  await ds.initialize();
  if (opts.migrate !== false) await ds.runMigrations({ transaction: 'each' });
  return ds;
}
