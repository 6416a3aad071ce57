import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadFaiss } from './faiss';
import { FlatVectorIndex } from './flat-index';
import { locateHnswParams } from './hnsw-format';
import { HnswVectorIndex } from './hnsw-index';
import { LabelMap } from './label-map';
import { indexDirExists, readIndexDir, writeIndexDir } from './persistence';
import { clusteredUnitVectors } from './synthetic';
import { createVectorIndex, loadVectorIndex } from './vector-index';

const dim = 8;
const n = 60;
const data = clusteredUnitVectors(n, dim, 3);
const names = Array.from({ length: n }, (_, i) => `s${i}`);
const queries = [data.subarray(0, dim), data.subarray(5 * dim, 6 * dim)];

let root: string;
beforeAll(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'debut-persist-'))));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const dirFor = (name: string) => path.join(root, name);

/** The fields of index.json (persistence.ts's Manifest) these tests read; the rest passes through. */
type ManifestJson = Record<string, unknown> & {
  labels: (string | null)[];
  faissFile: string;
  vectorsFile: string | null;
};
const readManifest = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as ManifestJson;
const writeManifest = (dir: string, m: object) =>
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(m));

describe.each(['flat', 'hnsw'] as const)('persistence round trip (%s)', (kind) => {
  it('keeps ids, removals, options and answers', () => {
    // a high tombstone threshold keeps the HNSW tombstones through the save
    const index = createVectorIndex({
      dim,
      kind,
      name: `pool-${kind}`,
      maxTombstoneFraction: 0.9,
      hnsw: { M: 8, efSearch: 64 },
    });
    index.add(names, data);
    index.remove(names.slice(10, 20));
    const dir = dirFor(`round-${kind}`);
    expect(indexDirExists(dir)).toBe(false);
    index.save(dir);
    expect(indexDirExists(dir)).toBe(true);

    const loaded = loadVectorIndex(dir);
    expect(loaded).toBeInstanceOf(kind === 'flat' ? FlatVectorIndex : HnswVectorIndex);
    expect(loaded.stats()).toEqual(index.stats());
    expect(loaded.stats().tombstones).toBe(kind === 'hnsw' ? 10 : 0);
    expect(loaded.maxTombstoneFraction).toBe(0.9);
    expect(loaded.ids()).toEqual(index.ids());
    for (const query of queries) expect(loaded.search(query, 5)).toEqual(index.search(query, 5));

    const m = readManifest(dir);
    expect(m).toMatchObject({
      kind,
      dim,
      name: `pool-${kind}`,
      stored: kind === 'hnsw' ? n : n - 10,
      size: n - 10,
    });
    expect(m.labels.filter((id) => id === null)).toHaveLength(kind === 'hnsw' ? 10 : 0);
    expect(m.vectorsFile === null).toBe(kind === 'flat');
  });
});

describe('HNSW search parameters on disk', () => {
  it('a changed efSearch is saved in the faiss file and comes back', () => {
    const index = new HnswVectorIndex({ dim, hnsw: { M: 8 } });
    index.add(names, data);
    index.setEfSearch(48);
    const dir = dirFor('ef');
    index.save(dir);
    const loaded = loadVectorIndex(dir) as HnswVectorIndex;
    expect(loaded.hnsw.efSearch).toBe(48);
    const buf = loaded.snapshot().faissIndex.toBuffer();
    expect(buf.readInt32LE(locateHnswParams(buf)!.efSearch)).toBe(48);
  });

  it("re-applies the manifest's efSearch to a faiss file that carries faiss's default", () => {
    const dir = dirFor('old-ef');
    new HnswVectorIndex({ dim }).save(dir);
    const faissFile = path.join(dir, readManifest(dir).faissFile);
    const raw = loadFaiss().Index.fromFactory(dim, 'HNSW32,Flat', 0);
    raw.write(faissFile);
    const loaded = loadVectorIndex(dir) as HnswVectorIndex;
    const buf = loaded.snapshot().faissIndex.toBuffer();
    expect(buf.readInt32LE(locateHnswParams(buf)!.efSearch)).toBe(128);
  });
});

describe('readIndexDir', () => {
  it('creates the index from the saved options before filling it', () => {
    const dir = dirFor('options');
    createVectorIndex({ dim, kind: 'hnsw', name: 'cold', maxTombstoneFraction: 0.5 }).save(dir);
    const seen: object[] = [];
    readIndexDir(dir, (options) => {
      seen.push(options);
      return new HnswVectorIndex(options);
    });
    expect(seen).toEqual([
      expect.objectContaining({ dim, kind: 'hnsw', name: 'cold', maxTombstoneFraction: 0.5 }),
    ]);
  });

  it('writeIndexDir takes any snapshot, not only a live index', () => {
    const faissIndex = new (loadFaiss().IndexFlatIP)(dim);
    faissIndex.add(Array.from(data.subarray(0, 2 * dim)));
    const dir = dirFor('snapshot');
    const common = {
      name: 'x',
      kind: 'flat' as const,
      dim,
      hnsw: null,
      maxTombstoneFraction: 0.2,
      vectors: null,
    };
    writeIndexDir(dir, { ...common, faissIndex, labels: new LabelMap(['a', 'b']) });
    expect(loadVectorIndex(dir).search(data.subarray(dim, 2 * dim), 1)[0].id).toBe('b');
  });

  it('rejects inconsistent HNSW files and id lists', () => {
    const dir = dirFor('broken');
    const index = createVectorIndex({ dim, kind: 'hnsw' });
    index.add(['a', 'b'], data.subarray(0, 2 * dim));
    index.save(dir);
    const m = readManifest(dir);
    writeManifest(dir, { ...m, vectorsFile: null });
    expect(() => loadVectorIndex(dir)).toThrow(/missing HNSW vectors file/);
    fs.writeFileSync(path.join(dir, m.vectorsFile!), Buffer.alloc(4));
    writeManifest(dir, m);
    expect(() => loadVectorIndex(dir)).toThrow(/has 4 bytes, expected 64/);
    writeManifest(dir, { ...m, labels: ['a', 'a'] });
    expect(() => loadVectorIndex(dir)).toThrow(/bad or duplicate id at position 1/);
    writeManifest(dir, { ...m, kind: 'ivf' });
    expect(() => loadVectorIndex(dir)).toThrow(/unknown kind ivf/);
    writeManifest(dir, { ...m, faissFile: '../elsewhere.faiss' });
    expect(() => loadVectorIndex(dir)).toThrow(/bad faiss file name/);
  });

  it('an HNSW index refuses a state without its vector copy', () => {
    const index = new HnswVectorIndex({ dim });
    expect(() => index.restore({ ...index.snapshot(), vectors: null })).toThrow(/vector copy/);
  });
});
