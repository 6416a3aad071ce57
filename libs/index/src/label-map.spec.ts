import { LabelMap } from './label-map';
import { VectorStore } from './vector-store';

describe('LabelMap', () => {
  it('numbers appended ids by insertion order', () => {
    const map = new LabelMap(['a', 'b']);
    map.append(['c', 'd']);
    expect(map.ids()).toEqual(['a', 'b', 'c', 'd']);
    expect([map.idAt(2), map.idAt(4)]).toEqual(['c', undefined]);
    expect(map).toMatchObject({ size: 4, stored: 4, tombstones: 0 });
  });

  it('tombstones keep every other label in place', () => {
    const map = new LabelMap(['a', 'b', 'c']);
    map.tombstone(['b']);
    expect(map.has('b')).toBe(false);
    expect(map.toArray()).toEqual(['a', null, 'c']);
    expect(map.livePositions()).toEqual([0, 2]);
    expect(map).toMatchObject({ size: 2, stored: 3, tombstones: 1 });
  });

  it('removeShifting hands faiss the labels, then shifts the later ones down', () => {
    const map = new LabelMap(['a', 'b', 'c', 'd', 'e']);
    const given: number[][] = [];
    map.removeShifting(['d', 'b'], (labels) => given.push(labels));
    expect(given).toEqual([[3, 1]]);
    expect(map.toArray()).toEqual(['a', 'c', 'e']);
    expect([map.idAt(1), map.idAt(2)]).toEqual(['c', 'e']);
    map.append(['f']);
    expect(map.idAt(3)).toBe('f');
  });

  it('fromLabels restores tombstones and reports the first bad position', () => {
    const bad = (pos: number): never => {
      throw new Error(`bad ${pos}`);
    };
    const map = LabelMap.fromLabels(['a', null, 'c'], bad);
    expect(map).toMatchObject({ size: 2, stored: 3, tombstones: 1 });
    expect(map.has('c')).toBe(true);
    expect(() => LabelMap.fromLabels(['a', 'b', 'a'], bad)).toThrow('bad 2');
    expect(() => LabelMap.fromLabels(['a', 7 as never], bad)).toThrow('bad 1');
  });
});

describe('VectorStore', () => {
  it('appends rows, growing as needed, and gathers a compact copy', () => {
    const store = new VectorStore(2);
    store.append(new Float32Array([1, 2]));
    store.append(new Float32Array([3, 4, 5, 6]));
    expect(store.count).toBe(3);
    expect(Array.from(store.used())).toEqual([1, 2, 3, 4, 5, 6]);
    const kept = store.gather([2, 0]);
    expect(Array.from(kept.used())).toEqual([5, 6, 1, 2]);
    kept.append(new Float32Array([7, 8]));
    expect(Array.from(kept.used())).toEqual([5, 6, 1, 2, 7, 8]);
    expect(Array.from(store.used())).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
