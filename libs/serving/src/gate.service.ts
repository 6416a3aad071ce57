import { InterestBoundary, noHistoryDecisions, type GateDecision } from '@debut/audience';
import type { EmbeddingRepository, InteractionRepository } from '@debut/catalog';
import { BoundedCache } from './bounded-cache';
import { ColdPlays } from './cold-plays';
import type { DssmVectors } from './dssm-vectors';
import {
  ModelRuntime,
  requireActive,
  type ActiveDssm,
  type InterestModel,
  type ServingState,
} from './model-runtime';
import { interleaveDecisions, mixedMemory, type Memory, type NextMemoryConfig } from './next-memory';
import { UserVectorRefresher } from './user-vector-refresher';

export class UnknownEntityError extends Error {
  constructor(
    readonly entity: 'user' | 'song' | 'audience',
    readonly ids: string[],
  ) {
    super(
      entity === 'audience'
        ? `no audience selected yet for song ${ids[0]}`
        : `unknown ${entity}${ids.length > 1 ? 's' : ''}: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}`,
    );
    this.name = 'UnknownEntityError';
  }
}

/** Where each song's held item vector starts, in order, or null when one is not held (one lookup each). */
function heldOffsets(held: DssmVectors, songIds: string[]): Int32Array | null {
  const offsets = new Int32Array(songIds.length);
  for (let i = 0; i < songIds.length; i++) {
    const at = held.songs.offsetOf(songIds[i]);
    if (at < 0) return null;
    offsets[i] = at;
  }
  return offsets;
}

export interface GateAnswer {
  userId: string;
  modelVersion: string;
  /** `no-history`: the user has no plays yet, so every cold song is refused (documented rule). */
  basis: 'model' | 'no-history';
  decisions: GateDecision[];
  /** Present when the request named a time. */
  context?: GateContext;
}

/** The calendar context a request was gated in (STARS context offsets, libs/models context-offsets.ts). */
export interface GateContext {
  /** The request's `at`, normalised to ISO 8601 UTC. */
  at: string;
  /** Its calendar month in UTC, 1–12: the bucket whose learned offset was added to the user vector. */
  month: number;
  /** False when the active DSSM was trained without context offsets (the answer is then as without `at`). */
  applied: boolean;
}

function contextOf(model: InterestModel, at: Date | undefined): GateContext | undefined {
  return at && { at: at.toISOString(), month: at.getUTCMonth() + 1, applied: model.userAt !== undefined };
}

function answerOf(
  userId: string,
  modelVersion: string,
  context: GateContext | undefined,
  basis: GateAnswer['basis'],
  decisions: GateDecision[],
): GateAnswer {
  return { userId, modelVersion, basis, decisions, ...(context ? { context } : {}) };
}

/** A memory as the gate sees it at time `at`: u + o_month(at) when the model has offsets, b unchanged. */
function atTime(model: InterestModel, m: Memory, at: Date | undefined): Memory {
  return at && model.userAt ? { user: model.userAt(m.user, at), boundary: m.boundary } : m;
}

const USER_TTL_MS = 30_000;
/** Item vectors change only on a re-release, which the pool change feed reports; the TTL is a backstop. */
const ITEM_TTL_MS = 10 * 60_000;
const MAX_USERS = 50_000;
const MAX_ITEMS = 200_000;

/** The caches of one DSSM version: a request writes only into the caches of the version it runs on. */
class VersionCaches {
  readonly items = new BoundedCache<string, Float32Array>(MAX_ITEMS, ITEM_TTL_MS);
  readonly users = new BoundedCache<string, InterestBoundary | null>(MAX_USERS, USER_TTL_MS);
  /** Bumped on every eviction, so a read that raced with a change does not cache what it read. */
  epoch = 0;
  constructor(readonly version: string) {}
}

/**
 * Per-user cold gating (U2I): u·i against u·b with the active DSSM. Each request runs on the one
 * DSSM version it started with. In the api that version's song and user vectors are in memory
 * (DssmVectors, following the commit-safe change feeds), so a known user with computed vectors is
 * gated without a query. The rest — a user the worker has not refreshed yet, one without history,
 * an unknown id, a song released since the last poll — goes to PostgreSQL, and what it finds is
 * cached per version: item vectors are evicted when the change feed reports a song's vector
 * changed; user vectors briefly, since the worker refreshes them in batches.
 */
