import { DataSource, EntityManager } from 'typeorm';

/** Song vectors per model version, and users' (u, b) vectors per DSSM version. */
export class EmbeddingRepository {
  constructor(private readonly ds: DataSource) {}

  async upsertSongVectors(
    modelVersion: string,
    songIds: string[],
    vectors: Float32Array,
    dim: number,
    manager: EntityManager = this.ds.manager,
    chunk = 2000,
  ): Promise<void> {
    for (let i = 0; i < songIds.length; i += chunk) {
      const ids = songIds.slice(i, i + chunk);
      const literal = ids.map((_, j) => vecLiteral(vectors, (i + j) * dim, dim));
      await manager.query(
        `INSERT INTO song_embeddings (model_version, song_id, vector)
         SELECT $1, id, v::real[] FROM unnest($2::text[], $3::text[]) AS t(id, v)
         ON CONFLICT (model_version, song_id) DO UPDATE SET vector = EXCLUDED.vector, updated_at = now()`,
        [modelVersion, ids, literal],
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

  /** Songs whose pool or vector (under one version) changed at or after `since`, oldest first. */
  async changesSince(modelVersion: string, since: Date, limit = 10_000): Promise<PoolChange[]> {
    const rows: Array<{ song_id: string; pool: 'warm' | 'cold'; vector: number[]; changed_at: Date }> =
      await this.ds.query(
        `SELECT s.id AS song_id, s.pool, e.vector, greatest(s.updated_at, e.updated_at) AS changed_at
         FROM songs s JOIN song_embeddings e ON e.song_id = s.id AND e.model_version = $1
        WHERE s.updated_at >= $2 OR e.updated_at >= $2
        ORDER BY changed_at LIMIT $3`,
        [modelVersion, since, limit],
      );
    return rows.map((r) => ({
      songId: r.song_id,
      pool: r.pool,
      vector: Float32Array.from(r.vector),
      changedAt: r.changed_at,
    }));
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

  async upsertUserVectors(
    modelVersion: string,
    userIds: string[],
    users: Float32Array,
    boundaries: Float32Array,
    dim: number,
    chunk = 2000,
  ): Promise<void> {
    for (let i = 0; i < userIds.length; i += chunk) {
      const ids = userIds.slice(i, i + chunk);
      await this.ds.query(
        `INSERT INTO user_vectors (model_version, user_id, user_vector, boundary_vector)
         SELECT $1, id, u::real[], b::real[] FROM unnest($2::text[], $3::text[], $4::text[]) AS t(id, u, b)
         ON CONFLICT (model_version, user_id) DO UPDATE
           SET user_vector = EXCLUDED.user_vector, boundary_vector = EXCLUDED.boundary_vector, updated_at = now()`,
        [
          modelVersion,
          ids,
          ids.map((_, j) => vecLiteral(users, (i + j) * dim, dim)),
          ids.map((_, j) => vecLiteral(boundaries, (i + j) * dim, dim)),
        ],
      );
    }
  }

  /**
   * Every user's vectors under a DSSM version, packed (users × dim each), for scoring all users
   * against one song (the u2i audience). Users are in id order.
   */
  async allUserVectors(
    modelVersion: string,
  ): Promise<{ ids: string[]; users: Float32Array; boundaries: Float32Array; dim: number }> {
    const rows: Array<{ user_id: string; user_vector: number[]; boundary_vector: number[] }> =
      await this.ds.query(
        'SELECT user_id, user_vector, boundary_vector FROM user_vectors WHERE model_version = $1 ORDER BY user_id',
        [modelVersion],
      );
    const dim = rows[0]?.user_vector.length ?? 0;
    const users = new Float32Array(rows.length * dim);
    const boundaries = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => {
      users.set(r.user_vector, i * dim);
      boundaries.set(r.boundary_vector, i * dim);
    });
    return { ids: rows.map((r) => r.user_id), users, boundaries, dim };
  }

  async userVectors(
    modelVersion: string,
    userIds: string[],
  ): Promise<Map<string, { user: Float32Array; boundary: Float32Array }>> {
    if (!userIds.length) return new Map();
    const rows: Array<{ user_id: string; user_vector: number[]; boundary_vector: number[] }> =
      await this.ds.query(
        'SELECT user_id, user_vector, boundary_vector FROM user_vectors WHERE model_version = $1 AND user_id = ANY($2)',
        [modelVersion, userIds],
      );
    return new Map(
      rows.map((r) => [
        r.user_id,
        { user: Float32Array.from(r.user_vector), boundary: Float32Array.from(r.boundary_vector) },
      ]),
    );
  }
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

export interface PoolChange {
  songId: string;
  pool: 'warm' | 'cold';
  vector: Float32Array;
  changedAt: Date;
}
