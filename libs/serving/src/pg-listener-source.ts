import {
  listenerWeightOf,
  type ListenerLists,
  type ListenerSource,
  type ListenerWeight,
} from '@debut/audience';
import type { InteractionRepository } from '@debut/catalog';

/**
 * Listener signals from PostgreSQL: favourites > completions > plays through the stored
 * interaction weights, decayed by age (half-life in days), turned into listener weights by the
 * one definition the benchmark shares (listenerWeightOf).
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
      list.push({ userId: r.userId, weight: listenerWeightOf(r.signal) });
    }
    return out;
  }
}
