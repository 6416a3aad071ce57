import { afterAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@debut/config';
import { migrations } from '../../../migrations';
import { audience, play, song } from '../tools/fixtures';
import { databasePerFile } from '../tools/jest-database';
import { withDatabaseAdmin } from './database';
import { AudienceRepository } from './repositories/audience.repository';
import type { DatabaseAdmin } from './repositories/database-admin';
import { DatabaseRepository } from './repositories/database.repository';
import { InteractionRepository } from './repositories/interaction.repository';
import { ProcessedEventRepository } from './repositories/processed-event.repository';
import { SongRepository } from './repositories/song.repository';
import { StatsRepository } from './repositories/stats.repository';
import { UserRepository } from './repositories/user.repository';

const db = databasePerFile('database');

describe('DatabaseRepository and DatabaseAdmin on PostgreSQL', () => {
  const scratch = `${loadConfig().db.database}_catalog_scratch`;
  const admin = <T>(fn: (a: DatabaseAdmin) => Promise<T>) => withDatabaseAdmin(loadConfig().db, fn);
  afterAll(() => admin((a) => a.dropDatabase(scratch)));

  it('ping answers and the applied migrations are the project’s, in order', async () => {
    await expect(new DatabaseRepository(db()).ping()).resolves.toBeUndefined();
    expect(await new DatabaseRepository(db()).appliedMigrations()).toEqual(
      migrations.map((M) => new M().name),
    );
  });

  it('createIfAbsent creates once, also when two processes race for it; dropDatabase removes it', async () => {
    await admin((a) => a.dropDatabase(scratch));
    const created = await Promise.all([
      admin((a) => a.createIfAbsent(scratch)),
      admin((a) => a.createIfAbsent(scratch)),
    ]);
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await admin((a) => a.exists(scratch))).toBe(true);
    expect(await admin((a) => a.createIfAbsent(scratch))).toBe(false);
    await admin((a) => a.dropDatabase(scratch));
    expect(await admin((a) => a.exists(scratch))).toBe(false);
  });

  it('refuses a database name that would need quoting, before any SQL is sent', async () => {
    await expect(admin((a) => a.dropDatabase('x"; DROP DATABASE postgres; --'))).rejects.toThrow(
      /not a valid database name/,
    );
    await expect(admin((a) => a.createIfAbsent('Capitalised'))).rejects.toThrow(/not a valid database name/);
  });
});

describe('UserRepository and StatsRepository on PostgreSQL', () => {
  it('sample is a stable spread of at most n users; count counts them all', async () => {
    await new SongRepository(db()).insertMany([song('s-1', 'warm')]);
    await new InteractionRepository(db()).insertMany(
      Array.from({ length: 8 }, (_, i) => play(`e-${i}`, `u-${i}`, 's-1')),
    );
    const users = new UserRepository(db());
    const sample = await users.sample(3);
    expect(sample).toHaveLength(3);
    expect(await users.sample(3)).toEqual(sample);
    expect(await users.sample(100)).toHaveLength(8);
    expect(await users.count()).toBe(8);
  });

  it('catalogueSize counts established songs, interactions and users', async () => {
    await new SongRepository(db()).insertMany([song('w-1', 'warm'), song('w-2', 'warm'), song('c-1')]);
    await new InteractionRepository(db()).insertMany([
      play('e-1', 'u-1', 'w-1'),
      play('e-2', 'u-1', 'c-1'),
      play(null, 'u-2', 'w-2'),
    ]);
    expect(await new StatsRepository(db()).catalogueSize()).toEqual({ warm: 2, plays: 3, users: 2 });
  });

  it('releaseTally counts one run’s releases by literal id prefix, and flags duplicates and unpublished rows', async () => {
    await new SongRepository(db()).insertMany(['r_1-a', 'r_1-b', 'rx1-c', 'r_2-a'].map((id) => song(id)));
    const audiences = new AudienceRepository(db());
    await audiences.insertMany([
      audience('r_1-a', 'i2i-1'),
      audience('r_1-a', 'i2i-2'),
      audience('r_1-b', 'i2i-1'),
      audience('rx1-c', 'i2i-1'),
    ]);
    await audiences.markPublished([{ songId: 'r_1-a', modelVersion: 'i2i-1' }]);
    await new ProcessedEventRepository().unclaimed(db().manager, ['ev-1', 'ev-2'], 'song.released');
    // `_` is a LIKE wildcard: taken literally, rx1-c is not part of run r_1.
    expect(await new StatsRepository(db()).releaseTally('r_1-', ['ev-1', 'ev-2', 'ev-9'])).toEqual({
      songs: 2,
      audiences: 3,
      audienceSongs: 2,
      unpublished: 2,
      claims: 2,
    });
  });
});
