import { beforeEach, describe, expect, it } from '@jest/globals';
import { T0, audience, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { AudienceRepository } from './audience.repository';
import { SongRepository } from './song.repository';

const db = databasePerFile('audiences');
const audiences = () => new AudienceRepository(db());
const later = (ms: number) => new Date(T0.getTime() + ms);
const member = (userId: string, score = 0.5) => ({ userId, score, because: ['w-1'] });

describe('AudienceRepository on PostgreSQL', () => {
  beforeEach(async () => {
    await new SongRepository(db()).insertMany(['s-1', 's-2', 's-3'].map((id) => song(id)));
  });

  it('insert writes a song’s audience once per version; a second selection keeps the first', async () => {
    expect(await audiences().insert(audience('s-1', 'i2i-1', { members: [member('u-1')] }))).toBe(true);
    expect(await audiences().insert(audience('s-1', 'i2i-1', { members: [member('u-2')] }))).toBe(false);
    expect(await audiences().insert(audience('s-1', 'i2i-2'))).toBe(true);
    expect((await audiences().find('s-1', 'i2i-1'))!.members).toEqual([member('u-1')]);
  });

  it('insertMany answers which songs got their row, and leaves the others as they were', async () => {
    await audiences().insert(audience('s-1', 'i2i-1', { eventId: 'first' }));
    const got = await audiences().insertMany([
      audience('s-1', 'i2i-1', { eventId: 'redelivered' }),
      audience('s-2', 'i2i-1', { members: [member('u-1', 0.75), member('u-2', 0.25)] }),
      audience('s-3', 'i2i-1', { eventId: null }),
    ]);
    expect(got).toEqual(new Set(['s-2', 's-3']));
    expect((await audiences().find('s-1', 'i2i-1'))!.eventId).toBe('first');
    expect((await audiences().find('s-2', 'i2i-1'))!.members).toEqual([
      member('u-1', 0.75),
      member('u-2', 0.25),
    ]);
    expect(await audiences().insertMany([])).toEqual(new Set());
  });

  it('insertMany stores every field as given: text that needs escaping, millisecond times, null and set receipts', async () => {
    const tricky = 'u-"quoted", \\back\\slash, {braces}, NUL-free ünïcödé 🎵';
    const selectedAt = new Date('2024-05-01T12:34:56.789Z');
    const receivedAt = new Date('2024-05-01T12:34:56.123Z');
    await audiences().insertMany([
      audience('s-1', 'i2i-1', {
        members: [{ userId: tricky, score: 1 / 3, because: ['s-2', tricky] }],
        neighbours: [{ songId: 's-2', similarity: -0.125 }],
        eventId: 'e-"1"',
        selectedAt,
        receivedAt,
        method: 'fusion',
      }),
      audience('s-2', 'i2i-1', { members: [], neighbours: [], receivedAt: null }),
    ]);
    expect(await audiences().find('s-1', 'i2i-1')).toMatchObject({
      members: [{ userId: tricky, score: 1 / 3, because: ['s-2', tricky] }],
      neighbours: [{ songId: 's-2', similarity: -0.125 }],
      eventId: 'e-"1"',
      selectedAt,
      receivedAt,
      method: 'fusion',
      publishedAt: null,
    });
    expect(await audiences().find('s-2', 'i2i-1')).toMatchObject({
      members: [],
      neighbours: [],
      receivedAt: null,
    });
  });

  it('members and neighbours are lz4-compressed where the server has lz4 (migration 1765200000000)', async () => {
    const [{ lz4 }] = await db().query<Array<{ lz4: boolean }>>(
      `SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    );
    const columns = await db().query<Array<{ attname: string; attcompression: string }>>(
      `SELECT attname, attcompression FROM pg_attribute
        WHERE attrelid = 'audiences'::regclass AND attname IN ('members', 'neighbours') ORDER BY attname`,
    );
    expect(columns.map((c) => [c.attname, c.attcompression])).toEqual([
      ['members', lz4 ? 'l' : ''],
      ['neighbours', lz4 ? 'l' : ''],
    ]);
  });

  it('is an outbox: rows start unpublished and markPublished marks exactly the given (song, version) keys', async () => {
    await audiences().insertMany([
      audience('s-1', 'i2i-1'),
      audience('s-2', 'i2i-1'),
      audience('s-2', 'i2i-2', { selectedAt: later(1) }),
    ]);
    const unpublished = async () =>
      (await audiences().latestMany(['s-1', 's-2', 's-3']))
        .filter((a) => !a.publishedAt)
        .map((a) => `${a.songId}/${a.modelVersion}`);
    expect(await unpublished()).toEqual(['s-1/i2i-1', 's-2/i2i-2']);

    await audiences().markPublished([{ songId: 's-2', modelVersion: 'i2i-2' }]);
    expect(await unpublished()).toEqual(['s-1/i2i-1']);
    expect((await audiences().find('s-2', 'i2i-1'))!.publishedAt).toBeNull();
    expect((await audiences().find('s-2', 'i2i-2'))!.publishedAt).toBeInstanceOf(Date);

    await audiences().markPublished([{ songId: 's-1', modelVersion: 'i2i-1' }]);
    expect(await unpublished()).toEqual([]);
  });

  it('a selection rolled back with its transaction leaves no audience to publish', async () => {
    await expect(
      db().transaction(async (m) => {
        await audiences().insertMany([audience('s-1', 'i2i-1')], m);
        await audiences().insert(audience('s-2', 'i2i-1'), m);
        throw new Error('claim failed');
      }),
    ).rejects.toThrow('claim failed');
    expect(await audiences().latestMany(['s-1', 's-2'])).toEqual([]);
  });

  it('latest and latestMany return the most recently selected audience of each song', async () => {
    await audiences().insertMany([
      audience('s-1', 'i2i-1', { selectedAt: later(2) }),
      audience('s-1', 'i2i-2', { selectedAt: later(1) }),
      audience('s-2', 'i2i-1', { selectedAt: later(1) }),
      audience('s-2', 'i2i-2', { selectedAt: later(3) }),
    ]);
    const latest = await audiences().latestMany(['s-1', 's-2', 's-3']);
    expect(latest.map((a) => [a.songId, a.modelVersion])).toEqual([
      ['s-1', 'i2i-1'],
      ['s-2', 'i2i-2'],
    ]);
    expect((await audiences().latest('s-2'))!.modelVersion).toBe('i2i-2');
    expect(await audiences().latest('s-3')).toBeNull();
  });

  it('replace overwrites a recomputed audience in place', async () => {
    await audiences().insert(audience('s-1', 'i2i-1', { members: [member('u-1')] }));
    await audiences().replace(
      audience('s-1', 'i2i-1', { members: [member('u-3', 0.9)], eventId: null, selectedAt: later(5) }),
    );
    const row = await audiences().find('s-1', 'i2i-1');
    expect(row).toMatchObject({ members: [member('u-3', 0.9)], eventId: null, selectedAt: later(5) });
  });

  it('replace makes the recomputed audience owed again, and a mark for an older selection does not cover it', async () => {
    await audiences().insert(audience('s-1', 'i2i-1'));
    await audiences().markPublished([{ songId: 's-1', modelVersion: 'i2i-1' }]);
    await audiences().replace(
      audience('s-1', 'i2i-1', { selectedAt: later(1000), members: [member('u-2')] }),
    );
    expect((await audiences().find('s-1', 'i2i-1'))?.publishedAt).toBeNull();
    // A publisher that sent the first selection marks with its selected_at: the new row stays owed.
    await audiences().markPublished([{ songId: 's-1', modelVersion: 'i2i-1', selectedAt: T0 }]);
    expect((await audiences().find('s-1', 'i2i-1'))?.publishedAt).toBeNull();
    await audiences().markPublished([{ songId: 's-1', modelVersion: 'i2i-1', selectedAt: later(1000) }]);
    expect((await audiences().find('s-1', 'i2i-1'))?.publishedAt).toBeInstanceOf(Date);
  });

  it('sampleSongIds names each song with an audience once', async () => {
    await audiences().insertMany([
      audience('s-1', 'i2i-1'),
      audience('s-1', 'i2i-2'),
      audience('s-2', 'i2i-1'),
    ]);
    const sample = await audiences().sampleSongIds(10);
    expect([...sample].sort()).toEqual(['s-1', 's-2']);
    expect(await audiences().sampleSongIds(1)).toEqual(sample.slice(0, 1));
  });
});
