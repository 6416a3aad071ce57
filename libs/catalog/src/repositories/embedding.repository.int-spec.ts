import { beforeEach, describe, expect, it } from '@jest/globals';
import { modelVersion, play, song } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { EmbeddingRepository, compareCursors } from './embedding.repository';
import { InteractionRepository } from './interaction.repository';
import { ModelVersionRepository } from './model-version.repository';
import { SongRepository } from './song.repository';

const db = databasePerFile('embeddings');
const embeddings = () => new EmbeddingRepository(db());
const rows = (...vs: number[][]) => Float32Array.from(vs.flat());

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

  it('changesAfter reports songs whose vector or pool changed after the cursor, with their current state', async () => {
    await embeddings().upsertSongVectors(
      'i2i-1',
      ['w-1', 'c-1', 'c-2', 'c-3'],
      rows([1, 0], [0, 1], [1, 1], [2, 2]),
      2,
    );
    const cursor = await embeddings().changeHorizon();
    await new SongRepository(db()).setPool(['c-1'], 'warm'); // graduation
    await embeddings().upsertSongVectors('i2i-1', ['c-3'], rows([3, 3]), 2);
    await embeddings().upsertSongVectors('i2i-1', ['c-2'], rows([1, 1]), 2); // same vector: no change
    await embeddings().upsertSongVectors('dssm-1', ['c-2'], rows([9, 9]), 2); // another version
    await db().query(`UPDATE songs SET listener_count = 5 WHERE id = 'c-3'`); // not a pool change
    await db().query(`DELETE FROM songs WHERE id = 'w-1'`);

    const batch = await embeddings().changesAfter('i2i-1', cursor);
    expect(batch.changes.map((c) => [c.songId, c.pool])).toEqual([
      ['c-1', 'warm'],
      ['c-3', 'cold'],
      ['w-1', null],
    ]);
    expect(batch.changes[1].vector).toEqual(rows([3, 3]));
    expect(batch.changes[2].vector).toBeNull();
    expect(compareCursors(batch.cursor, cursor)).toBe(1);

    const paged = await embeddings().changesAfter('i2i-1', cursor, 1);
    expect(paged.changes.map((c) => c.songId)).toEqual(['c-1']);
    const rest = await embeddings().changesAfter('i2i-1', paged.cursor);
    expect(rest.changes.map((c) => c.songId)).toEqual(['c-3', 'w-1']);
    expect((await embeddings().changesAfter('i2i-1', batch.cursor)).changes).toEqual([]);
  });

  it('a transaction that committed after a later one was read is still delivered (no change falls behind the cursor)', async () => {
    await embeddings().upsertSongVectors('i2i-1', ['c-1', 'c-2'], rows([0, 1], [1, 1]), 2);
    let cursor = await embeddings().changeHorizon();
    const seen: string[] = [];
    const poll = async () => {
      const b = await embeddings().changesAfter('i2i-1', cursor);
      seen.push(...b.changes.map((c) => c.songId));
      cursor = b.cursor;
    };
    const early = db().createQueryRunner();
    await early.connect();
    try {
      await early.startTransaction();
      // The early transaction writes first (and starts first) but commits last.
      await embeddings().upsertSongVectors('i2i-1', ['c-1'], rows([5, 5]), 2, early.manager);
      await db().transaction((m) => embeddings().upsertSongVectors('i2i-1', ['c-2'], rows([6, 6]), 2, m));
      await poll(); // the late one is committed, but the early one is still open
      await poll();
      await early.commitTransaction();
    } finally {
      await early.release();
    }
    await poll();
    expect(seen.sort()).toEqual(['c-1', 'c-2']);
    await poll();
    expect(seen).toHaveLength(2); // each change once
  });

  it('rolled-back writes leave nothing in the log, and polls without changes return nothing', async () => {
    const cursor = await embeddings().changeHorizon();
    await expect(
      db().transaction(async (m) => {
        await embeddings().upsertSongVectors('i2i-1', ['c-1'], rows([5, 5]), 2, m);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    let c = cursor;
    for (let i = 0; i < 50; i++) {
      const b = await embeddings().changesAfter('i2i-1', c);
      expect(b.changes).toEqual([]);
      c = b.cursor;
    }
  });

  it('the poll reads the change log by its index', async () => {
    await db().query(
      `INSERT INTO pool_changes (song_id, model_version) SELECT 'x-' || g, 'i2i-9' FROM generate_series(1, 5000) g`,
    );
    await db().query('ANALYZE pool_changes');
    const plan: Array<{ 'QUERY PLAN': string }> = await db().query(
      `EXPLAIN SELECT id FROM pool_changes WHERE (xid, id) > ('1'::xid8, 0::bigint) AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY xid, id LIMIT 10`,
    );
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('pool_changes_xid_idx');
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

  it('stores next-intent vectors beside them, and clears them when a refresh brings none', async () => {
    await new InteractionRepository(db()).insertMany([play('e-1', 'u-1', 'w-1'), play('e-2', 'u-2', 'w-1')]);
    const next = { users: rows([7, 8], [9, 10]), boundaries: rows([0, 1], [1, 0]) };
    await embeddings().upsertUserVectors(
      'dssm-1',
      ['u-1', 'u-2'],
      rows([1, 2], [3, 4]),
      rows([0, 0], [0, 0]),
      2,
      1,
      undefined,
      next,
    );
    const got = await embeddings().userVectors('dssm-1', ['u-1', 'u-2']);
    expect(got.get('u-1')).toEqual({
      user: rows([1, 2]),
      boundary: rows([0, 0]),
      next: { user: rows([7, 8]), boundary: rows([0, 1]) },
    });
    expect(got.get('u-2')?.next).toEqual({ user: rows([9, 10]), boundary: rows([1, 0]) });
    // The full load and the feed carry them only when asked (the api holds them for λ > 0).
    const all = await embeddings().allUserVectors('dssm-1', true);
    expect(all.ids).toEqual(['u-1', 'u-2']);
    expect(all.next).toEqual({
      users: rows([7, 8], [9, 10]),
      boundaries: rows([0, 1], [1, 0]),
      has: [true, true],
    });
    expect((await embeddings().allUserVectors('dssm-1')).next).toBeUndefined();
    const feed = await embeddings().userVectorsAfter('dssm-1', '0/', 10, true);
    expect(feed.users.find((u) => u.userId === 'u-2')?.next).toEqual({
      user: rows([9, 10]),
      boundary: rows([1, 0]),
    });
    expect((await embeddings().userVectorsAfter('dssm-1', '0/', 10)).users[0].next).toBeUndefined();
    await embeddings().upsertUserVectors('dssm-1', ['u-2'], rows([5, 6]), rows([1, 1]), 2);
    expect((await embeddings().userVectors('dssm-1', ['u-2'])).get('u-2')).toEqual({
      user: rows([5, 6]),
      boundary: rows([1, 1]),
    });
    expect((await embeddings().allUserVectors('dssm-1', true)).next?.has).toEqual([true, false]);
    const after = await embeddings().userVectorsAfter('dssm-1', '0/', 10, true);
    expect(after.users.find((u) => u.userId === 'u-2')?.next).toBeUndefined();
  });

  it('the user-vector feed delivers every refresh once, late commits included, page by page', async () => {
    await new InteractionRepository(db()).insertMany(
      ['u-1', 'u-2', 'u-3', 'u-4'].map((u, i) => play(`e-${i}`, u, 'w-1')),
    );
    const write = (ids: string[], x: number, m?: Parameters<EmbeddingRepository['upsertUserVectors']>[6]) =>
      embeddings().upsertUserVectors(
        'dssm-1',
        ids,
        rows(...ids.map(() => [x, x])),
        rows(...ids.map(() => [0, x])),
        2,
        undefined,
        m,
      );
    await write(['u-1'], 1); // before the horizon: what a full load reads
    let cursor = await embeddings().userVectorHorizon();
    const seen: Array<[string, number]> = [];
    const poll = async (limit?: number) => {
      const b = await embeddings().userVectorsAfter('dssm-1', cursor, limit);
      seen.push(...b.users.map((u) => [u.userId, u.user[0]] as [string, number]));
      cursor = b.cursor;
      return b.users.length;
    };
    const early = db().createQueryRunner();
    await early.connect();
    try {
      await early.startTransaction();
      await write(['u-2'], 2, early.manager); // starts first, commits last
      await db().transaction((m) => write(['u-3', 'u-4', 'u-1'], 3, m));
      expect(await poll()).toBe(0); // the early one is open: nothing past it is read yet
      await early.commitTransaction();
    } finally {
      await early.release();
    }
    while ((await poll(2)) === 2); // pages of two
    expect(seen).toEqual([
      ['u-2', 2],
      ['u-1', 3],
      ['u-3', 3],
      ['u-4', 3],
    ]);
    await write(['u-2'], 7); // a refresh updates the row in place: it comes again, with the new vector
    await poll();
    expect(seen[seen.length - 1]).toEqual(['u-2', 7]);
    expect(await poll()).toBe(0);
    expect(
      await embeddings().userVectorsAfter('i2i-1', await embeddings().userVectorHorizon()),
    ).toMatchObject({
      users: [],
    });
  });
});
