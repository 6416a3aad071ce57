import { beforeEach, describe, expect, it } from '@jest/globals';
import { T0, audience, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { AudienceFeedRepository } from './audience-feed.repository';
import { AudienceRepository } from './audience.repository';
import { SongRepository } from './song.repository';

const db = databasePerFile('audience_feed');
const audiences = () => new AudienceRepository(db());
const feed = () => new AudienceFeedRepository(db());

describe('AudienceFeedRepository on PostgreSQL', () => {
  beforeEach(async () => {
    await new SongRepository(db()).insertMany(['s-1', 's-2', 's-3'].map((id) => song(id)));
  });

  it('reports each new or replaced selection once, late commits included, and not the outbox mark', async () => {
    let cursor = await feed().horizon();
    const seen: string[] = [];
    const poll = async () => {
      const page = await feed().changedAfter(cursor);
      seen.push(...page.songIds);
      cursor = page.cursor;
      return page.songIds.length;
    };
    const early = db().createQueryRunner();
    await early.connect();
    try {
      await early.startTransaction();
      await audiences().insert(audience('s-1', 'i2i-1'), early.manager); // starts first, commits last
      await audiences().insert(audience('s-2', 'i2i-1'));
      expect(await poll()).toBe(0);
      await early.commitTransaction();
    } finally {
      await early.release();
    }
    await poll();
    expect(seen).toEqual(['s-1', 's-2']);
    await audiences().markPublished([{ songId: 's-2', modelVersion: 'i2i-1' }]);
    expect(await poll()).toBe(0); // what the audience says did not change
    await audiences().replace(audience('s-2', 'i2i-1', { selectedAt: new Date(T0.getTime() + 1000) }));
    await poll();
    expect(seen).toEqual(['s-1', 's-2', 's-2']);
    expect(await poll()).toBe(0);
  });
});
