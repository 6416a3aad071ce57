/**
 * Issue 15: SID prefix n-gram and random-hash item-ID features of the DSSM item tower.
 * Prefix tables (exact vs hashed), that a cold song whose content sits in a warm cluster gets
 * the same prefix rows as the warm songs of that cluster, that random-hash IDs give every
 * non-warm song the one reserved row no warm song uses, and an end-to-end fit of the three rows.
 */
import {
  ColdStartEvaluator,
  ColdSplit,
  ColdStartDataset,
  Item,
  TrainContext,
  coldSplit,
  generateSynthetic,
  warmU2IMetrics,
} from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { initTf } from '../tf';
import type { DssmFit } from '../methods/dssm-methods';
import { dssmSidMethods, randomHashFeatures, sidFeatures } from '../methods/dssm-sid-methods';
import {
  ITEM_HASH_MODALITY,
  SidFeatureConfig,
  fitSidPieces,
  sidPieces,
  sidPrefixBuckets,
  sidPrefixModality,
  sidSchema,
  sidValues,
  withIdFeatures,
} from './sid-features';

jest.setTimeout(120000);

const cfg: SidFeatureConfig = { levels: 3, codes: 4, tableSizes: [4, 16, 8], hashSeed: 1 };

/** Rows of each field that are non-zero in a song's featurized input. */
function activeRows(f: Featurizer, item: Item, field: string): number[] {
  const x = f.encode(item.content);
  const spec = f.fields.find((s) => s.name === field)!;
  const out: number[] = [];
  for (let j = 0; j < spec.width; j++) if (x[spec.offset + j] !== 0) out.push(j);
  return out;
}

describe('SID prefix buckets', () => {
  it('indexes small prefix tables exactly and hashes large ones into range', () => {
    const b = sidPrefixBuckets([1, 2, 3], cfg);
    expect(b.slice(0, 2)).toEqual([1, 1 * 4 + 2]);
    expect(b[2]).toBeGreaterThanOrEqual(0);
    expect(b[2]).toBeLessThan(8);
    expect(sidPrefixBuckets([1, 2, 3], cfg)).toEqual(b);
    // Songs sharing a prefix share its rows; the finer levels differ where the codes do.
    const c = sidPrefixBuckets([1, 2, 0], cfg);
    expect(c.slice(0, 2)).toEqual(b.slice(0, 2));
    expect(sidPrefixBuckets([1, 3, 3], cfg)[1]).not.toBe(b[1]);
    // Every level-3 prefix (64 of them) lands in the 8-row table, and the hash spreads them.
    const rows = new Set<number>();
    for (let a = 0; a < 4; a++)
      for (let m = 0; m < 4; m++) for (let z = 0; z < 4; z++) rows.add(sidPrefixBuckets([a, m, z], cfg)[2]);
    expect([...rows].every((r) => r >= 0 && r < 8)).toBe(true);
    expect(rows.size).toBeGreaterThan(4);
  });

  it('becomes one one-hot field per prefix length in the unchanged Featurizer', () => {
    const schema = sidSchema({ version: 1, modalities: [] }, cfg);
    const f = new Featurizer(schema);
    const item: Item = { id: 's', content: withIdFeatures({ features: {} }, sidValues([1, 2, 3], cfg)) };
    const b = sidPrefixBuckets([1, 2, 3], cfg);
    // Row 0 of each field is the Featurizer's out-of-vocabulary row, so bucket k is row k + 1.
    for (let p = 1; p <= 3; p++) expect(activeRows(f, item, sidPrefixModality(p))).toEqual([b[p - 1] + 1]);
  });
});

describe('SID pieces (SentencePiece-style)', () => {
  // 6 songs share 1-2 (one with 1-2-3, five with 1-2-0); 3 songs are 0-0-0; one song 3-1-1.
  const sids = [
    [1, 2, 3],
    ...Array.from({ length: 5 }, () => [1, 2, 0]),
    ...Array.from({ length: 3 }, () => [0, 0, 0]),
    [3, 1, 1],
  ];
  const ids = Int32Array.from(sids.flat());
  const vocab = fitSidPieces(ids, 3, { vocabSize: 100, minCount: 3 });

  it('keeps every single code and only the runs shared by ≥ minCount warm songs', () => {
    expect(vocab).toEqual(
      expect.arrayContaining(['1:1', '2:2', '3:3', '1:3', '1:0', '2:0', '3:0', '2:1', '3:1']),
    );
    expect(vocab).toEqual(expect.arrayContaining(['1:1-2', '1:1-2-0', '2:2-0', '1:0-0-0', '1:0-0', '2:0-0']));
    expect(vocab).not.toContain('1:1-2-3');
    expect(vocab).not.toContain('1:3-1');
  });

  it('cuts a song into the longest known pieces, left to right', () => {
    const set = new Set(vocab);
    expect(sidPieces([1, 2, 0], set)).toEqual(['1:1-2-0']);
    expect(sidPieces([1, 2, 3], set)).toEqual(['1:1-2', '3:3']);
    expect(sidPieces([3, 1, 1], set)).toEqual(['1:3', '2:1', '3:1']);
    // A cold song with an unseen full SID still shares its frequent prefix piece.
    expect(sidPieces([1, 2, 1], set)).toEqual(['1:1-2', '3:1']);
  });

  it('caps the vocabulary, most shared runs first', () => {
    const small = fitSidPieces(ids, 3, { vocabSize: 10, minCount: 3 });
    expect(small).toHaveLength(10);
    expect(small).toContain('1:1-2'); // 6 songs: the most shared run
  });
});

