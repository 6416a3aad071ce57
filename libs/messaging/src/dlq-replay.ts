import { DLQ_HEADERS } from './dlq';
import { errorMessage } from './logger';
import type { EventPublisher } from './publisher';

/** Header on a replayed record: the dead letter it came from. */
export const REPLAY_HEADER = 'x-dlq-replay-of';

/** A stored dead letter as replay reads it (a `dead_letters` row with its bytes). */
export interface ReplayableLetter {
  id: string;
  topic: string;
  size: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** What replay needs of the dead-letter store (DeadLetterRepository). */
export interface ReplaySource {
  forReplay(ids: string[] | 'pending'): Promise<ReplayableLetter[]>;
  markReplayed(ids: string[]): Promise<void>;
}

export interface ReplayOutcome {
  id: string;
  topic: string;
  size: number;
  replayed: boolean;
  /** Why it could not be published (it stays pending). */
  error?: string;
}

/** The record to publish again: original key, bytes and headers, without the dead-letter marks. */
export function replayRecord(row: Pick<ReplayableLetter, 'id' | 'key' | 'value' | 'headers'>) {
  const dlqNames = new Set<string>(Object.values(DLQ_HEADERS));
  const headers = Object.fromEntries(Object.entries(row.headers).filter(([k]) => !dlqNames.has(k)));
  return {
    key: row.key === null ? null : row.key.toString('utf8'),
    value: row.value,
    headers: { ...headers, [REPLAY_HEADER]: row.id },
  };
}

/**
 * Publishes stored dead letters again to the topic they came from (after a fix: a new model
 * schema, a corrected producer), one acknowledged record at a time, and marks each one replayed
 * once the broker has it. `'pending'`: every one not replayed yet. A letter that cannot be
 * published stays pending and is reported with its error; the others go on.
 * `trainer dlq replay` and the api's admin endpoint both run this.
 */
export async function replayDeadLetters(
  store: ReplaySource,
  publisher: Pick<EventPublisher, 'publishRaw'>,
  ids: string[] | 'pending',
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  for (const row of await store.forReplay(ids)) {
    const outcome = { id: row.id, topic: row.topic, size: row.size };
    try {
      await publisher.publishRaw(row.topic, [replayRecord(row)]);
      await store.markReplayed([row.id]);
      outcomes.push({ ...outcome, replayed: true });
    } catch (e) {
      outcomes.push({ ...outcome, replayed: false, error: errorMessage(e) });
    }
  }
  return outcomes;
}
