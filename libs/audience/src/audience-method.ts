/**
 * Audience methods behind one interface, so the benchmark scores and the service serves the
 * same code: a method turns a new song (its content input and its nearest established songs)
 * into a ranked audience. Pure domain logic: the learned parts arrive as plain score functions.
 */
import {
  AudienceMember,
  AudienceOptions,
  AudienceSelector,
  DEFAULT_AUDIENCE_OPTIONS,
  Explanation,
  Neighbour,
} from './audience-selector';

export interface AudienceQuery {
  /** The song's featurized content (the flat model input). */
  input: Float32Array;
  /** Nearest established songs in the active I2I space (explanations, neighbour voting). */
  neighbours: readonly Neighbour[];
}

export interface AudienceMethod {
  readonly name: string;
  select(query: AudienceQuery, options?: AudienceOptions): Promise<AudienceMember[]>;
}

/** Scores every known user for a song's content input (a linear map, a learned tower, …). */
export interface UserScorer {
  readonly userIds: readonly string[];
  score(input: Float32Array): Float32Array;
}

function excluder(ex: AudienceOptions['exclude']): (u: string) => boolean {
  return ex === undefined ? () => false : typeof ex === 'function' ? ex : (u) => ex.has(u);
}

/** The n best users of a dense score vector (ties keep user order), excluded users skipped. */
export function topUsers(
  userIds: readonly string[],
  scores: Float32Array,
  n: number,
  exclude?: AudienceOptions['exclude'],
): Array<{ userId: string; score: number }> {
  const excluded = excluder(exclude);
  const order: number[] = [];
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) order.push(i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const out: Array<{ userId: string; score: number }> = [];
  for (const i of order) {
    if (out.length >= n) break;
    if (!excluded(userIds[i])) out.push({ userId: userIds[i], score: scores[i] });
  }
  return out;
}

/** `i2i2u`: neighbour voting (Σ similarity × listener weight over the song's neighbours). */
export class NeighbourVotingAudience implements AudienceMethod {
  readonly name = 'i2i2u';
  constructor(private readonly selector: AudienceSelector) {}

  select(query: AudienceQuery, options: AudienceOptions = {}): Promise<AudienceMember[]> {
    return this.selector.select(query.neighbours, options);
  }
}

/**
 * An audience straight from a user scorer (`content-ridge`, `u2i-audience`). Explanations come
 * from the song's neighbours that the user listened to, when a listener lookup is given.
 */
export class ScoredAudience implements AudienceMethod {
  constructor(
    readonly name: string,
    private readonly scorer: UserScorer,
  ) {}

  select(query: AudienceQuery, options: AudienceOptions = {}): Promise<AudienceMember[]> {
    const n = options.n ?? DEFAULT_AUDIENCE_OPTIONS.n;
    const top = topUsers(this.scorer.userIds, this.scorer.score(query.input), n, options.exclude);
    return Promise.resolve(top.map((t) => ({ ...t, because: [] })));
  }
}

export interface FusionComponent {
  method: AudienceMethod;
  weight: number;
}

/**
 * `fusion`: a weighted sum of component audiences, each scaled by its own best score so that
 * scales of different methods meet (a user absent from a component's candidates gets 0 from
 * it). Weights are fitted on cold validation songs by the trainer, never here.
 */
export class FusionAudience implements AudienceMethod {
  readonly name = 'fusion';
  constructor(
    private readonly components: readonly FusionComponent[],
    /** Candidates taken from each component, as a multiple of the audience size. */
    private readonly depth = 4,
  ) {}

  async select(query: AudienceQuery, options: AudienceOptions = {}): Promise<AudienceMember[]> {
    const n = options.n ?? DEFAULT_AUDIENCE_OPTIONS.n;
    const explain = options.explain ?? DEFAULT_AUDIENCE_OPTIONS.explain;
    const acc = new Map<string, { score: number; because: Explanation[] }>();
    for (const { method, weight } of this.components) {
      if (weight === 0) continue;
      const members = await method.select(query, { ...options, n: n * this.depth });
      const top = members.reduce((m, x) => Math.max(m, x.score), 0);
      if (!(top > 0)) continue;
      for (const m of members) {
        const v = (weight * Math.max(0, m.score)) / top;
        const a = acc.get(m.userId);
        if (a) {
          a.score += v;
          if (a.because.length === 0) a.because = m.because;
        } else acc.set(m.userId, { score: v, because: m.because });
      }
    }
    const all = [...acc].map(([userId, a]) => ({
      userId,
      score: a.score,
      because: a.because.slice(0, explain),
    }));
    all.sort((a, b) => b.score - a.score);
    return all.slice(0, n);
  }
}
