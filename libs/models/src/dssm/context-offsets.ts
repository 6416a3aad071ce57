/**
 * Calendar context offsets at serving time (STARS, issue 16): one learned vector o_m per UTC month,
 * trained with the DSSM (`contextBuckets` 12, stars-training.ts) and added to the user vector
 * before gating, u' = u + o_month(at), so the gate is u'·i > u'·b + τ (the boundary b is left as
 * it is: training added the offset to u only). Applying it needs no retraining and no stored
 * vector changes: a request that names a time gets the shifted user, one that does not gets u.
 * Why months only: the plays that train the offsets (synthetic-drift) carry a month of the year;
 * weekday/hour buckets would need hour-resolved plays, which no dataset here has.
 */
import { addContextOffset } from './stars-training';

export const CONTEXT_KIND = 'month';
export const MONTH_BUCKETS = 12;
/** Name of the offsets' weight entry in the `dssm` artifact. */
export const CONTEXT_WEIGHT = 'context/month-offsets';

/** The bucket of a time: its 0-based UTC month (plays are bucketed the same way for training). */
export function monthBucket(at: Date | number): number {
  return new Date(at).getUTCMonth();
}

export class ContextOffsets {
  readonly kind = CONTEXT_KIND;

  constructor(
    /** MONTH_BUCKETS × dim, row-major (row 0 = January). */
    readonly offsets: Float32Array,
    readonly dim: number,
  ) {
    if (offsets.length !== MONTH_BUCKETS * dim)
      throw new Error(`context offsets: expected ${MONTH_BUCKETS} × ${dim} values, got ${offsets.length}`);
  }

  /** u + o_bucket(at), as a new vector (the input is a held row and stays untouched). */
  shift(user: Float32Array, at: Date | number): Float32Array {
    return this.shiftRows(user, () => monthBucket(at));
  }

  /** N × dim user rows shifted by their own bucket (−1: left as they are). */
  shiftRows(users: Float32Array, bucket: (row: number) => number): Float32Array {
    return addContextOffset(users, this.offsets, this.dim, bucket);
  }

  /** The offsets as an artifact weight entry. */
  weight(): { name: string; variable: { shape: number[]; dataSync(): Float32Array } } {
    return {
      name: CONTEXT_WEIGHT,
      variable: { shape: [MONTH_BUCKETS, this.dim], dataSync: () => this.offsets },
    };
  }
}
