import { expect } from '@jest/globals';
import { AudienceService, audienceRow } from './audience.service';
import { audienceEvent } from './audience-outbox';
import { NoActiveModelError, type ModelRuntime } from './model-runtime';
import { FakeEncoder, InMemoryCatalog, contentFor, testConfig } from './testing/fakes';

/**
 * Warm songs in a 4-d I2I space (the fake encoder's vector of a song is the start of its audio
 * features), so the similarities to a new song along (1, 0, 0, 0) are w1 1.0, w2 0.8, w3 0.6,
 * w4 0. With AUDIENCE_NEIGHBOURS = 3 the neighbours are w1, w2, w3.
 */
const WARM: Record<string, number[]> = {
  w1: [1, 0, 0, 0],
  w2: [0.8, 0.6, 0, 0],
  w3: [0.6, 0.8, 0, 0],
  w4: [0, 0, 1, 0],
};

async function setUp() {
  const catalog = new InMemoryCatalog();
  catalog.addVersion('i2i-1', 'i2i', true);
  catalog.addSongs('warm', WARM, ['i2i-1']);
  // Listener signals become log1p(signal) weights (PgListenerSource).
  catalog.addPlay('ua', 'w1', 'favorite', 1);
  catalog.addPlay('ub', 'w2', 'play', 0.3);
  catalog.addPlay('ub', 'w3', 'complete', 1);
  catalog.addPlay('uc', 'w4', 'favorite', 1); // w4 is no neighbour of new1
  catalog.addPlay('ud', 'w1', 'favorite', 1);
  catalog.addPlay('ud', 'new1', 'play', 0.3); // already has the new song: never in its audience
  catalog.addPlay('ue', 'w1', 'skip', 0); // a skip carries no signal
  const config = testConfig();
  const runtime = catalog.runtime(config);
  await runtime.refresh();
  const service = new AudienceService(runtime, catalog.repos.interactions, config.audience);
  return { catalog, runtime, service, encoder: runtime.i2i!.encoder as FakeEncoder };
}

describe('AudienceService (I2I2U)', () => {
  it('encodes the song, takes its nearest warm songs and ranks their listeners by Σ similarity × log1p(signal)', async () => {
    const { service } = await setUp();
    const a = await service.select('new1', contentFor([1, 0, 0, 0]));

    expect(a.songId).toBe('new1');
    expect(a.modelVersion).toBe('i2i-1');
    expect(Array.from(a.vector)).toEqual([1, 0, 0, 0]);
    expect(a.neighbours.map((n) => n.songId)).toEqual(['w1', 'w2', 'w3']);
    expect(a.neighbours.map((n) => n.similarity)).toEqual([
      expect.closeTo(1, 5),
      expect.closeTo(0.8, 5),
      expect.closeTo(0.6, 5),
    ]);

    // ua: 1.0 × log1p(1); ub: 0.8 × log1p(0.3) + 0.6 × log1p(1). uc listens to no neighbour,
    // ud already has the song, ue only skipped.
    expect(a.members.map((m) => m.userId)).toEqual(['ua', 'ub']);
    expect(a.members[0].score).toBeCloseTo(Math.log1p(1), 5);
    expect(a.members[1].score).toBeCloseTo(0.8 * Math.log1p(0.3) + 0.6 * Math.log1p(1), 5);
    expect(a.members[0].because).toEqual([{ songId: 'w1', contribution: expect.closeTo(Math.log1p(1), 5) }]);
    // Explanations best contribution first: w3 (0.416) before w2 (0.210).
    expect(a.members[1].because.map((b) => b.songId)).toEqual(['w3', 'w2']);
  });

  it('never counts a song as its own neighbour (recompute of a song already in the warm pool)', async () => {
    const { service } = await setUp();
    const a = await service.select('w1', contentFor(WARM.w1));
    expect(a.neighbours.map((n) => n.songId)).toEqual(['w2', 'w3']);
    // ua and ud have w1 already; only ub's plays of w2 and w3 remain.
    expect(a.members.map((m) => m.userId)).toEqual(['ub']);
  });

  it('handles a batch with one forward pass, one listener read and one "who has it" read', async () => {
    const { service, catalog, encoder } = await setUp();
    const reads = catalog.reads.length;
    const [a, b] = await service.selectMany([
      { songId: 'new1', content: contentFor([1, 0, 0, 0]) },
      { songId: 'new2', content: contentFor([0, 0, 1, 0]) },
    ]);
    expect(encoder.calls).toEqual([2]);
    expect(catalog.reads.slice(reads).sort()).toEqual([
      'interactions.listenerSignals',
      'interactions.listenersOfMany',
    ]);
    expect(a.members.map((m) => m.userId)).toEqual(['ua', 'ub']);
    expect(b.neighbours.map((n) => n.songId)).toEqual(['w4']);
    expect(b.members.map((m) => m.userId)).toEqual(['uc']);
    expect(Array.from(b.vector)).toEqual([0, 0, 1, 0]);
  });

  it('reads a neighbour’s listeners once per cache TTL, not once per release', async () => {
    const { service, catalog } = await setUp();
    await service.select('new1', contentFor([1, 0, 0, 0]));
    await service.select('new3', contentFor([1, 0, 0, 0]));
    expect(catalog.reads.filter((r) => r === 'interactions.listenerSignals')).toHaveLength(1);
  });

  it('refuses to select without an active I2I model, and does nothing for an empty batch', async () => {
    const catalog = new InMemoryCatalog();
    const config = testConfig();
    const runtime = catalog.runtime(config);
    await runtime.refresh();
    const service = new AudienceService(runtime, catalog.repos.interactions, config.audience);
    await expect(service.select('new1', contentFor([1, 0, 0, 0]))).rejects.toThrow(NoActiveModelError);
    await expect(service.select('new1', contentFor([1, 0, 0, 0]))).rejects.toThrow('no active i2i model');
    await expect(service.selectMany([])).resolves.toEqual([]);
  });

  it('caps the audience at AUDIENCE_SIZE', async () => {
    const catalog = new InMemoryCatalog();
    catalog.addVersion('i2i-1', 'i2i', true);
    catalog.addSongs('warm', { w1: [1, 0, 0, 0] }, ['i2i-1']);
    for (let u = 0; u < 5; u++) catalog.addPlay(`u${u}`, 'w1', 'play', u + 1);
    const config = testConfig({ AUDIENCE_SIZE: '3' });
    const runtime: ModelRuntime = catalog.runtime(config);
    await runtime.refresh();
    const a = await new AudienceService(runtime, catalog.repos.interactions, config.audience).select(
      'n',
      contentFor([1, 0, 0, 0]),
    );
    expect(a.members.map((m) => m.userId)).toEqual(['u4', 'u3', 'u2']);
  });
});

