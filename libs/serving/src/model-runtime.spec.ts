import * as fs from 'node:fs';
import * as path from 'node:path';
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

  it('polls with no change after one was applied add nothing', async () => {
    const { runtime, catalog } = setUp();
    await runtime.refresh();
    catalog.addSongs('cold', { c9: [0.5, 0.5, 0, 0] }, ['dssm-1']);
    await runtime.refresh();
    const { cold } = runtime.require('dssm');
    const adds = jest.spyOn(cold, 'add');
    const removes = jest.spyOn(cold, 'remove');
    for (let i = 0; i < 1000; i++) await runtime.refresh();
    expect(adds).not.toHaveBeenCalled();
    expect(removes).not.toHaveBeenCalled();
  });

  it('switches every kind in one step: a reader sees all old versions or all new ones', async () => {
    const { runtime, catalog } = setUp();
    await runtime.refresh();
    const before = runtime.state;
    catalog.addVersion('i2i-2', 'i2i');
    catalog.addVersion('dssm-2', 'dssm');
    catalog.activateVersion('i2i-2');
    catalog.activateVersion('dssm-2');
    await runtime.refresh();
    expect([before.i2i?.version, before.dssm?.version]).toEqual(['i2i-1', 'dssm-1']);
    expect([runtime.state.i2i?.version, runtime.state.dssm?.version]).toEqual(['i2i-2', 'dssm-2']);
    expect(Object.isFrozen(runtime.state)).toBe(true);
  });

  it('does not trust a saved pool without a change cursor (as written by an older build): it rebuilds', async () => {
    const { runtime, catalog, config } = setUp();
    await runtime.refresh();
    runtime.save();
    fs.rmSync(path.join(ModelRuntime.indexDir(config.index.dir, 'dssm-1', 'cold'), 'sync.json'));
    const restarted = catalog.runtime(config);
    const reads = catalog.reads.length;
    await restarted.refresh();
    expect(catalog.reads.slice(reads)).toContain('embeddings.songVectors');
    expect(sorted(restarted.require('dssm').cold.ids())).toEqual(['c1', 'c2']);
  });

  it('frees every replaced model after its grace period, over 100 switches, and never the active one early', async () => {
    const catalog = new InMemoryCatalog();
    const loaders = new FakeLoaders();
    catalog.addVersion('dssm-a', 'dssm', true);
    catalog.addVersion('dssm-b', 'dssm');
    catalog.addSongs('cold', { c1: [1, 0, 0, 0] }, ['dssm-a', 'dssm-b']);
    const runtime = new ModelRuntime(
      testConfig(),
      catalog.repos.versions,
      catalog.repos.embeddings,
      loaders,
      { disposeGraceMs: 5 },
    );
    await runtime.refresh();
    for (let i = 0; i < 100; i++) {
      const inFlight = runtime.require('dssm').model; // a request that started before the switch
      catalog.activateVersion(i % 2 ? 'dssm-a' : 'dssm-b');
      await runtime.refresh();
      expect(() => inFlight.embedItems([])).not.toThrow(); // still usable within the grace period
    }
    await new Promise((r) => setTimeout(r, 30));
    const live = loaders.models.filter((m) => !m.disposed);
    expect(loaders.models).toHaveLength(101);
    expect(live).toEqual([runtime.require('dssm').model]);
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

  it('callers arriving during a refresh share one follow-up refresh', async () => {
    const { runtime, catalog } = setUp();
    await Promise.all([runtime.refresh(), runtime.refresh(), runtime.refresh()]);
    // The first, then one more for the two that arrived while it ran: two reads per kind each.
    expect(catalog.reads.filter((r) => r === 'versions.active')).toHaveLength(4);
  });

  it('a caller that activated a version while a refresh was running serves it once its refresh returns', async () => {
    const { runtime, catalog } = setUp();
    await runtime.refresh();
    catalog.addVersion('i2i-2', 'i2i');
    catalog.setSongVector('i2i-2', 'w2', [0, 1, 0, 0]);
    const polling = runtime.refresh(); // e.g. the poll timer: reads the active versions first
    catalog.activateVersion('i2i-2'); // an activation commits meanwhile ...
    await runtime.refresh(); // ... and its caller refreshes
    expect(runtime.i2i?.version).toBe('i2i-2');
    await polling;
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

  // A restarted process must not trust a saved pool because its size still matches: changes that
  // keep the count (one cold song graduated, another released while the process was down) are in
  // neither the file nor, with a wall-clock watermark, ever re-read.
  it('applies the changes made between a save and a restart even when the pool size is unchanged', async () => {
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
