import {
  AudienceSelector,
  InMemoryListenerSource,
  aggregateAudience,
  topNeighbours,
} from './audience-selector';

describe('AudienceSelector', () => {
  // Song A: u1 (1.0), u2 (0.5).  Song B: u2 (1.0), u3 (0.2).  Song C: u4 (1.0).
  const source = new InMemoryListenerSource()
    .add('A', 'u1', 1)
    .add('A', 'u2', 0.5)
    .add('B', 'u2', 1)
    .add('B', 'u3', 0.2)
    .add('C', 'u4', 1);
  const neighbours = [
    { songId: 'A', similarity: 0.9 },
    { songId: 'B', similarity: 0.5 },
    { songId: 'C', similarity: -0.3 },
  ];

  it('aggregates Σ similarity × weight over positive neighbours, best first, with explanations', async () => {
    const sel = new AudienceSelector(source);
    const got = await sel.select(neighbours, { n: 10, explain: 2 });
    // u1 = 0.9; u2 = 0.45 + 0.5 = 0.95; u3 = 0.1; u4 excluded by negative similarity.
    expect(got.map((m) => m.userId)).toEqual(['u2', 'u1', 'u3']);
    expect(got[0].score).toBeCloseTo(0.95, 10);
    expect(got[1].score).toBeCloseTo(0.9, 10);
    expect(got[2].score).toBeCloseTo(0.1, 10);
    expect(got[0].because.map((e) => e.songId)).toEqual(['B', 'A']);
    expect(got[0].because[0].contribution).toBeCloseTo(0.5, 10);
    expect(got[0].because[1].contribution).toBeCloseTo(0.45, 10);
  });

  it('excludes users who already have the song (set or predicate) and truncates to N', async () => {
    const sel = new AudienceSelector(source, { n: 1 });
    expect((await sel.select(neighbours, { exclude: new Set(['u2']) })).map((m) => m.userId)).toEqual(['u1']);
    expect((await sel.select(neighbours, { exclude: (u) => u !== 'u3' })).map((m) => m.userId)).toEqual([
      'u3',
    ]);
  });

  it('uses only the top-k neighbours and caps explanations', () => {
    expect(topNeighbours(neighbours, 1)).toEqual([{ songId: 'A', similarity: 0.9 }]);
    const got = aggregateAudience(neighbours, source.listenersOf(['A', 'B', 'C']), { k: 1, explain: 1 });
    expect(got.map((m) => [m.userId, m.score])).toEqual([
      ['u1', 0.9],
      ['u2', 0.45],
    ]);
    expect(got.every((m) => m.because.length === 1 && m.because[0].songId === 'A')).toBe(true);
  });

  it('accepts async sources and returns nothing for no usable neighbours', async () => {
    const asyncSel = new AudienceSelector({ listenersOf: async (ids) => source.listenersOf(ids) });
    expect((await asyncSel.select(neighbours)).length).toBe(3);
    expect(await asyncSel.select([{ songId: 'A', similarity: 0 }])).toEqual([]);
  });
});
