import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { catalogEntities } from '../src/entities';
import { type FreshDatabase, QuietLogger, freshDatabase } from './fresh-database';

/**
 * For a repository spec file: a fresh migrated database of its own for the whole file, emptied
 * before each test so that no test sees another's rows, and dropped at the end. Returns a getter,
 * as the connection only exists once beforeAll has run.
 */
export function databasePerFile(suffix: string): () => DataSource {
  let fresh: FreshDatabase | undefined;
  const current = () => {
    if (!fresh) throw new Error('the database is opened in beforeAll');
    return fresh.ds;
  };
  beforeAll(async () => {
    fresh = await freshDatabase(`catalog_${suffix}`, { logger: new QuietLogger() });
  }, 60_000);
  beforeEach(async () => {
    const ds = current();
    const tables = catalogEntities.map((e) => `"${ds.getMetadata(e).tableName}"`);
    await ds.query(`TRUNCATE ${tables.join(', ')} CASCADE`);
  });
  afterAll(async () => {
    await fresh?.drop();
  });
  return current;
}
