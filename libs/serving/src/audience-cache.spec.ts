import { expect } from '@jest/globals';
import { AudienceCache } from './audience-cache';
import { InMemoryCatalog } from './testing/fakes';

function setUp() {
  const catalog = new InMemoryCatalog();
  catalog.addSongs('cold', { c1: [1, 0, 0, 0] });
  catalog.addAudience({ songId: 'c1', members: [{ userId: 'ua', score: 1, because: [] }] });
  const cache = new AudienceCache(catalog.repos.audiences, catalog.repos.audienceFeed);
  const latestReads = () => catalog.reads.filter((r) => r === 'audiences.latest').length;
  return { catalog, cache, latestReads };
}

const membersOf = (a: { members: Array<{ userId: string }> } | null) => a?.members.map((m) => m.userId);

describe('AudienceCache', () => {
  it('caches nothing until the feed is followed, then reads each song once', async () => {
    const { cache, latestReads } = setUp();
    await cache.latest('c1');
    await cache.latest('c1');
    expect(latestReads()).toBe(2);
    await cache.follow();
    await cache.latest('c1');
    await cache.latest('c1');
    expect(latestReads()).toBe(3);
  });

  it('serves a newer selection once the feed reports it', async () => {
    const { catalog, cache } = setUp();
    await cache.follow();
    expect(membersOf(await cache.latest('c1'))).toEqual(['ua']);
    await catalog.repos.audiences.replace({
      ...(await catalog.repos.audiences.latest('c1'))!,
      members: [{ userId: 'ub', score: 1, because: [] }],
    });
    await cache.follow();
    expect(membersOf(await cache.latest('c1'))).toEqual(['ub']);
  });

  it('does not cache a read that raced with a drop', async () => {
    const { catalog, cache, latestReads } = setUp();
    await cache.follow();
    const audiences = catalog.repos.audiences;
    const read = audiences.latest.bind(audiences);
    jest.spyOn(audiences, 'latest').mockImplementationOnce(async (id) => {
      const got = await read(id); // read before the change...
      cache.drop(['c1']); // ...which is reported before the read returns
      return got;
    });
    await cache.latest('c1');
    jest.restoreAllMocks();
    const before = latestReads();
    await cache.latest('c1');
    expect(latestReads()).toBe(before + 1);
  });

  it('keeps no entry for a song without an audience', async () => {
    const { cache } = setUp();
    await cache.follow();
    expect(await cache.latest('nope')).toBeNull();
    expect(cache.size).toBe(0);
  });
});
