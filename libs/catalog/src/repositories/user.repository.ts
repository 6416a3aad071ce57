import { DataSource } from 'typeorm';

/** Listeners as a whole (per-user history and vector state live with the interactions). */
export class UserRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Up to `n` user ids in md5 order: a spread over the whole id space that is the same on every
   * run, so demos and benchmarks look at the same users each time.
   */
  async sample(n: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      'SELECT id FROM users ORDER BY md5(id) LIMIT $1',
      [n],
    );
    return rows.map((r) => r.id);
  }

  async count(): Promise<number> {
    const [{ n }] = await this.ds.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM users');
    return n;
  }
}
