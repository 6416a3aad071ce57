import { Log } from '@debut/config';
import type { ChangeCursor, SongEntity } from '@debut/catalog';
import { NoActiveModelError, newPoolIndex } from '../model-runtime';
import { songContent } from '../song-content';
import { Poller } from './poller';
import { IndexedSong, SearchIndex } from './search-index';
import { SEARCH_CONTENT_LOG, type SearchDeps, loadSearchVectors } from './search-store';

export interface ActiveSearch {
  version: string;
  index: SearchIndex;
}

const indexed = (s: SongEntity): IndexedSong => ({
  id: s.id,
  title: s.title,
  content: songContent(s),
});

/**
 * The active search version of one api process and its index over every stored song. It
 * follows model_versions (a `trainer activate` of a search version switches on the next poll)
 * and the content log (migration 1765500000000): a song inserted or changed by any process —
 * the worker's release pipeline, an import — is read, embedded with the item tower and added
 * on the next poll (MODEL_POLL_MS), deleted songs are removed. New releases are thus encoded
 * into the running index as they are stored; nothing waits for a rebuild.
 */
export class SearchRuntime {
  private current: ActiveSearch | null = null;
  private cursor: ChangeCursor | null = null;
  private readonly poller = new Poller(() => this.doRefresh(), new Log('search'), 'search refresh');

  constructor(private readonly deps: SearchDeps) {}

  get active(): ActiveSearch | null {
    return this.current;
  }

  /** The active search, or NoActiveModelError (503 with its reason). */
  require(): ActiveSearch {
    if (!this.current) throw new NoActiveModelError('search');
    return this.current;
  }

  start(ms: number): void {
    this.poller.start(ms);
  }

  stop(): void {
    this.poller.stop();
  }

  /** One refresh at a time; concurrent callers share it. */
  refresh(): Promise<void> {
    return this.poller.refresh();
  }

  private async doRefresh(): Promise<void> {
    const v = await this.deps.versions.active('search');
    if (!v) {
      this.retire(this.current);
      this.current = null;
      return;
    }
    if (v.version !== this.current?.version) {
      const { active, cursor } = await this.open(v.version, v.artifactPath);
      const was = this.current;
      this.current = active;
      this.cursor = cursor;
      this.retire(was);
      new Log('search').info('search model active', { version: v.version, songs: active.index.size });
    }
    await this.follow(this.current);
  }

  /**
   * Every stored song in a new index: with the vectors saved at activation where they are
   * usable (songs the save lacks are embedded), otherwise all embedded now. Following the log
   * from the save's cursor then re-embeds what changed since.
   */
  private async open(version: string, dir: string): Promise<{ active: ActiveSearch; cursor: ChangeCursor }> {
    const model = await this.deps.load(dir);
    const saved = loadSearchVectors(this.deps.config.index.dir, version, model.dim);
    const cursor = saved?.cursor ?? (await this.deps.embeddings.changeHorizon());
    const row = new Map((saved?.ids ?? []).map((id, i) => [id, i]));
    const dim = model.dim;
    const index = new SearchIndex(model, newPoolIndex(this.deps.config.index, dim, `search:${version}`));
    for await (const page of this.deps.songs.pages(5000)) {
      const songs = page.map(indexed);
      const known = songs.filter((s) => row.has(s.id));
      const vectors = new Float32Array(known.length * dim);
      known.forEach((s, i) =>
        vectors.set(saved!.vectors.subarray(row.get(s.id)! * dim, (row.get(s.id)! + 1) * dim), i * dim),
      );
      index.upsert(known, vectors);
      index.upsert(songs.filter((s) => !row.has(s.id)));
    }
    return { active: { version, index }, cursor };
  }

  /** Applies the content log (inserts, content changes, pool moves, deletions) since the cursor. */
  private async follow(active: ActiveSearch): Promise<void> {
    for (;;) {
      const batch = await this.deps.embeddings.changesAfter(SEARCH_CONTENT_LOG, this.cursor!, 2000);
      const ids = batch.changes.map((c) => c.songId);
      if (ids.length) {
        const found = await this.deps.songs.findByIds(ids);
        const present = new Set(found.map((s) => s.id));
        active.index.upsert(found.map(indexed));
        active.index.remove(ids.filter((id) => !present.has(id)));
      }
      this.cursor = batch.cursor;
      if (batch.changes.length < 2000) return;
    }
  }

  /** Frees a replaced model after a grace period (a request in flight keeps using it). */
  private retire(was: ActiveSearch | null): void {
    if (was) setTimeout(() => was.index.model.dispose(), 30_000).unref();
  }
}
