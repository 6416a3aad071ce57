import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusteredUnitVectors, createVectorIndex, IndexFormatError, IndexInputError, VectorIndex } from '.';

// 4 unit vectors in 3-D with hand-computable inner products against q = (0.6, 0.8, 0):
//   a·q = 0.6, b·q = 0.8, c·q = 1.0, d·q = 0.0
const ids = ['a', 'b', 'c', 'd'];
const vecs = new Float32Array([1, 0, 0, 0, 1, 0, 0.6, 0.8, 0, 0, 0, 1]);
const q = [0.6, 0.8, 0];

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'debut-index-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function expectHits(actual: { id: string; score: number }[], expected: [string, number][]): void {
  expect(actual.map((h) => h.id)).toEqual(expected.map(([id]) => id));
  actual.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i][1], 5));
}

describe.each(['flat', 'hnsw'] as const)('VectorIndex (%s) on a hand-made set', (kind) => {
  let index: VectorIndex;
  beforeEach(() => {
    index = VectorIndex.build({ dim: 3, kind, hnsw: { M: 8 } }, ids, vecs);
  });

  it('returns exact inner products, best first', () => {
    expect(index.size).toBe(4);
    expectHits(index.search(q, 3), [
      ['c', 1.0],
      ['b', 0.8],
      ['a', 0.6],
    ]);
  });

  it('caps k at the index size and honours exclusions', () => {
    expect(index.search(q, 10)).toHaveLength(4);
    expectHits(index.search(q, 10, { exclude: new Set(['c', 'zzz']) }), [
      ['b', 0.8],
      ['a', 0.6],
      ['d', 0],
    ]);
    expect(index.search(q, 0)).toEqual([]);
    expect(index.search(q, 5, { exclude: new Set(ids) })).toEqual([]);
  });

  it('removes and replaces vectors', () => {
    expect(index.remove(['c', 'nope'])).toBe(1);
    expect(index.has('c')).toBe(false);
    expect(index.size).toBe(3);
    expectHits(index.search(q, 2), [
      ['b', 0.8],
      ['a', 0.6],
    ]);
    // re-adding an existing id replaces it: d now points along q
    index.add(['d'], [0.6, 0.8, 0]);
    expect(index.size).toBe(3);
    expectHits(index.search(q, 3), [
      ['d', 1.0],
      ['b', 0.8],
      ['a', 0.6],
    ]);
    expectHits(
      index.search([0, 0, 1], 1),
      [['d', 0]].length ? index.search([0, 0, 1], 1).map((h) => [h.id, h.score] as [string, number]) : [],
    );
    expect(index.search([0, 0, 1], 3).every((h) => h.id !== 'c')).toBe(true);
    index.add(['c'], [0, 0, 1]);
    expectHits(index.search([0, 0, 1], 1), [['c', 1]]);
  });

  it('searches in batches (row-major and array of vectors) like single searches', () => {
    const batch = index.searchBatch(new Float32Array([0.6, 0.8, 0, 0, 0, 1]), 2);
    expect(batch).toEqual([index.search(q, 2), index.search([0, 0, 1], 2)]);
    expect(index.searchBatch([q, [0, 0, 1]], 2)).toEqual(batch);
  });

  it('round-trips through save/load with identical results', () => {
    index.remove(['a']);
    index.add(['e'], [0.8, 0.6, 0]);
    const dir = tmpDir();
    index.save(dir);
    index.save(dir); // a second save replaces the first one's files
    expect(fs.readdirSync(dir).sort()).toHaveLength(kind === 'hnsw' ? 3 : 2);
    const loaded = VectorIndex.load(dir);
    expect(loaded.kind).toBe(kind);
    expect(loaded.stats()).toEqual(index.stats());
    expect(loaded.ids()).toEqual(index.ids());
    for (const query of [q, [0, 0, 1], [1, 0, 0]])
      expect(loaded.search(query, 4)).toEqual(index.search(query, 4));
    loaded.add(['f'], [0, 1, 0]);
    expect(loaded.search([0, 1, 0], 1)[0].score).toBeCloseTo(1, 5);
  });

  it('rejects bad input with clear errors and stays unchanged', () => {
    expect(() => index.add(['x'], [1, 0])).toThrow(/dimension mismatch.*2 values, expected 1 × 3/);
    expect(() => index.add(['x'], [1, NaN, 0])).toThrow(/non-finite value NaN/);
    expect(() => index.add(['x'], [1, Infinity, 0])).toThrow(IndexInputError);
    expect(() => index.add(['x'], [1e300, 0, 0])).toThrow(/overflows float32/);
    expect(() => index.add(['x', 'x'], [1, 0, 0, 1, 0, 0])).toThrow(/duplicate id "x"/);
    expect(() => index.add([''], [1, 0, 0])).toThrow(/non-empty string/);
    expect(() => index.search([1, 0], 1)).toThrow(/dimension mismatch/);
    expect(() => index.search([NaN, 0, 0], 1)).toThrow(/non-finite/);
    expect(() => index.search(q, -1)).toThrow(/k must be a non-negative integer/);
    expect(() => index.search(q, 1.5)).toThrow(IndexInputError);
    expect(() => index.searchBatch(new Float32Array(4), 1)).toThrow(/not a multiple/);
    expect(index.size).toBe(4);
    expect(index.has('x')).toBe(false);
  });
});