export class GateService {
  private caches: VersionCaches | null = null;
  private readonly refresher: UserVectorRefresher;
  /** Played cold songs per user, held where the DSSM vectors are held (the api). */
  private readonly coldPlays: ColdPlays;

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly embeddings: EmbeddingRepository,
    private readonly interactions: InteractionRepository,
    /** Dual memory (DSSM_NEXT_MIX, DSSM_NEXT_RECENT); λ = 0 serves h_gen only, as before. */
    private readonly nextMemory: NextMemoryConfig & { recent?: number } = { mix: 0 },
  ) {
    this.refresher = new UserVectorRefresher(
      () => runtime.dssm,
      interactions,
      embeddings,
      undefined,
      nextMemory.recent,
    );
    this.coldPlays = new ColdPlays(interactions);
    const loadColdPlays = (state: ServingState) => {
      if (state.dssm?.vectors) void this.coldPlays.ensureLoaded().catch(() => undefined);
    };
    loadColdPlays(runtime.state);
    runtime.onSwitch(loadColdPlays);
    runtime.onUserVectors((_version, userIds) => {
      const step = this.coldPlays.loaded ? this.coldPlays.refresh(userIds) : this.coldPlays.ensureLoaded();
      void step.catch(() => undefined); // logged by ColdPlays; the database answers meanwhile
    });
    runtime.onChanges((version, songIds) => {
      const c = this.caches;
      if (c?.version !== version) return;
      for (const id of songIds) c.items.delete(id);
      c.epoch++;
    });
  }

  /** Cached entries (for metrics). */
  cacheSizes(): { items: number; users: number } {
    return { items: this.caches?.items.size ?? 0, users: this.caches?.users.size ?? 0 };
  }

  /** `at`: gate as of this time (the month's context offset, when the model has one). */
  async gate(userId: string, songIds: string[], at?: Date): Promise<GateAnswer> {
    const dssm = requireActive(this.runtime.state, 'dssm');
    const caches = this.cachesFor(dssm.version);
    const { version } = dssm;
    const context = contextOf(dssm.model, at);
    const answer = (basis: GateAnswer['basis'], decisions: GateDecision[]) =>
      answerOf(userId, version, context, basis, decisions);
    const held = dssm.vectors;
    const interest = held && this.heldInterest(held, userId);
    const offsets = interest && heldOffsets(held, songIds);
    if (interest && offsets) {
      // The fast path, synchronous from here: no await between reading the rows and using them.
      const boundary = new InterestBoundary(atTime(dssm.model, interest, at), dssm.model.gateOffset ?? 0);
      return answer('model', boundary.gateAt(songIds, held.songs.matrix, offsets));
    }
    const unique = [...new Set(songIds)];
    const [stored, items] = await Promise.all([
      this.interestOf(dssm, caches, userId),
      this.itemVectors(dssm, caches, unique),
    ]);
    const unknown = unique.filter((id) => !items.has(id));
    if (unknown.length) throw new UnknownEntityError('song', unknown);
    if (!stored) return answer('no-history', noHistoryDecisions(songIds));
    const boundary = context?.applied
      ? new InterestBoundary(atTime(dssm.model, stored.interest, at), dssm.model.gateOffset ?? 0)
      : stored;
    const dim = boundary.interest.user.length;
    const packed = new Float32Array(songIds.length * dim);
    songIds.forEach((id, i) => packed.set(items.get(id)!, i * dim));
    return answer('model', boundary.gate(songIds, packed));
  }

  /** Cold songs above the user's boundary, best first; `at` as for gate(). */
  async coldRecommendations(userId: string, limit: number, at?: Date): Promise<GateAnswer> {
    const dssm = requireActive(this.runtime.state, 'dssm');
    const { version, cold } = dssm;
    const context = contextOf(dssm.model, at);

    const offset = dssm.model.gateOffset ?? 0;
    // With λ > 0 each memory ranks on its own boundary and the two lists interleave (STARS).
    const memories: { gen: Memory; next?: Memory } | null =
      this.nextMemory.mix > 0
        ? (dssm.vectors?.mix === this.nextMemory.mix && dssm.vectors.memories(userId)) ||
          (await this.memoriesOf(dssm, userId))
        : await this.interestOf(dssm, this.cachesFor(version), userId).then((b) => b && { gen: b.interest });
    if (!memories) return answerOf(userId, version, context, 'no-history', []);
    const exclude =
      (dssm.vectors && this.coldPlays.of(userId)) ||
      new Set((await this.interactions.recentHistories([userId], 10_000)).get(userId));
    const lists = [memories.gen, ...(memories.next ? [memories.next] : [])].map((memory) => {
      // The cold pool is searched with the shifted user too: the context changes the ranking, not only the cut.
      const m = atTime(dssm.model, memory, at);
      const boundary = new InterestBoundary(m, offset);
      const candidates = cold
        .search(m.user, limit, { exclude })
        .map((n) => ({ songId: n.id, score: n.score }));
      return boundary.above(candidates, limit);
    });
    return answerOf(userId, version, context, 'model', interleaveDecisions(lists, limit));
  }

  /**
   * The user the gate uses, from the held tables (h_gen, or with λ > 0 the mix they hold);
   * undefined when the worker has not computed the user yet, or the tables were mixed with
   * another λ than this service's (then the stored rows answer).
   */
  private heldInterest(held: DssmVectors, userId: string): Memory | undefined {
    return held.mix === this.nextMemory.mix ? held.gateUser(userId) : undefined;
  }

  /** The caches of the version a request starts on; a switch drops the previous version's. */
  private cachesFor(version: string): VersionCaches {
    if (this.caches?.version !== version) this.caches = new VersionCaches(version);
    return this.caches;
  }

  /** The user's boundary; null when the user exists but has no history; throws for unknown users. */
  private async interestOf(
    dssm: ActiveDssm,
    caches: VersionCaches,
    userId: string,
  ): Promise<InterestBoundary | null> {
    const offset = dssm.model.gateOffset ?? 0;
    const mix = this.nextMemory.mix;
    const held = dssm.vectors && this.heldInterest(dssm.vectors, userId);
    if (held) return new InterestBoundary(held, offset);
    const cached = caches.users.get(userId);
    if (cached !== undefined) return cached;
    const m = await this.memoriesOf(dssm, userId);
    const boundary = m && new InterestBoundary(mixedMemory(m.gen, m.next, mix), offset);
    caches.users.set(userId, boundary);
    return boundary;
  }

  /**
   * The user's h_gen and (when stored or computable) h_next from PostgreSQL; null when the user
   * exists but has no history; throws for unknown users.
   */
  private async memoriesOf(dssm: ActiveDssm, userId: string): Promise<{ gen: Memory; next?: Memory } | null> {
    const stored = (await this.embeddings.userVectors(dssm.version, [userId])).get(userId);
    if (stored) return { gen: { user: stored.user, boundary: stored.boundary }, next: stored.next };
    // Not refreshed yet (new user, or a new version): computed on the spot, as the refresher does.
    const v = await this.refresher.compute(dssm, [userId]);
    if (v.ids.length)
      return {
        gen: { user: v.users, boundary: v.boundaries },
        next: { user: v.next.users, boundary: v.next.boundaries },
      };
    if (!(await this.interactions.userExists(userId))) throw new UnknownEntityError('user', [userId]);
    return null;
  }

  /**
   * The gate's verdict on one song for many users, so an audience can be shown beside what the
   * cold gate would do with it: true/false per user, null for a user whose vectors the worker
   * has not computed yet. Null as a whole when no DSSM is active or the song has no vector in it.
   */
  async verdicts(songId: string, userIds: string[]): Promise<Map<string, boolean | null> | null> {
    const dssm = this.runtime.state.dssm;
    if (!dssm) return null;
    const held = dssm.vectors;
    const item =
      held?.songs.get(songId) ??
      (await this.itemVectors(dssm, this.cachesFor(dssm.version), [songId])).get(songId);
    if (!item) return null;
    const stored = held
      ? new Map(
          userIds.flatMap((u) => {
            const v = held.user(u);
            return v ? [[u, v] as const] : [];
          }),
        )
      : await this.embeddings.userVectors(dssm.version, userIds);
    const offset = dssm.model.gateOffset ?? 0;
    return new Map(
      userIds.map((u) => {
        const s = stored.get(u);
        return [u, s ? new InterestBoundary(s, offset).gate([songId], item)[0].pass : null];
      }),
    );
  }

  private async itemVectors(
    dssm: ActiveDssm,
    caches: VersionCaches,
    songIds: string[],
  ): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const missing: string[] = [];
    const held = dssm.vectors?.songs;
    for (const id of songIds) {
      // A copy of a held row: this path awaits, and a row can be rewritten in place meanwhile.
      const heldRow = held?.get(id);
      const v = heldRow ? Float32Array.from(heldRow) : caches.items.get(id);
      if (v) out.set(id, v);
      else missing.push(id);
    }
    if (missing.length) {
      const epoch = caches.epoch;
      const found = await this.embeddings.songVectorsFor(dssm.version, missing);
      for (const [id, v] of found) {
        out.set(id, v);
        if (caches.epoch === epoch) caches.items.set(id, v);
      }
    }
    return out;
  }
}
