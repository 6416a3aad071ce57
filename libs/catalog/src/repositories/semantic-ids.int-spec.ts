import { beforeEach, describe, expect, it } from '@jest/globals';
import { audience, modelVersion, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { AudienceRepository } from './audience.repository';
import { EmbeddingRepository } from './embedding.repository';
import { ModelVersionRepository } from './model-version.repository';
import { SongRepository } from './song.repository';

const db = databasePerFile('semantic_ids');
const embeddings = () => new EmbeddingRepository(db());
const zeros = (n: number) => new Float32Array(n * 2);

describe('semantic IDs on PostgreSQL (migration 1765300000000)', () => {
  beforeEach(async () => {
    await new SongRepository(db()).insertMany([
      song('w-1', 'warm'),
      song('w-2', 'warm'),
      song('w-3', 'warm'),
      song('c-1'),
      song('c-2'),
    ]);
    const versions = new ModelVersionRepository(db());
    await versions.register(modelVersion('i2i-1'));
    await versions.register(modelVersion('i2i-2'));
  });

  it("stores each song's SID per model version, with its vector, and a new vector replaces it", async () => {
    const ids = ['w-1', 'w-2', 'c-1'];
    await embeddings().upsertSongVectors('i2i-1', ids, zeros(3), 2, undefined, 2, false, [
      '3-1-7',
      '3-1-2',
      '9-0-0',
    ]);
    await embeddings().upsertSongVectors('i2i-2', ids, zeros(3), 2, undefined, undefined, false, [
      '5-5-5',
      '1-2-3',
      '3-1-7',
    ]);
    expect(await embeddings().sidsOf('i2i-1', ['w-1', 'w-2', 'c-1', 'w-3'])).toEqual(
      new Map([
        ['w-1', '3-1-7'],
        ['w-2', '3-1-2'],
        ['c-1', '9-0-0'],
      ]),
    );
    expect((await embeddings().sidsOf('i2i-2', ['w-1'])).get('w-1')).toBe('5-5-5');
    // Re-embedding without a codebook leaves no stale code behind the new vector.
    await embeddings().upsertSongVectors('i2i-1', ['w-1'], Float32Array.from([1, 1]), 2);
    expect((await embeddings().sidsOf('i2i-1', ['w-1'])).has('w-1')).toBe(false);
    await expect(
      embeddings().upsertSongVectors('i2i-1', ['w-1', 'w-2'], zeros(2), 2, undefined, undefined, false, [
        '1-1-1',
      ]),
    ).rejects.toThrow(/1 semantic IDs for 2 songs/);
  });

  it('finds the songs sharing a prefix of whole codes under one version, through the prefix index', async () => {
    const ids = ['w-1', 'w-2', 'w-3', 'c-1', 'c-2'];
    const sids = ['3-1-7', '3-1-2', '3-12-2', '31-1-1', '3-1-7'];
    await embeddings().upsertSongVectors('i2i-1', ids, zeros(5), 2, undefined, undefined, false, sids);
    await embeddings().upsertSongVectors('i2i-2', ['w-3'], zeros(1), 2, undefined, undefined, false, [
      '3-1-9',
    ]);
    const level = async (prefix: string, limit = 10, exclude?: string) =>
      (await embeddings().songsWithSidPrefix('i2i-1', prefix, limit, exclude)).map((r) => r.songId);
    // "3" is a whole code: "31-1-1" does not share it, nor does "3-12-2" share "3-1".
    expect(await level('3')).toEqual(['c-2', 'w-1', 'w-2', 'w-3']);
    expect(await level('3-1')).toEqual(['c-2', 'w-1', 'w-2']);
    expect(await level('3-1-7', 10, 'w-1')).toEqual(['c-2']);
    expect(await level('3-1', 2)).toEqual(['c-2', 'w-1']);
    expect(await embeddings().songsWithSidPrefix('i2i-1', '3-1-7', 10)).toEqual([
      { songId: 'c-2', sid: '3-1-7', pool: 'cold' },
      { songId: 'w-1', sid: '3-1-7', pool: 'warm' },
    ]);
    expect(await embeddings().songsWithSidPrefix('i2i-2', '3-1', 10)).toEqual([
      { songId: 'w-3', sid: '3-1-9', pool: 'warm' },
    ]);
    // LIKE wildcards never reach SQL.
    await expect(embeddings().songsWithSidPrefix('i2i-1', '3%', 10)).rejects.toThrow(
      /not a semantic-ID prefix/,
    );
    // The prefix scan can use the text_pattern_ops index (forced here: a 6-row table is read whole).
    const plan = await db().transaction(async (m) => {
      await m.query('SET LOCAL enable_seqscan = off');
      return JSON.stringify(
        await m.query(
          `EXPLAIN (FORMAT JSON) SELECT song_id FROM song_embeddings
            WHERE model_version = 'i2i-1' AND (sid = '3-1' OR sid LIKE '3-1' || '-%')`,
        ),
      );
    });
    expect(plan).toContain('song_embeddings_sid_prefix_idx');
  });

  it('keeps the SID an audience was selected with', async () => {
    const audiences = new AudienceRepository(db());
    await audiences.insert({ ...audience('c-1', 'i2i-1'), sid: '4-2-0' });
    await audiences.insertMany([{ ...audience('c-2', 'i2i-1'), sid: '4-2-1' }]);
    expect((await audiences.latest('c-1'))?.sid).toBe('4-2-0');
    expect((await audiences.latest('c-2'))?.sid).toBe('4-2-1');
    await audiences.replace({ ...audience('c-1', 'i2i-1'), sid: null });
    expect((await audiences.latest('c-1'))?.sid).toBeNull();
  });
});
