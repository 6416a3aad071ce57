import { expect } from '@jest/globals';
import { GateService, UnknownEntityError } from './gate.service';
import { NoActiveModelError } from './model-runtime';
import type { InterestModel } from './model-runtime';
import { FakeInterestModel, FakeLoaders, InMemoryCatalog, testConfig } from './testing/fakes';

/**
 * DSSM item vectors are the songs' first four audio values (fake model). u1 has stored vectors
 * u = (1, 0, 0, 0) and b = (0.5, 0.5, 0, 0), so its boundary u·b is 0.5 and a song passes when
 * its first component is above 0.5.
 */
const COLD: Record<string, number[]> = {
  c1: [0.9, 0.1, 0, 0], // u1: 0.9 > 0.5, passes
  c2: [0.5, 0.5, 0, 0], // u1: 0.5, exactly the boundary: refused (pass needs u·i > u·b)
  c3: [0.2, 0.9, 0, 0], // u1: 0.2, refused
  c4: [0.7, 0, 0, 0], // u1: 0.7, passes
};

async function setUp(loaders = new FakeLoaders(), vectorsInMemory = false) {
  const catalog = new InMemoryCatalog();
  catalog.addVersion('dssm-1', 'dssm', true);
  catalog.addSongs('cold', COLD, ['dssm-1']);
  catalog.addSongs('warm', { w1: [1, 0, 0, 0] }, ['dssm-1']);
  catalog.setUserVectors('dssm-1', 'u1', [1, 0, 0, 0], [0.5, 0.5, 0, 0]);
  catalog.addUser('fresh'); // signed up, never listened
  const runtime = catalog.runtime(testConfig(), loaders, { vectorsInMemory });
  await runtime.refresh();
  const gate = new GateService(runtime, catalog.repos.embeddings, catalog.repos.interactions);
  return { catalog, runtime, gate };
}

