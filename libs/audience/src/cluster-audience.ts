/**
 * `cat`: clustering-based audience targeting (NetEase). The neighbour-voting audience is a seed;
 * its users are clustered in user-vector space, and every user is scored by closeness to the
 * clusters' centroids (weighted by the voting mass each cluster holds), so the audience can
 * reach people who never played the neighbours but sit where their listeners sit.
 */
import type { AudienceMember, AudienceOptions } from './audience-selector';
import { DEFAULT_AUDIENCE_OPTIONS } from './audience-selector';
import type { AudienceMethod, AudienceQuery } from './audience-method';
import { topUsers } from './audience-method';

export interface UserSpace {
  ids: readonly string[];
  /** ids.length × dim, row-major. */
  vectors: Float32Array;
  dim: number;
}

export interface ClusterOptions {
  /** Seed users taken from the voting audience. */
  seedSize: number;
  clusters: number;
  iterations: number;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = { seedSize: 200, clusters: 4, iterations: 8 };

function unitRow(v: Float32Array, o: number, dim: number, out: Float32Array, at: number): boolean {
  let s = 0;
  for (let j = 0; j < dim; j++) s += v[o + j] * v[o + j];
  if (!(s > 0)) return false;
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < dim; j++) out[at + j] = v[o + j] * inv;
  return true;
}

export class ClusterAudience implements AudienceMethod {
  readonly name = 'cat';
  private readonly row: Map<string, number>;
  private readonly unit: Float32Array;

  constructor(
    private readonly voting: AudienceMethod,
    private readonly space: UserSpace,
    private readonly options: ClusterOptions = DEFAULT_CLUSTER_OPTIONS,
  ) {
    this.row = new Map(space.ids.map((u, i) => [u, i]));
    this.unit = new Float32Array(space.vectors.length);
    for (let r = 0; r < space.ids.length; r++)
      unitRow(space.vectors, r * space.dim, space.dim, this.unit, r * space.dim);
  }

  async select(query: AudienceQuery, options: AudienceOptions = {}): Promise<AudienceMember[]> {
    const n = options.n ?? DEFAULT_AUDIENCE_OPTIONS.n;
    const d = this.space.dim;
    const seeds = (
      await this.voting.select(query, { ...options, n: this.options.seedSize, explain: 0 })
    ).filter((m) => this.row.has(m.userId) && m.score > 0);
    if (seeds.length === 0) return [];
    const k = Math.min(this.options.clusters, seeds.length);
    // Farthest-point start from the strongest seed: deterministic, and spreads the centroids.
    const at = (m: AudienceMember) => this.row.get(m.userId)! * d;
    const centroids = new Float32Array(k * d);
    centroids.set(this.unit.subarray(at(seeds[0]), at(seeds[0]) + d), 0);
    const cos = (c: number, o: number) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += centroids[c * d + j] * this.unit[o + j];
      return s;
    };
    for (let c = 1; c < k; c++) {
      let far = 0;
      let farSim = Infinity;
      seeds.forEach((m, i) => {
        let best = -Infinity;
        for (let e = 0; e < c; e++) best = Math.max(best, cos(e, at(m)));
        if (best < farSim) {
          farSim = best;
          far = i;
        }
      });
      centroids.set(this.unit.subarray(at(seeds[far]), at(seeds[far]) + d), c * d);
    }
    const assign = new Int32Array(seeds.length);
    const mass = new Float64Array(k);
    for (let it = 0; it < this.options.iterations; it++) {
      seeds.forEach((m, i) => {
        let best = -Infinity;
        for (let c = 0; c < k; c++) {
          const s = cos(c, at(m));
          if (s > best) {
            best = s;
            assign[i] = c;
          }
        }
      });
      const sum = new Float64Array(k * d);
      mass.fill(0);
      seeds.forEach((m, i) => {
        const c = assign[i];
        mass[c] += m.score;
        for (let j = 0; j < d; j++) sum[c * d + j] += m.score * this.unit[at(m) + j];
      });
      for (let c = 0; c < k; c++)
        unitRow(Float32Array.from(sum.subarray(c * d, (c + 1) * d)), 0, d, centroids, c * d);
    }
    const total = mass.reduce((s, x) => s + x, 0) || 1;
    const scores = new Float32Array(this.space.ids.length);
    for (let r = 0; r < scores.length; r++) {
      let s = 0;
      for (let c = 0; c < k; c++) if (mass[c] > 0) s += (mass[c] / total) * cos(c, r * d);
      scores[r] = s;
    }
    return topUsers(this.space.ids, scores, n, options.exclude).map((t) => ({ ...t, because: [] }));
  }
}