/** Two content clusters (dense 'v' near ±e1); the first song of each cluster is made cold. */
function clustered(): { ds: ColdStartDataset; split: ColdSplit; ctx: TrainContext } {
  const items: Item[] = Array.from({ length: 40 }, (_, i) => {
    const side = i % 2 === 0 ? 1 : -1;
    return { id: `s${i}`, content: { features: { v: [side, 0.01 * i, 0.02 * ((i * 7) % 5)] } } };
  });
  const ds: ColdStartDataset = {
    name: 'toy',
    schema: { version: 1, modalities: [{ name: 'v', kind: 'dense', dim: 3 }] },
    items,
    users: ['u0'],
    interactions: [],
    stats: {},
  };
  const cold = ['s0', 's1'];
  const split: ColdSplit = {
    seed: 5,
    warmItems: items.map((i) => i.id).filter((id) => !cold.includes(id)),
    coldValItems: [cold[0]],
    coldTestItems: [cold[1]],
    train: [],
    coldVal: [],
    coldTest: [],
  };
  const ctx = { dataset: ds, split, seed: 5, log: () => undefined } as unknown as TrainContext;
  return { ds, split, ctx };
}

describe('SID features of cold songs', () => {
  it('give a cold song the prefix rows of the warm songs of its content cluster', () => {
    const { ds, ctx } = clustered();
    // A stand-in content model: the item vector is the content vector.
    const content = {
      model: {
        dim: 3,
        embedItems: (cs: Item['content'][]) => Float32Array.from(cs.flatMap((c) => c.features.v)),
      },
    } as unknown as DssmFit;
    const f = sidFeatures(
      ctx,
      content,
      { levels: 2, codes: 2, tableSizes: [2, 4], hashSeed: 1 },
      { iterations: 10 },
    );
    const byId = new Map(ds.items.map((i) => [i.id, i]));
    const l1 = (id: string) => f.values(byId.get(id)!)[sidPrefixModality(1)];
    const even = ds.items.filter((_, i) => i % 2 === 0 && i > 0).map((i) => l1(i.id));
    const odd = ds.items.filter((_, i) => i % 2 === 1 && i > 1).map((i) => l1(i.id));
    expect(new Set(even).size).toBe(1);
    expect(new Set(odd).size).toBe(1);
    expect(even[0]).not.toBe(odd[0]);
    expect(l1('s0')).toBe(even[0]);
    expect(l1('s1')).toBe(odd[0]);
    // Through the Featurizer: the cold song's level-1 one-hot is a warm song's row.
    const fz = new Featurizer(f.schema);
    const featured = (id: string) => ({
      ...byId.get(id)!,
      content: withIdFeatures(byId.get(id)!.content, f.values(byId.get(id)!)),
    });
    expect(activeRows(fz, featured('s0'), sidPrefixModality(1))).toEqual(
      activeRows(fz, featured('s2'), sidPrefixModality(1)),
    );
  });

  it('random-hash IDs: warm songs hash into trained rows, every non-warm song gets the one reserved row', () => {
    const { ds, ctx } = clustered();
    const f = randomHashFeatures(ctx, 16);
    const fz = new Featurizer(f.schema);
    const row = (i: Item) =>
      activeRows(fz, { ...i, content: withIdFeatures(i.content, f.values(i)) }, ITEM_HASH_MODALITY);
    const warmRows = ds.items.slice(2).map(row);
    expect(warmRows.every((r) => r.length === 1 && r[0] >= 1 && r[0] <= 16)).toBe(true);
    expect(new Set(warmRows.map((r) => r[0])).size).toBeGreaterThan(8);
    expect(row(ds.items[0])).toEqual([0]);
    expect(row(ds.items[1])).toEqual([0]);
  });
});

describe('dssmSidMethods', () => {
  it('trains content-only, SID n-gram and random-hash rows that score cold and held-out warm songs', async () => {
    await initTf({ log: () => undefined });
    const ds = generateSynthetic({ seed: 3, songs: 400, users: 200 });
    const split = coldSplit(ds, { seed: 3, warmHoldout: true });
    const ev = new ColdStartEvaluator(ds, split, { seed: 3 });
    const ctx = ev.trainContext();
    const methods = dssmSidMethods({
      config: {
        epochs: 1,
        fieldDim: 8,
        hidden: [32],
        dim: 16,
        userHidden: [16],
        boundaryHidden: [16],
        batchSize: 256,
        negatives: 128,
      },
      sid: [
        { levels: 2, codes: 8, tableSizes: [8, 64], hashSeed: 3 },
        { levels: 3, codes: 8, tableSizes: [8, 64, 64], hashSeed: 3 },
      ],
      hashBuckets: 64,
    });
    expect(methods.map((m) => m.name)).toEqual([
      'dssm-boundary',
      'dssm-sid-ngram',
      'dssm-sid-spm',
      'dssm-random-hash',
    ]);
    for (const m of methods) {
      const model = await m.fit(ctx);
      const metrics = { ...ev.evaluateU2I(model), ...warmU2IMetrics(split, ev.warm, ds.users, model) };
      expect(metrics['u2i.recall@20']).toBeGreaterThan(0);
      expect(metrics['u2i.recall@20.warm']).toBeGreaterThan(0);
    }
  });
});
