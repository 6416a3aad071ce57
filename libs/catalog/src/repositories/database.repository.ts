import { DataSource } from 'typeorm';
import { MIGRATIONS_TABLE } from '../database';

/** The connection itself: whether it answers, and which migrations the schema has. */
export class DatabaseRepository {
  constructor(private readonly ds: DataSource) {}

  /** One round trip; throws when the database does not answer. */
  async ping(): Promise<void> {
    await this.ds.query('SELECT 1');
  }

  /** Names of the applied migrations, oldest first. */
  async appliedMigrations(): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.ds.query(
      `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`,
    );
    return rows.map((r) => r.name);
  }
}
