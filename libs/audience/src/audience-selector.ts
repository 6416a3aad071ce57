/**
 * I2I2U audience selection (DESIGN.md §3), pure domain logic: the new song's top-k warm
 * neighbours (with similarity) → the users with strong signals on them → aggregated per user as
 * Σ similarity × signal weight (positive similarities only) → users who already have the song
 * excluded → top-N, each with the neighbour songs that contributed most to their score.
 *
 * Storage is behind `ListenerSource`: the benchmark uses an in-memory source built from
 * training interactions, the service one backed by PostgreSQL. Signal weights (favourites >
 * completions > plays, age decay, per-user normalisation) are the source's business.
 */

export interface Neighbour {
  songId: string;
  similarity: number;
}

export interface ListenerWeight {
  userId: string;
  weight: number;
}

export type ListenerLists = ReadonlyMap<string, readonly ListenerWeight[]>;

export interface ListenerSource {
  /** Listeners with signal weights for each requested song (songs without listeners may be absent). */
  listenersOf(songIds: readonly string[]): ListenerLists | Promise<ListenerLists>;
}

export interface AudienceOptions {
  /** Neighbours used (top-k by similarity). Default 50. */
  k?: number;
  /** Audience size. Default 100. */
  n?: number;
  /** Explaining neighbours kept per user. Default 3. */
  explain?: number;
  /** Users never to return (e.g. they already have the song). */
  exclude?: ReadonlySet<string> | ((userId: string) => boolean);
}

export interface Explanation {
  songId: string;
  /** similarity × weight contributed by this neighbour. */
  contribution: number;
}

export interface AudienceMember {
  userId: string;
  score: number;
  because: Explanation[];
  /** Chosen for exploration, outside the song's nearest audience (audience-rules.ts). */
  explore?: boolean;
}

/**
 * The one listener-weight definition: a listener's I2I2U weight on a song is log1p of their
 * signal on it (Σ stored interaction weight × age decay), so a binge listener does not drown
 * everyone else. The benchmark's weights (libs/evaluation `listenerWeights`) are imported as the
 * signal that maps back to them (`signalForWeight`), so a freshly imported catalogue serves
 * exactly the audience the benchmark scored.
 */
export function listenerWeightOf(signal: number): number {
  return Math.log1p(signal);
}

/** The inverse of listenerWeightOf: the signal to store for a wanted listener weight. */
export function signalForWeight(weight: number): number {
  return Math.expm1(weight);
}

export const DEFAULT_AUDIENCE_OPTIONS = { k: 50, n: 100, explain: 3 } as const;

interface Acc {
  userId: string;
  score: number;
  /** Contributions in neighbour order, [songIndex, contribution] pairs, flattened. */
  contrib: number[];
}

export class AudienceSelector {
  constructor(
    private readonly source: ListenerSource,
    private readonly defaults: AudienceOptions = {},
  ) {}

  /** Fetches the neighbours' listeners from the source and aggregates them. */
  async select(neighbours: readonly Neighbour[], options: AudienceOptions = {}): Promise<AudienceMember[]> {
    const opts = { ...this.defaults, ...options };
    const used = topNeighbours(neighbours, opts.k ?? DEFAULT_AUDIENCE_OPTIONS.k);
    if (used.length === 0) return [];
    const lists = await this.source.listenersOf(used.map((n) => n.songId));
    return aggregateAudience(used, lists, opts);
  }
}

/** The top-k neighbours with positive similarity, best first (stable for ties). */
export function topNeighbours(neighbours: readonly Neighbour[], k: number): Neighbour[] {
  const pos = neighbours.filter((n) => n.similarity > 0 && Number.isFinite(n.similarity));
  pos.sort((a, b) => b.similarity - a.similarity);
  return pos.length > k ? pos.slice(0, k) : pos;
}

/**
 * The aggregation itself, synchronous, for callers that already hold the listener lists.
 * Ties in score keep first-seen order (neighbour order, then listener order), so results are
 * deterministic.
 */
export function aggregateAudience(
  neighbours: readonly Neighbour[],
  lists: ListenerLists,
  options: AudienceOptions = {},
): AudienceMember[] {
  const k = options.k ?? DEFAULT_AUDIENCE_OPTIONS.k;
  const n = options.n ?? DEFAULT_AUDIENCE_OPTIONS.n;
  const explain = options.explain ?? DEFAULT_AUDIENCE_OPTIONS.explain;
  const ex = options.exclude;
  const excluded: (u: string) => boolean =
    ex === undefined ? () => false : typeof ex === 'function' ? ex : (u) => ex.has(u);
  const used = topNeighbours(neighbours, k);
  const acc = new Map<string, Acc>();
  for (let s = 0; s < used.length; s++) {
    const { songId, similarity } = used[s];
    const listeners = lists.get(songId);
    if (!listeners) continue;
    for (const { userId, weight } of listeners) {
      if (!(weight > 0)) continue;
      const c = similarity * weight;
      let a = acc.get(userId);
      if (!a) {
        if (excluded(userId)) continue;
        acc.set(userId, (a = { userId, score: 0, contrib: [] }));
      }
      a.score += c;
      if (explain > 0) a.contrib.push(s, c);
    }
  }
  const all = [...acc.values()];
  all.sort((a, b) => b.score - a.score);
  const top = all.length > n ? all.slice(0, n) : all;
  return top.map((a) => ({
    userId: a.userId,
    score: a.score,
    because: explanations(a.contrib, used, explain),
  }));
}

function explanations(contrib: number[], used: readonly Neighbour[], explain: number): Explanation[] {
  if (explain <= 0) return [];
  const pairs: Explanation[] = [];
  for (let i = 0; i < contrib.length; i += 2)
    pairs.push({ songId: used[contrib[i]].songId, contribution: contrib[i + 1] });
  pairs.sort((a, b) => b.contribution - a.contribution);
  return pairs.length > explain ? pairs.slice(0, explain) : pairs;
}

/** A ListenerSource over an in-memory song → listeners map (benchmarks, tests, small deployments). */
export class InMemoryListenerSource implements ListenerSource {
  private readonly bySong = new Map<string, ListenerWeight[]>();

  /** Adds (or accumulates) a weight for a listener of a song. */
  add(songId: string, userId: string, weight: number): this {
    let l = this.bySong.get(songId);
    if (!l) this.bySong.set(songId, (l = []));
    const existing = l.find((x) => x.userId === userId);
    if (existing) existing.weight += weight;
    else l.push({ userId, weight });
    return this;
  }

  /** Replaces a song's listener list wholesale (fast bulk load; no duplicate check). */
  set(songId: string, listeners: ListenerWeight[]): this {
    this.bySong.set(songId, listeners);
    return this;
  }

  listenersOf(songIds: readonly string[]): ListenerLists {
    const out = new Map<string, readonly ListenerWeight[]>();
    for (const id of songIds) {
      const l = this.bySong.get(id);
      if (l) out.set(id, l);
    }
    return out;
  }

  songs(): IterableIterator<string> {
    return this.bySong.keys();
  }

  listeners(songId: string): readonly ListenerWeight[] {
    return this.bySong.get(songId) ?? [];
  }
}
