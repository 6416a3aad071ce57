import { gaussian, mulberry32 } from '../random';
import {
  encodeSemanticIds,
  fitRqKMeans,
  formatSemanticId,
  parseSemanticId,
  reconstructionError,
  semanticIdStats,
} from './rq-kmeans';

/** n points around `clusters` well-separated centres in `dim` dimensions. */
function blobs(n: number, clusters: number, dim: number, seed: number) {
  const rng = mulberry32(seed);
  const centres = Float32Array.from({ length: clusters * dim }, () => 10 * gaussian(rng));
  const x = new Float32Array(n * dim);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    label[i] = i % clusters;
    for (let j = 0; j < dim; j++) x[i * dim + j] = centres[label[i] * dim + j] + 0.1 * gaussian(rng);
  }
  return { x, label };
}

describe('RQ-KMeans semantic IDs', () => {
  it('puts points of one well-separated blob under one level-1 code, and different blobs under different ones', () => {
    const { x, label } = blobs(400, 8, 6, 1);
    const cb = fitRqKMeans(x, 6, { levels: 2, codes: 8, iterations: 25, seed: 3 });
    const ids = encodeSemanticIds(cb, x);
    const codeOfBlob = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const c = ids[i * 2];
      if (!codeOfBlob.has(label[i])) codeOfBlob.set(label[i], c);
      expect(c).toBe(codeOfBlob.get(label[i]));
    }
    expect(new Set(codeOfBlob.values()).size).toBe(8);
  });

  it('each level lowers the reconstruction error', () => {
    const rng = mulberry32(5);
    const x = Float32Array.from({ length: 600 * 8 }, () => gaussian(rng));
    const errors = [1, 2, 3].map((levels) => {
      const cb = fitRqKMeans(x, 8, { levels, codes: 16, iterations: 15, seed: 1 });
      return reconstructionError(cb, x, encodeSemanticIds(cb, x));
    });
    expect(errors[1]).toBeLessThan(errors[0]);
    expect(errors[2]).toBeLessThan(errors[1]);
  });

  it('is reproducible from its seed and encodes vectors it never saw (a new release)', () => {
    const { x } = blobs(300, 4, 5, 2);
    const a = fitRqKMeans(x, 5, { levels: 3, codes: 4, sample: 100, seed: 9 });
    const b = fitRqKMeans(x, 5, { levels: 3, codes: 4, sample: 100, seed: 9 });
    expect(Array.from(encodeSemanticIds(a, x))).toEqual(Array.from(encodeSemanticIds(b, x)));
    const fresh = encodeSemanticIds(a, Float32Array.from([1, 2, 3, 4, 5]));
    expect(fresh.length).toBe(3);
    fresh.forEach((c) => expect(c).toBeGreaterThanOrEqual(0));
    fresh.forEach((c) => expect(c).toBeLessThan(4));
  });

  it('keeps `codes` rows per level even when fewer points than codes are fitted', () => {
    const cb = fitRqKMeans(Float32Array.from([0, 0, 1, 1]), 2, { levels: 2, codes: 8 });
    expect(cb.centroids.map((c) => c.length)).toEqual([16, 16]);
  });

  it('reports codebook use, prefix sharing and collisions', () => {
    const ids = Int32Array.from([0, 1, 0, 1, 0, 2, 3, 4]); // 4 songs × 2 levels: two share "0-1"
    const s = semanticIdStats(ids, 2, 8);
    expect(s.codesUsed).toEqual([2, 3]);
    expect(s.distinctPrefixes).toEqual([2, 3]);
    expect(s.maxSongsPerPrefix).toEqual([3, 2]);
    expect(s.medianSongsPerPrefix).toEqual([2, 1]); // prefix "0" has 3 songs, "3" has 1; "0-1" 2, the others 1
    expect(s.collidingSongs).toBe(2);
    expect(s.uniqueShare).toBe(0.5);
  });

  it('formats and parses the stored form, refusing anything else', () => {
    expect(formatSemanticId([12, 5, 40])).toBe('12-5-40');
    expect(parseSemanticId('12-5-40')).toEqual([12, 5, 40]);
    expect(() => parseSemanticId('12--5')).toThrow();
    expect(() => parseSemanticId('a-1')).toThrow();
  });
});
