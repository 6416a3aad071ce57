import { interleaveDecisions, mixedMemory } from './next-memory';

const mem = (u: number[], b: number[]) => ({ user: Float32Array.from(u), boundary: Float32Array.from(b) });
const dec = (songId: string, score: number) => ({ songId, score, boundary: 0, pass: true });

describe('mixedMemory', () => {
  it('is (1 − λ)·gen + λ·next for u and b', () => {
    const m = mixedMemory(mem([1, 0], [0, 2]), mem([0, 1], [2, 0]), 0.25);
    expect(Array.from(m.user)).toEqual([0.75, 0.25]);
    expect(Array.from(m.boundary)).toEqual([0.5, 1.5]);
  });

  it('keeps h_gen exactly when λ = 0 or the user has no h_next', () => {
    const gen = mem([1, 2], [3, 4]);
    expect(mixedMemory(gen, mem([9, 9], [9, 9]), 0)).toBe(gen);
    expect(mixedMemory(gen, undefined, 0.7)).toBe(gen);
  });
});

describe('interleaveDecisions', () => {
  it('takes the lists in turn, skipping songs already taken, up to the limit', () => {
    const gen = [dec('a', 3), dec('b', 2), dec('c', 1)];
    const next = [dec('b', 5), dec('d', 4), dec('a', 1)];
    expect(interleaveDecisions([gen, next], 10).map((d) => d.songId)).toEqual(['a', 'b', 'd', 'c']);
    expect(interleaveDecisions([gen, next], 3).map((d) => d.songId)).toEqual(['a', 'b', 'd']);
  });

  it('keeps the decision of the list that ranked a song first', () => {
    const out = interleaveDecisions([[dec('a', 3)], [dec('a', 9)]], 5);
    expect(out).toEqual([dec('a', 3)]);
  });

  it('with one list is that list', () => {
    const gen = [dec('a', 3), dec('b', 2)];
    expect(interleaveDecisions([gen], 5)).toEqual(gen);
  });
});
