import { expect } from '@jest/globals';
import { FakeInterestModel, InMemoryCatalog } from './testing/fakes';
import { HISTORY_LENGTH, UserVectorRefresher } from './user-vector-refresher';

/**
 * The fake DSSM pools a history into u = mean of its item vectors and b = u / 2, so the stored
 * vectors can be checked by hand: a user who heard s1 and s2 gets u = (0.5, 0.5, 0, 0).
 */
function setUp(batchSize?: number) {
  const catalog = new InMemoryCatalog();
  catalog.setSongVector('dssm-1', 's1', [1, 0, 0, 0]);
  catalog.setSongVector('dssm-1', 's2', [0, 1, 0, 0]);
  catalog.setSongVector('dssm-1', 's3', [0, 0, 1, 0]);
  const t0 = Date.parse('2024-05-01T00:00:00Z');
  catalog.addPlay('a', 's1', 'play', 0.3, new Date(t0));
  catalog.addPlay('a', 's2', 'favorite', 1, new Date(t0 + 1000));
  catalog.addPlay('b', 's3', 'complete', 0.6, new Date(t0));
  let dssm: { version: string; model: FakeInterestModel } | null = {
    version: 'dssm-1',
    model: new FakeInterestModel(),
  };
  const refresher = new UserVectorRefresher(
    () => dssm,
    catalog.repos.interactions,
    catalog.repos.embeddings,
    batchSize,
  );
  return { catalog, refresher, unload: () => (dssm = null) };
}

const stored = (c: InMemoryCatalog, user: string) => {
  const v = c.s.userVectors.get('dssm-1')?.get(user);
  return v && { user: Array.from(v.user), boundary: Array.from(v.boundary) };
};