describe('GateService.gate', () => {
  afterEach(() => jest.restoreAllMocks());

  it('passes a song exactly when u·i > u·b, answering per song in request order', async () => {
    const { gate } = await setUp();
    const answer = await gate.gate('u1', ['c3', 'c1', 'c2', 'c1']);
    expect(answer.userId).toBe('u1');
    expect(answer.modelVersion).toBe('dssm-1');
    expect(answer.basis).toBe('model');
    expect(answer.decisions).toEqual([
      { songId: 'c3', score: expect.closeTo(0.2, 5), boundary: expect.closeTo(0.5, 5), pass: false },
      { songId: 'c1', score: expect.closeTo(0.9, 5), boundary: expect.closeTo(0.5, 5), pass: true },
      { songId: 'c2', score: expect.closeTo(0.5, 5), boundary: expect.closeTo(0.5, 5), pass: false },
      { songId: 'c1', score: expect.closeTo(0.9, 5), boundary: expect.closeTo(0.5, 5), pass: true },
    ]);
  });

  it('refuses every song for a user without history (basis "no-history"), with JSON-safe numbers', async () => {
    const { gate } = await setUp();
    const answer = await gate.gate('fresh', ['c1', 'c4']);
    expect(answer).toEqual({
      userId: 'fresh',
      modelVersion: 'dssm-1',
      basis: 'no-history',
      decisions: [
        { songId: 'c1', score: 0, boundary: 0, pass: false },
        { songId: 'c4', score: 0, boundary: 0, pass: false },
      ],
    });
  });

  it('computes (u, b) on the spot from stored item vectors for a user the refresher has not reached, without storing them', async () => {
    const { gate, catalog } = await setUp();
    catalog.addPlay('newbie', 'w1');
    catalog.addPlay('newbie', 'c1');
    const writes = catalog.writes.length;
    const answer = await gate.gate('newbie', ['c1', 'c3']);
    // u = mean(w1, c1) = (0.95, 0.05, 0, 0), b = u / 2, so u·b = 0.4525.
    expect(answer.basis).toBe('model');
    expect(answer.decisions).toEqual([
      {
        songId: 'c1',
        score: expect.closeTo(0.95 * 0.9 + 0.05 * 0.1, 5),
        boundary: expect.closeTo(0.4525, 5),
        pass: true,
      },
      {
        songId: 'c3',
        score: expect.closeTo(0.95 * 0.2 + 0.05 * 0.9, 5),
        boundary: expect.closeTo(0.4525, 5),
        pass: false,
      },
    ]);
    expect(catalog.writes.slice(writes)).toEqual([]);
  });

  it('names the unknown songs (404 material), deduplicated', async () => {
    const { gate } = await setUp();
    const err = await gate.gate('u1', ['c1', 'nope-1', 'nope-2', 'nope-1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownEntityError);
    expect(err).toMatchObject({
      entity: 'song',
      ids: ['nope-1', 'nope-2'],
      message: 'unknown songs: nope-1, nope-2',
    });
  });

  it('tells an unknown user from a user without history', async () => {
    const { gate } = await setUp();
    const err = await gate.gate('ghost', ['c1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownEntityError);
    expect(err).toMatchObject({ entity: 'user', ids: ['ghost'], message: 'unknown user: ghost' });
  });

  it('needs an active DSSM', async () => {
    const catalog = new InMemoryCatalog();
    const runtime = catalog.runtime(testConfig());
    await runtime.refresh();
    const gate = new GateService(runtime, catalog.repos.embeddings, catalog.repos.interactions);
    await expect(gate.gate('u1', ['c1'])).rejects.toThrow(NoActiveModelError);
    await expect(gate.coldRecommendations('u1', 5)).rejects.toThrow('no active dssm model');
  });

  it('keeps a user’s vectors for 30 s, then reads the refreshed ones', async () => {
    const { gate, catalog } = await setUp();
    let now = 5_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    expect((await gate.gate('u1', ['c4'])).decisions[0].pass).toBe(true);

    // The worker refreshed u1: the boundary rose to 0.8, above c4's 0.7.
    catalog.setUserVectors('dssm-1', 'u1', [1, 0, 0, 0], [0.8, 0, 0, 0]);
    now += 29_999;
    expect((await gate.gate('u1', ['c4'])).decisions[0]).toMatchObject({
      boundary: expect.closeTo(0.5, 5),
      pass: true,
    });
    now += 1;
    expect((await gate.gate('u1', ['c4'])).decisions[0]).toMatchObject({
      boundary: expect.closeTo(0.8, 5),
      pass: false,
    });
  });

  it('drops every cached vector when another DSSM version becomes active', async () => {
    const { gate, catalog, runtime } = await setUp();
    await gate.gate('u1', ['c1']);
    catalog.addVersion('dssm-2', 'dssm');
    catalog.setSongVector('dssm-2', 'c1', [0, 1, 0, 0]);
    catalog.setUserVectors('dssm-2', 'u1', [0, 1, 0, 0], [0, 0.25, 0, 0]);
    catalog.activateVersion('dssm-2');
    await runtime.refresh();

    const answer = await gate.gate('u1', ['c1']);
    expect(answer.modelVersion).toBe('dssm-2');
    expect(answer.decisions).toEqual([
      { songId: 'c1', score: expect.closeTo(1, 5), boundary: expect.closeTo(0.25, 5), pass: true },
    ]);
  });

  // A re-release stores a new item vector under the same version; a cache that trusts a
  // version's vectors for its whole life would keep gating with the old one.
  it('gates a re-released song with its new item vector', async () => {
    const { gate, catalog } = await setUp();
    expect((await gate.gate('u1', ['c3'])).decisions[0].pass).toBe(false); // 0.2 < 0.5
    catalog.setSongVector('dssm-1', 'c3', [0.95, 0, 0, 0]); // what the worker writes for the re-release
    const later = Date.now() + 60 * 60_000; // long after any TTL
    jest.spyOn(Date, 'now').mockReturnValue(later);
    expect((await gate.gate('u1', ['c3'])).decisions[0]).toMatchObject({
      score: expect.closeTo(0.95, 5),
      pass: true,
    });
  });
});

describe('GateService across changes', () => {
  it('gates a re-released song with its new vector as soon as the pools follow the change', async () => {
    const { gate, catalog, runtime } = await setUp();
    expect((await gate.gate('u1', ['c3'])).decisions[0].pass).toBe(false);
    catalog.setSongVector('dssm-1', 'c3', [0.95, 0, 0, 0]);
    await runtime.refresh();
    expect((await gate.gate('u1', ['c3'])).decisions[0]).toMatchObject({
      score: expect.closeTo(0.95, 5),
      pass: true,
    });
  });

  it('a request in flight across a model switch answers with its version only and leaves the new one clean', async () => {
    const { gate, catalog, runtime } = await setUp();
    catalog.addVersion('dssm-2', 'dssm');
    catalog.setSongVector('dssm-2', 'c1', [0, 1, 0, 0]);
    catalog.setUserVectors('dssm-2', 'u1', [0, 1, 0, 0], [0, 0.25, 0, 0]);
    const embeddings = catalog.repos.embeddings;
    const read = embeddings.songVectorsFor.bind(embeddings);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    jest.spyOn(embeddings, 'songVectorsFor').mockImplementationOnce(async (v, ids) => {
      const got = await read(v, ids); // read under dssm-1, answered after the switch
      await held;
      return got;
    });
    const inFlight = gate.gate('u1', ['c1']);
    await new Promise((r) => setImmediate(r));
    catalog.activateVersion('dssm-2');
    await runtime.refresh();
    const during = await gate.gate('u1', ['c1']); // fills the dssm-2 caches
    release();
    const old = await inFlight;
    expect(old.modelVersion).toBe('dssm-1');
    expect(old.decisions).toEqual([
      { songId: 'c1', score: expect.closeTo(0.9, 5), boundary: expect.closeTo(0.5, 5), pass: true },
    ]);
    const fresh = {
      songId: 'c1',
      score: expect.closeTo(1, 5),
      boundary: expect.closeTo(0.25, 5),
      pass: true,
    };
    expect(during.decisions).toEqual([fresh]);
    expect((await gate.gate('u1', ['c1'])).decisions).toEqual([fresh]);
  });

  it('a request that started before a switch never reaches for the new version halfway', async () => {
    const { gate, catalog, runtime } = await setUp();
    catalog.addVersion('dssm-2', 'dssm');
    catalog.setSongVector('dssm-2', 'c1', [0, 1, 0, 0]);
    catalog.addPlay('newcomer', 'c1'); // no stored vectors: computed on the spot from the history
    const embeddings = catalog.repos.embeddings;
    const read = embeddings.userVectors.bind(embeddings);
    jest.spyOn(embeddings, 'userVectors').mockImplementationOnce(async (v, ids) => {
      catalog.activateVersion('dssm-2');
      await runtime.refresh(); // the switch lands while the request waits for the database
      return read(v, ids);
    });
    const answer = await gate.gate('newcomer', ['c1']);
    expect(answer.modelVersion).toBe('dssm-1');
    // dssm-1's c1 is (0.9, 0.1, 0, 0): u = that, u·i = |u|², u·b = |u|²/2.
    expect(answer.decisions[0].score).toBeCloseTo(0.82, 5);
  });
});

describe('GateService.coldRecommendations', () => {
  it('lists cold songs above the boundary, best first, never warm ones, at most `limit`', async () => {
    const { gate } = await setUp();
    const answer = await gate.coldRecommendations('u1', 10);
    expect(answer.basis).toBe('model');
    expect(answer.modelVersion).toBe('dssm-1');
    // w1 (score 1.0) is established, not cold; c2 sits exactly on the boundary.
    expect(answer.decisions).toEqual([
      { songId: 'c1', score: expect.closeTo(0.9, 5), boundary: expect.closeTo(0.5, 5), pass: true },
      { songId: 'c4', score: expect.closeTo(0.7, 5), boundary: expect.closeTo(0.5, 5), pass: true },
    ]);
    expect((await gate.coldRecommendations('u1', 1)).decisions.map((d) => d.songId)).toEqual(['c1']);
  });

  it('leaves out songs the user has already heard', async () => {
    const { gate, catalog } = await setUp();
    catalog.addPlay('u1', 'c1');
    expect((await gate.coldRecommendations('u1', 10)).decisions.map((d) => d.songId)).toEqual(['c4']);
  });

  it('recommends nothing to a user without history, and 404s an unknown one', async () => {
    const { gate } = await setUp();
    await expect(gate.coldRecommendations('fresh', 10)).resolves.toEqual({
      userId: 'fresh',
      modelVersion: 'dssm-1',
      basis: 'no-history',
      decisions: [],
    });
    await expect(gate.coldRecommendations('ghost', 10)).rejects.toThrow('unknown user: ghost');
  });
});

/** The fake DSSM with a learned December offset o = (0, 1, 0, 0) and zero offsets in other months. */
class SeasonalModel extends FakeInterestModel {
  userAt(user: Float32Array, at: Date): Float32Array {
    const out = Float32Array.from(user);
    if (at.getUTCMonth() === 11) out[1] += 1;
    return out;
  }
}
class SeasonalLoaders extends FakeLoaders {
  override async dssm(dir: string): Promise<InterestModel> {
    this.loaded.push(dir);
    return new SeasonalModel();
  }
}

describe.each([
  ['from the database', false],
  ['from the vectors held in memory', true],
])('GateService at a time, user vectors %s', (_how, held) => {
  // u1 in December: u' = (1, 1, 0, 0), b = (0.5, 0.5, 0, 0), so the boundary u'·b is 1.0.
  const december = new Date('2026-12-24T18:00:00Z');

  it('adds the month offset to the user vector: score and boundary both move, and the verdicts with them', async () => {
    const { gate } = await setUp(new SeasonalLoaders(), held);
    const answer = await gate.gate('u1', ['c1', 'c3', 'c4'], december);
    expect(answer.context).toEqual({ at: '2026-12-24T18:00:00.000Z', month: 12, applied: true });
    expect(answer.decisions).toEqual([
      { songId: 'c1', score: expect.closeTo(1.0, 5), boundary: expect.closeTo(1.0, 5), pass: false },
      { songId: 'c3', score: expect.closeTo(1.1, 5), boundary: expect.closeTo(1.0, 5), pass: true },
      { songId: 'c4', score: expect.closeTo(0.7, 5), boundary: expect.closeTo(1.0, 5), pass: false },
    ]);
    // Another month's offset is zero here: the December answer did not leak into the stored user.
    const june = await gate.gate('u1', ['c1', 'c3'], new Date('2026-06-01'));
    expect(june.context).toEqual({ at: '2026-06-01T00:00:00.000Z', month: 6, applied: true });
    expect(june.decisions.map((d) => d.pass)).toEqual([true, false]);
    expect((await gate.gate('u1', ['c1', 'c3'])).context).toBeUndefined();
  });

  it('ranks cold recommendations with the shifted user', async () => {
    const { gate } = await setUp(new SeasonalLoaders(), held);
    const answer = await gate.coldRecommendations('u1', 10, december);
    expect(answer.decisions.map((d) => d.songId)).toEqual(['c3']); // 1.1 > 1.0; c1 (1.0) is on the boundary
    expect(answer.context?.month).toBe(12);
    expect((await gate.coldRecommendations('u1', 10)).decisions.map((d) => d.songId)).toEqual(['c1', 'c4']);
  });

  it('says when the active model has no offsets, and answers as without a time', async () => {
    const { gate } = await setUp(new FakeLoaders(), held);
    const at = await gate.gate('u1', ['c1', 'c3'], december);
    expect(at.context).toEqual({ at: '2026-12-24T18:00:00.000Z', month: 12, applied: false });
    expect(at.decisions).toEqual((await gate.gate('u1', ['c1', 'c3'])).decisions);
    const fresh = await gate.coldRecommendations('fresh', 5, december);
    expect(fresh).toMatchObject({ basis: 'no-history', decisions: [], context: { applied: false } });
  });
});
