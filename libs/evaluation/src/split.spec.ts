import { coldSplit } from './split';
import type { ColdStartDataset, Interaction } from './types';

function dataset(): ColdStartDataset {
  // 100 items; item i has (i % 12) listeners → items with ≥ 5 listeners: i % 12 ∈ 5..11.
  const interactions: Interaction[] = [];
  const items = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}`, content: { features: {} } }));
  items.forEach((it, i) => {
    for (let u = 0; u < i % 12; u++) interactions.push({ userId: `u${u}`, itemId: it.id, strength: 1 + u });
  });
  return {
    name: 'toy',
    schema: { version: 1, modalities: [] },
    items,
    users: Array.from({ length: 11 }, (_, u) => `u${u}`),
    interactions,
    stats: {},
  };
}

describe('coldSplit', () => {
  const ds = dataset();
  const eligible = ds.items.filter((_, i) => i % 12 >= 5).length;

  it('makes 20% of items with ≥ 5 listeners cold, half validation half test, disjoint from warm', () => {
    const s = coldSplit(ds, { seed: 7 });
    expect(s.coldValItems.length + s.coldTestItems.length).toBe(Math.round(eligible * 0.2));
    expect(Math.abs(s.coldValItems.length - s.coldTestItems.length)).toBeLessThanOrEqual(1);
    const val = new Set(s.coldValItems);
    const test = new Set(s.coldTestItems);
    const warm = new Set(s.warmItems);
    for (const id of val) expect(test.has(id) || warm.has(id)).toBe(false);
    for (const id of test) expect(warm.has(id)).toBe(false);
    expect(warm.size + val.size + test.size).toBe(ds.items.length);
    for (const id of [...val, ...test]) expect(Number(id.slice(1)) % 12).toBeGreaterThanOrEqual(5);
  });

  it('hides every interaction of cold items from training', () => {
    const s = coldSplit(ds, { seed: 7 });
    const cold = new Set([...s.coldValItems, ...s.coldTestItems]);
    expect(s.train.some((i) => cold.has(i.itemId))).toBe(false);
    expect(s.coldVal.every((i) => s.coldValItems.includes(i.itemId))).toBe(true);
    expect(s.coldTest.every((i) => s.coldTestItems.includes(i.itemId))).toBe(true);
    expect(s.train.length + s.coldVal.length + s.coldTest.length).toBe(ds.interactions.length);
  });

  it('is deterministic per seed and differs across seeds; default seed 42', () => {
    expect(coldSplit(ds, { seed: 3 })).toEqual(coldSplit(ds, { seed: 3 }));
    expect(coldSplit(ds, { seed: 3 }).coldTestItems).not.toEqual(coldSplit(ds, { seed: 4 }).coldTestItems);
    expect(coldSplit(ds).seed).toBe(42);
  });
});
