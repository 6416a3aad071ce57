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
});
