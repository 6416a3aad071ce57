import { DataSource } from 'typeorm';

/** What the audience rules know of a user. */
export interface UserProfile {
  userId: string;
  /** ISO 3166-1 alpha-2 market; null = unknown. */
  region: string | null;
  explicitOptOut: boolean;
}

/** Listeners as a whole and their profiles (per-user history and vector state live with the interactions). */
export class UserRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Applies profiles (user.profile), creating users not seen yet. The latest `updatedAt` wins: a
   * profile older than the one stored, or the same one again, changes nothing, so redelivery and
   * reordering are harmless. Returns how many users changed.
   */
  async upsertProfiles(profiles: Array<UserProfile & { updatedAt: Date }>): Promise<number> {
    // One row per user (PostgreSQL refuses to update a row twice in one statement): the latest wins.
    const latest = new Map<string, UserProfile & { updatedAt: Date }>();
    for (const p of profiles) {
      const seen = latest.get(p.userId);
      if (!seen || seen.updatedAt.getTime() <= p.updatedAt.getTime()) latest.set(p.userId, p);
    }
    if (!latest.size) return 0;
    const rows = [...latest.values()].map((p) => ({
      id: p.userId,
      region: p.region,
      explicit_opt_out: p.explicitOptOut,
      profile_updated_at: p.updatedAt.toISOString(),
    }));
    // An INSERT answers with its RETURNING rows (TypeORM gives [rows, count] only for UPDATE/DELETE).
    const changed: unknown[] = await this.ds.query(
      `INSERT INTO users (id, region, explicit_opt_out, profile_updated_at)
       SELECT id, region, explicit_opt_out, profile_updated_at
         FROM json_to_recordset($1::json)
           AS t(id text, region text, explicit_opt_out boolean, profile_updated_at timestamptz)
       ON CONFLICT (id) DO UPDATE SET region = EXCLUDED.region, explicit_opt_out = EXCLUDED.explicit_opt_out,
         profile_updated_at = EXCLUDED.profile_updated_at
       WHERE users.profile_updated_at IS NULL OR users.profile_updated_at < EXCLUDED.profile_updated_at
       RETURNING id`,
      [JSON.stringify(rows)],
    );
    return changed.length;
  }

  /** Profiles of these users that exist (a user absent from the map is unknown: no region, no opt-out). */
  async profilesOf(userIds: readonly string[]): Promise<Map<string, UserProfile>> {
    if (!userIds.length) return new Map();
    const rows: Array<{ id: string; region: string | null; explicit_opt_out: boolean }> = await this.ds.query(
      'SELECT id, region, explicit_opt_out FROM users WHERE id = ANY($1)',
      [userIds],
    );
    return new Map(
      rows.map((r) => [r.id, { userId: r.id, region: r.region, explicitOptOut: r.explicit_opt_out }]),
    );
  }

  /**
   * The first `n` users in an order shuffled by `seed`, for exploration audiences. Users sit on
   * a ring by `draw_key` = ring_key(id) (md5; migration 1765700000000); ring_key(seed) puts the
   * seed on the same ring, and the draw is the users that follow it, going round once. So the same seed gives
   * the same users on every run (redelivery, recompute), a larger `n` extends the same list,
   * different seeds start at unrelated places, and the users drawn are spread over the id space.
   * Unlike an independent shuffle per seed, a draw is one arc of a fixed ring: seeds that land
   * close share users, and a user's chance over seeds is the length of the arc before it, equal
   * for all users only on average (within about 1/√n). Two index range reads of at most `n` rows
   * (after the seed's place, then from the ring's start) instead of an md5 and sort of every user.
   */
  async shuffled(seed: string, n: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      `SELECT id FROM (
         (SELECT id, draw_key, 0 AS lap FROM users
           WHERE draw_key >= ring_key($1)
           ORDER BY draw_key, id LIMIT $2)
         UNION ALL
         (SELECT id, draw_key, 1 AS lap FROM users
           WHERE draw_key < ring_key($1)
           ORDER BY draw_key, id LIMIT $2)
       ) ring
       ORDER BY lap, draw_key, id LIMIT $2`,
      [seed, n],
    );
    return rows.map((r) => r.id);
  }

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
