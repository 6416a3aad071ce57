import { Log } from '@debut/config';
import type { EmbeddingRepository, InteractionRepository } from '@debut/catalog';
import type { EntityManager } from 'typeorm';
import { recencyWeights } from '@debut/models';
import type { InterestModel } from './model-runtime';

export const HISTORY_LENGTH = 50;
/** Most recent songs pooled into h_next unless configured (DSSM_NEXT_RECENT). */
export const NEXT_RECENT = 10;

/** A user's h_gen (u, b) and h_next, packed user after user (dim each). */
export interface ComputedUserVectors {
  ids: string[];
  users: Float32Array;
  boundaries: Float32Array;
  next: { users: Float32Array; boundaries: Float32Array };
}

/** Which DSSM the vectors are for: the running one (worker) or the one being activated (trainer). */
export type DssmTarget = () => { version: string; model: InterestModel } | null;

/**
 * Recomputes DSSM user and boundary vectors of users whose history changed, in batches rather
 * than per play. A round claims the longest-waiting stale users, stores their vectors and clears
 * their flags in one transaction (InteractionRepository.refreshStale): a crash loses no flag, a
 * play that lands meanwhile marks the user again after the commit, and rounds never overlap in
 * one process (a call while one runs shares it) nor claim the same users across processes.
 */
export class UserVectorRefresher {
  private readonly log = new Log('user-vectors');
  private running: Promise<number> | null = null;

  constructor(
    private readonly target: DssmTarget,
    private readonly interactions: InteractionRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly batchSize = 500,
    /** Length of the recent part pooled into h_next (halfLife = recent / 2, as in the bench). */
    private readonly nextRecent = NEXT_RECENT,
  ) {}

  /** One round; returns the number of users refreshed. */
  refreshOnce(): Promise<number> {
    this.running ??= this.round().finally(() => (this.running = null));
    return this.running;
  }

  private async round(): Promise<number> {
    const dssm = this.target();
    if (!dssm) return 0;
    const users = await this.interactions.refreshStale(this.batchSize, async (ids, manager) => {
      await this.refresh(dssm, ids, manager);
    });
    return users.length;
  }

  /** Computes and stores the vectors of these users from their recent histories. */
  async refresh(
    dssm: { version: string; model: InterestModel },
    users: string[],
    manager?: EntityManager,
  ): Promise<number> {
    const v = await this.compute(dssm, users);
    if (!v.ids.length) return 0;
    await this.embeddings.upsertUserVectors(
      dssm.version,
      v.ids,
      v.users,
      v.boundaries,
      dssm.model.dim,
      undefined,
      manager,
      v.next,
    );
    this.log.debug('user vectors refreshed', { version: dssm.version, users: v.ids.length });
    return v.ids.length;
  }

  /**
   * (u, b) of the users that have a history, pooled from the DSSM item vectors already stored
   * for their recent songs (every song gets one at activation or release), so a refresh runs
   * only the user and boundary towers, never the item tower again. Also h_next (issue 16): the
   * same towers over the `nextRecent` most recent songs with recency weights (dssm/stars.ts) —
   * recentHistories lists each user's songs by latest play first.
   */
  async compute(
    dssm: { version: string; model: InterestModel },
    users: string[],
  ): Promise<ComputedUserVectors> {
    const histories = await this.interactions.recentHistories(users, HISTORY_LENGTH);
    const vectors = await this.embeddings.songVectorsFor(dssm.version, [
      ...new Set([...histories.values()].flat()),
    ]);
    const d = dssm.model.dim;
    const ids: string[] = [];
    const packed: Float32Array[] = [];
    const recent: Float32Array[] = [];
    const weights: Float32Array[] = [];
    for (const u of users) {
      const rows = (histories.get(u) ?? []).flatMap((s) => vectors.get(s) ?? []);
      if (!rows.length) continue;
      const h = new Float32Array(rows.length * d);
      rows.forEach((r, i) => h.set(r, i * d));
      ids.push(u);
      packed.push(h);
      const k = Math.min(this.nextRecent, rows.length);
      recent.push(h.subarray(0, k * d));
      weights.push(recencyWeights(k, this.nextRecent / 2));
    }
    if (!ids.length) {
      const none = new Float32Array(0);
      return { ids, users: none, boundaries: none, next: { users: none, boundaries: none } };
    }
    const gen = dssm.model.embedUsersFromItemVectors(packed);
    const next = dssm.model.embedUsersFromItemVectors(recent, weights);
    return {
      ids,
      users: gen.users,
      boundaries: gen.boundaries,
      next: { users: next.users, boundaries: next.boundaries },
    };
  }
}
