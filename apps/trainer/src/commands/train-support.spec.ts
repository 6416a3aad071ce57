import * as path from 'node:path';
import type { ArtifactManifest } from '@debut/models';
import { saveTrainedVersion } from './train-support';

// Registration opens the database: the repository is replaced by a recorder.
const registered: unknown[] = [];
jest.mock('@debut/catalog', () => ({
  ModelKind: {},
  openDatabase: jest.fn(async () => ({ destroy: async () => undefined })),
  ModelVersionRepository: jest.fn(() => ({
    register: async (row: unknown) => {
      registered.push(row);
    },
  })),
}));

const manifest = (version: string): ArtifactManifest => ({
  kind: 'dssm',
  formatVersion: 1,
  version,
  createdAt: '2026-12-01T00:00:00Z',
  backend: 'wasm',
  schema: { fields: [] } as unknown as ArtifactManifest['schema'],
  config: { epochs: 3, userIds: ['u-1', 'u-2'] },
  metrics: { bestEpoch: 2 },
  weights: [],
  checksum: 'x',
});

type Options = Parameters<typeof saveTrainedVersion>[0];
/** A run that saves a bare manifest: the tests below change only what they look at. */
const run = (over: Partial<Options>): Options => ({
  kind: 'dssm',
  modelsDir: '/models',
  save: async (_d, v) => manifest(v),
  train: { bestEpoch: 1, trainSeconds: 2 },
  backend: 'wasm',
  register: null,
  ...over,
});

let lines: string[];
beforeEach(() => {
  lines = [];
  registered.length = 0;
  jest.spyOn(console, 'log').mockImplementation((m: string) => void lines.push(m));
});
afterEach(() => jest.restoreAllMocks());

describe('saveTrainedVersion', () => {
  it('saves under a new version of the kind, then prints the saved line, then what follows', async () => {
    const saves: Array<[string, string]> = [];
    const { version, dir } = await saveTrainedVersion({
      kind: 'search',
      modelsDir: '/models',
      save: async (d, v) => {
        saves.push([d, v]);
        console.log('validation lines');
        return manifest(v);
      },
      train: { bestEpoch: 4, trainSeconds: 12.345 },
      backend: 'tensorflow',
      lead: 'fusion rrf w=0.5',
      tail: 'more',
      after: () => console.log('after'),
      register: null,
    });
    expect(version).toMatch(/^search-\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(dir).toBe(path.join('/models', version));
    expect(saves).toEqual([[dir, version]]);
    expect(lines).toEqual([
      'validation lines',
      `saved ${version} to ${dir}: fusion rrf w=0.5, best epoch 4, more, 12.3 s on tensorflow`,
      'after',
    ]);
    expect(registered).toEqual([]);
  });

  it('without lead or tail the saved line is "best epoch N, T s on backend"', async () => {
    const { version, dir } = await saveTrainedVersion(run({}));
    expect(lines).toEqual([`saved ${version} to ${dir}: best epoch 1, 2.0 s on wasm`]);
  });

  it('registers what `manifest` keeps (user ids counted, not listed) and prints the activation hint when asked', async () => {
    const { version, dir } = await saveTrainedVersion(
      run({
        register: {
          dim: 32,
          activateHint: true,
          manifest: (m) => ({ ...m, config: { ...(m.config as object), summarised: true } }),
        },
      }),
    );
    expect(registered).toEqual([
      {
        version,
        kind: 'dssm',
        artifactPath: dir,
        dim: 32,
        config: { epochs: 3, users: 2, summarised: true },
        metrics: { bestEpoch: 2 },
      },
    ]);
    expect(lines.slice(1)).toEqual([
      `registered ${version} (dssm) → ${dir}`,
      `activate it with: npm run trainer -- activate ${version}`,
    ]);
  });

  it('registers the manifest as saved and prints no hint when the command activates itself', async () => {
    const { version } = await saveTrainedVersion(
      run({ kind: 'search', register: { dim: 8, activateHint: false } }),
    );
    expect(registered).toMatchObject([{ version, dim: 8, config: { epochs: 3, users: 2 } }]);
    expect(lines.some((l) => l.startsWith('activate it with'))).toBe(false);
  });
});
