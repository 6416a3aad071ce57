import { InterestBoundary, noHistoryDecisions, type GateDecision } from '@debut/audience';
import type { EmbeddingRepository, InteractionRepository } from '@debut/catalog';
import { ModelRuntime } from './model-runtime';
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

export interface GateAnswer {
  userId: string;
  modelVersion: string;
  /** `no-history`: the user has no plays yet, so every cold song is refused (documented rule). */
  basis: 'model' | 'no-history';
  decisions: GateDecision[];
}

const USER_TTL_MS = 30_000;

/**
 * Per-user cold gating (U2I): u·i against u·b with the active DSSM. Item vectors never change
 * within a version, so they are cached for the version's lifetime; user vectors are refreshed
 * in batches by the worker, so they are cached briefly.
 */
export class GateService {
  private itemCache = new Map<string, Float32Array>();
  private userCache = new Map<string, { at: number; boundary: InterestBoundary | null }>();
  private cacheVersion = '';
  private readonly refresher: UserVectorRefresher;

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly embeddings: EmbeddingRepository,
    private readonly interactions: InteractionRepository,
  ) {
    this.refresher = new UserVectorRefresher(() => runtime.dssm, interactions, embeddings);
  }

  async gate(userId: string, songIds: string[]): Promise<GateAnswer> {
    const { version } = this.runtime.require('dssm');
    this.resetOnSwitch(version);
    const unique = [...new Set(songIds)];
    const [boundary, items] = await Promise.all([
      this.interestOf(userId, version),
      this.itemVectors(version, unique),
    ]);
    const unknown = unique.filter((id) => !items.has(id));
    if (unknown.length) throw new UnknownEntityError('song', unknown);
    if (!boundary)
      return { userId, modelVersion: version, basis: 'no-history', decisions: noHistoryDecisions(songIds) };
    const dim = boundary.interest.user.length;
    const packed = new Float32Array(songIds.length * dim);
    songIds.forEach((id, i) => packed.set(items.get(id)!, i * dim));
    return { userId, modelVersion: version, basis: 'model', decisions: boundary.gate(songIds, packed) };
  }

  /** Cold songs above the user's boundary, best first. */
  async coldRecommendations(userId: string, limit: number): Promise<GateAnswer> {
    const { version, cold } = this.runtime.require('dssm');
    this.resetOnSwitch(version);
    const boundary = await this.interestOf(userId, version);
    if (!boundary) return { userId, modelVersion: version, basis: 'no-history', decisions: [] };
    const heard = await this.interactions.recentHistories([userId], 10_000);
    const candidates = cold
      .search(boundary.interest.user, limit, { exclude: new Set(heard.get(userId)) })
      .map((n) => ({ songId: n.id, score: n.score }));
    return { userId, modelVersion: version, basis: 'model', decisions: boundary.above(candidates, limit) };
  }

  private resetOnSwitch(version: string): void {
    if (version === this.cacheVersion) return;
    this.itemCache = new Map();
    this.userCache = new Map();
    this.cacheVersion = version;
  }

  /** The user's boundary; null when the user exists but has no history; throws for unknown users. */
  private async interestOf(userId: string, version: string): Promise<InterestBoundary | null> {
    const cached = this.userCache.get(userId);
    if (cached && Date.now() - cached.at < USER_TTL_MS) return cached.boundary;
    let boundary: InterestBoundary | null = null;
    const offset = this.runtime.require('dssm').model.gateOffset ?? 0;
    const stored = (await this.embeddings.userVectors(version, [userId])).get(userId);
    if (stored) {
      boundary = new InterestBoundary(stored, offset);
    } else {
      // Not refreshed yet (new user, or a new version): computed on the spot, as the refresher does.
      const v = await this.refresher.compute(this.runtime.require('dssm'), [userId]);
      if (v.ids.length) boundary = new InterestBoundary({ user: v.users, boundary: v.boundaries }, offset);
      else if (!(await this.interactions.userExists(userId))) throw new UnknownEntityError('user', [userId]);
    }
    this.userCache.set(userId, { at: Date.now(), boundary });
    return boundary;
  }

  /**
   * The gate's verdict on one song for many users, so an audience can be shown beside what the
   * cold gate would do with it: true/false per user, null for a user whose vectors the worker
   * has not computed yet. Null as a whole when no DSSM is active or the song has no vector in it.
   */
  async verdicts(songId: string, userIds: string[]): Promise<Map<string, boolean | null> | null> {
    const dssm = this.runtime.dssm;
    if (!dssm) return null;
    this.resetOnSwitch(dssm.version);
    const item = (await this.itemVectors(dssm.version, [songId])).get(songId);
    if (!item) return null;
    const stored = await this.embeddings.userVectors(dssm.version, userIds);
    const offset = dssm.model.gateOffset ?? 0;
    return new Map(
      userIds.map((u) => {
        const s = stored.get(u);
        return [u, s ? new InterestBoundary(s, offset).gate([songId], item)[0].pass : null];
      }),
    );
  }

  private async itemVectors(version: string, songIds: string[]): Promise<Map<string, Float32Array>> {
    const missing = songIds.filter((id) => !this.itemCache.has(id));
    if (missing.length) {
      const found = await this.embeddings.songVectorsFor(version, missing);
      for (const [id, v] of found) this.itemCache.set(id, v);
    }
    const out = new Map<string, Float32Array>();
    for (const id of songIds) {
      const v = this.itemCache.get(id);
      if (v) out.set(id, v);
    }
    return out;
  }
}
