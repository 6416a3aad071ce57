import { Log } from '@debut/config';
import type { DebutConfig } from '@debut/config';
import type {
  EmbeddingRepository,
  InteractionRepository,
  ModelKind,
  ModelVersionRepository,
  SongEntity,
  SongRepository,
} from '@debut/catalog';
import type { SongContent } from '@debut/features';
import type { ModelLoaders } from './model-runtime';
import { SchemaMismatchError, schemaProblems } from './feature-schema';
import { buildPool, savePool } from './model-runtime';
import { songContent } from './song-content';
import { UserVectorRefresher } from './user-vector-refresher';

export interface ActivationReport {
  version: string;
  kind: ModelKind;
  songsEmbedded: number;
  poolSize: number;
  usersRefreshed: number;
  /** Songs stored with a semantic ID ("LxK" shape), when the version has a codebook. */
  sids: { songs: number; shape: string } | null;
  seconds: number;
}

/**
 * `trainer activate <version>`: embeds every stored song with the version's model, builds and
 * saves the FAISS pool it serves from (warm songs for I2I, cold songs for the DSSM), computes
 * every user's (u, b) for a DSSM, and only then flips the active flag. Running api and worker
 * processes see the flip on their next poll and load the new artifact and saved index.
 */
export class ModelActivation {
  private readonly log = new Log('activation');

  constructor(
    private readonly config: Pick<DebutConfig, 'index'> & Partial<Pick<DebutConfig, 'models'>>,
    private readonly versions: ModelVersionRepository,
    private readonly songs: SongRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly interactions: InteractionRepository,
    private readonly loaders: ModelLoaders,
  ) {}

  async activate(version: string, pageSize = 5000): Promise<ActivationReport> {
    const t0 = Date.now();
    const v = await this.versions.find(version);
    if (!v) throw new Error(`unknown model version ${version} (see \`trainer versions\`)`);
    if (v.kind === 'search') throw new Error(`${version} is a search version: SearchActivation activates it`);
    if (v.kind === 'audience') {
      // Nothing to embed: the artifact is read as it is; load it once so a broken one is refused here.
      if (!this.loaders.audience) throw new Error('this deployment has no audience-artifact loader');
      await this.loaders.audience(v.artifactPath);
      await this.versions.activate(version);
      return {
        version,
        kind: v.kind,
        songsEmbedded: 0,
        poolSize: 0,
        usersRefreshed: 0,
        sids: null,
        seconds: (Date.now() - t0) / 1000,
      };
    }
    const model =
      v.kind === 'i2i' ? await this.loaders.i2i(v.artifactPath) : await this.loaders.dssm(v.artifactPath);
    const embed = (c: SongContent[]) => ('embed' in model ? model.embed(c) : model.embedItems(c));
    // Every song gets its semantic ID with its vector when the version has a codebook (I2I).
    const codebook = 'embed' in model ? (model.sids ?? null) : null;
    let songsWithSid = 0;
    const sidsOf = (vectors: Float32Array) => {
      const sids = codebook?.encode(vectors);
      songsWithSid += sids?.length ?? 0;
      return sids;
    };
    const store = (page: SongEntity[]) => {
      const vectors = embed(page.map(songContent));
      return this.embeddings.upsertSongVectors(
        version,
        page.map((s) => s.id),
        vectors,
        model.dim,
        undefined,
        undefined,
        true,
        sidsOf(vectors),
      );
    };
    let songsEmbedded = 0;
    for await (const page of this.songs.pages(pageSize)) {
      // Checked before anything is stored or flipped: a misfit refuses the whole activation.
      const problems = schemaProblems(model.schema, page);
      if (problems.length) throw new SchemaMismatchError(version, problems);
      await store(page);
      songsEmbedded += page.length;
    }
    const pool = v.kind === 'i2i' ? 'warm' : 'cold';
    const poolSize = await this.rebuildIndex(version, pool, model.dim);
    let usersRefreshed = 0;
    if (!('embed' in model)) {
      const dssm = { version, model };
      const refresher = new UserVectorRefresher(
        () => dssm,
        this.interactions,
        this.embeddings,
        undefined,
        this.config.models?.nextMemory.recent,
      );
      for await (const users of this.interactions.userPages(2000))
        usersRefreshed += await refresher.refresh(dssm, users);
    }
    await this.versions.activate(version);
    // Releases stored while the pages above were read have vectors only under the old version.
    // After the flip no writer can add more of those (writes to a replaced version are refused,
    // and the flip waited for the transactions that held it), so one pass now covers them all;
    // running processes pick the new vectors up through the pool change feed.
    for (;;) {
      const missed = await this.songs.withoutVector(version, pageSize);
      if (!missed.length) break;
      await store(missed);
      songsEmbedded += missed.length;
    }
    model.dispose?.(); // this process only needed it to embed; servers load their own
    const report = {
      version,
      kind: v.kind,
      songsEmbedded,
      poolSize,
      usersRefreshed,
      sids: codebook ? { songs: songsWithSid, shape: `${codebook.levels}x${codebook.codes}` } : null,
      seconds: (Date.now() - t0) / 1000,
    };
    this.log.info('activated', { ...report });
    return report;
  }

  /** Builds the pool index of a version from the stored vectors and saves it where ModelRuntime loads it. */
  async rebuildIndex(version: string, pool: 'warm' | 'cold', dim: number): Promise<number> {
    const { index, cursor } = await buildPool(this.config.index, this.embeddings, version, pool, dim);
    savePool(this.config.index.dir, version, pool, index, cursor);
    return index.size;
  }
}
