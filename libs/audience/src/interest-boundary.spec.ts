import { InterestBoundary, noHistoryDecisions } from './interest-boundary';

describe('InterestBoundary', () => {
  const ib = new InterestBoundary({ user: Float32Array.from([1, 0]), boundary: Float32Array.from([0.5, 3]) });

  it('passes a song exactly when u·i > u·b', () => {
    expect(ib.threshold).toBeCloseTo(0.5);
    const d = ib.gate(['a', 'b', 'c'], Float32Array.from([0.9, 0, 0.5, 1, 0.1, 5]));
    expect(d.map((x) => [x.songId, x.pass])).toEqual([
      ['a', true],
      ['b', false], // equal to the boundary does not pass
      ['c', false],
    ]);
    expect(d[0].score).toBeCloseTo(0.9);
    expect(d[0].boundary).toBeCloseTo(0.5);
  });

  it('keeps only candidates above the boundary, best first', () => {
    const r = ib.above(
      [
        { songId: 'x', score: 0.6 },
        { songId: 'y', score: 0.2 },
        { songId: 'z', score: 0.95 },
      ],
      5,
    );
    expect(r.map((x) => x.songId)).toEqual(['z', 'x']);
  });

  it('rejects a malformed item matrix', () => {
    expect(() => ib.gate(['a'], Float32Array.from([1]))).toThrow(/expected 1 × 2/);
  });

  it('refuses every cold song for a user with no history', () => {
    expect(noHistoryDecisions(['a', 'b']).every((d) => !d.pass)).toBe(true);
  });
});
