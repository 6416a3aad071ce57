import { beforeEach, describe, expect, it } from '@jest/globals';
import { T0, play, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { InteractionRepository } from './interaction.repository';
import { SongRepository } from './song.repository';

const db = databasePerFile('interactions');
const interactions = () => new InteractionRepository(db());
const DAY = 86_400_000;
const daysAfter = (days: number) => new Date(T0.getTime() + days * DAY);

describe('InteractionRepository on PostgreSQL', () => {
  beforeEach(async () => {
    await new SongRepository(db()).insertMany(['s-1', 's-2', 's-3'].map((id) => song(id, 'warm')));
  });

  it('insertMany creates listeners on the fly, and a redelivered batch writes nothing twice', async () => {
    const batch = [
      play('e-1', 'u-1', 's-1'),
      play('e-2', 'u-2', 's-1'),
      play('e-3', 'u-1', 's-2', 'favorite'),
    ];
    await interactions().insertMany(batch);
    await interactions().insertMany(batch);
    await interactions().insertMany([batch[1], play('e-4', 'u-3', 's-3')]);
    expect(await interactions().count()).toBe(4);
    expect(await interactions().userExists('u-3')).toBe(true);
    expect(await interactions().userExists('u-9')).toBe(false);
  });

  it('keeps one row for an event id repeated inside one batch, and every row of an import without event ids', async () => {
    await interactions().insertMany(
      [play('e-1', 'u-1', 's-1'), play('e-1', 'u-1', 's-1'), play('e-2', 'u-1', 's-2')],
      undefined,
      2,
    );
    expect(await interactions().count()).toBe(2);
    await interactions().insertMany([play(null, 'u-2', 's-1'), play(null, 'u-2', 's-1')]);
    expect(await interactions().count()).toBe(4);
  });

  it('insertMany inside a rolled-back transaction leaves neither interactions nor users behind', async () => {
    await expect(
      db().transaction(async (m) => {
        await interactions().insertMany([play('e-1', 'u-1', 's-1')], m);
        throw new Error('the rest of the chunk failed');
      }),
    ).rejects.toThrow('the rest of the chunk failed');
    expect(await interactions().count()).toBe(0);
    expect(await interactions().userExists('u-1')).toBe(false);
  });

  it('an interaction with an unknown song is refused, and its chunk with it', async () => {
    await expect(
      interactions().insertMany([play('e-1', 'u-1', 's-1'), play('e-2', 'u-1', 'nope')]),
    ).rejects.toThrow(/foreign key/);
    expect(await interactions().count()).toBe(0);
  });

  it('listenerSignals sums weights per listener, halves them every half-life and ignores skips', async () => {
    await interactions().insertMany([
      play('e-1', 'u-1', 's-1', 'play', { weight: 1, occurredAt: daysAfter(10) }),
      play('e-2', 'u-1', 's-1', 'favorite', { weight: 3, occurredAt: daysAfter(0) }),
      play('e-3', 'u-2', 's-1', 'skip', { weight: 5, occurredAt: daysAfter(10) }),
      play('e-4', 'u-2', 's-2', 'play', { weight: 2, occurredAt: daysAfter(12) }),
      play('e-5', 'u-3', 's-3', 'play', { weight: 1, occurredAt: daysAfter(10) }),
    ]);
    const signals = await interactions().listenerSignals(['s-1', 's-2'], 10, daysAfter(10));
    const bySong = Object.fromEntries(signals.map((s) => [`${s.songId}/${s.userId}`, s.signal]));
    expect(Object.keys(bySong).sort()).toEqual(['s-1/u-1', 's-2/u-2']);
    expect(bySong['s-1/u-1']).toBeCloseTo(1 + 3 * 0.5, 5);
    // Clock skew: an interaction stamped after `now` counts at full weight, never more.
    expect(bySong['s-2/u-2']).toBeCloseTo(2, 5);
    expect(await interactions().listenerSignals([], 10)).toEqual([]);
  });

  it('listenersOf counts everyone who met the song, skips included; listenersOfMany leaves out songs nobody heard', async () => {
    await interactions().insertMany([
      play('e-1', 'u-1', 's-1'),
      play('e-2', 'u-1', 's-1'),
      play('e-3', 'u-2', 's-1', 'skip'),
      play('e-4', 'u-3', 's-2'),
    ]);
    expect(await interactions().listenersOf('s-1')).toEqual(new Set(['u-1', 'u-2']));
    const many = await interactions().listenersOfMany(['s-1', 's-2', 's-3']);
    expect([...many.keys()].sort()).toEqual(['s-1', 's-2']);
    expect(many.get('s-2')).toEqual(new Set(['u-3']));
  });

  it('recentHistories lists each user’s songs newest first, once each, without skips, up to perUser', async () => {
    await interactions().insertMany([
      play('e-1', 'u-1', 's-1', 'play', { occurredAt: daysAfter(1) }),
      play('e-2', 'u-1', 's-2', 'play', { occurredAt: daysAfter(2) }),
      play('e-3', 'u-1', 's-1', 'complete', { occurredAt: daysAfter(3) }),
      play('e-4', 'u-1', 's-3', 'skip', { occurredAt: daysAfter(4) }),
      play('e-5', 'u-2', 's-3', 'play', { occurredAt: daysAfter(1) }),
    ]);
    const histories = await interactions().recentHistories(['u-1', 'u-2', 'u-9'], 5);
    expect(Object.fromEntries(histories)).toEqual({ 'u-1': ['s-1', 's-2'], 'u-2': ['s-3'], 'u-9': [] });
    expect((await interactions().recentHistories(['u-1'], 1)).get('u-1')).toEqual(['s-1']);
  });

  it('stale users are listed in id order up to the limit until cleared', async () => {
    await interactions().insertMany(['u-3', 'u-1', 'u-2'].map((u, i) => play(`e-${i}`, u, 's-1')));
    expect(await interactions().staleUsers(10)).toEqual([]);
    await interactions().markUsersStale(['u-3', 'u-1', 'u-2']);
    expect(await interactions().staleUsers(2)).toEqual(['u-1', 'u-2']);
    await interactions().clearStale(['u-1', 'u-2']);
    expect(await interactions().staleUsers(10)).toEqual(['u-3']);
  });

  it('refreshStale: rounds claim disjoint users (SKIP LOCKED), oldest mark first, and clear them with the work', async () => {
    await interactions().insertMany(['u-1', 'u-2', 'u-3', 'u-4'].map((u, i) => play(`e-${i}`, u, 's-1')));
    await interactions().markUsersStale(['u-4']);
    await new Promise((r) => setTimeout(r, 5));
    await interactions().markUsersStale(['u-1', 'u-2', 'u-3', 'u-4']); // u-4 keeps its place
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = interactions().refreshStale(2, async () => held);
    await new Promise((r) => setTimeout(r, 100));
    const second = await interactions().refreshStale(10, async () => undefined);
    release();
    expect(await first).toEqual(['u-4', 'u-1']);
    expect(second).toEqual(['u-2', 'u-3']);
    expect(await interactions().staleUsers(10)).toEqual([]);
  });

  it('refreshStale keeps the flags when the work fails, and a mark made during a round survives it', async () => {
    await interactions().insertMany(['u-1', 'u-2'].map((u, i) => play(`e-${i}`, u, 's-1')));
    await interactions().markUsersStale(['u-1', 'u-2']);
    await expect(
      interactions().refreshStale(10, async () => {
        throw new Error('crash');
      }),
    ).rejects.toThrow('crash');
    expect(await interactions().staleUsers(10)).toEqual(['u-1', 'u-2']);

    let marked: Promise<void> | undefined;
    await interactions().refreshStale(10, async () => {
      marked = interactions().markUsersStale(['u-1']); // a play lands mid-round: waits for the commit
      await new Promise((r) => setTimeout(r, 50));
    });
    await marked;
    expect(await interactions().staleUsers(10)).toEqual(['u-1']);
  });

  it('userPages yields every user once, in id order', async () => {
    await interactions().insertMany(
      ['u-5', 'u-2', 'u-4', 'u-1', 'u-3'].map((u, i) => play(`e-${i}`, u, 's-1')),
    );
    const pages: string[][] = [];
    for await (const page of interactions().userPages(2)) pages.push(page);
    expect(pages).toEqual([['u-1', 'u-2'], ['u-3', 'u-4'], ['u-5']]);
  });
});
