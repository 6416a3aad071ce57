/**
 * Issue 16 pieces of the DSSM: dual-memory pooling arithmetic, and the STARS training options
 * (per-song delta, logQ softmax, month offsets) actually training something on a small
 * synthetic-drift catalogue while leaving cold scoring to content alone.
 */
import { coldSplit, generateSyntheticDrift } from '@debut/evaluation';
import { initTf } from '../tf';
import { DssmModel, UserVectors } from './model';
import { mixUserVectors, recencyWeights } from './stars';
import { addContextOffset, addItemDelta } from './stars-training';
import { trainDssm } from './trainer';
import { SMALL_DSSM, smallDssmData } from '../testing/small-dssm';

jest.setTimeout(60000);

describe('dual memory arithmetic', () => {
  it('weights halve every halfLife ranks; the mix is (1 − λ)·gen + λ·next with thresholds u·b', () => {
    expect(Array.from(recencyWeights(3, 1))).toEqual([1, 0.5, 0.25]);
    const uv = (u: number[], b: number[]): UserVectors => ({
      users: Float32Array.from(u),
      boundaries: Float32Array.from(b),
      thresholds: new Float32Array(1),
      hasHistory: [true],
    });
    const m = mixUserVectors(uv([1, 0], [1, 1]), uv([0, 1], [0, 2]), 0.25);
    expect(Array.from(m.users)).toEqual([0.75, 0.25]);
    expect(Array.from(m.boundaries)).toEqual([0.75, 1.25]);
    expect(m.thresholds[0]).toBeCloseTo(0.75 * 0.75 + 0.25 * 1.25, 6);
  });

  it('adds deltas with renormalisation and offsets only where a bucket is known', () => {
    const v = addItemDelta(Float32Array.from([1, 0]), Float32Array.from([0, 1]), 2);
    expect(v[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(v[1]).toBeCloseTo(Math.SQRT1_2, 6);
    const u = addContextOffset(Float32Array.from([1, 1, 2, 2]), Float32Array.from([10, 20]), 2, (r) =>
      r === 0 ? 0 : -1,
    );
    expect(Array.from(u)).toEqual([11, 21, 2, 2]);
  });
});

describe('STARS training options', () => {
  const ds = generateSyntheticDrift({ seed: 3, songs: 300, users: 200, interactionsPerUser: 30 });
  const split = coldSplit(ds, { seed: 3 });
  const { featurizer, byId, warm, data, recentHistories } = smallDssmData(ds, split);
  const small = SMALL_DSSM;

  beforeAll(() => initTf());

  it('trains the next-intent task on the most recent songs when asked, and refuses without them', async () => {
    await expect(trainDssm(data, { ...small, nextWeight: 0.5 })).rejects.toThrow(/recentHistories/);
    const plain = await trainDssm(data, small);
    const next = await trainDssm({ ...data, recentHistories }, { ...small, nextWeight: 0.5, nextLength: 5 });
    for (const h of next.history) expect(Number.isFinite(h.loss)).toBe(true);
    // A second task on the same towers: a larger loss than the first alone, other weights.
    expect(next.history[0].loss).toBeGreaterThan(plain.history[0].loss);
    expect(Array.from(next.towers.user.kernels[0].dataSync())).not.toEqual(
      Array.from(plain.towers.user.kernels[0].dataSync()),
    );
    [plain.towers, next.towers].forEach((t) => t.dispose());
  });

  it('learns nothing extra with every option off', async () => {
    const r = await trainDssm(data, small);
    expect(r.learned).toEqual({});
    r.towers.dispose();
  });

  it('learns per-song deltas, month offsets and a finite loss with the options on; cold songs still embed from content', async () => {
    const r = await trainDssm(data, {
      ...small,
      itemDelta: true,
      softmaxWeight: 0.5,
      logQ: true,
      contextBuckets: 12,
    });
    for (const h of r.history) expect(Number.isFinite(h.loss)).toBe(true);
    const delta = r.learned.itemDelta!;
    expect(delta).toHaveLength(warm.length * 16);
    expect(delta.some((x) => x !== 0)).toBe(true);
    const offsets = r.learned.contextOffsets!;
    expect(offsets).toHaveLength(12 * 16);
    expect(offsets.some((x) => x !== 0)).toBe(true);
    // A cold song's vector is the item tower on its content: unit norm, no delta involved.
    const model = new DssmModel(featurizer, r.towers);
    const cold = model.embedItems([byId.get(split.coldTestItems[0])!.content]);
    expect(Math.hypot(...cold)).toBeCloseTo(1, 4);
    r.towers.dispose();
  });
});
