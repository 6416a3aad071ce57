import { FlatVectorIndex } from './flat-index';
import { HnswVectorIndex } from './hnsw-index';
import { clusteredUnitVectors } from './synthetic';
import { DEFAULT_HNSW_PARAMS } from './types';
import { buildVectorIndex, createVectorIndex, VectorIndex } from './vector-index';

const dim = 4;
const data = clusteredUnitVectors(30, dim, 11);
const names = Array.from({ length: 30 }, (_, i) => `s${i}`);

describe('createVectorIndex', () => {
  it('picks the class of the kind asked for (flat by default)', () => {
    expect(createVectorIndex({ dim })).toBeInstanceOf(FlatVectorIndex);
    expect(createVectorIndex({ dim, kind: 'flat' })).toBeInstanceOf(FlatVectorIndex);
    expect(createVectorIndex({ dim, kind: 'hnsw' })).toBeInstanceOf(HnswVectorIndex);
    expect(createVectorIndex({ dim, kind: 'hnsw' }).name).toBe('hnsw');
    expect(createVectorIndex({ dim, name: 'warm' }).name).toBe('warm');
  });

  it('reports a bad dim before a bad kind, and a bad kind before a bad fraction', () => {
    expect(() => createVectorIndex({ dim: 0, kind: 'ivf' as never })).toThrow(/dim must be an integer/);
    expect(() => createVectorIndex({ dim, kind: 'ivf' as never, maxTombstoneFraction: 2 })).toThrow(
      /kind must be/,
    );
    expect(() => createVectorIndex({ dim, maxTombstoneFraction: 0 })).toThrow(/maxTombstoneFraction/);
  });

  it('VectorIndex.build is buildVectorIndex', () => {
    const a = VectorIndex.build({ dim, kind: 'hnsw' }, names, data);
    const b = buildVectorIndex({ dim, kind: 'hnsw' }, names, data);
    expect(a).toBeInstanceOf(HnswVectorIndex);
    expect(a.stats()).toEqual(b.stats());
    expect(a.search(data.subarray(0, dim), 3)).toEqual(b.search(data.subarray(0, dim), 3));
  });
});

describe('FlatVectorIndex', () => {
  it('has no HNSW parameters and ignores efSearch', () => {
    const flat = new FlatVectorIndex({ dim });
    flat.add(names, data);
    expect(flat.hnsw).toBeNull();
    flat.setEfSearch(0); // not even validated: there is no beam
    flat.rebuild();
    expect(flat.search(data.subarray(0, dim), 1, { efSearch: 7 })[0].id).toBe('s0');
    expect(flat.stats()).toMatchObject({ kind: 'flat', size: 30, stored: 30, tombstones: 0, hnsw: null });
  });

  it('removal shifts later labels so search still names the right ids', () => {
    const flat = new FlatVectorIndex({ dim });
    flat.add(names, data);
    flat.remove(['s0', 's2']);
    expect(flat.stats()).toMatchObject({ size: 28, stored: 28 });
    expect(flat.search(data.subarray(3 * dim, 4 * dim), 1)[0].id).toBe('s3');
  });
});

describe('HnswVectorIndex', () => {
  it('starts from the default parameters with overrides', () => {
    expect(new HnswVectorIndex({ dim }).hnsw).toEqual(DEFAULT_HNSW_PARAMS);
    expect(new HnswVectorIndex({ dim, hnsw: { M: 8 } }).hnsw).toEqual({ ...DEFAULT_HNSW_PARAMS, M: 8 });
    expect(() => new HnswVectorIndex({ dim, hnsw: { M: 1 } })).toThrow(/hnsw.M must be at least 2/);
    expect(() => new HnswVectorIndex({ dim, hnsw: { efSearch: 10_001 } })).toThrow(
      /hnsw.efSearch must be an integer/,
    );
  });

  it('setEfSearch validates, and a search option sets it for later searches', () => {
    const hnsw = new HnswVectorIndex({ dim, name: 'cold' });
    hnsw.add(names, data);
    expect(() => hnsw.setEfSearch(0)).toThrow(/cold: efSearch must be an integer in \[1, 10000\]/);
    hnsw.setEfSearch(64);
    expect(hnsw.hnsw.efSearch).toBe(64);
    hnsw.search(data.subarray(0, dim), 3, { efSearch: 32 });
    expect(hnsw.stats().hnsw).toMatchObject({ efSearch: 32 });
  });

  it('keeps tombstones under the threshold and rebuild() drops them, keeping id order', () => {
    const hnsw = new HnswVectorIndex({ dim, maxTombstoneFraction: 0.5 });
    hnsw.add(names, data);
    hnsw.remove(['s1', 's4']);
    hnsw.add(['s7'], data.subarray(0, dim)); // a replacement tombstones the old vector too
    expect(hnsw.stats()).toMatchObject({ size: 28, stored: 31, tombstones: 3 });
    const before = hnsw.ids();
    hnsw.rebuild();
    expect(hnsw.stats()).toMatchObject({ size: 28, stored: 28, tombstones: 0 });
    expect(hnsw.ids()).toEqual(before);
    expect(
      hnsw
        .search(data.subarray(0, dim), 2)
        .map((h) => h.id)
        .sort(),
    ).toEqual(['s0', 's7']);
  });
});
