import { SchemaMismatchError, schemaProblems } from '../feature-schema';
import { songContent } from '../song-content';
import { type SearchDeps, saveSearchVectors } from './search-store';

export interface SearchActivationReport {
  version: string;
  songsEmbedded: number;
  seconds: number;
}

/**
 * `trainer activate <search version>`: embeds every stored song (warm, cold and new alike) with
 * the version's item tower, saves the vectors api processes build their FAISS index from
 * (search-store.ts), and only then flips the active flag. The cursor is taken before the read, so a release stored meanwhile is
 * replayed by the loader from the content log.
 */
export class SearchActivation {
  constructor(private readonly deps: SearchDeps) {}

  async activate(version: string, pageSize = 5000): Promise<SearchActivationReport> {
    const t0 = Date.now();
    const v = await this.deps.versions.find(version);
    if (!v || v.kind !== 'search')
      throw new Error(`${version} is not a search version (see \`trainer versions\`)`);
    const model = await this.deps.load(v.artifactPath);
    try {
      const cursor = await this.deps.embeddings.changeHorizon();
      const ids: string[] = [];
      const parts: Float32Array[] = [];
      for await (const page of this.deps.songs.pages(pageSize)) {
        const problems = schemaProblems(model.schema, page);
        if (problems.length) throw new SchemaMismatchError(version, problems);
        ids.push(...page.map((s) => s.id));
        parts.push(model.embedSongs(page.map(songContent)));
      }
      const vectors = new Float32Array(ids.length * model.dim);
      let at = 0;
      for (const p of parts) {
        vectors.set(p, at);
        at += p.length;
      }
      saveSearchVectors(this.deps.config.index.dir, version, model.dim, { ids, vectors, cursor });
      await this.deps.versions.activate(version);
      return { version, songsEmbedded: ids.length, seconds: (Date.now() - t0) / 1000 };
    } finally {
      model.dispose();
    }
  }
}
