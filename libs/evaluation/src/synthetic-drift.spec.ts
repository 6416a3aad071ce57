import { generateSynthetic } from './synthetic';
import { generateSyntheticDrift } from './synthetic-drift';

describe('generateSyntheticDrift', () => {
  const params = { seed: 5, songs: 400, users: 300, interactionsPerUser: 40 };
  const ds = generateSyntheticDrift(params);
  const year = { from: Date.UTC(2025, 0, 1), to: Date.UTC(2026, 0, 1) };

  it('shares the synthetic catalogue, is deterministic, and timestamps every interaction in the year', () => {
    expect(ds.items).toEqual(generateSynthetic(params).items);
    expect(generateSyntheticDrift(params).interactions).toEqual(ds.interactions);
    expect(ds.name).toBe('synthetic-drift');
    for (const it of ds.interactions) {
      expect(it.at).toBeGreaterThanOrEqual(year.from);
      expect(it.at).toBeLessThan(year.to);
    }
    // The plain generator has no timestamps (its figures stay as they were).
    expect(generateSynthetic(params).interactions.some((i) => i.at !== undefined)).toBe(false);
  });

  it('plants drift: drifted users share fewer songs between their early and recent plays', () => {
    const taste = ds.users.filter((u) => !ds.hitsOnlyUsers!.has(u));
    const share = ds.drift.driftedUsers.size / taste.length;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.5);
    // Per user: share of recent plays (by last play) on artists' genres seen before recentSince.
    const genreOf = new Map(ds.items.map((i) => [i.id, i.content.genres?.[0]]));
    const overlap = (u: string) => {
      const mine = ds.interactions.filter((i) => i.userId === u);
      const early = new Set(
        mine.filter((i) => i.at! < ds.drift.recentSince).map((i) => genreOf.get(i.itemId)),
      );
      const recent = mine.filter((i) => i.at! >= ds.drift.recentSince);
      return recent.length
        ? recent.filter((i) => early.has(genreOf.get(i.itemId))).length / recent.length
        : 1;
    };
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const drifted = mean(taste.filter((u) => ds.drift.driftedUsers.has(u)).map(overlap));
    const steady = mean(taste.filter((u) => !ds.drift.driftedUsers.has(u)).map(overlap));
    expect(drifted).toBeLessThan(steady - 0.15);
  });

  it('plays new releases only from their release on (hits-only users aside)', () => {
    expect(ds.drift.releases.size).toBeGreaterThan(150);
    expect(ds.drift.releases.size).toBeLessThan(250);
    const taste = ds.interactions.filter((i) => !ds.hitsOnlyUsers!.has(i.userId));
    const onNew = taste.filter((i) => ds.drift.releases.has(i.itemId));
    expect(onNew.length).toBeGreaterThan(100);
    for (const i of onNew) expect(i.at).toBeGreaterThanOrEqual(ds.drift.releases.get(i.itemId)!);
    // Released in the second half → last played in the second half.
    const late = onNew.filter((i) => ds.drift.releases.get(i.itemId)! >= Date.UTC(2025, 6, 1));
    expect(late.every((i) => i.at! >= Date.UTC(2025, 6, 1))).toBe(true);
  });

  it('plants a season: seasonal songs are last played in December far more often than others', () => {
    expect(ds.drift.seasonalSongs.size).toBe(Math.round(0.06 * 400));
    const dec = (xs: typeof ds.interactions) =>
      xs.filter((i) => new Date(i.at!).getUTCMonth() === 11).length / Math.max(1, xs.length);
    const seasonal = dec(ds.interactions.filter((i) => ds.drift.seasonalSongs.has(i.itemId)));
    const other = dec(ds.interactions.filter((i) => !ds.drift.seasonalSongs.has(i.itemId)));
    expect(seasonal).toBeGreaterThan(3 * other);
  });
});
