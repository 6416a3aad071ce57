import { ClusterAudience } from './cluster-audience';
import { AudienceSelector, InMemoryListenerSource } from './audience-selector';
import { NeighbourVotingAudience } from './audience-method';

// Two taste clusters in a 2-d user space: a* near (1, 0), b* near (0, 1).
const ids = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'];
const vectors = Float32Array.from([1, 0.1, 0.9, 0.2, 1, -0.1, 0.1, 1, -0.2, 0.9, 0.05, 1]);
const space = { ids, vectors, dim: 2 };
// Only a1 and a2 listened to the neighbour song w1.
const source = new InMemoryListenerSource().set('w1', [
  { userId: 'a1', weight: 1 },
  { userId: 'a2', weight: 0.5 },
]);
const voting = new NeighbourVotingAudience(new AudienceSelector(source));
const query = { input: new Float32Array(0), neighbours: [{ songId: 'w1', similarity: 0.9 }] };

describe('ClusterAudience (cat)', () => {
  it('reaches users who never played the neighbours but sit where their listeners sit', async () => {
    const cat = new ClusterAudience(voting, space, { seedSize: 10, clusters: 1, iterations: 3 });
    const top = await cat.select(query, { n: 3 });
    expect(top.map((m) => m.userId)).toEqual(expect.arrayContaining(['a1', 'a2', 'a3']));
    expect(top.map((m) => m.userId)).not.toContain('b1');
  });

  it('keeps excluded users out and answers nothing without a seed audience', async () => {
    const cat = new ClusterAudience(voting, space, { seedSize: 10, clusters: 2, iterations: 3 });
    const top = await cat.select(query, { n: 6, exclude: new Set(['a3']) });
    expect(top.map((m) => m.userId)).not.toContain('a3');
    expect(top[0].userId).toMatch(/^a/);
    expect(await cat.select({ ...query, neighbours: [] }, { n: 3 })).toEqual([]);
  });
});
