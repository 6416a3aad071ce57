import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from '@jest/globals';
import { coldSplit, generateSynthetic } from '@debut/evaluation';
import { initTf, saveI2IArtifact, tf } from '@debut/models';
import { trainSmallEncoder } from '../../models/src/testing/small-i2i';
import { tfModelLoaders } from './model-loaders';
import { ModelRuntime } from './model-runtime';
import { InMemoryCatalog, testConfig } from './testing/fakes';

jest.setTimeout(120_000);

/**
 * With real TensorFlow.js models (not fakes): 100 activations back and forth while requests
 * embed songs leave the live tensor count where one loaded model leaves it, and every request
 * answers with the one version it started on.
 */
describe('ModelRuntime with real models', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  it('keeps tf.memory().numTensors flat over 100 activations under load', async () => {
    await initTf({ log: () => undefined });
    const ds = generateSynthetic({ seed: 3, songs: 300, users: 150, interactionsPerUser: 20 });
    const split = coldSplit(ds, { seed: 3 });
    const { encoder, trained } = await trainSmallEncoder(ds, split, {
      seed: 3,
      epochs: 1,
      fieldDim: 4,
      hidden: [8],
      outputDim: 4,
    });
    const catalog = new InMemoryCatalog();
    for (const version of ['i2i-a', 'i2i-b']) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), `debut-${version}-`));
      dirs.push(dir);
      await saveI2IArtifact(dir, encoder, trained.config, {}, version);
      catalog.addVersion(version, 'i2i', version === 'i2i-a').artifactPath = dir;
    }
    encoder.dispose();
    catalog.addSongs('warm', { w1: [1, 0, 0, 0], w2: [0, 1, 0, 0] }, ['i2i-a', 'i2i-b']);
    const config = testConfig();
    dirs.push(config.index.dir);
    const runtime = new ModelRuntime(
      config,
      catalog.repos.versions,
      catalog.repos.embeddings,
      tfModelLoaders('auto'),
      { disposeGraceMs: 5 },
    );
    await runtime.refresh();
    const contents = ds.items.slice(0, 16).map((i) => i.content);
    const request = () => {
      const state = runtime.state; // one version from start to end
      const vectors = state.i2i!.encoder.embed(contents);
      return { version: state.i2i!.version, rows: vectors.length / state.i2i!.encoder.dim };
    };
    request();
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const inFlight = runtime.state;
      catalog.activateVersion(i % 2 ? 'i2i-a' : 'i2i-b');
      await runtime.refresh();
      // A request that began before the switch finishes on its own version.
      expect(inFlight.i2i!.encoder.embed(contents).length).toBe(16 * 4);
      expect(request()).toEqual({ version: i % 2 ? 'i2i-a' : 'i2i-b', rows: 16 });
    }
    await new Promise((r) => setTimeout(r, 50)); // past the grace period: the replaced ones are freed
    await runtime.refresh();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
