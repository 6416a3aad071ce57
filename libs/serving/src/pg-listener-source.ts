import type { ListenerLists, ListenerSource, ListenerWeight } from '@debut/audience';
import type { InteractionRepository } from '@debut/catalog';

/**
 * Listener signals from PostgreSQL: favourites > completions > plays through the stored
 * interaction weights, decayed by age (half-life in days). log1p keeps a binge listener from
 * drowning everyone else in the aggregate.
 */
export class PgListenerSource implements ListenerSource {
  constructor(
    private readonly interactions: InteractionRepository,
    private readonly halfLifeDays = 90,
  ) {}

  async listenersOf(songIds: readonly string[]): Promise<ListenerLists> {
    const rows = await this.interactions.listenerSignals([...songIds], this.halfLifeDays);
    const out = new Map<string, ListenerWeight[]>();
    for (const r of rows) {
      let list = out.get(r.songId);
      if (!list) out.set(r.songId, (list = []));
      list.push({ userId: r.userId, weight: Math.log1p(r.signal) });
    }
    return out;
  }
}
