import { expect } from '@jest/globals';
import { GateService } from './gate.service';
import { InMemoryCatalog, testConfig } from './testing/fakes';

/**
 * The api's gate with the DSSM's vectors in memory (DssmVectors). Same fake model as
 * gate.service.spec.ts: item vectors are the songs' first four audio values; u1 has
 * u = (1, 0, 0, 0), b = (0.5, 0.5, 0, 0), so a song passes when its first component is above 0.5.
 */
async function setUp() {
  const catalog = new InMemoryCatalog();
  catalog.addVersion('dssm-1', 'dssm', true);
  catalog.addSongs('cold', { c1: [0.9, 0.1, 0, 0], c3: [0.2, 0.9, 0, 0] }, ['dssm-1']);
  catalog.addSongs('warm', { w1: [1, 0, 0, 0] }, ['dssm-1']);
  catalog.setUserVectors('dssm-1', 'u1', [1, 0, 0, 0], [0.5, 0.5, 0, 0]);
  catalog.addUser('fresh');
  const runtime = catalog.runtime(testConfig(), undefined, { vectorsInMemory: true });
  await runtime.refresh();
  const gate = new GateService(runtime, catalog.repos.embeddings, catalog.repos.interactions);
  return { catalog, runtime, gate };
}

/** What the request path read from storage while `fn` ran. */
async function readsDuring<T>(catalog: InMemoryCatalog, fn: () => Promise<T>): Promise<[T, string[]]> {
  const before = catalog.reads.length;
  const out = await fn();
  return [out, catalog.reads.slice(before)];
}

describe('GateService with the DSSM vectors in memory', () => {
  it('gates a known user without reading storage, with the same decisions', async () => {
    const { gate, catalog } = await setUp();
    const [answer, reads] = await readsDuring(catalog, () => gate.gate('u1', ['c3', 'c1', 'w1']));
    expect(reads).toEqual([]);
    expect(answer).toEqual({
      userId: 'u1',
      modelVersion: 'dssm-1',
      basis: 'model',
      decisions: [
        { songId: 'c3', score: expect.closeTo(0.2, 5), boundary: expect.closeTo(0.5, 5), pass: false },
        { songId: 'c1', score: expect.closeTo(0.9, 5), boundary: expect.closeTo(0.5, 5), pass: true },
        { songId: 'w1', score: expect.closeTo(1, 5), boundary: expect.closeTo(0.5, 5), pass: true },
      ],
    });
  });

  it("follows the worker's user-vector refreshes on the next poll", async () => {
    const { gate, catalog, runtime } = await setUp();
    catalog.setUserVectors('dssm-1', 'u1', [1, 0, 0, 0], [0.95, 0, 0, 0]); // boundary now 0.95
    expect((await gate.gate('u1', ['c1'])).decisions[0].pass).toBe(true); // not polled yet
    await runtime.refresh();
    const [answer, reads] = await readsDuring(catalog, () => gate.gate('u1', ['c1']));
    expect(reads).toEqual([]);
    expect(answer.decisions[0]).toMatchObject({ boundary: expect.closeTo(0.95, 5), pass: false });
  });

  it('gates a user refreshed for the first time after the poll, from memory', async () => {
    const { gate, catalog, runtime } = await setUp();
    catalog.setUserVectors('dssm-1', 'later', [0, 1, 0, 0], [0, 0.5, 0, 0]);
    await runtime.refresh();
    const [answer, reads] = await readsDuring(catalog, () => gate.gate('later', ['c3']));
    expect(reads).toEqual([]);
    expect(answer.decisions[0]).toMatchObject({ score: expect.closeTo(0.9, 5), pass: true });
  });

  it('finds a song released since the last poll in storage, then in memory once polled', async () => {
    const { gate, catalog, runtime } = await setUp();
    catalog.addSongs('cold', { c9: [0.8, 0, 0, 0] }, ['dssm-1']);
    const [first, readsBefore] = await readsDuring(catalog, () => gate.gate('u1', ['c9', 'c1']));
    expect(first.decisions.map((d) => d.pass)).toEqual([true, true]);
    expect(readsBefore).toContain('embeddings.songVectorsFor');
    await runtime.refresh();
    const [, readsAfter] = await readsDuring(catalog, () => gate.gate('u1', ['c9']));
    expect(readsAfter).toEqual([]);
  });

  it('gates a re-released song with its new vector once the pools follow the change', async () => {
    const { gate, catalog, runtime } = await setUp();
    catalog.setSongVector('dssm-1', 'c3', [0.95, 0, 0, 0]);
    await runtime.refresh();
    expect((await gate.gate('u1', ['c3'])).decisions[0]).toMatchObject({
      score: expect.closeTo(0.95, 5),
      pass: true,
    });
  });

  it("serves the new version's vectors after a switch, never a mix", async () => {
    const { gate, catalog, runtime } = await setUp();
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
    // c3 has no dssm-2 vector: unknown under the version being served, not gated with dssm-1's.
    await expect(gate.gate('u1', ['c3'])).rejects.toThrow('unknown song: c3');
  });

  it('keeps the documented answers for users it does not hold', async () => {
    const { gate } = await setUp();
    expect((await gate.gate('fresh', ['c1'])).basis).toBe('no-history');
    await expect(gate.gate('ghost', ['c1'])).rejects.toThrow('unknown user: ghost');
    await expect(gate.gate('u1', ['nope'])).rejects.toThrow('unknown song: nope');
  });

  it("gives an audience's verdicts from memory, null for users without vectors", async () => {
    const { gate, catalog } = await setUp();
    const [verdicts, reads] = await readsDuring(catalog, () => gate.verdicts('c1', ['u1', 'fresh']));
    expect(reads).toEqual([]);
    expect(verdicts).toEqual(
      new Map([
        ['u1', true],
        ['fresh', null],
      ]),
    );
  });

  it('lists cold recommendations without a read, leaving out cold songs the user played', async () => {
    const { gate, catalog, runtime } = await setUp();
    await settle();
    const [answer, reads] = await readsDuring(catalog, () => gate.coldRecommendations('u1', 10));
    expect(reads).toEqual([]);
    expect(answer.decisions.map((d) => d.songId)).toEqual(['c1']);
    // u1 plays c1; the worker refreshes u1's vectors, which the next poll follows.
    catalog.addPlay('u1', 'c1');
    catalog.setUserVectors('dssm-1', 'u1', [1, 0, 0, 0], [0.5, 0.5, 0, 0]);
    await runtime.refresh();
    await settle();
    const [after, readsAfter] = await readsDuring(catalog, () => gate.coldRecommendations('u1', 10));
    expect(after.decisions).toEqual([]);
    expect(readsAfter).toEqual([]);
  });
});