describe('audienceRow', () => {
  it('stores each member with the ids of the neighbour songs that explain it, not yet published', async () => {
    const { service } = await setUp();
    const selected = await service.select('new1', contentFor([1, 0, 0, 0]));
    const row = audienceRow(selected, 'evt-1');
    expect(row).toEqual({
      songId: 'new1',
      modelVersion: 'i2i-1',
      method: 'i2i2u',
      members: [
        { userId: 'ua', score: expect.closeTo(Math.log1p(1), 5), because: ['w1'] },
        {
          userId: 'ub',
          score: expect.closeTo(0.8 * Math.log1p(0.3) + 0.6 * Math.log1p(1), 5),
          because: ['w3', 'w2'],
        },
      ],
      neighbours: selected.neighbours,
      eventId: 'evt-1',
      selectedAt: expect.any(Date),
      receivedAt: null,
      sid: null,
      publishedAt: null,
    });
  });

  it("carries the song's semantic ID from the version's codebook into the row and the event", async () => {
    const { service, encoder } = await setUp();
    // A codebook that reads the first two coordinates' signs: vectors in, one SID per row.
    encoder.sids = {
      levels: 2,
      codes: 2,
      encode: (v) =>
        Array.from({ length: v.length / 4 }, (_, i) => `${+(v[i * 4] > 0)}-${+(v[i * 4 + 1] > 0)}`),
    };
    const [a, b] = await service.selectMany([
      { songId: 'new1', content: contentFor([1, 0, 0, 0]) },
      { songId: 'new2', content: contentFor([0.6, 0.8, 0, 0]) },
    ]);
    expect([a.sid, b.sid]).toEqual(['1-0', '1-1']);
    const row = audienceRow(b, 'evt-2');
    expect(row.sid).toBe('1-1');
    expect(audienceEvent(row).sid).toBe('1-1');
    // Without a codebook the additive field is absent from the event, not null.
    expect('sid' in audienceEvent({ ...row, sid: null })).toBe(false);
  });
});

describe('AudienceService under the audience rules', () => {
  const ruleRepos = () => ({
    users: {
      profilesOf: (ids: readonly string[]) => {
        const known: Record<string, string> = { ua: 'SE', ub: 'NO', ud: 'SE', uc: 'SE' };
        return Promise.resolve(
          new Map(
            ids
              .filter((u) => known[u])
              .map((u) => [u, { userId: u, region: known[u], explicitOptOut: false }]),
          ),
        );
      },
      shuffled: (_seed: string, n: number) => Promise.resolve(['uc', 'ub', 'ua', 'ud', 'ue'].slice(0, n)),
    },
    exposures: { exposedAmong: () => Promise.resolve(new Set<string>()) },
  });

  async function ruled() {
    const { catalog, runtime } = await setUp();
    const config = testConfig();
    return {
      catalog,
      service: new AudienceService(
        runtime,
        catalog.repos.interactions,
        config.audience,
        undefined,
        ruleRepos(),
      ),
    };
  }

  it('filters after retrieval and counts each refused user under its rule', async () => {
    const { service } = await ruled();
    const a = await service.selectRequested('new1', contentFor([1, 0, 0, 0]), {
      size: 5,
      explorationShare: 0,
      rules: { region: 'SE', excludePlayed: true },
    });
    expect(a.members.map((m) => m.userId)).toEqual(['ua']);
    // ub is in NO; ud already has the song (ranked, then refused, rather than skipped unseen).
    expect(a.rules).toEqual({
      requested: 5,
      filtered: { region: 1, explicit: 0, exposed: 0, played: 1 },
      sizeMet: false,
      exhausted: true,
      explored: 0,
    });
  });

  it("honours a release's budget: its size, and its exploration share from outside the nearest audience", async () => {
    const { service } = await ruled();
    const a = await service.select('new1', contentFor([1, 0, 0, 0]), {
      audienceBudget: { size: 2, explorationShare: 0.5 },
    });
    // Nearest audience of 2: ua, ub (ud has the song); one place kept, one explored beyond both.
    expect(a.members.map((m) => [m.userId, m.explore ?? false])).toEqual([
      ['ua', false],
      ['uc', true],
    ]);
    expect(audienceRow(a, null).members[1]).toEqual({ userId: 'uc', score: 0, because: [], explore: true });
    expect(a.rules).toMatchObject({ requested: 2, sizeMet: true, explored: 1 });
  });

  it('keeps the plain top-N path for a release without rules', async () => {
    const { service } = await ruled();
    const a = await service.select('new1', contentFor([1, 0, 0, 0]), {});
    expect(a.members.map((m) => m.userId)).toEqual(['ua', 'ub']);
    expect(a.rules).toBeUndefined();
  });
});
