import { ColdStartEvaluator, coldSplit, generateSynthetic, rawContentEncoder } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  FieldCorrelation,
  I2IEncoder,
  assignGroups,
  buildTrainingPairs,
  initTf,
  loadI2IEncoder,
  mulberry32,
  saveI2IArtifact,
  trainI2I,
  viewMasks,
} from '.';

// ~25 s alone on 2 cores; generous so a busy machine does not turn slowness into a failure.
jest.setTimeout(240_000);

beforeAll(async () => {
  await initTf({ log: () => undefined });
});

describe('pairs', () => {
  const inter = (u: string, i: string) => ({ userId: u, itemId: i, strength: 1 });
  it('keeps co-listened pairs that pass co-listener and lift thresholds, ignores unknown items', () => {
    // a,b share 3 listeners; a,c share 1; h is listened by everyone (low lift); x is a cold item.
    const xs = [
      ...['u1', 'u2', 'u3'].flatMap((u) => [inter(u, 'a'), inter(u, 'b')]),
      inter('u4', 'a'),
      inter('u4', 'c'),
      ...['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map((u) => inter(u, 'h')),
      inter('u5', 'x'),
    ];
    const p = buildTrainingPairs(xs, ['a', 'b', 'c', 'h'], { topK: 5, minCoListeners: 2, minLift: 1.2 });
    const kept = Array.from(p.anchors, (a, i) => `${'abch'[a]}${'abch'[p.positives[i]]}`).sort();
    expect(kept).toEqual(['ab', 'ba']);
    expect(p.stats.droppedByCoListeners).toBeGreaterThan(0);
    expect(p.stats.droppedByLift).toBeGreaterThan(0);
    expect(p.stats.keptPairs).toBe(2);
  });
});

describe('grouping', () => {
  it('puts the seed field and its most correlated fields in group A; views are complementary', () => {
    const corr = new FieldCorrelation(4, 0);
    const rng = mulberry32(1);
    const n = 200;
    const v = new Float32Array(n * 4);
    for (let r = 0; r < n; r++) {
      const s = rng();
      const t = rng();
      v.set([s, s + 0.01 * rng(), t, t + 0.01 * rng()], r * 4);
    }
    corr.update(v, n);
    expect(corr.neighbours(0)[0]).toBe(1);
    expect(corr.neighbours(2)[0]).toBe(3);
    const g = assignGroups(50, 4, rng, 'correlated', corr);
    for (let r = 0; r < 50; r++) {
      const row = Array.from(g.subarray(r * 4, r * 4 + 4));
      expect(row[0]).toBe(row[1]);
      expect(row[2]).toBe(row[3]);
      expect(row.reduce((s, x) => s + x, 0)).toBe(2);
    }
    const [m1, m2] = viewMasks(g, 50, 4, rng, 0);
    for (let i = 0; i < m1.length; i++) expect(m1[i] + m2[i]).toBe(1);
  });
});

describe('I2I encoder on synthetic data with distractor dimensions', () => {
  it('beats content KNN on cold-item audience recall, and its artifact reloads to identical vectors', async () => {
    const ds = generateSynthetic({ seed: 7, songs: 1500, users: 800, interactionsPerUser: 30 });
    const split = coldSplit(ds, { seed: 7 });
    const ev = new ColdStartEvaluator(ds, split);
    const featurizer = new Featurizer(ds.schema);
    const byId = new Map(ds.items.map((i) => [i.id, i]));
    const inputs = featurizer.encodeBatch(split.warmItems.map((id) => byId.get(id)!.content));
    const pairs = buildTrainingPairs(split.train, split.warmItems, {
      topK: 20,
      minCoListeners: 2,
      minLift: 1.5,
    });
    expect(pairs.stats.keptPairs).toBeGreaterThan(1000);
    const toEncoder = (enc: I2IEncoder) => ({
      dim: enc.dim,
      embed: (items: typeof ds.items) => enc.embed(items.map((i) => i.content)),
    });
    const result = await trainI2I(
      {
        fields: featurizer.fields,
        inputDim: featurizer.inputDim,
        inputs,
        numItems: split.warmItems.length,
        pairs,
      },
      {
        epochs: 6,
        batchSize: 256,
        fieldDim: 16,
        hidden: [64],
        outputDim: 32,
        lambda: 0.3,
        patience: 2,
        seed: 7,
      },
      { onEpoch: (_e, _m, tower) => ev.validateI2I(toEncoder(new I2IEncoder(featurizer, tower))) },
    );
    const encoder = new I2IEncoder(featurizer, result.tower);
    const learned = (await ev.evaluateI2I(toEncoder(encoder)))['audience.recall@100'];
    const knn = (await ev.evaluateI2I(rawContentEncoder(ds.schema)))['audience.recall@100'];
    expect(learned).toBeGreaterThan(knn);

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'debut-i2i-'));
    try {
      const manifest = await saveI2IArtifact(dir, encoder, result.config, {
        'val.audience.recall@100': result.bestValidation,
      });
      expect(manifest.kind).toBe('i2i');
      const { encoder: loaded } = await loadI2IEncoder(dir);
      const sample = ds.items.slice(0, 64).map((i) => i.content);
      expect(Array.from(loaded.embed(sample))).toEqual(Array.from(encoder.embed(sample)));
      loaded.dispose();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
      encoder.dispose();
    }
  });
});
