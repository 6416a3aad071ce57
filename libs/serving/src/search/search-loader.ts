import { SearchModel, initTf, loadSearchModel } from '@debut/models';

/** Loads a `search` artifact (checksum verified) on the process's TensorFlow backend. */
export function searchModelLoader(
  backend: 'auto' | 'tensorflow' | 'wasm',
): (artifactDir: string) => Promise<SearchModel> {
  return async (dir) => {
    await initTf({ backend, log: () => undefined });
    return (await loadSearchModel(dir)).model;
  };
}
