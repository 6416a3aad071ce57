import { beforeEach, describe, expect, it } from '@jest/globals';
import { audience, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { AudienceRepository } from './audience.repository';
import { SongRepository } from './song.repository';

const db = databasePerFile('outbox_sweep');
const audiences = () => new AudienceRepository(db());
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

describe('AudienceRepository.sweepUnpublished on PostgreSQL', () => {
  beforeEach(async () => {
    await new SongRepository(db()).insertMany(['s-1', 's-2', 's-3', 's-4'].map((id) => song(id)));
    await audiences().insertMany([
      audience('s-1', 'i2i-1', { selectedAt: ago(300) }),
      audience('s-2', 'i2i-1', { selectedAt: ago(120) }),
      audience('s-3', 'i2i-1', { selectedAt: ago(5) }), // may still be publishing: left alone
      audience('s-4', 'i2i-1', { selectedAt: ago(600) }),
    ]);
    await audiences().markPublished([{ songId: 's-4', modelVersion: 'i2i-1' }]);
  });

  it('hands over the rows owed for longer than the age, oldest first, up to the limit', async () => {
    const seen: string[][] = [];
    const n = await audiences().sweepUnpublished(60, 10, async (rows) => {
      seen.push(rows.map((r) => r.songId));
    });
    expect(n).toBe(2);
    expect(seen).toEqual([['s-1', 's-2']]);
    await audiences().sweepUnpublished(60, 1, async (rows) => {
      seen.push(rows.map((r) => r.songId));
    });
    expect(seen[1]).toEqual(['s-1']);
  });

  it('lets one process sweep at a time: a second sweep during the first gets null', async () => {
    let inner: number | null | undefined;
    await audiences().sweepUnpublished(60, 10, async () => {
      inner = await audiences().sweepUnpublished(60, 10, () => Promise.resolve());
    });
    expect(inner).toBeNull();
    // and the lock is released afterwards
    expect(await audiences().sweepUnpublished(60, 10, () => Promise.resolve())).toBe(2);
  });
});

describe('AudienceRepository.whileRepublishing on PostgreSQL', () => {
  it('lets one republisher in at a time, across connections (as across processes)', async () => {
    const log: string[] = [];
    const step = (name: string, ms: number) =>
      audiences().whileRepublishing(async () => {
        log.push(`${name} in`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name} out`);
        return name;
      });
    const first = step('a', 300);
    await new Promise((r) => setTimeout(r, 50)); // a holds the lock
    const results = await Promise.all([first, step('b', 10)]);
    expect(results).toEqual(['a', 'b']);
    expect(log).toEqual(['a in', 'a out', 'b in', 'b out']);
  });
});