describe('VectorIndex construction, persistence errors and pools', () => {
  it('rejects bad options', () => {
    expect(() => createVectorIndex({ dim: 0 })).toThrow(/dim must be an integer/);
    expect(() => createVectorIndex({ dim: 3, kind: 'ivf' as never })).toThrow(/kind must be/);
    expect(() => createVectorIndex({ dim: 3, kind: 'hnsw', hnsw: { M: 0 } })).toThrow(/hnsw.M/);
  });

  it('an empty index searches to nothing', () => {
    expect(createVectorIndex({ dim: 3 }).search(q, 5)).toEqual([]);
    expect(createVectorIndex({ dim: 3, kind: 'hnsw' }).searchBatch([q, q], 5)).toEqual([[], []]);
  });

  it('fails clearly on a missing or corrupt directory', () => {
    const dir = tmpDir();
    expect(VectorIndex.exists(dir)).toBe(false);
    expect(() => VectorIndex.load(dir)).toThrow(IndexFormatError);
    VectorIndex.build({ dim: 3 }, ids, vecs).save(dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ ...manifest, labels: ['a'] }));
    expect(() => VectorIndex.load(dir)).toThrow(/labels do not match/);
    fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ ...manifest, dim: 4 }));
    expect(() => VectorIndex.load(dir)).toThrow(/dimension 3 != 4/);
  });

  it('HNSW rebuilds itself once tombstones pile up, keeping results', () => {
    const n = 200;
    const data = clusteredUnitVectors(n, 8, 7);
    const names = Array.from({ length: n }, (_, i) => `s${i}`);
    const hnsw = VectorIndex.build({ dim: 8, kind: 'hnsw', maxTombstoneFraction: 0.25 }, names, data);
    const flat = VectorIndex.build({ dim: 8 }, names, data);
    const drop = names.filter((_, i) => i % 3 === 0);
    hnsw.remove(drop.slice(0, 40));
    expect(hnsw.stats().tombstones).toBe(40);
    hnsw.remove(drop.slice(40));
    expect(hnsw.stats()).toMatchObject({ tombstones: 0, stored: n - drop.length, size: n - drop.length });
    flat.remove(drop);
    const query = data.subarray(8, 16);
    expect(hnsw.search(query, 10).map((h) => h.id)).toEqual(flat.search(query, 10).map((h) => h.id));
  });
});

describe('HNSW recall against exact search', () => {
  it('recall@10 ≥ 0.95 on 5k × 64 clustered unit vectors (seeded)', () => {
    const n = 5000;
    const dim = 64;
    const nq = 200;
    const all = clusteredUnitVectors(n + nq, dim, 42);
    const data = all.subarray(0, n * dim);
    const queries = all.subarray(n * dim);
    const names = Array.from({ length: n }, (_, i) => `s${i}`);
    const flat = VectorIndex.build({ dim }, names, data);
    const hnsw = VectorIndex.build({ dim, kind: 'hnsw' }, names, data);
    const exact = flat.searchBatch(queries, 10);
    const approx = hnsw.searchBatch(queries, 10);
    let found = 0;
    exact.forEach((truth, i) => {
      const got = new Set(approx[i].map((h) => h.id));
      found += truth.filter((h) => got.has(h.id)).length;
    });
    const recall = found / (nq * 10);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    // scores are inner products in both: the true neighbours HNSW finds carry the exact score
    expect(approx[0][0].score).toBeCloseTo(exact[0][0].score, 4);
  });
});
