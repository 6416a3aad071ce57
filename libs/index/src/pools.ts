import * as path from 'node:path';
import { HnswParams, IndexKind, VectorIndex, VectorInput } from './vector-index';

/**
 * The two indexes the service keeps:
 * - the warm pool: vectors of established songs; a new song's vector searches it for the
 *   neighbours that point to its audience (I2I2U). Large, so HNSW is worth it at scale.
 * - the cold pool: vectors of songs still looking for their audience; U2I gating and cold
 *   recommendations score users against it. Small and churning (songs graduate), so exact.
 */
export type PoolRole = 'warm' | 'cold';
export type WarmPool = VectorIndex;
export type ColdPool = VectorIndex;

export interface PoolOptions {
  dim: number;
  kind?: IndexKind;
  hnsw?: Partial<HnswParams>;
}

export function createWarmPool(options: PoolOptions): WarmPool {
  return new VectorIndex({ ...options, name: 'warm' });
}

/** The cold pool is exact ('flat') unless asked otherwise. */
export function createColdPool(options: PoolOptions): ColdPool {
  return new VectorIndex({ kind: 'flat', ...options, name: 'cold' });
}

/** Both pools, persisted side by side as `<dir>/warm` and `<dir>/cold`. */
export class SongPools {
  constructor(
    readonly warm: WarmPool,
    readonly cold: ColdPool,
  ) {
    if (warm.dim !== cold.dim) throw new Error(`warm pool dim ${warm.dim} != cold pool dim ${cold.dim}`);
  }

  static create(options: { dim: number; warmKind?: IndexKind; coldKind?: IndexKind; hnsw?: Partial<HnswParams> }): SongPools {
    return new SongPools(
      createWarmPool({ dim: options.dim, kind: options.warmKind ?? 'flat', hnsw: options.hnsw }),
      createColdPool({ dim: options.dim, kind: options.coldKind ?? 'flat', hnsw: options.hnsw }),
    );
  }

  static dirs(baseDir: string): Record<PoolRole, string> {
    return { warm: path.join(baseDir, 'warm'), cold: path.join(baseDir, 'cold') };
  }

  static exists(baseDir: string): boolean {
    const d = SongPools.dirs(baseDir);
    return VectorIndex.exists(d.warm) && VectorIndex.exists(d.cold);
  }

  static load(baseDir: string): SongPools {
    const d = SongPools.dirs(baseDir);
    return new SongPools(VectorIndex.load(d.warm), VectorIndex.load(d.cold));
  }

  /** Loads saved pools, or creates empty ones when none were saved yet. */
  static loadOrCreate(baseDir: string, options: Parameters<typeof SongPools.create>[0]): SongPools {
    return SongPools.exists(baseDir) ? SongPools.load(baseDir) : SongPools.create(options);
  }

  save(baseDir: string): void {
    const d = SongPools.dirs(baseDir);
    this.warm.save(d.warm);
    this.cold.save(d.cold);
  }

  /** Moves a song from the cold pool to the warm pool (its vector may have been re-encoded). */
  graduate(songId: string, vector: VectorInput): void {
    this.warm.add([songId], vector);
    this.cold.remove([songId]);
  }
}
