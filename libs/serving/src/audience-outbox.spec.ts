import { expect } from '@jest/globals';
import type { AudienceEntity } from '@debut/catalog';
import { audience } from '../../catalog/tools/fixtures';
import { OutboxSweep, audienceEvent } from './audience-outbox';
import { FakePublisher } from './testing/fakes';

const TOPIC = 'song.audience.selected';

/** The two repository calls the sweep uses, over an array of rows. */
function owedRows(rows: AudienceEntity[]) {
  return {
    rows,
    sweepUnpublished: async (_age: number, limit: number, fn: (r: AudienceEntity[]) => Promise<void>) => {
      const owed = rows.filter((r) => !r.publishedAt).slice(0, limit);
      if (owed.length) await fn(owed);
      return owed.length;
    },
    whileRepublishing: <T>(fn: () => Promise<T>) => fn(),
    markPublished: async (keys: Array<{ songId: string; modelVersion: string }>) => {
      for (const k of keys) {
        const row = rows.find((r) => r.songId === k.songId && r.modelVersion === k.modelVersion);
        if (row) row.publishedAt = new Date();
      }
    },
  };
}

describe('OutboxSweep', () => {
  it('publishes owed audiences no redelivery will finish, and only marks those already on the topic', async () => {
    const publisher = new FakePublisher();
    const store = owedRows([audience('s-1', 'i2i-1'), audience('s-2', 'i2i-1')]);
    // s-2's event reached the broker before its process died (acknowledged, never marked).
    await publisher.publishBatch(TOPIC, [{ key: 's-2', value: audienceEvent(store.rows[1]) }]);

    const sweep = new OutboxSweep(store, publisher, publisher, TOPIC);
    expect(await sweep.sweep()).toBe(1);
    expect(publisher.on(TOPIC).map((p) => p.key)).toEqual(['s-2', 's-1']);
    expect(store.rows.every((r) => r.publishedAt)).toBe(true);

    expect(await sweep.sweep()).toBe(0); // nothing owed: nothing sent
    expect(publisher.on(TOPIC)).toHaveLength(2);
  });

  it('leaves rows owed when the publish fails, for the next pass', async () => {
    const publisher = new FakePublisher();
    const store = owedRows([audience('s-1', 'i2i-1')]);
    publisher.failNext();
    const sweep = new OutboxSweep(store, publisher, publisher, TOPIC);
    await expect(sweep.sweep()).rejects.toThrow('ECONNREFUSED');
    expect(store.rows[0].publishedAt).toBeNull();
    expect(await sweep.sweep()).toBe(1);
  });
});
