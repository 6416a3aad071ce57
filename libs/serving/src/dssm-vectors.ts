import { Log } from '@debut/config';
import type { EmbeddingRepository, PoolChange, UserVectorCursor } from '@debut/catalog';
import { VectorTable } from './vector-table';

type VectorSource = Pick<
  EmbeddingRepository,
  'songVectors' | 'allUserVectors' | 'userVectorHorizon' | 'userVectorsAfter'
>;

/** User-vector feed rows read per query while following it. */
const USER_PAGE = 10_000;

/**
 * Every song's item vector and every user's (u, b) under one DSSM version, in memory, so the cold
 * gate runs without reading PostgreSQL for a known user. Part of that version's serving state
 * (ActiveDssm): a request that took the state at its start reads vectors of that version only.
 * Songs follow the pool change log (ModelRuntime applies its entries here); users follow the
 * user-vector feed, both commit-safe, so nothing written is ever skipped.
 */
export class DssmVectors {
  private readonly log = new Log('dssm-vectors');

  private constructor(
    readonly version: string,
    readonly dim: number,
    /** Item vector i per song id. */
    readonly songs: VectorTable,
    /** u then b per user id (2 × dim). */
    readonly users: VectorTable,
    private userCursor: UserVectorCursor,
  ) {}

  /**
   * Loads both tables. The user feed's horizon is taken before the read, so a refresh that
   * commits meanwhile is replayed by the first follow (harmless) rather than missed.
   */
  static async load(source: VectorSource, version: string, dim: number): Promise<DssmVectors> {
    const horizon = await source.userVectorHorizon();
    const [songs, users] = await Promise.all([source.songVectors(version), source.allUserVectors(version)]);
    const songTable = songTableOf(songs, dim);
    const userTable = new VectorTable(2 * dim, users.ids.length + 1024);
    users.ids.forEach((id, i) =>
      userTable.set(
        id,
        users.users.subarray(i * dim, (i + 1) * dim),
        users.boundaries.subarray(i * dim, (i + 1) * dim),
      ),
    );
    return new DssmVectors(version, dim, songTable, userTable, horizon);
  }

  /** The user's u and b as views, or undefined when the worker has not computed them (yet). */
  user(userId: string): { user: Float32Array; boundary: Float32Array } | undefined {
    const row = this.users.get(userId);
    return row && { user: row.subarray(0, this.dim), boundary: row.subarray(this.dim) };
  }

  /** Reads the user vectors written since the last call; returns the users that changed. */
  async followUsers(source: VectorSource): Promise<string[]> {
    const changed: string[] = [];
    for (;;) {
      const batch = await source.userVectorsAfter(this.version, this.userCursor, USER_PAGE);
      for (const u of batch.users) {
        this.users.set(u.userId, u.user, u.boundary);
        changed.push(u.userId);
      }
      this.userCursor = batch.cursor;
      if (batch.users.length < USER_PAGE) break;
    }
    if (changed.length)
      this.log.debug('user vectors followed', { version: this.version, users: changed.length });
    return changed;
  }

  /** Bytes of vector storage held (both tables). */
  get bytes(): number {
    return this.songs.bytes + this.users.bytes;
  }
}

/** Every song vector of a version as a table (read after the pool cursor was taken). */
export function songTableOf(songs: { ids: string[]; vectors: Float32Array }, dim: number): VectorTable {
  const table = new VectorTable(dim, songs.ids.length + 1024);
  if (songs.ids.length) table.load(songs.ids, songs.vectors);
  return table;
}

/** Pool change entries of one version: a song with a vector is (re)written, one without is dropped. */
export function applySongChanges(table: VectorTable, changes: PoolChange[]): void {
  for (const c of changes) {
    if (c.vector) table.set(c.songId, c.vector);
    else table.delete(c.songId);
  }
}