describe('UserVectorRefresher', () => {
  it('does nothing while no DSSM is active (not even reading the stale users)', async () => {
    const { catalog, refresher, unload } = setUp();
    catalog.s.stale.add('a');
    unload();
    await expect(refresher.refreshOnce()).resolves.toBe(0);
    expect(catalog.reads).not.toContain('interactions.staleUsers');
    expect(catalog.s.stale).toEqual(new Set(['a']));
  });

  it('recomputes the stale users from the stored item vectors of their recent songs and clears their flags', async () => {
    const { catalog, refresher } = setUp();
    await catalog.interactions.markUsersStale(['a', 'b']);
    await expect(refresher.refreshOnce()).resolves.toBe(2);
    expect(stored(catalog, 'a')).toEqual({ user: [0.5, 0.5, 0, 0], boundary: [0.25, 0.25, 0, 0] });
    expect(stored(catalog, 'b')).toEqual({ user: [0, 0, 1, 0], boundary: [0, 0, 0.5, 0] });
    expect(catalog.s.stale.size).toBe(0);
    await expect(refresher.refreshOnce()).resolves.toBe(0); // nothing stale any more
  });

  it('handles at most batchSize users a round; the rest wait for the next one', async () => {
    const { catalog, refresher } = setUp(1);
    await catalog.interactions.markUsersStale(['b', 'a']);
    await refresher.refreshOnce();
    expect(stored(catalog, 'a')).toBeDefined();
    expect(stored(catalog, 'b')).toBeUndefined();
    expect(catalog.s.stale).toEqual(new Set(['b']));
    await refresher.refreshOnce();
    expect(stored(catalog, 'b')).toEqual({ user: [0, 0, 1, 0], boundary: [0, 0, 0.5, 0] });
  });

  it('never runs two rounds at once: a call while one runs shares it', async () => {
    const { catalog, refresher } = setUp();
    await catalog.interactions.markUsersStale(['a', 'b']);
    const [x, y] = await Promise.all([refresher.refreshOnce(), refresher.refreshOnce()]);
    expect([x, y]).toEqual([2, 2]);
    expect(catalog.reads.filter((r) => r === 'interactions.refreshStale')).toHaveLength(1);
  });

  it('serves the longest-waiting users first, so a stream of new marks cannot starve anyone', async () => {
    const { catalog, refresher } = setUp(1);
    await catalog.interactions.markUsersStale(['b']); // waiting first
    await catalog.interactions.markUsersStale(['a']); // lower id, marked later
    await refresher.refreshOnce();
    expect(stored(catalog, 'b')).toBeDefined();
    expect(stored(catalog, 'a')).toBeUndefined();
  });

  it('picks up a play that lands while a round computes: the user is stale again and the next round uses it', async () => {
    const { catalog, refresher } = setUp();
    await catalog.interactions.markUsersStale(['a']);
    // A play arriving right after the histories were read marks the user again (as
    // InteractionIngest does); that mark waits for the round's commit, so it survives it.
    catalog.after('interactions.recentHistories', () => {
      catalog.addPlay('a', 's3', 'play', 0.3, new Date('2024-05-02T00:00:00Z'));
      void catalog.interactions.markUsersStale(['a']);
    });
    await refresher.refreshOnce();
    expect(stored(catalog, 'a')?.user).toEqual([0.5, 0.5, 0, 0]);
    expect(catalog.s.stale).toEqual(new Set(['a']));

    await refresher.refreshOnce();
    const third = expect.closeTo(1 / 3, 5);
    expect(stored(catalog, 'a')?.user).toEqual([third, third, third, 0]);
    expect(catalog.s.stale.size).toBe(0);
  });

  it('keeps the users stale when storing fails (the flags are cleared only with the vectors), so no change is lost', async () => {
    const { catalog, refresher } = setUp();
    await catalog.interactions.markUsersStale(['a', 'b']);
    catalog.failNext('embeddings.upsertUserVectors');
    await expect(refresher.refreshOnce()).rejects.toThrow('connection terminated unexpectedly');
    expect([...catalog.s.stale].sort()).toEqual(['a', 'b']);
    expect(stored(catalog, 'a')).toBeUndefined();

    await expect(refresher.refreshOnce()).resolves.toBe(2);
    expect(stored(catalog, 'a')?.user).toEqual([0.5, 0.5, 0, 0]);
  });

  it('skips users none of whose songs has a stored item vector (nothing to pool), without failing the others', async () => {
    const { catalog, refresher } = setUp();
    catalog.addPlay('c', 'no-vector-yet');
    await catalog.interactions.markUsersStale(['a', 'c']);
    await refresher.refreshOnce();
    expect(stored(catalog, 'a')).toBeDefined();
    expect(stored(catalog, 'c')).toBeUndefined();
  });

  it(`pools only the ${HISTORY_LENGTH} most recent songs, leaving out skips`, async () => {
    const { catalog, refresher } = setUp();
    const t0 = Date.parse('2024-06-01T00:00:00Z');
    catalog.setSongVector('dssm-1', 'oldest', [0, 0, 0, 1]);
    catalog.addPlay('d', 'oldest', 'favorite', 1, new Date(t0));
    for (let i = 0; i < HISTORY_LENGTH; i++) {
      catalog.setSongVector('dssm-1', `h${i}`, [1, 0, 0, 0]);
      catalog.addPlay('d', `h${i}`, 'play', 0.3, new Date(t0 + 1000 * (i + 1)));
    }
    catalog.setSongVector('dssm-1', 'skipped', [0, 1, 0, 0]);
    catalog.addPlay('d', 'skipped', 'skip', 0, new Date(t0 + 1e6));
    await refresher.refresh({ version: 'dssm-1', model: new FakeInterestModel() }, ['d']);
    // Had 'oldest' (0, 0, 0, 1) or the skip (0, 1, 0, 0) been pooled, u would leave (1, 0, 0, 0).
    expect(stored(catalog, 'd')?.user).toEqual([expect.closeTo(1, 5), 0, 0, 0]);
  });
});
