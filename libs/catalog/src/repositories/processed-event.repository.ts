import { EntityManager } from 'typeorm';

/** Idempotency ledger: an event id is claimed inside the transaction that applies its effects. */
export class ProcessedEventRepository {
  /** Of these ids, the ones not yet processed (batch consumers filter before writing). */
  async unclaimed(manager: EntityManager, eventIds: string[], topic: string): Promise<Set<string>> {
    if (!eventIds.length) return new Set();
    const rows: Array<{ event_id: string }> = await manager.query(
      `INSERT INTO processed_events (event_id, topic) SELECT unnest($1::text[]), $2
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [eventIds, topic],
    );
    return new Set(rows.map((r) => r.event_id));
  }
}
