import { initTf, loadAudienceArtifact, loadDssmModel, loadI2IEncoder, loadSemanticIds } from '@debut/models';
import type { AudienceModels, InterestModel, ModelLoaders, SongEncoder } from './model-runtime';

/** Artifact loaders over libs/models; the backend is picked once per process. */
export function tfModelLoaders(backend: 'auto' | 'tensorflow' | 'wasm'): ModelLoaders {
  return {
    async i2i(dir: string): Promise<SongEncoder> {
      await initTf({ backend, log: () => undefined });
      const { encoder, manifest } = await loadI2IEncoder(dir);
      // Loaded with the version (and checked against it): a song's SID is the one of its vector's model.
      const sids = await loadSemanticIds(dir, { modelVersion: manifest.version, dim: encoder.dim });
      return {
        dim: encoder.dim,
        schema: encoder.featurizer.schema,
        embed: (c) => encoder.embed(c),
        sids,
        dispose: () => encoder.dispose(),
      };
    },
    async dssm(dir: string): Promise<InterestModel> {
      await initTf({ backend, log: () => undefined });
      const { model } = await loadDssmModel(dir);
      return {
        dim: model.dim,
        schema: model.featurizer.schema,
        gateOffset: model.gateOffset,
        embedItems: (c) => model.embedItems(c),
        embedUsersFromItemVectors: (h, w) => model.embedUsersFromItemVectors(h, undefined, w),
        ...(model.context ? { userAt: (u: Float32Array, at: Date) => model.context!.shift(u, at) } : {}),
        dispose: () => model.dispose(),
      };
    },
    async audience(dir: string): Promise<AudienceModels> {
      const a = await loadAudienceArtifact(dir);
      return { schema: a.schema, config: a.config, ridge: a.ridge };
    },
  };
}
