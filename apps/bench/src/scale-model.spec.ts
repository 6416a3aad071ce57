import { describe, expect, it } from '@jest/globals';
import { clusteredUnitVectors, loadFaiss } from '@debut/index';
import { locateIvfNprobe, parseSizes, recallAtK, sizeLabel, zipfListenerCounts } from './scale-model';

describe('parseSizes', () => {
  it('reads plain numbers and k / m suffixes', () => {
    expect(parseSizes('10k, 100K,1m,2500,1.5m')).toEqual([10_000, 100_000, 1_000_000, 2500, 1_500_000]);
  });

  it.each(['', 'ten', '1g', '-5', '0', '1.5'])('refuses %p', (bad) => {
    expect(() => parseSizes(bad)).toThrow(/not a size/);
  });

  it('labels sizes back', () => {
    expect([10_000, 100_000, 1_000_000, 2500, 123].map(sizeLabel)).toEqual([
      '10k',
      '100k',
      '1M',
      '2.5k',
      '123',
    ]);
  });
});

describe('zipfListenerCounts', () => {
  it('adds up to songs × mean, falls with rank and never exceeds the users', () => {
    const m = { songs: 20_000, meanPerSong: 10, users: 2_941, exponent: 0.9 };
    const c = zipfListenerCounts(m);
    const total = c.reduce((s, x) => s + x, 0);
    expect(Math.abs(total - m.songs * m.meanPerSong)).toBeLessThan(m.songs * m.meanPerSong * 0.001);
    expect(c.every((x, r) => r === 0 || x <= c[r - 1])).toBe(true);
    expect(c[0]).toBe(m.users); // the head is cut at the user count
    expect(c[c.length - 1]).toBeLessThan(m.meanPerSong);
  });

  it('gives every song the mean when popularity is flat', () => {
    const c = zipfListenerCounts({ songs: 100, meanPerSong: 7, users: 1000, exponent: 0 });
    expect([...new Set(c)]).toEqual([7]);
  });
});

describe('recallAtK', () => {
  it('counts the exact top-k ids found in the approximate top k', () => {
    const exact = [
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
    ];
    expect(recallAtK(exact, exact, 3)).toBe(1);
    expect(
      recallAtK(
        [
          ['a', 'x', 'b'],
          ['y', 'z', 'd'],
        ],
        exact,
        3,
      ),
    ).toBeCloseTo(3 / 6);
    expect(recallAtK([['c', 'a']], [['a', 'b', 'c']], 2)).toBe(0.5); // c is outside the exact top 2
  });
});

describe('locateIvfNprobe (real faiss IVF-PQ)', () => {
  const dim = 16;
  const faiss = loadFaiss();
  const base = clusteredUnitVectors(10_000, dim, 5);
  const index = faiss.Index.fromFactory(dim, 'IVF16,PQ4', 0);
  index.train(Array.from(base));
  index.add(Array.from(base));
  const buf = index.toBuffer();

  it('finds nprobe (faiss default 1) and a patched value changes what a search visits', () => {
    const at = locateIvfNprobe(buf, 16);
    expect(at).not.toBeNull();
    expect(buf.readBigUInt64LE(at!)).toBe(1n);
    const query = Array.from(base.subarray(0, dim));
    // One list holds ~1/16 of the 10,000 vectors: a large k comes back padded with -1 at nprobe 1 only.
    const k = 1000;
    const one = faiss.Index.fromBuffer(buf)
      .search(query, k)
      .labels.filter((l) => l >= 0).length;
    const patched = Buffer.from(buf);
    patched.writeBigUInt64LE(16n, at!);
    const all = faiss.Index.fromBuffer(patched)
      .search(query, k)
      .labels.filter((l) => l >= 0).length;
    expect(one).toBeLessThan(k);
    expect(all).toBe(k);
  });

  it('finds it in the fast-scan (4-bit) variant too', () => {
    const fs = faiss.Index.fromFactory(dim, 'IVF16,PQ8x4fs', 0);
    fs.train(Array.from(base));
    const b = fs.toBuffer();
    expect(b.toString('latin1', 0, 4)).toBe('IwPf');
    expect(locateIvfNprobe(b, 16)).toBe(locateIvfNprobe(buf, 16));
  });

  it('refuses other layouts and a wrong nlist', () => {
    expect(locateIvfNprobe(buf, 32)).toBeNull();
    expect(locateIvfNprobe(faiss.Index.fromFactory(dim, 'HNSW8,Flat', 0).toBuffer(), 16)).toBeNull();
    expect(locateIvfNprobe(Buffer.alloc(10), 16)).toBeNull();
  });
});
