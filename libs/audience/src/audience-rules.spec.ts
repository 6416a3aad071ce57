import type { AudienceMember } from './audience-selector';
import {
  type ListenerFacts,
  type RuleFacts,
  explorationSplit,
  judge,
  selectBudgeted,
  selectWithRules,
} from './audience-rules';

/** 100 ranked users u-0 (best) … u-99; every third in SE, the rest in NO; u-5 has no profile. */
const ranked: AudienceMember[] = Array.from({ length: 100 }, (_, i) => ({
  userId: `u-${i}`,
  score: 100 - i,
  because: [],
}));
const profiles = new Map<string, ListenerFacts>(
  ranked
    .filter((_, i) => i !== 5)
    .map((m, i) => [
      m.userId,
      { region: Number(m.userId.slice(2)) % 3 === 0 ? 'SE' : 'NO', explicitOptOut: i % 10 === 1 },
    ]),
);

function facts(exposed: string[] = [], played: string[] = []) {
  const calls = { profiles: 0, looked: [] as number[] };
  const f: RuleFacts = {
    profiles: (ids) => {
      calls.profiles++;
      calls.looked.push(ids.length);
      return Promise.resolve(
        new Map(ids.flatMap((id) => (profiles.has(id) ? [[id, profiles.get(id)!] as const] : []))),
      );
    },
    exposed: (ids) => Promise.resolve(new Set(ids.filter((id) => exposed.includes(id)))),
    played: (ids) => Promise.resolve(new Set(ids.filter((id) => played.includes(id)))),
  };
  return { f, calls };
}

/** Retrieval over `ranked`, recording what it was asked for. */
function retrieval(pool: readonly AudienceMember[] = ranked) {
  const asked: number[] = [];
  return { asked, retrieve: (n: number) => (asked.push(n), Promise.resolve(pool.slice(0, n))) };
}

const overFetch = { factor: 2, rounds: 6 };

describe('judge', () => {
  it('names the first rule each user fails, in the order region, explicit, exposed, played', async () => {
    const { f } = facts(['u-0', 'u-3'], ['u-3', 'u-6']);
    const v = await judge(
      ['u-0', 'u-1', 'u-3', 'u-5', 'u-6', 'u-9'],
      { region: 'SE', explicit: true, excludeExposed: true },
      f,
    );
    expect(Object.fromEntries(v)).toEqual({
      'u-0': 'exposed', // SE, not opted out, but sent already
      'u-1': 'region', // NO
      'u-3': 'exposed', // exposed and played: counted once, under the first rule
      'u-5': 'region', // no profile: market unknown
      'u-6': 'played',
      'u-9': null,
    });
  });

  it("refuses users outside the song's markets and users of unknown market, and ignores opt-out for a clean song", async () => {
    const { f } = facts();
    const v = await judge(['u-1', 'u-2', 'u-5'], { availability: ['NO'], explicit: false }, f);
    expect(Object.fromEntries(v)).toEqual({ 'u-1': null, 'u-2': null, 'u-5': 'region' });
    const explicitOnly = await judge(['u-1', 'u-2'], { explicit: true, excludePlayed: false }, f);
    expect(Object.fromEntries(explicitOnly)).toEqual({ 'u-1': 'explicit', 'u-2': null }); // u-1 opted out
  });
});

