import { DataSource } from 'typeorm';

/** Statements on whole databases, sent over a connection to the server's maintenance database. */
export class DatabaseAdmin {
  constructor(private readonly ds: DataSource) {}

  async exists(name: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rows.length > 0;
  }

  /** Creates the database unless it exists; false when it was already there. */
  async createIfAbsent(name: string): Promise<boolean> {
    if (await this.exists(name)) return false;
    try {
      await this.ds.query(`CREATE DATABASE ${identifier(name)}`);
      return true;
    } catch (e) {
      // Two processes racing to create it: the loser sees duplicate_database, or, when both got
      // past the server's own existence check, a unique violation on pg_database's name index.
      const code = (e as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw e;
    }
  }

  /** Drops the database, disconnecting whoever is still connected to it. */
  async dropDatabase(name: string): Promise<void> {
    await this.ds.query(`DROP DATABASE IF EXISTS ${identifier(name)} WITH (FORCE)`);
  }
}

/**
 * A database name as an SQL identifier. CREATE and DROP DATABASE take no bind parameters, so the
 * name is held to the config's pattern, which needs no escaping inside double quotes.
 */
function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a valid database name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}
