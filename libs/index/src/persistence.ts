import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir, fsyncFile, writeFileDurable } from './durable-fs';
import { IndexFormatError } from './errors';
import { FaissIndex, faissNodeVersion, loadFaiss } from './faiss';
import { createHnswWithParams } from './hnsw-format';
import { LabelMap } from './label-map';
import type { HnswParams, IndexKind, VectorIndexOptions } from './types';

/** An index's mutable state: what load() installs into a freshly created index of the saved kind. */
export interface IndexState {
  faissIndex: FaissIndex;
  labels: LabelMap;
  /** HNSW's row-major vector copy (stored × dim); null for flat. */
  vectors: Float32Array | null;
}

/** Everything save() writes. */
export interface IndexSnapshot extends IndexState {
  name: string;
  kind: IndexKind;
  dim: number;
  hnsw: HnswParams | null;
  maxTombstoneFraction: number;
}

/** What load() needs of the index it fills. */
export interface RestorableIndex {
  readonly hnsw: Readonly<HnswParams> | null;
  restore(state: IndexState): void;
}

/** On-disk manifest (index.json); the faiss file and the HNSW vector file sit beside it. */
interface Manifest {
  format: typeof FORMAT;
  version: 1;
  name: string;
  kind: IndexKind;
  dim: number;
  metric: 'inner_product';
  hnsw: HnswParams | null;
  maxTombstoneFraction: number;
  faissFile: string;
  vectorsFile: string | null;
  stored: number;
  size: number;
  tombstones: number;
  /** Position (faiss label) -> id; null marks an HNSW tombstone. */
  labels: (string | null)[];
  faissNode: string;
  savedAt: string;
}

const FORMAT = 'debut.vector-index';
const MANIFEST = 'index.json';

/**
 * Saves to `dir` (created if needed): the faiss index, the HNSW vector copy and a JSON
 * manifest (ids, kind, dim, params, tombstones). Data files get fresh names and the manifest
 * is written to a temp file and renamed, so readers see the old or the new index, never a mix.
 */
export function writeIndexDir(dir: string, s: IndexSnapshot): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.accessSync(dir, fs.constants.W_OK); // faiss aborts the process on I/O errors: check first
  const stamp = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const faissFile = `index-${stamp}.faiss`;
  const vectorsFile = s.vectors ? `vectors-${stamp}.f32` : null;
  s.faissIndex.write(path.join(dir, faissFile));
  fsyncFile(path.join(dir, faissFile));
  if (vectorsFile && s.vectors) {
    writeFileDurable(
      path.join(dir, vectorsFile),
      Buffer.from(s.vectors.buffer, s.vectors.byteOffset, s.vectors.byteLength),
    );
  }
  const manifest: Manifest = {
    format: FORMAT,
    version: 1,
    name: s.name,
    kind: s.kind,
    dim: s.dim,
    metric: 'inner_product',
    hnsw: s.hnsw,
    maxTombstoneFraction: s.maxTombstoneFraction,
    faissFile,
    vectorsFile,
    stored: s.labels.stored,
    size: s.labels.size,
    tombstones: s.labels.tombstones,
    labels: s.labels.toArray() as (string | null)[],
    faissNode: faissNodeVersion(),
    savedAt: new Date().toISOString(),
  };
  const tmp = path.join(dir, `${MANIFEST}.tmp-${stamp}`);
  writeFileDurable(tmp, JSON.stringify(manifest));
  fs.renameSync(tmp, path.join(dir, MANIFEST));
  fsyncDir(dir);
  // Best effort: drop data files of earlier saves and leftovers of interrupted ones.
  for (const f of fs.readdirSync(dir)) {
    const ours = /^index-.*\.faiss$|^vectors-.*\.f32$|^index\.json\.tmp-/.test(f);
    if (ours && f !== faissFile && f !== vectorsFile) fs.rmSync(path.join(dir, f), { force: true });
  }
}

/** True when `dir` holds a saved index manifest. */
export function indexDirExists(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST));
}

/**
 * Loads what writeIndexDir() saved into `create(saved options)`; throws IndexFormatError when
 * missing or inconsistent. The index is created before the data files are read so that bad
 * options in the manifest fail the way they would when constructing one.
 */
export function readIndexDir<T extends RestorableIndex>(
  dir: string,
  create: (options: VectorIndexOptions) => T,
): T {
  const manifestPath = path.join(dir, MANIFEST);
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message;
    throw new IndexFormatError(`no readable vector index in ${dir} (${manifestPath}: ${reason})`);
  }
  const bad = (what: string): never => {
    throw new IndexFormatError(`vector index in ${dir}: ${what}`);
  };
  if (m.format !== FORMAT || m.version !== 1) bad(`unknown format ${String(m.format)} v${String(m.version)}`);
  if (m.kind !== 'flat' && m.kind !== 'hnsw') bad(`unknown kind ${String(m.kind)}`);
  if (!Array.isArray(m.labels) || m.labels.length !== m.stored) bad('labels do not match the stored count');
  if (typeof m.faissFile !== 'string' || m.faissFile.includes('/')) bad('bad faiss file name');

  const index = create({
    dim: m.dim,
    kind: m.kind,
    hnsw: m.hnsw ?? undefined,
    maxTombstoneFraction: m.maxTombstoneFraction,
    name: m.name,
  });
  let faissIndex: FaissIndex;
  try {
    faissIndex = loadFaiss().Index.read(path.join(dir, m.faissFile));
  } catch (err) {
    return bad(`cannot read ${m.faissFile}: ${(err as Error).message}`);
  }
  if (faissIndex.getDimension() !== m.dim) bad(`faiss dimension ${faissIndex.getDimension()} != ${m.dim}`);
  if (faissIndex.ntotal() !== m.stored)
    bad(`faiss holds ${faissIndex.ntotal()} vectors, manifest ${m.stored}`);

  const labels = LabelMap.fromLabels(m.labels, (pos) => bad(`bad or duplicate id at position ${pos}`));
  let vectors: Float32Array | null = null;
  if (m.kind === 'hnsw') {
    if (!m.vectorsFile || m.vectorsFile.includes('/')) bad('missing HNSW vectors file');
    const raw = fs.readFileSync(path.join(dir, m.vectorsFile as string));
    if (raw.byteLength !== m.stored * m.dim * 4)
      bad(`${m.vectorsFile} has ${raw.byteLength} bytes, expected ${m.stored * m.dim * 4}`);
    vectors = new Float32Array(m.stored * m.dim);
    new Uint8Array(vectors.buffer).set(raw);
  }
  // Files written before efSearch was stored in the index carry faiss's default: re-apply.
  const p = index.hnsw;
  faissIndex =
    (p && createHnswWithParams(loadFaiss(), faissIndex, p.efConstruction, p.efSearch)) || faissIndex;
  index.restore({ faissIndex, labels, vectors });
  return index;
}
