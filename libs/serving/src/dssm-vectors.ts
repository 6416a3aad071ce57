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
    /** u then b per user id (2 × dim); with next memories, then u_next and b_next (4 × dim). */
    readonly users: VectorTable,
    private userCursor: UserVectorCursor,
    /** Whether rows hold h_next too (dual memory served from memory, DSSM_NEXT_MIX > 0). */
    readonly withNext = false,
  ) {}

  /**
   * Loads both tables. The user feed's horizon is taken before the read, so a refresh that
   * commits meanwhile is replayed by the first follow (harmless) rather than missed.
   */
  static async load(
    source: VectorSource,
    version: string,
    dim: number,
    withNext = false,
  ): Promise<DssmVectors> {
    const horizon = await source.userVectorHorizon();
    const [songs, users] = await Promise.all([
      source.songVectors(version),
      source.allUserVectors(version, withNext),
    ]);
    const songTable = songTableOf(songs, dim);
    const userTable = new VectorTable((withNext ? 4 : 2) * dim, users.ids.length + 1024);
    const row = (a: Float32Array, i: number) => a.subarray(i * dim, (i + 1) * dim);
    users.ids.forEach((id, i) => {
      const gen = [row(users.users, i), row(users.boundaries, i)];
      if (!withNext) return userTable.set(id, ...gen);
      const next = users.next;
      // No stored h_next: the row repeats h_gen, which is what a missing h_next means (fallback).
      userTable.set(id, ...gen, ...(next?.has[i] ? [row(next.users, i), row(next.boundaries, i)] : gen));
    });
    return new DssmVectors(version, dim, songTable, userTable, horizon, withNext);
  }

  /** The user's u and b (h_gen) as views, or undefined when the worker has not computed them (yet). */
  user(userId: string): { user: Float32Array; boundary: Float32Array } | undefined {
    const row = this.users.get(userId);
    const d = this.dim;
    return row && { user: row.subarray(0, d), boundary: row.subarray(d, 2 * d) };
  }

  /** h_gen and h_next as views (h_next = h_gen when none is stored); undefined as for user(), or without next memories. */
  memories(userId: string):
    | {
        gen: { user: Float32Array; boundary: Float32Array };
        next: { user: Float32Array; boundary: Float32Array };
      }
    | undefined {
    const row = this.withNext ? this.users.get(userId) : undefined;
    const d = this.dim;
    return (
      row && {
        gen: { user: row.subarray(0, d), boundary: row.subarray(d, 2 * d) },
        next: { user: row.subarray(2 * d, 3 * d), boundary: row.subarray(3 * d) },
      }
    );
  }

  /** Reads the user vectors written since the last call; returns the users that changed. */
  async followUsers(source: VectorSource): Promise<string[]> {
    const changed: string[] = [];
    for (;;) {
      const batch = await source.userVectorsAfter(this.version, this.userCursor, USER_PAGE, this.withNext);
      for (const u of batch.users) {
        if (!this.withNext) this.users.set(u.userId, u.user, u.boundary);
        else {
          const next = u.next ?? { user: u.user, boundary: u.boundary };
          this.users.set(u.userId, u.user, u.boundary, next.user, next.boundary);
        }
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
