/**
 * User scorers: every known user's score for one song's content input. They are the serving
 * form of the learned and closed-form audience models; fitting happens in libs/models.
 */
import type { UserScorer } from './audience-method';

function unit(input: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < input.length; i++) s += input[i] * input[i];
  if (!(s > 0)) return input;
  const inv = 1 / Math.sqrt(s);
  return input.map((x) => x * inv);
}

/**
 * score = x̂ · W with x̂ the L2-normalised content input and W (inputDim × users, row-major):
 * the ridge map from content to listening. Only the input's non-zeros are touched, so a
 * sparse tag profile costs a few hundred rows of W.
 */
export class LinearUserScorer implements UserScorer {
  constructor(
    readonly userIds: readonly string[],
    readonly inputDim: number,
    private readonly weights: Float32Array,
  ) {
    if (weights.length !== inputDim * userIds.length) {
      throw new Error(
        `LinearUserScorer: weights have ${weights.length} values, expected ${inputDim} × ${userIds.length}`,
      );
    }
  }

  score(input: Float32Array): Float32Array {
    if (input.length !== this.inputDim)
      throw new Error(`input has ${input.length} values, expected ${this.inputDim}`);
    const x = unit(input);
    const u = this.userIds.length;
    const out = new Float32Array(u);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v === 0) continue;
      const o = i * u;
      for (let c = 0; c < u; c++) out[c] += v * this.weights[o + c];
    }
    return out;
  }
}

/**
 * score = u·i − u·b (or u·i when no thresholds are given): the song's item-tower vector
 * against every user's interest vector, minus the user's interest boundary, so the users
 * ranked first are the ones the cold gate lets the song reach by the widest margin.
 */
export class VectorUserScorer implements UserScorer {
  constructor(
    readonly userIds: readonly string[],
    readonly dim: number,
    private readonly users: Float32Array,
    private readonly embed: (input: Float32Array) => Float32Array,
    private readonly thresholds?: Float32Array,
  ) {}

  score(input: Float32Array): Float32Array {
    const item = this.embed(input);
    const d = this.dim;
    const out = new Float32Array(this.userIds.length);
    for (let r = 0; r < out.length; r++) {
      let s = 0;
      const o = r * d;
      for (let j = 0; j < d; j++) s += this.users[o + j] * item[j];
      out[r] = this.thresholds ? s - this.thresholds[r] : s;
    }
    return out;
  }
}
