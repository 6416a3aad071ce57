import { coldSplit } from './split';
import { generateSyntheticDrift } from './synthetic-drift';
import { ColdStartEvaluator } from './evaluate';
import { mulberry32 } from './random';
import type { Item, U2IModel } from './types';

describe('evaluateU2I on synthetic-drift', () => {
  const ds = generateSyntheticDrift({ seed: 9, songs: 300, users: 200, interactionsPerUser: 30 });
  const split = coldSplit(ds, { seed: 9 });
  const ev = new ColdStartEvaluator(ds, split, { seed: 9 });
  const dim = 4;
  const rng = mulberry32(1);
  const itemVec = new Map(ds.items.map((i) => [i.id, Array.from({ length: dim }, () => rng() - 0.5)]));
  const userVec = Float32Array.from({ length: ds.users.length * dim }, () => rng() - 0.5);
  const rows = (ids: string[], v = userVec) => {
    const out = new Float32Array(ids.length * dim);
    ids.forEach((id, r) => {
      const u = ds.users.indexOf(id);
      out.set(v.subarray(u * dim, (u + 1) * dim), r * dim);
    });
    return out;
  };
  const base: U2IModel = {
    dim,
    embedItems: (items: Item[]) => Float32Array.from(items.flatMap((i) => itemVec.get(i.id)!)),
    embedUsers: (ids) => rows(ids),
  };

  it('reports the drift, recent, season and coverage slices', () => {
    const m = ev.evaluateU2I(base);
    for (const k of [
      'u2i.recall@20',
      'u2i.recall@20.drifted',
      'u2i.recall@20.steady',
      'u2i.recall@20.recent',
      'u2i.recall@20.season',
      'u2i.coverage@20',
    ]) {
      expect(m[k]).toBeGreaterThanOrEqual(0);
      expect(m[k]).toBeLessThanOrEqual(1);
    }
  });

  it('interleaves two identical lists into the single ranking, and ranks the season with embedUsersAt', () => {
    const m = ev.evaluateU2I(base);
    const rr = ev.evaluateU2I({ ...base, embedUserLists: (ids) => [rows(ids), rows(ids)] });
    expect(rr['u2i.recall@20']).toBeCloseTo(m['u2i.recall@20'], 10);
    const flipped = Float32Array.from(userVec, (x) => -x);
    const other = ev.evaluateU2I({ ...base, embedUserLists: (ids) => [rows(ids, flipped)] });
    expect(other['u2i.recall@20']).not.toBeCloseTo(m['u2i.recall@20'], 6);
    const ctx = ev.evaluateU2I({ ...base, embedUsersAt: (ids) => rows(ids, flipped) });
    expect(ctx['u2i.recall@20']).toBe(m['u2i.recall@20']);
    expect(ctx['u2i.recall@20.season']).not.toBeCloseTo(m['u2i.recall@20.season'], 6);
  });
});
