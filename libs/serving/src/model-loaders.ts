import { initTf, loadI2IEncoder } from '@debut/models';
import type { ModelLoaders, SongEncoder } from './model-runtime';

/** Artifact loaders over libs/models; the backend is picked once per process. */
export function tfModelLoaders(backend: 'auto' | 'tensorflow' | 'wasm'): ModelLoaders {
  return {
    async i2i(dir: string): Promise<SongEncoder> {
      await initTf({ backend });
      const { encoder } = await loadI2IEncoder(dir);
      return { dim: encoder.dim, schema: encoder.featurizer.schema, embed: (c) => encoder.embed(c) };
    },
    async dssm(dir: string) {
      await initTf({ backend });
      throw new Error(`DSSM artifacts are not loadable yet (${dir})`);
    },
  };
}
