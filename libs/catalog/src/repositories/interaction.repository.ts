import { DataSource, EntityManager } from 'typeorm';
import { InteractionKind } from '../entities';

/** One of a user's interactions as listed (console), with its song's title and pool. */
export interface RecentInteraction {
  songId: string;
  title: string | null;
  pool: string | null;
  kind: string;
  weight: number;
  occurredAt: Date;
}

export interface NewInteraction {
  eventId: string | null;
  userId: string;
  songId: string;
  kind: InteractionKind;
  weight: number;
  occurredAt: Date;
}

export interface ListenerSignal {
  songId: string;
  userId: string;
  /** Σ interaction weight × age decay. */
  signal: number;
}

/** Listening history. Reads are per song (audiences) and per user (histories). */
export class InteractionRepository {
  constructor(private readonly ds: DataSource) {}

  /** Bulk insert (users are created on the fly); duplicate event ids are ignored. */
  async insertMany(
    rows: NewInteraction[],
    manager: EntityManager = this.ds.manager,
    chunk = 5000,
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.slice(i, i + chunk);
      await manager.query(
        `INSERT INTO users (id) SELECT DISTINCT unnest($1::text[]) ON CONFLICT (id) DO NOTHING`,
        [part.map((r) => r.userId)],
      );
      await manager.query(
        `INSERT INTO interactions (event_id, user_id, song_id, kind, weight, occurred_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::real[], $6::timestamptz[])
         ON CONFLICT (event_id) DO NOTHING`,
        [
          part.map((r) => r.eventId),
          part.map((r) => r.userId),
          part.map((r) => r.songId),
          part.map((r) => r.kind),
          part.map((r) => r.weight),
          part.map((r) => r.occurredAt.toISOString()),
        ],
      );
    }
  }

  /**
   * Listener signals on these songs: favourites > completions > plays through the stored
   * weights, each decayed with a half-life in days; skips carry no signal.
   */
  async listenerSignals(
    songIds: string[],
    halfLifeDays: number,
    now = new Date(),
  ): Promise<ListenerSignal[]> {
    if (!songIds.length) return [];
    const rows: Array<{ song_id: string; user_id: string; signal: number }> = await this.ds.query(
      `SELECT song_id, user_id,
              sum(weight * power(0.5, greatest(0, extract(epoch FROM ($2::timestamptz - occurred_at)) / 86400.0) / $3))::float8 AS signal
         FROM interactions WHERE song_id = ANY($1) AND kind <> 'skip'
        GROUP BY song_id, user_id`,
      [songIds, now.toISOString(), halfLifeDays],
    );
    return rows.map((r) => ({ songId: r.song_id, userId: r.user_id, signal: r.signal }));
  }

  /** Users who already have a song (excluded from its audience). */
  async listenersOf(songId: string): Promise<Set<string>> {
    const rows: Array<{ user_id: string }> = await this.ds.query(
      'SELECT DISTINCT user_id FROM interactions WHERE song_id = $1',
      [songId],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** listenersOf for several songs in one query (absent songs have no listeners). */
  async listenersOfMany(songIds: string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (!songIds.length) return out;
    const rows: Array<{ song_id: string; user_id: string }> = await this.ds.query(
      'SELECT DISTINCT song_id, user_id FROM interactions WHERE song_id = ANY($1)',
      [songIds],
    );
    for (const r of rows) {
      let set = out.get(r.song_id);
      if (!set) out.set(r.song_id, (set = new Set()));
      set.add(r.user_id);
    }
    return out;
  }

  /** Each user's most recent non-skip songs, newest first (DSSM user-tower input). */
  async recentHistories(userIds: string[], perUser: number): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(userIds.map((u) => [u, []]));
    if (!userIds.length) return out;
    const rows: Array<{ user_id: string; song_id: string }> = await this.ds.query(
      `SELECT user_id, song_id FROM (
         SELECT user_id, song_id, row_number() OVER (PARTITION BY user_id ORDER BY max(occurred_at) DESC) AS rn
           FROM interactions WHERE user_id = ANY($1) AND kind <> 'skip' GROUP BY user_id, song_id) h
        WHERE rn <= $2 ORDER BY user_id, rn`,
      [userIds, perUser],
    );
    for (const r of rows) out.get(r.user_id)?.push(r.song_id);
    return out;
  }

  /**
   * The cold songs each user has played (skips aside, as in recentHistories), for all users or
   * the given ones: what cold recommendations leave out. Cold songs are new, so these are few.
   */
  async coldPlays(userIds?: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>((userIds ?? []).map((u) => [u, []]));
    if (userIds && !userIds.length) return out;
    const rows: Array<{ user_id: string; song_id: string }> = await this.ds.query(
      `SELECT DISTINCT i.user_id, i.song_id FROM interactions i JOIN songs s ON s.id = i.song_id AND s.pool = 'cold'
        WHERE i.kind <> 'skip' ${userIds ? 'AND i.user_id = ANY($1)' : ''}`,
      userIds ? [userIds] : [],
    );
    for (const r of rows) {
      let songs = out.get(r.user_id);
      if (!songs) out.set(r.user_id, (songs = []));
      songs.push(r.song_id);
    }
    return out;
  }

  /** A user's latest interactions of every kind, newest first, with the song's title and pool. */
  recentOf(userId: string, limit: number): Promise<RecentInteraction[]> {
    return this.ds.query(
      `SELECT i.song_id AS "songId", s.title, s.pool, i.kind, i.weight, i.occurred_at AS "occurredAt"
         FROM interactions i LEFT JOIN songs s ON s.id = i.song_id
        WHERE i.user_id = $1 ORDER BY i.occurred_at DESC, i.id DESC LIMIT $2`,
      [userId, limit],
    );
  }

  /** Flags users for a vector refresh; a user already waiting keeps its place in the queue. */
  async markUsersStale(userIds: string[]): Promise<void> {
    if (userIds.length)
      await this.ds.query(
        `UPDATE users SET vectors_stale = true, stale_since = CASE WHEN vectors_stale THEN stale_since ELSE now() END
          WHERE id = ANY($1)`,
        [userIds],
      );
  }

  /**
   * One crash-safe refresh round: claims up to `limit` stale users, longest waiting first, with
   * row locks that concurrent rounds skip; runs `work` on them in the same transaction; clears
   * their flags only when it succeeds. A crash or a failure rolls the clearing back, and a play
   * that marks a claimed user meanwhile waits for the commit, so its mark survives the round.
   */
  async refreshStale(
    limit: number,
    work: (userIds: string[], manager: EntityManager) => Promise<void>,
  ): Promise<string[]> {
    return this.ds.transaction(async (m) => {
      const rows: Array<{ id: string }> = await m.query(
        `SELECT id FROM users WHERE vectors_stale ORDER BY stale_since NULLS FIRST, id LIMIT $1
           FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      const ids = rows.map((r) => r.id);
      if (!ids.length) return ids;
      await work(ids, m);
      await m.query('UPDATE users SET vectors_stale = false, stale_since = NULL WHERE id = ANY($1)', [ids]);
      return ids;
    });
  }

  /** Up to `limit` users whose vectors need a refresh (cleared by `clearStale`). */
  async staleUsers(limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(
      'SELECT id FROM users WHERE vectors_stale ORDER BY id LIMIT $1',
      [limit],
    );
    return rows.map((r) => r.id);
  }

  async clearStale(userIds: string[]): Promise<void> {
    if (userIds.length)
      await this.ds.query('UPDATE users SET vectors_stale = false WHERE id = ANY($1)', [userIds]);
  }

  /** Every user id, page by page (activation computes everyone's vectors). */
  async *userPages(pageSize = 2000): AsyncGenerator<string[]> {
    let after = '';
    for (;;) {
      const rows: Array<{ id: string }> = await this.ds.query(
        'SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT $2',
        [after, pageSize],
      );
      if (!rows.length) return;
      yield rows.map((r) => r.id);
      after = rows[rows.length - 1].id;
    }
  }

  async userExists(userId: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query('SELECT 1 FROM users WHERE id = $1', [userId]);
    return rows.length > 0;
  }

  async count(): Promise<number> {
    const [{ n }] = await this.ds.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM interactions');
    return n;
  }
}
