import { Log } from '@debut/config';
import type { EmbeddingRepository, PoolChange, UserVectorCursor } from '@debut/catalog';
import { mixedMemory, type Memory } from './next-memory';
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
    /**
     * Per user id: u_gen, b_gen (2 × dim); with dual memory (mix > 0) also u_next, b_next and the
     * gate's mixed u, b (6 × dim), mixed once when a row is written, not per request.
     */
    readonly users: VectorTable,
    private userCursor: UserVectorCursor,
    /** λ of the rows' mix (DSSM_NEXT_MIX); 0 = h_gen only, as before dual memory. */
    readonly mix = 0,
  ) {}

  /**
   * Loads both tables. The user feed's horizon is taken before the read, so a refresh that
   * commits meanwhile is replayed by the first follow (harmless) rather than missed.
   */
  static async load(source: VectorSource, version: string, dim: number, mix = 0): Promise<DssmVectors> {
    const horizon = await source.userVectorHorizon();
    const [songs, users] = await Promise.all([
      source.songVectors(version),
      source.allUserVectors(version, mix > 0),
    ]);
    const songTable = songTableOf(songs, dim);
    const userTable = new VectorTable((mix > 0 ? 6 : 2) * dim, users.ids.length + 1024);
    const vectors = new DssmVectors(version, dim, songTable, userTable, horizon, mix);
    const row = (a: Float32Array, i: number) => a.subarray(i * dim, (i + 1) * dim);
    users.ids.forEach((id, i) =>
      vectors.setUser(
        id,
        { user: row(users.users, i), boundary: row(users.boundaries, i) },
        users.next?.has[i]
          ? { user: row(users.next.users, i), boundary: row(users.next.boundaries, i) }
          : undefined,
      ),
    );
    return vectors;
  }

  /** Writes a user's row; a missing h_next is h_gen (the fallback), so the mix is h_gen then. */
  private setUser(id: string, gen: Memory, next: Memory | undefined): void {
    if (this.mix <= 0) return this.users.set(id, gen.user, gen.boundary);
    const n = next ?? gen;
    const gate = mixedMemory(gen, n, this.mix);
    this.users.set(id, gen.user, gen.boundary, n.user, n.boundary, gate.user, gate.boundary);
  }

  /** The user's u and b (h_gen) as views, or undefined when the worker has not computed them (yet). */
  user(userId: string): Memory | undefined {
    const row = this.users.get(userId);
    return row && this.slot(row, 0);
  }

  /** The user the gate uses: the mix (1 − λ)·h_gen + λ·h_next held with the row, or h_gen when λ = 0. */
  gateUser(userId: string): Memory | undefined {
    const row = this.users.get(userId);
    return row && this.slot(row, this.mix > 0 ? 2 : 0);
  }

  /** h_gen and h_next as views (h_next = h_gen when none is stored); undefined as for user(), or when λ = 0. */
  memories(userId: string): { gen: Memory; next: Memory } | undefined {
    const row = this.mix > 0 ? this.users.get(userId) : undefined;
    return row && { gen: this.slot(row, 0), next: this.slot(row, 1) };
  }

  /** Memory k of a row (0 gen, 1 next, 2 gate mix) as views. */
  private slot(row: Float32Array, k: number): Memory {
    const d = this.dim;
    return {
      user: row.subarray(2 * k * d, (2 * k + 1) * d),
      boundary: row.subarray((2 * k + 1) * d, (2 * k + 2) * d),
    };
  }

  /** Reads the user vectors written since the last call; returns the users that changed. */
  async followUsers(source: VectorSource): Promise<string[]> {
    const changed: string[] = [];
    for (;;) {
      const batch = await source.userVectorsAfter(this.version, this.userCursor, USER_PAGE, this.mix > 0);
      for (const u of batch.users) {
        this.setUser(u.userId, u, u.next);
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
