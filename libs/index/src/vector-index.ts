import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { IndexFormatError, IndexInputError } from './errors';
import { FaissIndex, faissNodeVersion, loadFaiss, METRIC_INNER_PRODUCT } from './faiss';
import { createHnswWithParams } from './hnsw-format';

export type IndexKind = 'flat' | 'hnsw';

/** HNSW graph parameters (faiss IndexHNSWFlat with the inner-product metric). */
export interface HnswParams {
  /** Neighbours per node (graph degree); fixed at creation. */
  M: number;
  /** Candidate list size while inserting; fixed at creation. */
  efConstruction: number;
  /** Candidate list size while searching (default for every search; overridable per search). */
  efSearch: number;
}

export const DEFAULT_HNSW_PARAMS: Readonly<HnswParams> = Object.freeze({ M: 32, efConstruction: 80, efSearch: 128 });

export interface VectorIndexOptions {
  /** Vector dimension. */
  dim: number;
  /** 'flat' = exact inner product (default); 'hnsw' = approximate (HNSW graph, inner product). */
  kind?: IndexKind;
  hnsw?: Partial<HnswParams>;
  /** HNSW only: rebuild the graph once tombstones exceed this fraction of stored vectors. */
  maxTombstoneFraction?: number;
  /** A name for logs and errors, e.g. 'warm' or 'cold'. */
  name?: string;
}

export interface Neighbour {
  id: string;
  /** Inner product with the query (cosine similarity for L2-normalised vectors). */
  score: number;
}

export interface SearchOptions {
  /** Ids never returned (e.g. the query song itself, songs the user already has). */
  exclude?: ReadonlySet<string>;
  /** HNSW only: candidate list size; a new value becomes the index's efSearch (costs a copy: tune, do not vary per query). */
  efSearch?: number;
}

export interface VectorIndexStats {
  name: string;
  kind: IndexKind;
  dim: number;
  /** Live vectors (searchable ids). */
  size: number;
  /** Vectors stored in faiss, including HNSW tombstones. */
  stored: number;
  tombstones: number;
  hnsw: HnswParams | null;
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
/** Rows converted to a JS array per faiss-node call (faiss-node only accepts plain arrays). */
const ADD_CHUNK_ROWS = 16_384;
const SEARCH_CHUNK_QUERIES = 512;
const MAX_DIM = 65_536;

export type VectorInput = Float32Array | Float64Array | ArrayLike<number>;
export type BatchInput = VectorInput | readonly VectorInput[];

/**
 * A vector index over faiss-node with string ids, exact ('flat', IndexFlatIP) or approximate
 * ('hnsw', IndexHNSWFlat with METRIC_INNER_PRODUCT). Scores are inner products, so for the
 * L2-normalised song vectors they are cosine similarities, best first.
 *
 * Ids map to faiss labels by position: faiss-node only has `add` (labels ntotal..ntotal+n-1)
 * and flat `removeIds` compacts storage preserving order, so `labels[position]` stays exact.
 * HNSW cannot remove vectors, so removed/replaced HNSW entries become tombstones that searches
 * skip; the graph is rebuilt from the kept vectors (a JS copy, HNSW only) once tombstones
 * exceed `maxTombstoneFraction`. Re-adding an existing id replaces its vector.
 *
 * Not thread-safe across processes: one writer per saved directory.
 */
export class VectorIndex {
  readonly name: string;
  readonly dim: number;
  readonly kind: IndexKind;
  /** Effective HNSW parameters (null for flat). */
  private hnswParams: Readonly<HnswParams> | null;
  readonly maxTombstoneFraction: number;

  private faissIndex: FaissIndex;
  private labels: (string | null)[] = [];
  private positions = new Map<string, number>();
  private tombstones = 0;
  /** HNSW only: row-major copy of every stored vector (needed to rebuild without tombstones). */
  private store: Float32Array | null = null;

