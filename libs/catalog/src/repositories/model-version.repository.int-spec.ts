import { describe, expect, it } from '@jest/globals';
import { modelVersion } from '../../tools/fixtures';
import { databasePerFile } from '../../tools/jest-database';
import { ModelVersionRepository } from './model-version.repository';

const db = databasePerFile('model_versions');
const versions = () => new ModelVersionRepository(db());
const activeOf = async (kind: 'i2i' | 'dssm') => (await versions().active(kind))?.version ?? null;

describe('ModelVersionRepository on PostgreSQL', () => {
  it('register stores a version inactive, with its config and metrics; a version id is registered once', async () => {
    await versions().register(modelVersion('i2i-1'));
    expect(await versions().find('i2i-1')).toMatchObject({
      version: 'i2i-1',
      kind: 'i2i',
      artifactPath: '/models/i2i-1',
      dim: 2,
      config: { epochs: 1 },
      metrics: { recall: 0.5 },
      active: false,
      activatedAt: null,
    });
    expect(await versions().hasActive('i2i')).toBe(false);
    expect(await versions().active('i2i')).toBeNull();
    await expect(versions().register(modelVersion('i2i-1'))).rejects.toThrow(/duplicate key/);
  });

  it('activate switches the active version of its kind and leaves the other kind alone', async () => {
    for (const v of [modelVersion('i2i-1'), modelVersion('i2i-2'), modelVersion('dssm-1', 'dssm')])
      await versions().register(v);
    await versions().activate('i2i-1');
    await versions().activate('dssm-1');
    const switched = await versions().activate('i2i-2');
    expect(switched).toMatchObject({ version: 'i2i-2', active: true });
    expect(await activeOf('i2i')).toBe('i2i-2');
    expect(await activeOf('dssm')).toBe('dssm-1');
    expect(await versions().hasActive('dssm')).toBe(true);
    expect((await versions().find('i2i-1'))!.active).toBe(false);
    expect((await versions().find('i2i-2'))!.activatedAt).toBeInstanceOf(Date);
  });

  it('activating an unknown version fails and changes nothing', async () => {
    await versions().register(modelVersion('i2i-1'));
    await versions().activate('i2i-1');
    await expect(versions().activate('i2i-404')).rejects.toThrow('unknown model version i2i-404');
    expect(await activeOf('i2i')).toBe('i2i-1');
  });

  it('concurrent activations never leave two versions of a kind active', async () => {
    for (const v of ['i2i-1', 'i2i-2', 'i2i-3']) await versions().register(modelVersion(v));
    await Promise.allSettled(['i2i-1', 'i2i-2', 'i2i-3'].map((v) => versions().activate(v)));
    const active = (await versions().list()).filter((v) => v.active);
    expect(active).toHaveLength(1);
  });

  it('list returns the newest registration first', async () => {
    for (const v of ['i2i-1', 'dssm-1', 'i2i-2']) {
      await versions().register(modelVersion(v, v.startsWith('dssm') ? 'dssm' : 'i2i'));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect((await versions().list()).map((v) => v.version)).toEqual(['i2i-2', 'dssm-1', 'i2i-1']);
  });
});