/** Lets the background reads that follow a poll (ColdPlays) finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/**
 * λ > 0 (DSSM_NEXT_MIX): the held tables carry h_next beside h_gen (ModelRuntime
 * nextMix), so dual-memory gating and recommendations need no read either, and
 * answer exactly what the PostgreSQL path answers. u1's h_next points at c3: u = (0, 1, 0, 0),
 * b = (0, 0.5, 0, 0); `gen-only` has no stored h_next and falls back to h_gen.
 */
describe('GateService with dual memory held in memory', () => {
  const mix = { mix: 0.5 };
  async function setUpDual() {
    const catalog = new InMemoryCatalog();
    catalog.addVersion('dssm-1', 'dssm', true);
    catalog.addSongs('cold', { c1: [0.9, 0.1, 0, 0], c3: [0.2, 0.9, 0, 0] }, ['dssm-1']);
    catalog.setUserVectors('dssm-1', 'u1', [1, 0, 0, 0], [0.5, 0.5, 0, 0], {
      user: [0, 1, 0, 0],
      boundary: [0, 0.5, 0, 0],
    });
    catalog.setUserVectors('dssm-1', 'gen-only', [1, 0, 0, 0], [0.5, 0.5, 0, 0]);
    const held = catalog.runtime(testConfig(), undefined, {
      vectorsInMemory: true,
      nextMix: 0.5,
    });
    const stored = catalog.runtime(testConfig());
    await Promise.all([held.refresh(), stored.refresh()]);
    const gate = new GateService(held, catalog.repos.embeddings, catalog.repos.interactions, mix);
    const reference = new GateService(stored, catalog.repos.embeddings, catalog.repos.interactions, mix);
    await settle();
    return { catalog, held, gate, reference };
  }

  it('gates with the mix of the held h_gen and h_next, without a read, as the stored rows do', async () => {
    const { gate, reference, catalog } = await setUpDual();
    for (const user of ['u1', 'gen-only']) {
      const [answer, reads] = await readsDuring(catalog, () => gate.gate(user, ['c1', 'c3']));
      expect(reads).toEqual([]);
      expect(answer).toEqual(await reference.gate(user, ['c1', 'c3']));
    }
    // The mix: u = (0.5, 0.5), b = (0.25, 0.5): u·b = 0.375; c3 scores 0.55 and passes, which
    // h_gen alone (boundary 0.5, c3 at 0.2) would refuse.
    const u1 = await gate.gate('u1', ['c3']);
    expect(u1.decisions[0]).toMatchObject({
      score: expect.closeTo(0.55, 5),
      boundary: expect.closeTo(0.375, 5),
      pass: true,
    });
    expect((await gate.gate('gen-only', ['c3'])).decisions[0].pass).toBe(false);
  });

  it('interleaves the two held lists for cold recommendations without a read', async () => {
    const { gate, reference, catalog } = await setUpDual();
    const [answer, reads] = await readsDuring(catalog, () => gate.coldRecommendations('u1', 10));
    expect(reads).toEqual([]);
    expect(answer).toEqual(await reference.coldRecommendations('u1', 10));
    expect(answer.decisions.map((d) => d.songId).sort()).toEqual(['c1', 'c3']);
  });

  it('reads the stored rows when its λ is not the one the tables were mixed with', async () => {
    const { held, catalog } = await setUpDual();
    const other = new GateService(held, catalog.repos.embeddings, catalog.repos.interactions, { mix: 1 });
    const [answer, reads] = await readsDuring(catalog, () => other.gate('u1', ['c1', 'c3']));
    expect(reads).toContain('embeddings.userVectors');
    expect(answer.decisions.map((d) => d.pass)).toEqual([false, true]); // h_next alone: c3 only
  });

  it("follows the worker's h_next refreshes on the next poll", async () => {
    const { gate, catalog, held } = await setUpDual();
    catalog.setUserVectors('dssm-1', 'gen-only', [1, 0, 0, 0], [0.5, 0.5, 0, 0], {
      user: [0, 1, 0, 0],
      boundary: [0, 0.5, 0, 0],
    });
    await held.refresh();
    const [answer, reads] = await readsDuring(catalog, () => gate.gate('gen-only', ['c3']));
    expect(reads).toEqual([]);
    expect(answer.decisions[0].pass).toBe(true);
  });
});
