import { coldSplit } from './split';
import type { ColdStartDataset, Interaction, Item, U2IModel } from './types';
import { popularityU2IModel, warmU2IMetrics, withWarmHoldout } from './warm-holdout';

function dataset(): ColdStartDataset {
  // 200 items, 8 users; user u plays items 5u, …, 5u+39 (40 plays each).
  const items = Array.from({ length: 200 }, (_, i) => ({ id: `i${i}`, content: { features: {} } }));
  const interactions: Interaction[] = [];
  for (let u = 0; u < 8; u++)
    for (let j = 0; j < 40; j++) interactions.push({ userId: `u${u}`, itemId: `i${5 * u + j}`, strength: 1 });
  return {
    name: 'toy',
    schema: { version: 1, modalities: [] },
    items,
    users: Array.from({ length: 8 }, (_, u) => `u${u}`),
    interactions,
    stats: {},
  };
}

const key = (it: Interaction) => `${it.userId}|${it.itemId}`;

describe('warm holdout', () => {
  const ds = dataset();

  it('is off by default: the split is exactly today’s', () => {
    const plain = coldSplit(ds, { seed: 3 });
    expect(plain.warmHoldout).toBeUndefined();
    expect(coldSplit(ds, { seed: 3, warmHoldout: false })).toEqual(plain);
  });

  it('hides a seeded 10% of each user’s warm plays, disjoint from training, cold split unchanged', () => {
    const plain = coldSplit(ds, { seed: 3 });
    const s = coldSplit(ds, { seed: 3, warmHoldout: true });
    expect(s.coldValItems).toEqual(plain.coldValItems);
    expect(s.coldTestItems).toEqual(plain.coldTestItems);
    const held = s.warmHoldout!;
    const trainKeys = new Set(s.train.map(key));
    expect(held.some((it) => trainKeys.has(key(it)))).toBe(false);
    expect(new Set([...s.train, ...held].map(key))).toEqual(new Set(plain.train.map(key)));
    const warm = new Set(s.warmItems);
    expect(held.every((it) => warm.has(it.itemId))).toBe(true);
    for (const user of ds.users) {
      const n = plain.train.filter((it) => it.userId === user).length;
      expect(held.filter((it) => it.userId === user).length).toBe(Math.round(0.1 * n));
    }
  });

  it('is fixed by the seed and moves with it', () => {
    const a = coldSplit(ds, { seed: 3, warmHoldout: true }).warmHoldout!.map(key);
    const b = coldSplit(ds, { seed: 3, warmHoldout: true }).warmHoldout!.map(key);
    expect(a).toEqual(b);
    const base = coldSplit(ds, { seed: 3 });
    const other = withWarmHoldout({ ...base, seed: 4 }).warmHoldout!.map(key);
    expect(other).not.toEqual(a);
  });

  it('scores held-out warm plays against warm songs outside the user’s training history', () => {
    const s = coldSplit(ds, { seed: 3, warmHoldout: true });
    const warm: Item[] = s.warmItems.map((id) => ds.items.find((i) => i.id === id)!);
    const held = new Set(s.warmHoldout!.map(key));
    // An oracle item space: one dimension per user, item on it when held out for that user.
    const d = ds.users.length;
    const oracle: U2IModel = {
      dim: d,
      embedItems: (items) => {
        const out = new Float32Array(items.length * d);
        items.forEach((it, r) =>
          ds.users.forEach((u, c) => (out[r * d + c] = held.has(`${u}|${it.id}`) ? 1 : 0)),
        );
        return out;
      },
      embedUsers: (ids) => {
        const out = new Float32Array(ids.length * d);
        ids.forEach((u, r) => (out[r * d + ds.users.indexOf(u)] = 1));
        return out;
      },
    };
    const m = warmU2IMetrics(s, warm, ds.users, oracle);
    expect(m['u2i.recall@20.warm']).toBeCloseTo(1, 6);
    expect(m['u2i.ndcg@20.warm']).toBeCloseTo(1, 6);
    // Training songs scored highest, held-out next: only the exclusion of the user's training
    // history lets the held-out songs into the top 20 (36 training songs would fill it).
    const trained = new Set(s.train.map(key));
    const trainingFirst: U2IModel = {
      ...oracle,
      embedItems: (items) => {
        const out = new Float32Array(items.length * d);
        items.forEach((it, r) =>
          ds.users.forEach((u, c) => {
            const k = `${u}|${it.id}`;
            out[r * d + c] = trained.has(k) ? 2 : held.has(k) ? 1 : 0;
          }),
        );
        return out;
      },
    };
    expect(warmU2IMetrics(s, warm, ds.users, trainingFirst)['u2i.recall@20.warm']).toBeCloseTo(1, 6);
    const antiOracle: U2IModel = {
      ...oracle,
      embedItems: (items) => oracle.embedItems(items).map((x) => -x),
    };
    expect(warmU2IMetrics(s, warm, ds.users, antiOracle)['u2i.recall@20.warm']).toBe(0);
  });

  it('popularity baseline: every user gets the most-listened warm songs they have not trained on', () => {
    const s = coldSplit(ds, { seed: 3, warmHoldout: true });
    const warm: Item[] = s.warmItems.map((id) => ds.items.find((i) => i.id === id)!);
    const pop = popularityU2IModel(s);
    const v = pop.embedItems(warm);
    const count = (id: string) => s.train.filter((it) => it.itemId === id).length;
    warm.forEach((it, j) => expect(v[j]).toBeCloseTo(Math.log1p(count(it.id)), 5));
    const m = warmU2IMetrics(s, warm, ds.users, pop);
    expect(m['u2i.recall@20.warm']).toBeGreaterThan(0);
    expect(m['u2i.recall@20.warm']).toBeLessThanOrEqual(1);
  });
});
