import {
  auc,
  coverage,
  gateCounts,
  gateScores,
  hitsAtK,
  mean,
  median,
  ndcgAtK,
  precisionAtK,
  recallAtK,
} from './metrics';

describe('metrics (hand-computed)', () => {
  const ranked = ['a', 'b', 'c', 'd', 'e'];
  const rel = new Set(['b', 'd', 'x']);

  it('Recall@K = hits in top K / |relevant|', () => {
    expect(hitsAtK(ranked, rel, 2)).toBe(1);
    expect(recallAtK(ranked, rel, 1)).toBe(0);
    expect(recallAtK(ranked, rel, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAtK(ranked, rel, 5)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(ranked, rel, 100)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(ranked, new Set(), 5)).toBeUndefined();
    expect(precisionAtK(ranked, rel, 4)).toBe(0.5);
  });

  it('NDCG@K with binary gains', () => {
    // hits at ranks 1 and 3 (0-based): DCG = 1/log2(3) + 1/log2(5); IDCG@5 with 3 relevant = 1 + 1/log2(3) + 1/2.
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    expect(ndcgAtK(ranked, rel, 5)).toBeCloseTo(dcg / (1 + 1 / Math.log2(3) + 0.5), 12);
    // @2: DCG = 1/log2(3); IDCG = 1 + 1/log2(3).
    expect(ndcgAtK(ranked, rel, 2)).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(ndcgAtK(['b', 'd', 'x'], rel, 3)).toBeCloseTo(1, 12);
    expect(ndcgAtK(ranked, new Set(), 3)).toBeUndefined();
  });

  it('AUC counts ties as one half', () => {
    expect(auc([3, 4], [1, 2])).toBe(1);
    expect(auc([1, 2], [3, 4])).toBe(0);
    // pairs: (2 vs 1) win, (2 vs 2) tie, (0 vs 1) loss, (0 vs 2) loss → (1 + 0.5) / 4.
    expect(auc([2, 0], [1, 2])).toBeCloseTo(0.375, 12);
    expect(auc([5, 5], [5])).toBe(0.5);
    expect(auc([], [1])).toBeUndefined();
  });

  it('gate precision / recall / F1', () => {
    const c = gateCounts([true, true, false, false, true], [true, false, true, false, true]);
    expect(c).toEqual({ tp: 2, fp: 1, fn: 1, tn: 1 });
    const s = gateScores(c);
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBeCloseTo(2 / 3, 12);
    expect(s.f1).toBeCloseTo(2 / 3, 12);
    expect(gateScores({ tp: 1, fp: 3, fn: 0 })).toEqual({ precision: 0.25, recall: 1, f1: 0.4 });
    expect(gateScores({ tp: 0, fp: 0, fn: 2 })).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('coverage, mean, median', () => {
    expect(
      coverage(
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
        6,
      ),
    ).toBe(0.5);
    expect(mean([1, undefined, 3])).toBe(2);
    expect(mean([undefined])).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
