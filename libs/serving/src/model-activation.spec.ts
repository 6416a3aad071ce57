import { expect } from '@jest/globals';
import * as path from 'node:path';
import { VectorIndex } from '@debut/index';
import { SupersededVersionError } from '@debut/catalog';
import { ModelActivation } from './model-activation';
import { SchemaMismatchError } from './feature-schema';
import { FakeEncoder, FakeLoaders, InMemoryCatalog, testConfig } from './testing/fakes';

/** Two established and three cold songs, a listener with history and one without. */
function setUp() {
  const catalog = new InMemoryCatalog();
  catalog.addSong('w1', 'warm', [1, 0, 0, 0]);
  catalog.addSong('w2', 'warm', [0, 1, 0, 0]);
  catalog.addSong('c1', 'cold', [0.6, 0.8, 0, 0]);
  catalog.addSong('c2', 'cold', [0, 0, 1, 0]);
  catalog.addSong('c3', 'cold', [0, 0, 0, 1]);
  catalog.addPlay('listener', 'w1');
  catalog.addPlay('listener', 'c2');
  catalog.addUser('silent');
  catalog.addVersion('i2i-1', 'i2i', true);
  catalog.addVersion('i2i-2', 'i2i');
  catalog.addVersion('dssm-2', 'dssm');
  const config = testConfig();
  const loaders = new FakeLoaders();
  const r = catalog.repos;
  const activation = new ModelActivation(config, r.versions, r.songs, r.embeddings, r.interactions, loaders);
  return { catalog, config, loaders, activation };
}

describe('ModelActivation', () => {
  afterEach(() => jest.restoreAllMocks());

  it('refuses a model whose feature schema the catalogue does not carry, before storing or flipping anything', async () => {
    const { catalog, activation, loaders } = setUp();
    const wrong = new FakeEncoder();
    Object.assign(wrong, {
      schema: {
        version: 1,
        modalities: [
          { name: 'audio', kind: 'dense', dim: 999 },
          { name: 'lyrics', kind: 'dense', dim: 8 },
        ],
      },
    });
    jest.spyOn(loaders, 'i2i').mockResolvedValue(wrong);
    await expect(activation.activate('i2i-2')).rejects.toThrow(SchemaMismatchError);
    await expect(activation.activate('i2i-2')).rejects.toThrow(
      /have audio of length \d+, the model expects 999; .* lack lyrics/,
    );
    expect(catalog.writes).toEqual([]);
    expect(catalog.s.versions.get('i2i-2')?.active).toBe(false);
  });

  it('embeds songs released while it ran, after the flip, and refuses later writes under the replaced version', async () => {
    const { catalog, activation } = setUp();
    const embeddings = catalog.repos.embeddings;
    const store = embeddings.upsertSongVectors.bind(embeddings);
    jest.spyOn(embeddings, 'upsertSongVectors').mockImplementationOnce(async (...args) => {
      catalog.addSongs('cold', { late: [0, 0, 1, 1] }, ['i2i-1']); // the worker, still on i2i-1
      return store(...args);
    });
    const report = await activation.activate('i2i-2', 2);
    expect(catalog.vectorOf('i2i-2', 'late')).toEqual([0, 0, 1, 1]);
    expect(report.songsEmbedded).toBe(6);
    await expect(
      embeddings.upsertSongVectors('i2i-1', ['late'], Float32Array.from([1, 0, 0, 0]), 4),
    ).rejects.toThrow(SupersededVersionError);
  });

  it('embeds every song page by page, saves the warm pool for I2I, and flips the active flag last', async () => {
    const { catalog, config, loaders, activation } = setUp();
    const report = await activation.activate('i2i-2', 2);

    expect(report).toMatchObject({
      version: 'i2i-2',
      kind: 'i2i',
      songsEmbedded: 5,
      poolSize: 2,
      usersRefreshed: 0,
    });
    expect(loaders.loaded).toEqual(['/models/i2i-2']);
    // 5 songs in pages of 2: three writes of vectors, then the activation.
    expect(catalog.writes.map((w) => w.what)).toEqual([
      'embeddings.upsertSongVectors',
      'embeddings.upsertSongVectors',
      'embeddings.upsertSongVectors',
      'versions.activate',
    ]);
    expect(catalog.vectorOf('i2i-2', 'c1')).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6), 0, 0]);
    expect(catalog.vectorOf('i2i-2', 'w2')).toEqual([0, 1, 0, 0]);
    expect(catalog.s.versions.get('i2i-2')?.active).toBe(true);
    expect(catalog.s.versions.get('i2i-1')?.active).toBe(false);

    // The saved pool is where ModelRuntime looks for it and holds only established songs.
    const warm = VectorIndex.load(path.join(config.index.dir, 'i2i-2', 'warm'));
    expect(warm.ids().sort()).toEqual(['w1', 'w2']);
    expect(warm.search([1, 0, 0, 0], 1)).toEqual([{ id: 'w1', score: expect.closeTo(1, 5) }]);
  });

  it('builds the cold pool for a DSSM and computes every listener’s (u, b) before activating', async () => {
    const { catalog, config, activation } = setUp();
    const report = await activation.activate('dssm-2');

    expect(report).toMatchObject({
      version: 'dssm-2',
      kind: 'dssm',
      songsEmbedded: 5,
      poolSize: 3,
      usersRefreshed: 1,
    });
    const cold = VectorIndex.load(path.join(config.index.dir, 'dssm-2', 'cold'));
    expect(cold.ids().sort()).toEqual(['c1', 'c2', 'c3']);
    // listener heard w1 and c2: u = their mean, b = u / 2 (fake DSSM); 'silent' has nothing to pool.
    const vectors = catalog.s.userVectors.get('dssm-2');
    expect(vectors?.get('listener')?.user).toEqual(Float32Array.from([0.5, 0, 0.5, 0]));
    expect(vectors?.get('listener')?.boundary).toEqual(Float32Array.from([0.25, 0, 0.25, 0]));
    expect(vectors?.has('silent')).toBe(false);
    expect(catalog.writes.map((w) => w.what).slice(-2)).toEqual([
      'embeddings.upsertUserVectors',
      'versions.activate',
    ]);
  });

  it('refuses an unknown version without writing anything', async () => {
    const { catalog, activation } = setUp();
    await expect(activation.activate('nope')).rejects.toThrow(
      'unknown model version nope (see `trainer versions`)',
    );
    expect(catalog.writes).toEqual([]);
  });

  it('leaves the running version active when embedding fails half-way', async () => {
    const { catalog, activation } = setUp();
    catalog.failNext('embeddings.upsertSongVectors');
    await expect(activation.activate('i2i-2')).rejects.toThrow('connection terminated unexpectedly');
    expect(catalog.s.versions.get('i2i-1')?.active).toBe(true);
    expect(catalog.s.versions.get('i2i-2')?.active).toBe(false);
  });

  it('is picked up by a running ModelRuntime on its next poll, from the saved pool (no rebuild)', async () => {
    const { catalog, config, activation } = setUp();
    catalog.setSongVector('i2i-1', 'w1', [1, 0, 0, 0]);
    const runtime = catalog.runtime(config);
    await runtime.refresh();
    expect(runtime.i2i?.version).toBe('i2i-1');

    await activation.activate('i2i-2');
    const reads = catalog.reads.length;
    await runtime.refresh();
    expect(runtime.i2i?.version).toBe('i2i-2');
    expect(runtime.i2i?.warm.size).toBe(2);
    expect(catalog.reads.slice(reads)).not.toContain('embeddings.songVectors');
  });
});
