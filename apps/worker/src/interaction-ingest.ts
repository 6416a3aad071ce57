import { Log } from '@debut/config';
import { InteractionRepository, NewInteraction, SongRepository } from '@debut/catalog';
import { INTERACTION_WEIGHTS, validateUserInteraction } from '@debut/features';
import type { BatchReject, ConsumedMessage } from '@debut/messaging';

/**
 * user.interaction in batches: validate, drop events for unknown songs into the DLQ, insert
 * (duplicate event ids are ignored by the unique index, so redelivery is harmless), mark the
 * users' DSSM vectors stale (refreshed in batches by UserVectorRefresher), refresh the songs'
 * listener counts and graduate cold songs that reached the threshold to the warm pool.
 */
export class InteractionIngest {
  private readonly log = new Log('interaction-ingest');

  constructor(
    private readonly interactions: InteractionRepository,
    private readonly songs: SongRepository,
    private readonly graduateAfterListeners: number,
  ) {}

  async handleBatch(messages: ConsumedMessage[]): Promise<BatchReject[]> {
    const rejects: BatchReject[] = [];
    const valid: Array<{ message: ConsumedMessage; row: NewInteraction }> = [];
    for (const message of messages) {
      const checked = validateUserInteraction(message.json);
      if (!checked.ok) {
        rejects.push({ message, reason: checked.reason });
        continue;
      }
      const e = checked.value;
      valid.push({
        message,
        row: {
          eventId: e.eventId,
          userId: e.userId,
          songId: e.songId,
          kind: e.kind,
          weight: INTERACTION_WEIGHTS[e.kind],
          occurredAt: new Date(e.occurredAt),
        },
      });
    }
    const known = await this.songs.existingIds([...new Set(valid.map((v) => v.row.songId))]);
    const rows: NewInteraction[] = [];
    for (const v of valid) {
      if (known.has(v.row.songId)) rows.push(v.row);
      else rejects.push({ message: v.message, reason: `songId: unknown song ${v.row.songId}` });
    }
    if (rows.length) {
      await this.interactions.insertMany(rows);
      await this.interactions.markUsersStale([...new Set(rows.map((r) => r.userId))]);
      const graduated = await this.songs.refreshListenerCounts(
        [...new Set(rows.map((r) => r.songId))],
        this.graduateAfterListeners,
      );
      if (graduated.length) {
        await this.songs.setPool(graduated, 'warm');
        this.log.info('songs graduated to the warm pool', { songs: graduated });
      }
    }
    return rejects;
  }
}
