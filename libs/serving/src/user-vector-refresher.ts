import { Log } from '@debut/config';
import type { EmbeddingRepository, InteractionRepository, SongRepository } from '@debut/catalog';
import type { InterestModel } from './model-runtime';
import { songContent } from './song-content';

export const HISTORY_LENGTH = 50;

/** Which DSSM the vectors are for: the running one (worker) or the one being activated (trainer). */
export type DssmTarget = () => { version: string; model: InterestModel } | null;

/**
 * Recomputes DSSM user and boundary vectors of users whose history changed, in batches rather
 * than per play. The stale flag is cleared before computing, so a play that lands meanwhile
 * marks the user again and is picked up by the next round.
 */
export class UserVectorRefresher {
  private readonly log = new Log('user-vectors');

  constructor(
    private readonly target: DssmTarget,
    private readonly interactions: InteractionRepository,
    private readonly songs: SongRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly batchSize = 500,
  ) {}

  /** One round; returns the number of users refreshed. */
  async refreshOnce(): Promise<number> {
    const dssm = this.target();
    if (!dssm) return 0;
    const users = await this.interactions.staleUsers(this.batchSize);
    if (!users.length) return 0;
    await this.interactions.clearStale(users);
    try {
      await this.refresh(dssm, users);
      return users.length;
    } catch (e) {
      await this.interactions.markUsersStale(users);
      throw e;
    }
  }

  /** Computes and stores the vectors of these users from their recent histories. */
  async refresh(dssm: { version: string; model: InterestModel }, users: string[]): Promise<number> {
    const histories = await this.interactions.recentHistories(users, HISTORY_LENGTH);
    const songIds = [...new Set([...histories.values()].flat())];
    const byId = new Map((await this.songs.findByIds(songIds)).map((s) => [s.id, songContent(s)]));
    const withHistory = users.filter((u) => (histories.get(u) ?? []).length > 0);
    if (!withHistory.length) return 0;
    const { users: u, boundaries: b } = dssm.model.embedUsers(
      withHistory.map((id) => histories.get(id)!.flatMap((s) => (byId.has(s) ? [byId.get(s)!] : []))),
    );
    await this.embeddings.upsertUserVectors(dssm.version, withHistory, u, b, dssm.model.dim);
    this.log.debug('user vectors refreshed', { version: dssm.version, users: withHistory.length });
    return withHistory.length;
  }

  /** Drains all stale users (after activation, imports and in tests). */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.refreshOnce(); n > 0; n = await this.refreshOnce()) total += n;
    return total;
  }
}
