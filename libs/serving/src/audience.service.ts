import {
  aggregateAudience,
  selectBudgeted,
  topNeighbours,
  type AudienceMember,
  type Neighbour,
} from '@debut/audience';
import { Log, type DebutConfig } from '@debut/config';
import type { AudienceEntity, EmbeddingRepository, InteractionRepository } from '@debut/catalog';
import type { SongContent } from '@debut/features';
import { CachedListenerSource } from './listener-cache';
import { ModelRuntime, requireActive } from './model-runtime';
import { PgListenerSource } from './pg-listener-source';
import { AudienceMethods, type ServedMethod } from './audience-methods';
import {
  type AudienceRequest,
  type ReleaseRules,
  type RuleOutcome,
  type RuleRepositories,
  releaseRequest,
  ruleFacts,
} from './audience-request';

export interface SelectedAudience {
  songId: string;
  modelVersion: string;
  /** The song's vector under that I2I version (stored with the song). */
  vector: Float32Array;
  neighbours: Neighbour[];
  members: AudienceMember[];
  /** The audience method that selected the members (AUDIENCE_METHOD, resolved). */
  method: ServedMethod;
  /** The song's semantic ID under that version (null: the version has no codebook). */
  sid: string | null;
  /** Present when the audience rules chose the members (a release's rules, or a request's). */
  rules?: RuleOutcome;
}

/** A song ready to rank: neighbours found, listener lists read, method resolved. */
interface Prepared {
  songId: string;
  vector: Float32Array;
  sid: string | null;
  neighbours: Neighbour[];
  /** Users who already have the song. */
  have: Set<string>;
  /** The best `n` users by the served method, `exclude` skipped, with explanations. */
  rank(n: number, exclude?: ReadonlySet<string>): Promise<AudienceMember[]>;
}

export interface SongToSelect {
  songId: string;
  content: SongContent;
  /** The release's rules (availability, explicit, budget); absent = none. */
  release?: ReleaseRules;
}

/**
 * I2I2U for new songs: encode → warm neighbours (FAISS) → the AudienceSelector's aggregation
 * over stored plays. Batched: one forward pass, one FAISS batch search and one listener read
 * for all the songs of a batch of releases.
 */
