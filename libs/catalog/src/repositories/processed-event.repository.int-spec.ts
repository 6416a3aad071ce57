import { describe, expect, it } from '@jest/globals';
import { databasePerFile } from '../../tools/jest-database';
import { ProcessedEventRepository } from './processed-event.repository';

const db = databasePerFile('processed_events');
const processed = new ProcessedEventRepository();
const TOPIC = 'song.released';

describe('ProcessedEventRepository on PostgreSQL', () => {
  it('claims an event id once: a redelivery, alone or in a later batch, gets nothing', async () => {
    const m = db().manager;
    expect(await processed.unclaimed(m, ['e-1', 'e-2'], TOPIC)).toEqual(new Set(['e-1', 'e-2']));
    expect(await processed.unclaimed(m, ['e-1', 'e-2'], TOPIC)).toEqual(new Set());
    expect(await processed.unclaimed(m, ['e-2', 'e-3', 'e-3'], TOPIC)).toEqual(new Set(['e-3']));
    expect(await processed.unclaimed(m, [], TOPIC)).toEqual(new Set());
  });

  it('a claim rolled back with its transaction is free again, so a failed write is retried, not skipped', async () => {
    await expect(
      db().transaction(async (m) => {
        expect(await processed.unclaimed(m, ['e-1'], TOPIC)).toEqual(new Set(['e-1']));
        throw new Error('database write failed');
      }),
    ).rejects.toThrow('database write failed');
    expect(await processed.unclaimed(db().manager, ['e-1'], TOPIC)).toEqual(new Set(['e-1']));
  });

  it('two consumers claiming the same event at once: exactly one gets it', async () => {
    const first = db().createQueryRunner();
    const second = db().createQueryRunner();
    try {
      await first.startTransaction();
      await second.startTransaction();
      const a = await processed.unclaimed(first.manager, ['e-1', 'e-2'], TOPIC);
      // The second claim waits on the first transaction's uncommitted rows.
      const pending = processed.unclaimed(second.manager, ['e-2', 'e-3'], TOPIC);
      await first.commitTransaction();
      const b = await pending;
      await second.commitTransaction();
      expect(a).toEqual(new Set(['e-1', 'e-2']));
      expect(b).toEqual(new Set(['e-3']));
    } finally {
      await first.release();
      await second.release();
    }
  });
});
