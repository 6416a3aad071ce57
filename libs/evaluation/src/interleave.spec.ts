import { roundRobin } from './interleave';

describe('roundRobin', () => {
  it('takes the lists in turn, skipping what is already taken, up to k', () => {
    expect(
      roundRobin([
        ['a', 'b', 'c'],
        ['b', 'd', 'a', 'e'],
      ]),
    ).toEqual(['a', 'b', 'd', 'c', 'e']);
    expect(
      roundRobin(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        3,
      ),
    ).toEqual([1, 4, 2]);
    expect(roundRobin([[], [7]])).toEqual([7]);
  });

  it('with shares, takes that many ranks of each list per turn; one each is the plain round-robin', () => {
    const a = ['a1', 'a2', 'a3', 'a4', 'a5'];
    const b = ['b1', 'a2', 'b3'];
    expect(roundRobin([a, b], Infinity, [2, 1])).toEqual(['a1', 'a2', 'b1', 'a3', 'a4', 'a5', 'b3']); // b's rank 2 (a2) was taken: skipped;
    expect(roundRobin([a, b], 4, [2, 1])).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(roundRobin([a, b], Infinity, [1, 1])).toEqual(roundRobin([a, b]));
  });
});
