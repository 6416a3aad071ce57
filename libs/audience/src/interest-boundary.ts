/**
 * Per-user cold gating with an interest boundary (DESIGN.md §3, U2I): song i passes user u's
 * gate when u·i > u·b. Pure arithmetic over vectors the DSSM produced; no storage, no tensors.
 */
export interface UserInterest {
  /** The user's interest vector u. */
  user: Float32Array;
  /** The user's boundary vector b. */
  boundary: Float32Array;
}

export interface GateDecision {
  songId: string;
  /** u·i */
  score: number;
  /** u·b + τ (the model's calibrated offset) */
  boundary: number;
  pass: boolean;
}

export function dot(a: Float32Array, b: Float32Array, bOffset = 0): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[bOffset + k];
  return s;
}

export class InterestBoundary {
  /** u·b: one number per user, computed once and compared with every candidate's score. */
  readonly threshold: number;

  constructor(
    readonly interest: UserInterest,
    /** τ calibrated with the model: the gate is u·i > u·b + τ. */
    offset = 0,
  ) {
    if (interest.user.length !== interest.boundary.length) {
      throw new Error(
        `user and boundary vectors differ in length (${interest.user.length} vs ${interest.boundary.length})`,
      );
    }
    this.threshold = dot(interest.user, interest.boundary) + offset;
  }

  /** Decisions for candidate songs given as ids and a packed row-major matrix of item vectors. */
  gate(songIds: string[], items: Float32Array): GateDecision[] {
    const dim = this.interest.user.length;
    if (items.length !== songIds.length * dim) {
      throw new Error(`expected ${songIds.length} × ${dim} item values, got ${items.length}`);
    }
    return this.gateAt(
      songIds,
      items,
      songIds.map((_, i) => i * dim),
    );
  }

  /**
   * Decisions for candidate songs whose vectors start at `offsets[i]` in `matrix` (rows of the
   * user vector's length), read in place: the api's held vectors are gated without copying.
   */
  gateAt(songIds: string[], matrix: Float32Array, offsets: ArrayLike<number>): GateDecision[] {
    const out = new Array<GateDecision>(songIds.length);
    for (let i = 0; i < songIds.length; i++) {
      const score = dot(this.interest.user, matrix, offsets[i]);
      out[i] = { songId: songIds[i], score, boundary: this.threshold, pass: score > this.threshold };
    }
    return out;
  }

  /** Keeps only candidates above the boundary, best first (cold recommendations). */
  above(candidates: Array<{ songId: string; score: number }>, limit: number): GateDecision[] {
    return candidates
      .filter((c) => c.score > this.threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, limit)
      .map((c) => ({ songId: c.songId, score: c.score, boundary: this.threshold, pass: true }));
  }
}

/**
 * A user with no listening history has no interest vector. The defined answer: every cold song
 * is refused (score 0, boundary +Infinity is not JSON-safe, so boundary = score and pass = false)
 * and cold recommendations are empty, because nothing is known to justify spending a new
 * user's first impressions on an untested song.
 */
export function noHistoryDecisions(songIds: string[]): GateDecision[] {
  return songIds.map((songId) => ({ songId, score: 0, boundary: 0, pass: false }));
}
