import { expect } from '@jest/globals';
import { VectorTable } from './vector-table';

describe('VectorTable', () => {
  it('stores rows by id, grows past its capacity and keeps every row', () => {
    const t = new VectorTable(3, 2);
    for (let i = 0; i < 50; i++) t.set(`r${i}`, [i, i + 1, i + 2]);
    expect(t.size).toBe(50);
    for (let i = 0; i < 50; i++) expect(Array.from(t.get(`r${i}`)!)).toEqual([i, i + 1, i + 2]);
    expect(t.bytes).toBeGreaterThanOrEqual(50 * 3 * 4);
  });

  it('writes a row from parts, overwrites in place, and reuses the slots of deleted rows', () => {
    const t = new VectorTable(4, 2);
    t.set('a', [1, 2], [3, 4]);
    t.set('b', [5, 6, 7, 8]);
    expect(Array.from(t.get('a')!)).toEqual([1, 2, 3, 4]);
    t.set('a', [9, 9, 9, 9]);
    expect(Array.from(t.get('a')!)).toEqual([9, 9, 9, 9]);
    expect(t.delete('a')).toBe(true);
    expect(t.get('a')).toBeUndefined();
    expect(t.delete('a')).toBe(false);
    const bytes = t.bytes;
    t.set('c', [0, 0, 0, 1]); // takes a's slot: no growth
    expect(t.bytes).toBe(bytes);
    expect(Array.from(t.get('b')!)).toEqual([5, 6, 7, 8]);
    expect(Array.from(t.get('c')!)).toEqual([0, 0, 0, 1]);
    const at = t.offsetOf('b');
    expect(Array.from(t.matrix.subarray(at, at + 4))).toEqual([5, 6, 7, 8]);
    expect(t.offsetOf('a')).toBe(-1);
  });

  it('refuses rows of the wrong width', () => {
    const t = new VectorTable(2);
    expect(() => t.set('x', [1, 2, 3])).toThrow('row of x has 3 values');
    expect(() => t.load(['a', 'b'], new Float32Array(3))).toThrow('expected 2 × 2 values');
  });
});