  constructor(options: VectorIndexOptions) {
    const { dim } = options;
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) {
      throw new IndexInputError(`dim must be an integer in [1, ${MAX_DIM}], got ${String(dim)}`);
    }
    const kind = options.kind ?? 'flat';
    if (kind !== 'flat' && kind !== 'hnsw') throw new IndexInputError(`kind must be 'flat' or 'hnsw', got ${String(kind)}`);
    const fraction = options.maxTombstoneFraction ?? 0.2;
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IndexInputError(`maxTombstoneFraction must be in (0, 1], got ${String(fraction)}`);
    }
    this.name = options.name ?? kind;
    this.dim = dim;
    this.kind = kind;
    this.maxTombstoneFraction = fraction;
    if (kind === 'hnsw') {
      const p = { ...DEFAULT_HNSW_PARAMS, ...(options.hnsw ?? {}) };
      for (const key of ['M', 'efConstruction', 'efSearch'] as const) {
        if (!Number.isInteger(p[key]) || p[key] < 1 || p[key] > 10_000) {
          throw new IndexInputError(`hnsw.${key} must be an integer in [1, 10000], got ${String(p[key])}`);
        }
      }
      if (p.M < 2) throw new IndexInputError(`hnsw.M must be at least 2, got ${p.M}`);
      const created = this.newHnsw(p);
      this.faissIndex = created.index;
      this.hnswParams = Object.freeze({ ...p, efConstruction: created.efConstruction, efSearch: created.efSearch });
      this.store = new Float32Array(0);
    } else {
      this.faissIndex = new (loadFaiss().IndexFlatIP)(dim);
      this.hnswParams = null;
    }
  }

  /** Effective HNSW parameters (null for flat). */
  get hnsw(): Readonly<HnswParams> | null {
    return this.hnswParams;
  }

  /**
   * HNSW: changes the search beam width stored in the faiss index (a copy of the index is made,
   * so call it when tuning, not per query). Flat: no effect.
   */
  setEfSearch(efSearch: number): void {
    if (!this.hnswParams || efSearch === this.hnswParams.efSearch) return;
    if (!Number.isInteger(efSearch) || efSearch < 1 || efSearch > 10_000) {
      throw new IndexInputError(`${this.name}: efSearch must be an integer in [1, 10000], got ${String(efSearch)}`);
    }
    const patched = createHnswWithParams(loadFaiss(), this.faissIndex, this.hnswParams.efConstruction, efSearch);
    if (!patched) throw new IndexInputError(`${this.name}: this faiss build's HNSW format cannot be patched`);
    this.faissIndex = patched;
    this.hnswParams = Object.freeze({ ...this.hnswParams, efSearch });
  }

  /** Creates an index and fills it. */
  static build(options: VectorIndexOptions, ids: readonly string[], vectors: VectorInput): VectorIndex {
    const index = new VectorIndex(options);
    index.add(ids, vectors);
    return index;
  }

  /** Live (searchable) vectors. */
  get size(): number {
    return this.positions.size;
  }

  has(id: string): boolean {
    return this.positions.has(id);
  }

  /** Live ids in insertion order. */
  ids(): string[] {
    return this.labels.filter((id): id is string => id !== null);
  }

  stats(): VectorIndexStats {
    return {
      name: this.name,
      kind: this.kind,
      dim: this.dim,
      size: this.size,
      stored: this.labels.length,
      tombstones: this.tombstones,
      hnsw: this.hnsw ? { ...this.hnsw } : null,
    };
  }

  /**
   * Adds `ids.length` vectors given row-major in `vectors` (length ids.length × dim). An id that
   * is already present is replaced. Ids must be non-empty strings, unique within the call.
   * Validation happens before anything changes: a bad call leaves the index untouched.
   */
  add(ids: readonly string[], vectors: VectorInput): void {
    if (!Array.isArray(ids)) throw new IndexInputError(`${this.name}: ids must be an array of strings`);
    const seen = new Set<string>();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== 'string' || id.length === 0) {
        throw new IndexInputError(`${this.name}: ids[${i}] must be a non-empty string, got ${JSON.stringify(id)}`);
      }
      if (seen.has(id)) throw new IndexInputError(`${this.name}: duplicate id ${JSON.stringify(id)} in one add() call`);
      seen.add(id);
    }
    const rows = this.toRows(vectors, ids.length, 'vectors', ids);
    if (ids.length === 0) return;

    const replaced = ids.filter((id) => this.positions.has(id));
    if (replaced.length > 0) this.removeExisting(replaced);

    this.faissAdd(rows);
    const base = this.labels.length;
    for (let i = 0; i < ids.length; i++) {
      this.labels.push(ids[i]);
      this.positions.set(ids[i], base + i);
    }
    if (this.store) this.appendToStore(rows);
    this.maybeRebuild();
  }

  /** Removes ids (unknown ids are ignored); returns how many were removed. */
  remove(ids: Iterable<string>): number {
    const present = [...new Set(ids)].filter((id) => typeof id === 'string' && this.positions.has(id));
    if (present.length === 0) return 0;
    this.removeExisting(present);
    this.maybeRebuild();
    return present.length;
  }

  /** The `k` live vectors with the highest inner product with `vector`, best first. */
  search(vector: VectorInput, k: number, options: SearchOptions = {}): Neighbour[] {
    const rows = this.toRows(vector, 1, 'query vector');
    return this.searchRows(rows, 1, k, options)[0];
  }

  /**
   * Searches many queries at once: `vectors` is either row-major (n × dim) or an array of
   * vectors. Faster than repeated search() (one native call per chunk of queries).
   */
  searchBatch(vectors: BatchInput, k: number, options: SearchOptions = {}): Neighbour[][] {
    let rows: Float32Array;
    let n: number;
    if (Array.isArray(vectors) && vectors.length > 0 && typeof vectors[0] !== 'number') {
      const list = vectors as readonly VectorInput[];
      n = list.length;
      rows = new Float32Array(n * this.dim);
      list.forEach((v, i) => rows.set(this.toRows(v, 1, `query vector ${i}`), i * this.dim));
    } else {
      const flat = vectors as VectorInput;
      if (flat.length % this.dim !== 0) {
        throw new IndexInputError(
          `${this.name}: query batch length ${flat.length} is not a multiple of the index dimension ${this.dim}`,
        );
      }
      n = flat.length / this.dim;
      rows = this.toRows(flat, n, 'query batch');
    }
    return this.searchRows(rows, n, k, options);
  }

  /**
   * HNSW: rebuilds the graph from the live vectors (drops tombstones). Flat: nothing to do.
   * Runs automatically when tombstones exceed maxTombstoneFraction.
   */
  rebuild(): void {
    if (!this.store || !this.hnsw) return;
    const live = this.size;
    const compact = new Float32Array(live * this.dim);
    const labels: string[] = [];
    for (let pos = 0; pos < this.labels.length; pos++) {
      const id = this.labels[pos];
      if (id === null) continue;
      compact.set(this.store.subarray(pos * this.dim, (pos + 1) * this.dim), labels.length * this.dim);
      labels.push(id);
    }
    const { index } = this.newHnsw(this.hnsw);
    this.faissIndex = index;
    this.faissAdd(compact);
    this.labels = labels;
    this.positions = new Map(labels.map((id, i) => [id, i]));
    this.tombstones = 0;
    this.store = compact;
  }

  /**
   * Saves to `dir` (created if needed): the faiss index, the HNSW vector copy and a JSON
   * manifest (ids, kind, dim, params, tombstones). Data files get fresh names and the manifest
   * is written to a temp file and renamed, so readers see the old or the new index, never a mix.
   */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK); // faiss aborts the process on I/O errors: check first
    const stamp = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const faissFile = `index-${stamp}.faiss`;
    const vectorsFile = this.store ? `vectors-${stamp}.f32` : null;
    this.faissIndex.write(path.join(dir, faissFile));
    fsyncFile(path.join(dir, faissFile));
    if (vectorsFile && this.store) {
      const used = this.store.subarray(0, this.labels.length * this.dim);
      writeFileDurable(path.join(dir, vectorsFile), Buffer.from(used.buffer, used.byteOffset, used.byteLength));
    }
    const manifest: Manifest = {
      format: FORMAT,
      version: 1,
      name: this.name,
      kind: this.kind,
      dim: this.dim,
      metric: 'inner_product',
      hnsw: this.hnsw ? { ...this.hnsw } : null,
      maxTombstoneFraction: this.maxTombstoneFraction,
      faissFile,
      vectorsFile,
      stored: this.labels.length,
      size: this.size,
      tombstones: this.tombstones,
      labels: this.labels,
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
  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, MANIFEST));
  }

  /** Loads an index saved by save(); throws IndexFormatError when missing or inconsistent. */
  static load(dir: string): VectorIndex {
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

    const index = new VectorIndex({
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
    if (faissIndex.ntotal() !== m.stored) bad(`faiss holds ${faissIndex.ntotal()} vectors, manifest ${m.stored}`);

    const positions = new Map<string, number>();
    let tombstones = 0;
    m.labels.forEach((id, pos) => {
      if (id === null) tombstones++;
      else if (typeof id !== 'string' || positions.has(id)) bad(`bad or duplicate id at position ${pos}`);
      else positions.set(id, pos);
    });
    if (m.kind === 'hnsw') {
      if (!m.vectorsFile || m.vectorsFile.includes('/')) bad('missing HNSW vectors file');
      const raw = fs.readFileSync(path.join(dir, m.vectorsFile as string));
      if (raw.byteLength !== m.stored * m.dim * 4) bad(`${m.vectorsFile} has ${raw.byteLength} bytes, expected ${m.stored * m.dim * 4}`);
      const store = new Float32Array(m.stored * m.dim);
      new Uint8Array(store.buffer).set(raw);
      index.store = store;
    }
    // Files written before efSearch was stored in the index carry faiss's default: re-apply.
    const p = index.hnswParams;
    index.faissIndex = (p && createHnswWithParams(loadFaiss(), faissIndex, p.efConstruction, p.efSearch)) || faissIndex;
    index.labels = m.labels;
    index.positions = positions;
    index.tombstones = tombstones;
    return index;
  }

  // ------------------------------------------------------------------------------------------

  private newHnsw(p: HnswParams): { index: FaissIndex; efConstruction: number; efSearch: number } {
    const faiss = loadFaiss();
    const base = faiss.Index.fromFactory(this.dim, `HNSW${p.M},Flat`, METRIC_INNER_PRODUCT);
    // Both parameters are written into the (empty) faiss index: see hnsw-format.ts for why
    // efSearch cannot be left to the per-search k.
    const patched = createHnswWithParams(faiss, base, p.efConstruction, p.efSearch);
    return patched
      ? { index: patched, efConstruction: p.efConstruction, efSearch: p.efSearch }
      : { index: base, efConstruction: 40, efSearch: 16 };
  }


  private faissAdd(rows: Float32Array): void {
    const step = ADD_CHUNK_ROWS * this.dim;
    for (let start = 0; start < rows.length; start += step) {
      this.faissIndex.add(Array.from(rows.subarray(start, Math.min(rows.length, start + step))));
    }
  }

  private appendToStore(rows: Float32Array): void {
    const store = this.store as Float32Array;
    const used = (this.labels.length - rows.length / this.dim) * this.dim;
    let next = store;
    if (used + rows.length > store.length) {
      next = new Float32Array(Math.max(used + rows.length, Math.ceil(store.length * 1.5)));
      next.set(store.subarray(0, used));
    }
    next.set(rows, used);
    this.store = next;
  }

  private removeExisting(ids: readonly string[]): void {
    const doomed = ids.map((id) => this.positions.get(id) as number);
    for (const id of ids) this.positions.delete(id);
    if (this.kind === 'hnsw') {
      for (const pos of doomed) this.labels[pos] = null;
      this.tombstones += doomed.length;
      return;
    }
    // IndexFlat::remove_ids compacts storage keeping order: positions after a removed one shift.
    const removed = this.faissIndex.removeIds(doomed);
    if (removed !== doomed.length) {
      throw new Error(`${this.name}: faiss removed ${removed} of ${doomed.length} vectors; index out of sync`);
    }
    const gone = new Set(doomed);
    const first = doomed.reduce((a, b) => Math.min(a, b), Infinity);
    const kept = this.labels.slice(0, first);
    for (let pos = first; pos < this.labels.length; pos++) {
      if (gone.has(pos)) continue;
      const id = this.labels[pos] as string;
      this.positions.set(id, kept.length);
      kept.push(id);
    }
    this.labels = kept;
  }

  private maybeRebuild(): void {
    if (this.kind === 'hnsw' && this.tombstones > 0 && this.tombstones > this.maxTombstoneFraction * this.labels.length) {
      this.rebuild();
    }
  }

  private searchRows(rows: Float32Array, n: number, k: number, options: SearchOptions): Neighbour[][] {
    if (!Number.isInteger(k) || k < 0) throw new IndexInputError(`${this.name}: k must be a non-negative integer, got ${String(k)}`);
    const exclude = options.exclude;
    if (exclude !== undefined && !(exclude instanceof Set)) throw new IndexInputError(`${this.name}: exclude must be a Set of ids`);
    if (options.efSearch !== undefined) this.setEfSearch(options.efSearch);
    let excludedPresent = 0;
    if (exclude) for (const id of exclude) if (this.positions.has(id)) excludedPresent++;
    const want = Math.min(k, this.size - excludedPresent);
    const out: Neighbour[][] = Array.from({ length: n }, () => []);
    if (want <= 0 || n === 0) return out;

    const stored = this.labels.length;
    let fetch = want + excludedPresent;
    if (this.tombstones > 0) fetch = Math.ceil((fetch * stored) / this.size) + 8;
    fetch = Math.min(fetch, stored);

    const step = SEARCH_CHUNK_QUERIES * this.dim;
    for (let q0 = 0; q0 < n; q0 += SEARCH_CHUNK_QUERIES) {
      const chunk = rows.subarray(q0 * this.dim, Math.min(rows.length, q0 * this.dim + step));
      const nq = chunk.length / this.dim;
      const result = this.faissIndex.search(Array.from(chunk), fetch);
      for (let i = 0; i < nq; i++) {
        out[q0 + i] = this.collect(result.labels, result.distances, i * fetch, fetch, want, exclude);
      }
    }
    // Rare: too many candidates filtered out (or HNSW ran out of reachable nodes): widen and retry.
    for (let i = 0; i < n; i++) {
      let f = fetch;
      while (out[i].length < want && f < stored) {
        f = Math.min(stored, f * 2);
        const r = this.faissIndex.search(Array.from(rows.subarray(i * this.dim, (i + 1) * this.dim)), f);
        out[i] = this.collect(r.labels, r.distances, 0, f, want, exclude);
      }
    }
    return out;
  }

  private collect(
    labels: number[],
    distances: number[],
    offset: number,
    fetch: number,
    want: number,
    exclude: ReadonlySet<string> | undefined,
  ): Neighbour[] {
    const hits: Neighbour[] = [];
    for (let j = 0; j < fetch && hits.length < want; j++) {
      const label = labels[offset + j];
      if (label < 0) continue; // faiss pads with -1 when it finds fewer than k
      const id = this.labels[label];
      if (id === null || id === undefined || exclude?.has(id)) continue;
      hits.push({ id, score: distances[offset + j] });
    }
    // faiss returns best first already; keep the contract explicit (stable for ties).
    hits.sort((a, b) => b.score - a.score);
    return hits;
  }

  /** Validates and copies `count` row-major vectors into a Float32Array. */
  private toRows(vectors: VectorInput, count: number, what: string, ids?: readonly string[]): Float32Array {
    if (vectors === null || typeof vectors !== 'object' || typeof (vectors as ArrayLike<number>).length !== 'number') {
      throw new IndexInputError(`${this.name}: ${what} must be a Float32Array or an array of numbers`);
    }
    const expected = count * this.dim;
    if (vectors.length !== expected) {
      throw new IndexInputError(
        `${this.name}: dimension mismatch: ${what} has ${vectors.length} values, expected ${count} × ${this.dim} = ${expected}`,
      );
    }
    const rows = new Float32Array(expected);
    for (let i = 0; i < expected; i++) {
      const v = vectors[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        const row = Math.floor(i / this.dim);
        const who = ids ? ` (id ${JSON.stringify(ids[row])})` : count > 1 ? ` (row ${row})` : '';
        throw new IndexInputError(`${this.name}: ${what}${who} has a non-finite value ${String(v)} at component ${i % this.dim}`);
      }
      rows[i] = v;
    }
    // Values that are finite in float64 can overflow to ±Infinity in float32.
    for (let i = 0; i < expected; i++) {
      if (!Number.isFinite(rows[i])) {
        throw new IndexInputError(`${this.name}: ${what} value ${String(vectors[i])} overflows float32 at component ${i % this.dim}`);
      }
    }
    return rows;
  }
}

function writeFileDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else for (let off = 0; off < data.byteLength; ) off += fs.writeSync(fd, data, off, data.byteLength - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    fsyncFile(dir);
  } catch {
    // some filesystems do not support fsync on directories
  }
}
