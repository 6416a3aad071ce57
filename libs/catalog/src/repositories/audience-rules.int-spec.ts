import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { T0, play, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { ExposureRepository } from './exposure.repository';
import { InteractionRepository } from './interaction.repository';
import { SongRepository } from './song.repository';
import { UserRepository } from './user.repository';

const db = databasePerFile('audience_rules');
const songs = () => new SongRepository(db());
const users = () => new UserRepository(db());
const exposures = () => new ExposureRepository(db());
const at = (s: number) => new Date(T0.getTime() + s * 1000);

describe('audience rules on PostgreSQL', () => {
  it("stores a release's markets, explicit flag and budget, and a re-release replaces them", async () => {
    await songs().upsertMany([
      song('r-1', 'cold', {
        availability: ['SE', 'NO'],
        explicit: true,
        audienceBudget: { size: 7, explorationShare: 0.2 },
      }),
      song('r-2'),
    ]);
    const byId = new Map((await songs().findByIds(['r-1', 'r-2'])).map((s) => [s.id, s]));
    expect(byId.get('r-1')).toMatchObject({
      availability: ['SE', 'NO'],
      explicit: true,
      audienceBudget: { size: 7, explorationShare: 0.2 },
    });
    expect(byId.get('r-2')).toMatchObject({ availability: null, explicit: false, audienceBudget: null });
    await songs().upsert(song('r-1'));
    expect(await songs().findById('r-1')).toMatchObject({
      availability: null,
      explicit: false,
      audienceBudget: null,
    });
  });

  it('applies the latest profile only: an older or repeated one changes nothing', async () => {
    expect(
      await users().upsertProfiles([
        { userId: 'p-1', region: 'SE', explicitOptOut: false, updatedAt: at(10) },
        { userId: 'p-2', region: null, explicitOptOut: true, updatedAt: at(10) },
        // the same user twice in a batch: the later one wins
        { userId: 'p-1', region: 'NO', explicitOptOut: true, updatedAt: at(20) },
      ]),
    ).toBe(2);
    expect(
      await users().upsertProfiles([
        { userId: 'p-1', region: 'DK', explicitOptOut: false, updatedAt: at(5) },
      ]),
    ).toBe(0);
    expect(
      await users().upsertProfiles([
        { userId: 'p-1', region: 'NO', explicitOptOut: true, updatedAt: at(20) },
      ]),
    ).toBe(0);
    const profiles = await users().profilesOf(['p-1', 'p-2', 'nobody']);
    expect(profiles.get('p-1')).toEqual({ userId: 'p-1', region: 'NO', explicitOptOut: true });
    expect(profiles.get('p-2')).toEqual({ userId: 'p-2', region: null, explicitOptOut: true });
    expect(profiles.has('nobody')).toBe(false);
    expect(
      await users().upsertProfiles([
        { userId: 'p-1', region: 'FI', explicitOptOut: false, updatedAt: at(30) },
      ]),
    ).toBe(1);
    expect((await users().profilesOf(['p-1'])).get('p-1')!.region).toBe('FI');
  });

  it('keeps a profile set before the first play, and the play keeps the profile', async () => {
    await songs().upsert(song('s-play'));
    await users().upsertProfiles([{ userId: 'p-3', region: 'SE', explicitOptOut: false, updatedAt: at(1) }]);
    await new InteractionRepository(db()).insertMany([play('e-p3', 'p-3', 's-play')]);
    expect((await users().profilesOf(['p-3'])).get('p-3')!.region).toBe('SE');
  });

  it('records each (song, user) exposure once, whatever is redelivered', async () => {
    await songs().upsert(song('x-song'));
    const exposure = { exposureId: 'x-1', songId: 'x-song', userIds: ['a', 'b', 'a'], at: at(1) };
    expect(await exposures().recordMany([exposure])).toBe(2);
    expect(await exposures().recordMany([exposure])).toBe(0);
    expect(await exposures().recordMany([{ ...exposure, exposureId: 'x-2', userIds: ['b', 'c'] }])).toBe(1);
    expect(await exposures().countFor('x-song')).toBe(3);
    expect([...(await exposures().exposedAmong('x-song', ['a', 'c', 'd']))].sort()).toEqual(['a', 'c']);
    const [first] = await db().query<Array<{ exposure_id: string }>>(
      "SELECT exposure_id FROM exposures WHERE song_id = 'x-song' AND user_id = 'b'",
    );
    expect(first.exposure_id).toBe('x-1');
  });

  it('shuffles users the same way for the same seed and differently for another', async () => {
    await users().upsertProfiles(
      Array.from({ length: 30 }, (_, i) => ({
        userId: `sh-${i}`,
        region: null,
        explicitOptOut: false,
        updatedAt: at(1),
      })),
    );
    const a = await users().shuffled('song-a', 10);
    expect(await users().shuffled('song-a', 10)).toEqual(a);
    expect((await users().shuffled('song-a', 15)).slice(0, 10)).toEqual(a);
    expect(await users().shuffled('song-b', 10)).not.toEqual(a);
  });

  it('draws the users that follow the seed on the md5 ring, wrapping round, every user once', async () => {
    const all = Array.from({ length: 60 }, (_, i) => `ring-${i}`);
    await users().upsertProfiles(
      all.map((userId) => ({ userId, region: null, explicitOptOut: false, updatedAt: at(1) })),
    );
    expect(await users().count()).toBe(all.length);
    // The ring as the migration defines it, recomputed here: the first 32 bits of md5(id).
    const key = (s: string) => createHash('md5').update(s).digest().readInt32BE(0);
    const ring = [...all].sort((x, y) => key(x) - key(y) || (x < y ? -1 : x > y ? 1 : 0));
    const expected = (seed: string, n: number) => {
      const start = ring.findIndex((u) => key(u) >= key(seed));
      const from = start < 0 ? 0 : start;
      return [...ring.slice(from), ...ring.slice(0, from)].slice(0, n);
    };
    const seeds = Array.from({ length: 40 }, (_, i) => `song-${i}`);
    // Some of these seeds sit near the ring's end (or past its last user): their 20 wrap round.
    const wraps = (s: string) => {
      const i = ring.findIndex((u) => key(u) >= key(s));
      return i < 0 || ring.length - i < 20;
    };
    expect(seeds.filter(wraps).length).toBeGreaterThan(0);
    for (const seed of seeds) expect(await users().shuffled(seed, 20)).toEqual(expected(seed, 20));
    const everyone = await users().shuffled('song-a', all.length + 5);
    expect([...everyone].sort()).toEqual([...all].sort());
    // Spread: over the seeds, short draws reach most users, not one corner of the id space.
    const reached = new Set<string>();
    for (const seed of seeds) for (const u of await users().shuffled(seed, 3)) reached.add(u);
    expect(reached.size).toBeGreaterThan(all.length / 2);

    // The draw's own statement, explained: both arcs are read through the index, none sorts the
    // table (seq scans off, so a 60-row table shows the plan a large one gets).
    const qr = db().createQueryRunner();
    try {
      await qr.query('SET enable_seqscan = off');
      const plans: string[] = [];
      const explaining = {
        query: async (sql: string, params: unknown[]) => {
          const rows = (await qr.query(`EXPLAIN ${sql}`, params)) as Array<{ 'QUERY PLAN': string }>;
          plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
          return [];
        },
      } as unknown as DataSource;
      await new UserRepository(explaining).shuffled('song-a', 20);
      expect(plans[0].match(/Index (Only )?Scan using users_draw_key_idx/g)).toHaveLength(2);
      expect(plans[0]).not.toMatch(/Seq Scan|md5\(\(\$1 \|\| /);
    } finally {
      await qr.release();
    }
  });
});
