import { describe, expect, it } from '@jest/globals';
import { play, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { InteractionRepository } from './interaction.repository';
import { SongRepository } from './song.repository';

const db = databasePerFile('songs');
const songs = () => new SongRepository(db());

describe('SongRepository on PostgreSQL', () => {
  it('upsert stores a release, and a re-release updates its content but not its pool', async () => {
    await songs().upsert(song('s-1', 'warm', { title: 'First', genres: ['rock'] }));
    const stored = await songs().findById('s-1');
    expect(stored).toMatchObject({
      title: 'First',
      genres: ['rock'],
      pool: 'warm',
      language: 'en',
      listenerCount: 0,
    });

    await songs().upsert(song('s-1', 'cold', { title: 'Second', genres: ['jazz', 'soul'], language: null }));
    const again = await songs().findById('s-1');
    expect(again).toMatchObject({ title: 'Second', genres: ['jazz', 'soul'], language: null, pool: 'warm' });
    expect(again!.updatedAt.getTime()).toBeGreaterThan(stored!.updatedAt.getTime());
    expect(await songs().counts()).toEqual({ warm: 1, cold: 0 });
  });

  it('upsertMany keeps ragged genre lists, null languages and features, and updates ids it already has', async () => {
    await songs().upsert(song('s-2', 'cold', { title: 'Old' }));
    await songs().upsertMany([
      song('s-1', 'cold', { genres: [] }),
      song('s-2', 'cold', { title: 'New', genres: ['a', 'b', 'c'] }),
      song('s-3', 'cold', { genres: ['solo'], language: null, features: { audio: [1.5, -2], text: [0] } }),
    ]);
    const byId = new Map((await songs().findByIds(['s-1', 's-2', 's-3'])).map((s) => [s.id, s]));
    expect(byId.get('s-1')!.genres).toEqual([]);
    expect(byId.get('s-2')).toMatchObject({ title: 'New', genres: ['a', 'b', 'c'] });
    expect(byId.get('s-3')).toMatchObject({
      genres: ['solo'],
      language: null,
      features: { audio: [1.5, -2], text: [0] },
    });
    await expect(songs().findByIds([])).resolves.toEqual([]);
  });

  it('upsertMany stores text that needs escaping and millisecond release times as given', async () => {
    const title = 'He said "hi" \\ {x,y} ünïcödé 🎵';
    const releasedAt = new Date('2024-05-01T12:34:56.789Z');
    await songs().upsertMany([song('s-1', 'cold', { title, genres: ['a "b"', 'c,d', '{e}'], releasedAt })]);
    expect(await songs().findById('s-1')).toMatchObject({
      title,
      genres: ['a "b"', 'c,d', '{e}'],
      releasedAt,
    });
  });

  it('poolsOf names the pool of each stored song and leaves unknown ids out', async () => {
    await songs().insertMany([song('s-1', 'warm'), song('s-2', 'cold')]);
    expect(await songs().poolsOf(['s-1', 's-2', 's-9'])).toEqual(
      new Map([
        ['s-1', 'warm'],
        ['s-2', 'cold'],
      ]),
    );
    expect(await songs().poolsOf([])).toEqual(new Map());
  });

  it('insertMany loads every chunk and never overwrites a song that is already there', async () => {
    await songs().upsert(song('s-3', 'cold', { title: 'Released before the import' }));
    const batch = ['s-1', 's-2', 's-3', 's-4', 's-5'].map((id) =>
      song(id, 'warm', { title: `Imported ${id}` }),
    );
    await songs().insertMany(batch, 2);
    expect(await songs().counts()).toEqual({ warm: 4, cold: 1 });
    expect((await songs().findById('s-3'))!.title).toBe('Released before the import');
  });

  it('existingIds and counts answer from what is stored', async () => {
    await songs().insertMany([song('s-1', 'warm'), song('s-2', 'cold'), song('s-3', 'cold')]);
    expect(await songs().existingIds(['s-1', 's-3', 's-9'])).toEqual(new Set(['s-1', 's-3']));
    expect(await songs().existingIds([])).toEqual(new Set());
    expect(await songs().counts()).toEqual({ warm: 1, cold: 2 });
  });

  it('pages walks every song once, in id order, across page boundaries and within one pool', async () => {
    await songs().insertMany([
      song('s-5'),
      song('s-1', 'warm'),
      song('s-4', 'warm'),
      song('s-2'),
      song('s-3'),
    ]);
    const all: string[][] = [];
    for await (const page of songs().pages(2)) all.push(page.map((s) => s.id));
    expect(all).toEqual([['s-1', 's-2'], ['s-3', 's-4'], ['s-5']]);
    const warm: string[] = [];
    for await (const page of songs().pages(1, 'warm')) warm.push(...page.map((s) => s.id));
    expect(warm).toEqual(['s-1', 's-4']);
  });

  it('refreshListenerCounts counts distinct non-skip listeners and names only cold songs that reached the threshold', async () => {
    await songs().insertMany([song('cold-a'), song('cold-b'), song('warm-a', 'warm')]);
    await new InteractionRepository(db()).insertMany([
      play('e-1', 'u-1', 'cold-a'),
      play('e-2', 'u-1', 'cold-a', 'complete'),
      play('e-3', 'u-2', 'cold-a', 'favorite'),
      play('e-4', 'u-3', 'cold-a', 'skip'),
      play('e-5', 'u-1', 'cold-b'),
      play('e-6', 'u-1', 'warm-a'),
      play('e-7', 'u-2', 'warm-a'),
    ]);
    expect(await songs().refreshListenerCounts(['cold-a', 'cold-b', 'warm-a'], 2)).toEqual(['cold-a']);
    const byId = new Map(
      (await songs().findByIds(['cold-a', 'cold-b', 'warm-a'])).map((s) => [s.id, s.listenerCount]),
    );
    expect(Object.fromEntries(byId)).toEqual({ 'cold-a': 2, 'cold-b': 1, 'warm-a': 2 });

    await songs().setPool(['cold-a'], 'warm');
    expect(await songs().refreshListenerCounts(['cold-a'], 2)).toEqual([]);
    expect(await songs().counts()).toEqual({ warm: 2, cold: 1 });
  });

  it('sampleIds draws from one pool only, at most n, the same ids every time', async () => {
    await songs().insertMany(Array.from({ length: 10 }, (_, i) => song(`s-${i}`, i < 6 ? 'warm' : 'cold')));
    const sample = await songs().sampleIds('warm', 4);
    expect(sample).toHaveLength(4);
    expect(new Set(sample).size).toBe(4);
    expect(sample.every((id) => Number(id.slice(2)) < 6)).toBe(true);
    expect(await songs().sampleIds('warm', 4)).toEqual(sample);
    expect(await songs().sampleIds('cold', 100)).toHaveLength(4);
  });
});
