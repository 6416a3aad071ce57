import { DataSource, EntityManager } from 'typeorm';
import { feedHorizon, readStampedRows, type FeedCursor, type StampedFeed } from './stamped-feed';

/** Song vectors per model version, and users' (u, b) vectors per DSSM version. */
export class EmbeddingRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Stores song vectors under a version. Writes to a version that has been active and was since
   * replaced are refused (SupersededVersionError, a transient failure: the writer retries with the
   * new version), unless `allowSuperseded` (an activation re-embedding an older version). The
   * check holds a share lock on the version's row until the writer's transaction ends, so an
   * activation's flip waits for the release transactions that wrote the old version, and its
   * catch-up pass after the flip sees every one of them.
   */
  async upsertSongVectors(
    modelVersion: string,
    songIds: string[],
    vectors: Float32Array,
    dim: number,
    manager: EntityManager = this.ds.manager,
    chunk = 2000,
    allowSuperseded = false,
    /** Each song's semantic ID under this version (null or absent: the version has no codebook). */
    sids?: ReadonlyArray<string | null>,
  ): Promise<void> {
    if (sids && sids.length !== songIds.length)
      throw new Error(`${sids.length} semantic IDs for ${songIds.length} songs`);
    if (!allowSuperseded && songIds.length) {
      const [row] = await manager.query<Array<{ superseded: boolean }>>(
        `SELECT (NOT active AND activated_at IS NOT NULL) AS superseded FROM model_versions
          WHERE version = $1 FOR SHARE`,
        [modelVersion],
      );
      if (row?.superseded) throw new SupersededVersionError(modelVersion);
    }
    for (let i = 0; i < songIds.length; i += chunk) {
      const ids = songIds.slice(i, i + chunk);
      const literal = ids.map((_, j) => vecLiteral(vectors, (i + j) * dim, dim));
      // A new vector always brings its own SID (or none): a stale code never outlives its vector.
      await manager.query(
        `INSERT INTO song_embeddings (model_version, song_id, vector, sid)
         SELECT $1, id, v::real[], sid FROM unnest($2::text[], $3::text[], $4::text[]) AS t(id, v, sid)
         ON CONFLICT (model_version, song_id) DO UPDATE
           SET vector = EXCLUDED.vector, sid = EXCLUDED.sid, updated_at = now()`,
        [modelVersion, ids, literal, ids.map((_, j) => sids?.[i + j] ?? null)],
      );
    }
  }

  /** All song vectors of a version, optionally of one pool, in id order. */
  async songVectors(
    modelVersion: string,
    pool?: 'warm' | 'cold',
  ): Promise<{ ids: string[]; vectors: Float32Array; dim: number }> {
    const rows: Array<{ song_id: string; vector: number[] }> = await this.ds.query(
      `SELECT e.song_id, e.vector FROM song_embeddings e ${pool ? 'JOIN songs s ON s.id = e.song_id AND s.pool = $2' : ''}
        WHERE e.model_version = $1 ORDER BY e.song_id`,
      pool ? [modelVersion, pool] : [modelVersion],
    );
    return packRows(rows.map((r) => [r.song_id, r.vector]));
  }

  async songVectorsFor(modelVersion: string, songIds: string[]): Promise<Map<string, Float32Array>> {
    if (!songIds.length) return new Map();
    const rows: Array<{ song_id: string; vector: number[] }> = await this.ds.query(
      'SELECT song_id, vector FROM song_embeddings WHERE model_version = $1 AND song_id = ANY($2)',
      [modelVersion, songIds],
    );
    return new Map(rows.map((r) => [r.song_id, Float32Array.from(r.vector)]));
  }

  /** The songs' semantic IDs under a version (songs without one are absent). */
  async sidsOf(modelVersion: string, songIds: string[]): Promise<Map<string, string>> {
    if (!songIds.length) return new Map();
    const rows: Array<{ song_id: string; sid: string }> = await this.ds.query(
      `SELECT song_id, sid FROM song_embeddings
        WHERE model_version = $1 AND song_id = ANY($2) AND sid IS NOT NULL`,
      [modelVersion, songIds],
    );
    return new Map(rows.map((r) => [r.song_id, r.sid]));
  }

  /**
   * Up to `limit` songs whose semantic ID under a version starts with `prefix` (whole codes:
   * "12-5" matches "12-5-40", never "12-50-1"), in id order, without `exclude`. A prefix range
   * scan on song_embeddings_sid_prefix_idx (migration 1765300000000). `prefix` must be a
   * formatted SID prefix (digits and '-'), which holds no LIKE wildcard.
   */
  async songsWithSidPrefix(
    modelVersion: string,
    prefix: string,
    limit: number,
    exclude?: string,
  ): Promise<Array<{ songId: string; sid: string; pool: 'warm' | 'cold' }>> {
    if (!/^\d+(-\d+)*$/.test(prefix)) throw new Error(`not a semantic-ID prefix: ${JSON.stringify(prefix)}`);
    const rows: Array<{ song_id: string; sid: string; pool: 'warm' | 'cold' }> = await this.ds.query(
      `SELECT e.song_id, e.sid, s.pool FROM song_embeddings e JOIN songs s ON s.id = e.song_id
        WHERE e.model_version = $1 AND (e.sid = $2 OR e.sid LIKE $2 || '-%') AND e.song_id <> $3
        ORDER BY e.song_id LIMIT $4`,
      [modelVersion, prefix, exclude ?? '', limit],
    );
    return rows.map((r) => ({ songId: r.song_id, sid: r.sid, pool: r.pool }));
  }

  /**
   * Where a reader that has just read the whole pool (or saved index) starts following the change
   * log: every transaction below this point is finished, so its effects are in what was read.
   */
  async changeHorizon(): Promise<ChangeCursor> {
    // The same point as the stamped feeds' horizon (`<xid>/`), in the pool log's `<xid>/<id>` form.
    return `${await feedHorizon(this.ds)}0`;
  }

  /**
   * The songs whose pool membership or vector (under this version) changed after `cursor`, each
   * with its current pool and vector (null when the song or its vector is gone), in log order,
   * and the cursor to continue from. Only log rows of transactions older than the oldest one in
   * progress are read, so a transaction that commits later can never land behind the cursor.
   */
  async changesAfter(modelVersion: string, cursor: ChangeCursor, limit = 10_000): Promise<PoolChangeBatch> {
    const [xid, seq] = parseCursor(cursor);
    const rows: Array<{
      upto: string;
      xid: string | null;
      seq: string | null;
      song_id: string | null;
      pool: 'warm' | 'cold' | null;
      vector: number[] | null;
    }> = await this.ds.query(
      `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS upto),
            c AS (SELECT c.id, c.xid, c.song_id FROM pool_changes c, h
                   WHERE (c.xid, c.id) > ($2::xid8, $3::bigint) AND c.xid < h.upto
                     AND (c.model_version IS NULL OR c.model_version = $1)
                   ORDER BY c.xid, c.id LIMIT $4)
       SELECT h.upto::text AS upto, c.xid::text AS xid, c.id::text AS seq, c.song_id, s.pool, e.vector
         FROM h LEFT JOIN c ON true
         LEFT JOIN songs s ON s.id = c.song_id
         LEFT JOIN song_embeddings e ON e.song_id = c.song_id AND e.model_version = $1
        ORDER BY c.xid, c.id`,
      [modelVersion, xid, seq, limit],
    );
    const found = rows.filter((r) => r.song_id !== null);
    const last = found[found.length - 1];
    // A full page may stop inside the window; otherwise everything below the horizon has been read.
    let next = found.length === limit && last ? `${last.xid}/${last.seq}` : `${rows[0].upto}/0`;
    if (compareCursors(next, cursor) < 0) next = cursor;
    // Each row carries the song's current state, so a song logged twice in the page is reported once.
    const latest = new Map<string, PoolChange>();
    for (const r of found) {
      latest.delete(r.song_id!);
      latest.set(r.song_id!, {
        songId: r.song_id!,
        pool: r.vector && r.pool ? r.pool : null,
        vector: r.vector && r.pool ? Float32Array.from(r.vector) : null,
      });
    }
    return { cursor: next, changes: [...latest.values()] };
  }

  /** Up to `limit` songs of one pool that have a vector under this version, in id order. */
  async embeddedSongIds(modelVersion: string, pool: 'warm' | 'cold', limit: number): Promise<string[]> {
    const rows: Array<{ song_id: string }> = await this.ds.query(
      `SELECT e.song_id FROM song_embeddings e JOIN songs s ON s.id = e.song_id AND s.pool = $2
        WHERE e.model_version = $1 ORDER BY e.song_id LIMIT $3`,
      [modelVersion, pool, limit],
    );
    return rows.map((r) => r.song_id);
  }

  async countSongVectors(modelVersion: string, pool: 'warm' | 'cold'): Promise<number> {
    const [{ n }] = await this.ds.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM song_embeddings e JOIN songs s ON s.id = e.song_id AND s.pool = $2
        WHERE e.model_version = $1`,
      [modelVersion, pool],
    );
    return n;
  }

  /**
   * Stores users' h_gen (u, b) and, when given, their next-intent vectors h_next (same packing);
   * without `next` the next columns are cleared, so a stale h_next never outlives its h_gen.
   */
  async upsertUserVectors(
    modelVersion: string,
    userIds: string[],
    users: Float32Array,
    boundaries: Float32Array,
    dim: number,
    chunk = 2000,
    manager: EntityManager = this.ds.manager,
    next?: { users: Float32Array; boundaries: Float32Array },
  ): Promise<void> {
    for (let i = 0; i < userIds.length; i += chunk) {
      const ids = userIds.slice(i, i + chunk);
      const rows = (m: Float32Array | undefined) =>
        ids.map((_, j) => (m ? vecLiteral(m, (i + j) * dim, dim) : null));
      await manager.query(
        `INSERT INTO user_vectors (model_version, user_id, user_vector, boundary_vector, next_user_vector, next_boundary_vector)
         SELECT $1, id, u::real[], b::real[], nu::real[], nb::real[]
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS t(id, u, b, nu, nb)
         ON CONFLICT (model_version, user_id) DO UPDATE
           SET user_vector = EXCLUDED.user_vector, boundary_vector = EXCLUDED.boundary_vector,
               next_user_vector = EXCLUDED.next_user_vector, next_boundary_vector = EXCLUDED.next_boundary_vector,
               updated_at = now()`,
        [modelVersion, ids, rows(users), rows(boundaries), rows(next?.users), rows(next?.boundaries)],
      );
    }
  }

  /**
   * Every user's vectors under a DSSM version, packed (users × dim each), for scoring all users
   * against one song (the u2i audience). Users are in id order.
   */
  async allUserVectors(
    modelVersion: string,
    withNext = false,
  ): Promise<{
    ids: string[];
    users: Float32Array;
    boundaries: Float32Array;
    dim: number;
    next?: NextVectors;
  }> {
    const rows: Array<{
      user_id: string;
      user_vector: number[];
      boundary_vector: number[];
      next_user_vector?: number[] | null;
      next_boundary_vector?: number[] | null;
    }> = await this.ds.query(
      // The same columns as the feed a reader follows after this load.
      `SELECT user_id, ${(withNext ? USER_VECTOR_FEED_WITH_NEXT : USER_VECTOR_FEED).columns.join(', ')} FROM user_vectors WHERE model_version = $1 ORDER BY user_id`,
      [modelVersion],
    );
    return packUserVectors(
      rows.map((r) => ({
        id: r.user_id,
        user: r.user_vector,
        boundary: r.boundary_vector,
        next:
          r.next_user_vector && r.next_boundary_vector
            ? { user: r.next_user_vector, boundary: r.next_boundary_vector }
            : undefined,
      })),
      withNext,
    );
  }

  /** Where a reader that has just read every user vector of a version starts following their feed. */
  userVectorHorizon(): Promise<UserVectorCursor> {
    return feedHorizon(this.ds);
  }

  /**
   * Users whose vectors under this version were written after `cursor`, with the vectors, in
   * writer order, and the cursor to continue from; commit-safe (readStampedRows; each row
   * carries its writer's xid: migration 1765100000000).
   */
  async userVectorsAfter(
    modelVersion: string,
    cursor: UserVectorCursor,
    limit = 10_000,
    withNext = false,
  ): Promise<UserVectorBatch> {
    const page = await readStampedRows<{
      user_vector: number[];
      boundary_vector: number[];
      next_user_vector?: number[] | null;
      next_boundary_vector?: number[] | null;
    }>(this.ds, withNext ? USER_VECTOR_FEED_WITH_NEXT : USER_VECTOR_FEED, cursor, limit, [modelVersion]);
    return {
      cursor: page.cursor,
      users: page.rows.map((r) => ({
        userId: r.key,
        user: Float32Array.from(r.user_vector),
        boundary: Float32Array.from(r.boundary_vector),
        ...(r.next_user_vector && r.next_boundary_vector
          ? {
              next: {
                user: Float32Array.from(r.next_user_vector),
                boundary: Float32Array.from(r.next_boundary_vector),
              },
            }
          : {}),
      })),
    };
  }

  /** Users' h_gen (u, b) and, where stored, h_next (`next`; absent = fall back to h_gen). */
  async userVectors(modelVersion: string, userIds: string[]): Promise<Map<string, StoredUserVectors>> {
    if (!userIds.length) return new Map();
    const rows: Array<{
      user_id: string;
      user_vector: number[];
      boundary_vector: number[];
      next_user_vector: number[] | null;
      next_boundary_vector: number[] | null;
    }> = await this.ds.query(
      `SELECT user_id, user_vector, boundary_vector, next_user_vector, next_boundary_vector
         FROM user_vectors WHERE model_version = $1 AND user_id = ANY($2)`,
      [modelVersion, userIds],
    );
    return new Map(
      rows.map((r) => [
        r.user_id,
        {
          user: Float32Array.from(r.user_vector),
          boundary: Float32Array.from(r.boundary_vector),
          ...(r.next_user_vector && r.next_boundary_vector
            ? {
                next: {
                  user: Float32Array.from(r.next_user_vector),
                  boundary: Float32Array.from(r.next_boundary_vector),
                },
              }
            : {}),
        },
      ]),
    );
  }
}

/** One user's stored DSSM vectors: h_gen as (user, boundary), and h_next when computed. */
export interface StoredUserVectors {
  user: Float32Array;
  boundary: Float32Array;
  next?: { user: Float32Array; boundary: Float32Array };
}

/** Postgres array literal of one row of a packed matrix. */
function vecLiteral(m: Float32Array, offset: number, dim: number): string {
  const parts = new Array<string>(dim);
  for (let k = 0; k < dim; k++) parts[k] = String(m[offset + k]);
  return `{${parts.join(',')}}`;
}

function packRows(rows: Array<[string, number[]]>): { ids: string[]; vectors: Float32Array; dim: number } {
  const dim = rows[0]?.[1].length ?? 0;
  const vectors = new Float32Array(rows.length * dim);
  rows.forEach(([, v], i) => vectors.set(v, i * dim));
  return { ids: rows.map((r) => r[0]), vectors, dim };
}

/** A write of vectors under a version that another version of its kind has replaced. */
export class SupersededVersionError extends Error {
  /** An activation raced the write: computing again with the new version succeeds, so consumers retry it. */
  readonly retriable = true;

  constructor(readonly modelVersion: string) {
    super(`model version ${modelVersion} is no longer active: vectors must be computed with the active one`);
    this.name = 'SupersededVersionError';
  }
}

/**
 * A position in the pool change log: `<xid8>/<log id>`, exclusive. Opaque to callers except that
 * it can be stored (with a saved index) and compared.
 */
export type ChangeCursor = string;

/** The state of one changed song under a version: its pool, or null when it is in no pool of it. */
export interface PoolChange {
  songId: string;
  pool: 'warm' | 'cold' | null;
  vector: Float32Array | null;
}

export interface PoolChangeBatch {
  changes: PoolChange[];
  cursor: ChangeCursor;
}

/** A position in the user-vector feed (`<xid8>/<user id>`). */
export type UserVectorCursor = FeedCursor;

const USER_VECTOR_FEED: StampedFeed = {
  table: 'user_vectors',
  key: 'user_id',
  columns: ['user_vector', 'boundary_vector'],
  where: 't.model_version = $4',
};

/** The same feed with h_next (for a reader that serves dual memory from memory). */
const USER_VECTOR_FEED_WITH_NEXT: StampedFeed = {
  ...USER_VECTOR_FEED,
  columns: [...USER_VECTOR_FEED.columns, 'next_user_vector', 'next_boundary_vector'],
};

/** Every user's h_next under a version, row-aligned with the h_gen arrays; `has` false = none stored. */
export interface NextVectors {
  users: Float32Array;
  boundaries: Float32Array;
  has: boolean[];
}

export interface PackedUserVectors {
  ids: string[];
  users: Float32Array;
  boundaries: Float32Array;
  dim: number;
  next?: NextVectors;
}

/** Users' vectors packed row-major in the given order (h_next only when `withNext`). */
export function packUserVectors(
  rows: Array<{
    id: string;
    user: ArrayLike<number>;
    boundary: ArrayLike<number>;
    next?: { user: ArrayLike<number>; boundary: ArrayLike<number> };
  }>,
  withNext: boolean,
): PackedUserVectors {
  const dim = rows[0]?.user.length ?? 0;
  const block = () => new Float32Array(rows.length * dim);
  const users = block();
  const boundaries = block();
  const next = withNext ? { users: block(), boundaries: block(), has: rows.map(() => false) } : undefined;
  rows.forEach((r, i) => {
    users.set(r.user, i * dim);
    boundaries.set(r.boundary, i * dim);
    if (next && r.next) {
      next.users.set(r.next.user, i * dim);
      next.boundaries.set(r.next.boundary, i * dim);
      next.has[i] = true;
    }
  });
  return { ids: rows.map((r) => r.id), users, boundaries, dim, next };
}

export interface UserVectorBatch {
  /** `next`: h_next, when asked for and stored (absent = fall back to h_gen). */
  users: Array<{
    userId: string;
    user: Float32Array;
    boundary: Float32Array;
    next?: { user: Float32Array; boundary: Float32Array };
  }>;
  cursor: UserVectorCursor;
}

function parseCursor(cursor: ChangeCursor): [string, string] {
  const m = /^(\d+)\/(\d+)$/.exec(cursor);
  if (!m) throw new Error(`bad pool change cursor ${JSON.stringify(cursor)}`);
  return [m[1], m[2]];
}

/** Orders two cursors (-1, 0, 1); both parts are unsigned 64-bit integers. */
export function compareCursors(a: ChangeCursor, b: ChangeCursor): number {
  const [ax, as] = parseCursor(a).map(BigInt);
  const [bx, bs] = parseCursor(b).map(BigInt);
  if (ax !== bx) return ax < bx ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}
