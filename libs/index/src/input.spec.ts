import { IndexInputError } from './errors';
import { batchRows, checkIds, checkK, indexSettings, toRows } from './input';

const target = { name: 'warm', dim: 2 };

describe('index input validation', () => {
  it('indexSettings defaults the name to the kind and the fraction to 0.2', () => {
    expect(indexSettings({ dim: 3 }, 'hnsw')).toEqual({ name: 'hnsw', dim: 3, maxTombstoneFraction: 0.2 });
    expect(() => indexSettings({ dim: 65_537 }, 'flat')).toThrow(/dim must be an integer in \[1, 65536\]/);
    expect(() => indexSettings({ dim: 3, maxTombstoneFraction: 1.5 }, 'flat')).toThrow(
      /maxTombstoneFraction/,
    );
  });

  it('names the index, and the id or row, in messages', () => {
    expect(() => checkIds(target, 'ab' as never)).toThrow(/warm: ids must be an array/);
    expect(() => toRows(target, [1, 2, 3, NaN], 2, 'vectors', ['x', 'y'])).toThrow(
      /warm: vectors \(id "y"\) has a non-finite value NaN at component 1/,
    );
    expect(() => toRows(target, [1, 2, NaN, 4], 2, 'query batch')).toThrow(
      /query batch \(row 1\) has a non-finite value/,
    );
    expect(() => toRows(target, null as never, 1, 'query vector')).toThrow(
      /must be a Float32Array or an array of numbers/,
    );
    expect(() => checkK(target, -1)).toThrow(IndexInputError);
  });

  it('batchRows reads row-major data and arrays of vectors alike', () => {
    const a = batchRows(target, new Float64Array([1, 2, 3, 4]));
    const b = batchRows(target, [new Float32Array([1, 2]), [3, 4]]);
    expect(a.n).toBe(2);
    expect(b).toEqual(a);
    expect(batchRows(target, []).n).toBe(0);
    expect(() => batchRows(target, [[1, 2], [3]])).toThrow(/query vector 1 has 1 values/);
  });
});
