/**
 * Correlated feature grouping for the contrastive views (pure JS on small matrices).
 *
 * Correlation signal: per example, the L2 norm of each field's embedding (how strongly field f
 * "speaks" for this song); the field-by-field matrix is |Pearson corr| of those norms across the
 * batch, updated with an exponential moving average as training goes. Why norms: they are one
 * scalar per field (cheap: an N × F download every few steps), comparable between fields of
 * different widths and kinds (dense slices, one-hot, multi-hot), and they move with training —
 * fields whose activations rise and fall together across songs carry overlapping information,
 * so putting them in the same group (and predicting one group's view from the other's) forces
 * the encoder to learn the cross-field structure instead of copying a redundant field.
 *
 * Groups: per example a random seed field; the ⌈F/2⌉ fields most correlated with it (seed
 * included) form group A, the rest group B. View 1 is built from group A, view 2 from group B,
 * each with its own independent random transformation (field dropout at `maskRate`,
 * multiplicative Gaussian noise at `noiseScale` — the latter applied by the tower).
 */
import { Rng, randInt, shuffleInPlace } from './random';

export type GroupingMode = 'correlated' | 'random';

export class FieldCorrelation {
  /** F × F row-major |corr|, diagonal 1. */
  readonly matrix: Float64Array;
  private initialised = false;
  /** Per seed field: the other fields ordered by decreasing correlation. */
  private order: Int32Array[] = [];
  updates = 0;

  constructor(
    readonly numFields: number,
    readonly momentum = 0.9,
  ) {
    this.matrix = new Float64Array(numFields * numFields);
    for (let i = 0; i < numFields; i++) this.matrix[i * numFields + i] = 1;
    this.recomputeOrder();
  }

  /** `values` is N × F row-major (e.g. per-field embedding norms of a batch). */
  update(values: Float32Array | Float64Array, n: number): void {
    const f = this.numFields;
    const mean = new Float64Array(f);
    for (let r = 0; r < n; r++) for (let j = 0; j < f; j++) mean[j] += values[r * f + j];
    for (let j = 0; j < f; j++) mean[j] /= Math.max(1, n);
    const cov = new Float64Array(f * f);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < f; i++) {
        const di = values[r * f + i] - mean[i];
        if (di === 0) continue;
        for (let j = i; j < f; j++) cov[i * f + j] += di * (values[r * f + j] - mean[j]);
      }
    }
    for (let i = 0; i < f; i++) {
      for (let j = i + 1; j < f; j++) {
        const den = Math.sqrt(cov[i * f + i] * cov[j * f + j]);
        const c = den > 0 ? Math.abs(cov[i * f + j] / den) : 0;
        const m = this.initialised ? this.momentum : 0;
        const v = m * this.matrix[i * f + j] + (1 - m) * c;
        this.matrix[i * f + j] = v;
        this.matrix[j * f + i] = v;
      }
    }
    this.initialised = true;
    this.updates++;
    this.recomputeOrder();
  }

  private recomputeOrder(): void {
    const f = this.numFields;
    this.order = [];
    for (let s = 0; s < f; s++) {
      const others = [...Array(f).keys()].filter((j) => j !== s);
      others.sort((a, b) => this.matrix[s * f + b] - this.matrix[s * f + a] || a - b);
      this.order.push(Int32Array.from(others));
    }
  }

  /** Fields most correlated with `seed` (excluding it), best first. */
  neighbours(seed: number): Int32Array {
    return this.order[seed];
  }

  toArray(): number[][] {
    const f = this.numFields;
    return [...Array(f).keys()].map((i) => Array.from(this.matrix.subarray(i * f, (i + 1) * f)));
  }
}

/**
 * Group assignment per example: N × F, 1 = group A, 0 = group B. `correlated` uses the seed
 * field's most correlated half; `random` (the ablation) a random half of the fields.
 */
export function assignGroups(
  n: number,
  numFields: number,
  rng: Rng,
  mode: GroupingMode,
  corr?: FieldCorrelation,
): Uint8Array {
  const out = new Uint8Array(n * numFields);
  const half = Math.ceil(numFields / 2);
  const perm = new Int32Array(numFields);
  for (let r = 0; r < n; r++) {
    const row = r * numFields;
    if (mode === 'correlated' && corr) {
      const seed = randInt(rng, numFields);
      out[row + seed] = 1;
      const nb = corr.neighbours(seed);
      for (let k = 0; k < half - 1; k++) out[row + nb[k]] = 1;
    } else {
      for (let j = 0; j < numFields; j++) perm[j] = j;
      shuffleInPlace(perm, rng);
      for (let k = 0; k < half; k++) out[row + perm[k]] = 1;
    }
  }
  return out;
}

/**
 * Field masks of the two views (N × F each, float): view 1 keeps group A, view 2 keeps group B;
 * inside its group each field is additionally dropped with probability `maskRate`
 * (independently per view). A view never ends up empty: if every field of its group was
 * dropped, one of them is restored at random.
 */
export function viewMasks(
  groups: Uint8Array,
  n: number,
  numFields: number,
  rng: Rng,
  maskRate: number,
): [Float32Array, Float32Array] {
  const m1 = new Float32Array(n * numFields);
  const m2 = new Float32Array(n * numFields);
  if (numFields === 1) {
    // Nothing to group: both views see the single field (noise still differs).
    m1.fill(1);
    m2.fill(1);
    return [m1, m2];
  }
  for (let r = 0; r < n; r++) {
    const row = r * numFields;
    for (const [mask, want] of [
      [m1, 1],
      [m2, 0],
    ] as const) {
      let kept = 0;
      let members = 0;
      for (let j = 0; j < numFields; j++) {
        if (groups[row + j] !== want) continue;
        members++;
        if (rng() >= maskRate) {
          mask[row + j] = 1;
          kept++;
        }
      }
      if (kept === 0 && members > 0) {
        let pick = randInt(rng, members);
        for (let j = 0; j < numFields; j++) {
          if (groups[row + j] !== want) continue;
          if (pick-- === 0) {
            mask[row + j] = 1;
            break;
          }
        }
      }
    }
  }
  return [m1, m2];
}