export class AudienceService {
  readonly listeners: CachedListenerSource;
  readonly methods: AudienceMethods;
  private readonly log = new Log('audience');

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly interactions: InteractionRepository,
    private readonly options: DebutConfig['audience'],
    embeddings?: EmbeddingRepository,
    /** What the audience rules read; without it only rule-free selections run. */
    private readonly ruleRepos?: RuleRepositories,
  ) {
    this.listeners = new CachedListenerSource(new PgListenerSource(interactions));
    this.methods = new AudienceMethods(runtime, options.method ?? 'auto', embeddings);
  }

  async select(songId: string, content: SongContent, release?: ReleaseRules): Promise<SelectedAudience> {
    return (await this.selectMany([{ songId, content, release }]))[0];
  }

  /**
   * Audiences for a batch of songs. A song whose release carries rules or a budget (or when an
   * exploration share is configured) goes through the audience rules (selectRequested);
   * the others take the method's top AUDIENCE_SIZE, users who have the song excluded.
   */
  async selectMany(songs: SongToSelect[]): Promise<SelectedAudience[]> {
    if (!songs.length) return [];
    // One request, one set of versions, even if a switch lands while it awaits the database.
    const state = this.runtime.state;
    const { version } = requireActive(state, 'i2i');
    const method = this.methods.resolve(state);
    const prepared = await this.prepare(songs, state, method);
    const t0 = performance.now();
    const out: SelectedAudience[] = [];
    for (let i = 0; i < songs.length; i++) {
      const p = prepared[i];
      const request = songs[i].release ? releaseRequest(songs[i].release!, this.options) : null;
      const base = {
        songId: p.songId,
        modelVersion: version,
        vector: p.vector,
        sid: p.sid,
        neighbours: p.neighbours,
        method,
      };
      if (request) out.push({ ...base, ...(await this.underRules(p, request)) });
      else out.push({ ...base, members: await p.rank(this.options.size, p.have) });
    }
    this.log.debug('ranked', { songs: songs.length, rankMs: Math.round(performance.now() - t0) });
    return out;
  }

  /**
   * A fresh audience for one song under `request` (the api's audience with limit/region/
   * excludeExposed): the rules run after retrieval, with over-fetch (libs/audience audience-rules).
   */
  async selectRequested(
    songId: string,
    content: SongContent,
    request: AudienceRequest,
  ): Promise<SelectedAudience> {
    const state = this.runtime.state;
    const { version } = requireActive(state, 'i2i');
    const method = this.methods.resolve(state);
    const [p] = await this.prepare([{ songId, content }], state, method);
    return {
      songId,
      modelVersion: version,
      vector: p.vector,
      sid: p.sid,
      neighbours: p.neighbours,
      method,
      ...(await this.underRules(p, request)),
    };
  }

  private async underRules(
    p: Prepared,
    request: AudienceRequest,
  ): Promise<{ members: AudienceMember[]; rules: RuleOutcome }> {
    if (!this.ruleRepos) throw new Error('audience rules need the user and exposure repositories');
    const repos = this.ruleRepos;
    const got = await selectBudgeted(
      (n) => p.rank(n),
      async (n) =>
        (await repos.users.shuffled(p.songId, n)).map((userId) => ({ userId, score: 0, because: [] })),
      request.size,
      request.explorationShare,
      request.rules,
      ruleFacts(repos, p.songId, p.have),
      this.options.overFetch,
    );
    return {
      members: got.members,
      rules: {
        requested: request.size,
        filtered: got.filtered,
        sizeMet: got.sizeMet,
        exhausted: got.exhausted,
        explored: got.explored,
      },
    };
  }

  /** One forward pass, one FAISS batch search and one listener read for the whole batch. */
  private async prepare(
    songs: ReadonlyArray<{ songId: string; content: SongContent }>,
    state: ModelRuntime['state'],
    method: ServedMethod,
  ): Promise<Prepared[]> {
    const { encoder, warm } = requireActive(state, 'i2i');
    const k = this.options.neighbours;
    const t0 = performance.now();
    const vectors = encoder.embed(songs.map((s) => s.content));
    const sids = encoder.sids?.encode(vectors) ?? null;
    const dim = encoder.dim;
    const t1 = performance.now();
    const found = warm.searchBatch(vectors, k + 1);
    const t2 = performance.now();
    const neighbours = found.map((hits, i) =>
      topNeighbours(
        hits.filter((h) => h.id !== songs[i].songId).map((h) => ({ songId: h.id, similarity: h.score })),
        k,
      ),
    );
    const [lists, have] = await Promise.all([
      this.listeners.listenersOf([...new Set(neighbours.flat().map((n) => n.songId))]),
      this.interactions.listenersOfMany(songs.map((s) => s.songId)),
    ]);
    const items = this.methods.itemVectors(
      method,
      songs.map((s) => s.content),
      state,
    );
    this.log.debug('prepared', {
      songs: songs.length,
      encodeMs: Math.round(t1 - t0),
      searchMs: Math.round(t2 - t1),
      listenersMs: Math.round(performance.now() - t2),
      listenerCache: { ...this.listeners.lookups, ...this.listeners.size() },
    });
    return songs.map((s, i) => {
      const near = neighbours[i];
      const explain = { k, explain: 3 };
      let because: Map<string, AudienceMember['because']> | undefined;
      const rank = async (n: number, exclude?: ReadonlySet<string>): Promise<AudienceMember[]> => {
        if (method === 'i2i2u') return aggregateAudience(near, lists, { ...explain, n, exclude });
        const chosen = await this.methods.forSong(method, s.content, lists, state, items[i]);
        const members = await chosen.method.select(
          { input: chosen.input, neighbours: near },
          { ...explain, n, exclude },
        );
        // Explanations always come from the neighbours the user listened to, whatever ranked them.
        because ??= new Map(
          aggregateAudience(near, lists, { k, n: Number.MAX_SAFE_INTEGER, explain: 3 }).map((m) => [
            m.userId,
            m.because,
          ]),
        );
        return members.map((m) => ({ ...m, because: because!.get(m.userId) ?? [] }));
      };
      return {
        songId: s.songId,
        vector: vectors.slice(i * dim, (i + 1) * dim),
        sid: sids?.[i] ?? null,
        neighbours: near,
        have: have.get(s.songId) ?? new Set<string>(),
        rank,
      };
    });
  }
}

/**
 * The row stored (and published) for a selected audience; `because` keeps the neighbour ids.
 * `receivedAt`: when the release event reached the worker (null when selected without one).
 */
export function audienceRow(
  selected: SelectedAudience,
  eventId: string | null,
  receivedAt: Date | null = null,
): AudienceEntity {
  return {
    songId: selected.songId,
    modelVersion: selected.modelVersion,
    members: selected.members.map((u) => ({
      userId: u.userId,
      score: u.score,
      because: u.because.map((b) => b.songId),
      ...(u.explore ? { explore: true } : {}),
    })),
    neighbours: selected.neighbours,
    method: selected.method,
    sid: selected.sid,
    eventId,
    selectedAt: new Date(),
    receivedAt,
    publishedAt: null,
  };
}
