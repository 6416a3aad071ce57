import { beforeEach, describe, expect, it } from '@jest/globals';
import { modelVersion, play, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { EmbeddingRepository } from './embedding.repository';
import { InteractionRepository } from './interaction.repository';
import { ModelVersionRepository } from './model-version.repository';
import { SongRepository } from './song.repository';

const db = databasePerFile('embeddings');
const embeddings = () => new EmbeddingRepository(db());
const rows = (...vs: number[][]) => Float32Array.from(vs.flat());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EmbeddingRepository on PostgreSQL', () => {
  beforeEach(async () => {
    await new SongRepository(db()).insertMany([
      song('w-1', 'warm'),
      song('w-2', 'warm'),
      song('c-1'),
      song('c-2'),
      song('c-3'),
    ]);
    const versions = new ModelVersionRepository(db());
    await versions.register(modelVersion('i2i-1'));
    await versions.register(modelVersion('dssm-1', 'dssm'));
  });

  it('stores song vectors in chunks and reads them back exactly, in id order, per pool', async () => {
    const v = rows([0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8], [0.9, 1.0]);
    await embeddings().upsertSongVectors('i2i-1', ['w-2', 'w-1', 'c-3', 'c-1', 'c-2'], v, 2, undefined, 2);
    const all = await embeddings().songVectors('i2i-1');
    expect(all.ids).toEqual(['c-1', 'c-2', 'c-3', 'w-1', 'w-2']);
    expect(all.dim).toBe(2);
    expect(all.vectors).toEqual(rows([0.7, 0.8], [0.9, 1.0], [0.5, 0.6], [0.3, 0.4], [0.1, 0.2]));
    const warm = await embeddings().songVectors('i2i-1', 'warm');
    expect(warm.ids).toEqual(['w-1', 'w-2']);
    expect(await embeddings().countSongVectors('i2i-1', 'cold')).toBe(3);
    expect(await embeddings().embeddedSongIds('i2i-1', 'cold', 2)).toEqual(['c-1', 'c-2']);
    expect(await embeddings().songVectors('dssm-1')).toEqual({
      ids: [],
      vectors: new Float32Array(0),
      dim: 0,
    });
  });

  it('re-embedding a song replaces its vector under that version only', async () => {
    await embeddings().upsertSongVectors('i2i-1', ['w-1'], rows([1, 1]), 2);
    await embeddings().upsertSongVectors('dssm-1', ['w-1'], rows([5, 5]), 2);
    await embeddings().upsertSongVectors('i2i-1', ['w-1'], rows([2, -2]), 2);
    const got = await embeddings().songVectorsFor('i2i-1', ['w-1', 'w-2']);
    expect([...got.keys()]).toEqual(['w-1']);
    expect(got.get('w-1')).toEqual(rows([2, -2]));
    expect((await embeddings().songVectorsFor('dssm-1', ['w-1'])).get('w-1')).toEqual(rows([5, 5]));
    expect(await embeddings().countSongVectors('i2i-1', 'warm')).toBe(1);
  });

  it('changesSince reports songs whose vector or pool changed since then, oldest first, with their current pool', async () => {
    await embeddings().upsertSongVectors(
      'i2i-1',
      ['w-1', 'c-1', 'c-2', 'c-3'],
      rows([1, 0], [0, 1], [1, 1], [2, 2]),
      2,
    );
    await sleep(20);
    const since = new Date();
    await sleep(20);
    await new SongRepository(db()).setPool(['c-1'], 'warm'); // graduation
    await sleep(5);
    await embeddings().upsertSongVectors('i2i-1', ['c-3'], rows([3, 3]), 2);
    await sleep(5);
    await embeddings().upsertSongVectors('dssm-1', ['c-2'], rows([9, 9]), 2);

    const changes = await embeddings().changesSince('i2i-1', since);
    expect(changes.map((c) => [c.songId, c.pool])).toEqual([
      ['c-1', 'warm'],
      ['c-3', 'cold'],
    ]);
    expect(changes[1].vector).toEqual(rows([3, 3]));
    expect(changes[0].changedAt.getTime()).toBeGreaterThanOrEqual(since.getTime());
    expect(await embeddings().changesSince('i2i-1', since, 1)).toHaveLength(1);
    expect(await embeddings().changesSince('i2i-1', new Date(Date.now() + 60_000))).toEqual([]);
  });

  it('stores users’ interest and boundary vectors per version and replaces them on refresh', async () => {
    await new InteractionRepository(db()).insertMany([play('e-1', 'u-1', 'w-1'), play('e-2', 'u-2', 'w-1')]);
    await embeddings().upsertUserVectors(
      'dssm-1',
      ['u-1', 'u-2'],
      rows([1, 2], [3, 4]),
      rows([0.5, 0.5], [0.25, 0]),
      2,
      1,
    );
    await embeddings().upsertUserVectors('dssm-1', ['u-2'], rows([-3, -4]), rows([1, 1]), 2);
    const got = await embeddings().userVectors('dssm-1', ['u-1', 'u-2', 'u-9']);
    expect([...got.keys()].sort()).toEqual(['u-1', 'u-2']);
    expect(got.get('u-1')).toEqual({ user: rows([1, 2]), boundary: rows([0.5, 0.5]) });
    expect(got.get('u-2')).toEqual({ user: rows([-3, -4]), boundary: rows([1, 1]) });
    expect(await embeddings().userVectors('i2i-1', ['u-1'])).toEqual(new Map());
  });
});
