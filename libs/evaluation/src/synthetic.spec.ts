import { validateSongReleased } from '@debut/features';
import { generateSynthetic } from './synthetic';
import { toInteractionEvents, toSongReleasedEvents } from './events';
import { coldSplit } from './split';
import { ColdStartEvaluator } from './evaluate';
import { rawContentEncoder } from './baselines';

describe('generateSynthetic', () => {
  const params = { seed: 5, songs: 400, users: 300, interactionsPerUser: 30 };
  const ds = generateSynthetic(params);

  it('is deterministic per seed', () => {
    const again = generateSynthetic(params);
    expect(again.interactions).toEqual(ds.interactions);
    expect(again.items[17]).toEqual(ds.items[17]);
    expect(generateSynthetic({ ...params, seed: 6 }).interactions).not.toEqual(ds.interactions);
  });

  it('has the declared schema shapes and ~15% hits-only users who only play the top 5% songs', () => {
    expect(ds.items).toHaveLength(400);
    expect(ds.users).toHaveLength(300);
    const it = ds.items[0];
    expect(it.content.features.audio).toHaveLength(32);
    expect(it.content.features.text).toHaveLength(16);
    expect(ds.schema.modalities.map((m) => m.name)).toEqual(['audio', 'text', 'language', 'genres']);
    const share = ds.hitsOnlyUsers!.size / ds.users.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.22);
    const hitItems = new Set(
      ds.interactions.filter((i) => ds.hitsOnlyUsers!.has(i.userId)).map((i) => i.itemId),
    );
    expect(hitItems.size).toBeLessThanOrEqual(Math.round(400 * 0.05));
    // Popularity has a long tail: the top 5% of songs draw a large share of listens.
    const counts = new Map<string, number>();
    for (const i of ds.interactions) counts.set(i.itemId, (counts.get(i.itemId) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top = sorted.slice(0, 20).reduce((s, x) => s + x, 0);
    expect(top / ds.interactions.length).toBeGreaterThan(0.15);
  });

  it('emits valid song.released and user.interaction events', () => {
    const events = toSongReleasedEvents(ds.items.slice(0, 5));
    for (const e of events) expect(validateSongReleased(e, ds.schema).ok).toBe(true);
    const inter = toInteractionEvents(ds.interactions.slice(0, 50), { skips: 0.1 });
    expect(inter).toHaveLength(55);
    expect(new Set(inter.map((e) => e.eventId)).size).toBe(55);
    expect(
      inter.every(
        (e) => ['play', 'complete', 'favorite', 'skip'].includes(e.kind) && !isNaN(Date.parse(e.occurredAt)),
      ),
    ).toBe(true);
  });

  it('plants findable structure: content KNN beats random, the oracle beats content KNN', async () => {
    const big = generateSynthetic({ seed: 42, songs: 1500, users: 800, interactionsPerUser: 40 });
    const ev = new ColdStartEvaluator(big, coldSplit(big, { seed: 42 }));
    const random = (await ev.randomAudienceMetrics())['audience.recall@100'];
    const knn = (await ev.evaluateI2I(rawContentEncoder(big.schema)))['audience.recall@100'];
    const oracle = (await ev.evaluateNeighbours(ev.oracleNeighbours('test')))['audience.recall@100'];
    expect(knn).toBeGreaterThan(2 * random);
    expect(oracle).toBeGreaterThan(knn);
  });
});