describe('selectWithRules', () => {
  it('over-fetches until the wanted size of eligible users is met, and counts the refused above the cut', async () => {
    const { retrieve, asked } = retrieval();
    const { f } = facts(['u-0', 'u-3']);
    const got = await selectWithRules(retrieve, 10, { region: 'SE', excludeExposed: true }, f, overFetch);
    expect(got.members).toHaveLength(10);
    expect(got.sizeMet).toBe(true);
    // SE users are every third; u-0 and u-3 were sent the song already.
    expect(got.members.map((m) => m.userId)).toEqual(
      [6, 9, 12, 15, 18, 21, 24, 27, 30, 33].map((i) => `u-${i}`),
    );
    expect(got.filtered).toEqual({ region: 22, explicit: 0, exposed: 2, played: 0 });
    // 20 first (factor 2), then what the pass rate (5 of 20) says: ceil(10 / 0.25 × 1.2) = 48.
    expect(asked).toEqual([20, 48]);
    expect(got.rounds).toBe(2);
  });

  it('says when the candidates ran out before the size was met', async () => {
    const { retrieve } = retrieval();
    const got = await selectWithRules(retrieve, 50, { region: 'SE' }, facts().f, overFetch);
    expect(got.members).toHaveLength(34); // every SE user of the 100 (u-0 … u-99 step 3)
    expect(got).toMatchObject({ sizeMet: false, exhausted: true });
    expect(got.filtered.region).toBe(66);
  });

  it('stops after the configured rounds, not exhausted, when candidates remain', async () => {
    const { retrieve, asked } = retrieval();
    const got = await selectWithRules(retrieve, 30, { region: 'SE' }, facts().f, { factor: 1.1, rounds: 1 });
    expect(asked).toEqual([33]);
    expect(got).toMatchObject({ sizeMet: false, exhausted: false, rounds: 1 });
  });

  it('judges each user once across rounds', async () => {
    const { retrieve } = retrieval();
    const { f, calls } = facts();
    await selectWithRules(retrieve, 30, { region: 'SE' }, f, overFetch);
    expect(calls.looked.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(100);
  });

  it('takes retrieval as it is when no rule applies', async () => {
    const { retrieve, asked } = retrieval();
    const got = await selectWithRules(retrieve, 5, { excludePlayed: false }, facts().f, overFetch);
    expect(asked).toEqual([5]);
    expect(got.members.map((m) => m.userId)).toEqual(['u-0', 'u-1', 'u-2', 'u-3', 'u-4']);
  });
});

describe('exploration', () => {
  it('splits a budget by round(share × size)', () => {
    expect(explorationSplit(100, 0.1)).toEqual({ nearest: 90, explore: 10 });
    expect(explorationSplit(7, 0.25)).toEqual({ nearest: 5, explore: 2 });
    expect(explorationSplit(10, 0)).toEqual({ nearest: 10, explore: 0 });
    expect(explorationSplit(10, 1)).toEqual({ nearest: 0, explore: 10 });
  });

  it('gives the exploration share to eligible users outside the full nearest audience', async () => {
    const near = retrieval(ranked.slice(0, 60));
    // The exploration pool: every user, in a shuffled order (here: reversed).
    const pool = retrieval([...ranked].reverse());
    const got = await selectBudgeted(
      near.retrieve,
      pool.retrieve,
      10,
      0.3,
      { region: 'SE' },
      facts().f,
      overFetch,
    );
    expect(got.members).toHaveLength(10);
    expect(got.explored).toBe(3);
    const nearest = got.members.filter((m) => !m.explore).map((m) => m.userId);
    expect(nearest).toEqual(['u-0', 'u-3', 'u-6', 'u-9', 'u-12', 'u-15', 'u-18']);
    const explored = got.members.filter((m) => m.explore);
    // The full nearest audience of 10 ends at u-27: exploration starts beyond it, SE users only.
    expect(explored.map((m) => m.userId)).toEqual(['u-99', 'u-96', 'u-93']);
    expect(explored.every((m) => m.score === 0 && m.because.length === 0)).toBe(true);
    expect(got.sizeMet).toBe(true);
  });

  it('is deterministic: the same pools give the same audience', async () => {
    const run = () =>
      selectBudgeted(
        retrieval().retrieve,
        retrieval([...ranked].reverse()).retrieve,
        20,
        0.5,
        {},
        facts().f,
        overFetch,
      );
    expect(await run()).toEqual(await run());
  });
});
