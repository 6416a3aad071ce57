/**
 * What `trainer activate` saves for a search version (`<INDEX_DIR>/<version>/search`): every
 * stored song's vector in the joint space (ids.json + vectors.bin, float32 little-endian) and
 * the content-log cursor the read started at. An api process builds its FAISS index from them
 * instead of embedding the catalogue again, and replays the content log from the cursor, so a
 * song released or changed after the save is (re-)embedded. A stale or missing file only costs
 * embedding every song at load.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  ChangeCursor,
  EmbeddingRepository,
  ModelVersionRepository,
  SongRepository,
} from '@debut/catalog';
import { type DebutConfig, Log } from '@debut/config';
import type { SearchModel } from '@debut/models';

/** The tag of the content log rows (migration 1765500000000). */
export const SEARCH_CONTENT_LOG = 'search:content';

/** What activation and the runtime read: versions, songs, the content log, artifacts, INDEX_DIR. */
export interface SearchDeps {
  config: Pick<DebutConfig, 'index'>;
  versions: ModelVersionRepository;
  songs: SongRepository;
  embeddings: EmbeddingRepository;
  load: (artifactDir: string) => Promise<SearchModel>;
}

export interface SavedSearchVectors {
  ids: string[];
  /** Row-major ids.length × dim. */
  vectors: Float32Array;
  cursor: ChangeCursor;
}

interface SearchSync {
  version: string;
  size: number;
  dim: number;
  cursor: ChangeCursor;
}

export function searchIndexDir(baseDir: string, version: string): string {
  return path.join(baseDir, version, 'search');
}

/** Writes the vectors, then (renamed into place) the cursor file that makes them usable. */
export function saveSearchVectors(
  baseDir: string,
  version: string,
  dim: number,
  saved: SavedSearchVectors,
): void {
  const dir = searchIndexDir(baseDir, version);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'ids.json'), JSON.stringify(saved.ids));
  const v = saved.vectors;
  fs.writeFileSync(path.join(dir, 'vectors.bin'), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  const sync: SearchSync = { version, size: saved.ids.length, dim, cursor: saved.cursor };
  fs.writeFileSync(path.join(dir, 'sync.json.tmp'), JSON.stringify(sync));
  fs.renameSync(path.join(dir, 'sync.json.tmp'), path.join(dir, 'sync.json'));
}

/** The saved vectors when they are this version's and fit `dim`; else null (logged). */
export function loadSearchVectors(baseDir: string, version: string, dim: number): SavedSearchVectors | null {
  const dir = searchIndexDir(baseDir, version);
  if (!fs.existsSync(path.join(dir, 'sync.json'))) return null;
  try {
    const sync = JSON.parse(fs.readFileSync(path.join(dir, 'sync.json'), 'utf8')) as SearchSync;
    const ids = JSON.parse(fs.readFileSync(path.join(dir, 'ids.json'), 'utf8')) as string[];
    const buf = fs.readFileSync(path.join(dir, 'vectors.bin'));
    const vectors = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    if (
      sync.version === version &&
      sync.dim === dim &&
      ids.length === sync.size &&
      vectors.length === ids.length * dim
    )
      return { ids, vectors, cursor: sync.cursor };
    new Log('search').warn('saved search vectors are stale; embedding every song', { dir });
  } catch (e) {
    new Log('search').warn('saved search vectors unreadable; embedding every song', {
      dir,
      error: String(e),
    });
  }
  return null;
}
