/**
 * The fitted RQ-KMeans codebook of one I2I version, saved beside its artifact
 * (`semantic-ids.json` + `semantic-ids.bin`, checksummed like `weights.bin`) and loaded with it,
 * so a song's semantic ID is always the one of the model version that produced its vector: a new
 * version re-fits the codebook and every SID changes with it. No projection: the codebook is
 * fitted on the served (L2-normalised) I2I vectors themselves.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import {
  DEFAULT_RQ_KMEANS,
  RqKMeansConfig,
  SemanticIdCodebook,
  encodeSemanticIds,
  fitRqKMeans,
  formatSemanticId,
  reconstructionError,
  semanticIdStats,
  type SemanticIdStats,
} from './rq-kmeans';

export const SID_MANIFEST_FILE = 'semantic-ids.json';
export const SID_CODEBOOK_FILE = 'semantic-ids.bin';
export const SID_FORMAT_VERSION = 1;

/** Shape of the default SIDs (`--sid 3x128`; docs/semantic-ids.md has the measurements behind it). */
export const DEFAULT_SID_SHAPE = { levels: 3, codes: 128 } as const;

export interface SemanticIdManifest {
  kind: 'semantic-ids';
  formatVersion: number;
  /** The I2I model version whose vectors were quantised: loading checks it. */
  modelVersion: string;
  levels: number;
  codes: number;
  dim: number;
  fit: Pick<RqKMeansConfig, 'iterations' | 'sample' | 'seed'>;
  /** What the codebook was fitted on and how it did there (printed by `trainer sid-stats`). */
  fittedOn: number;
  fitSeconds: number;
  reconstructionError: number;
  stats: SemanticIdStats;
  /** sha256 of semantic-ids.bin. */
  checksum: string;
}

/** A loaded codebook: vectors in, printable SIDs out. */
export class SemanticIdModel {
  constructor(
    readonly codebook: SemanticIdCodebook,
    readonly modelVersion: string,
  ) {}

  get levels(): number {
    return this.codebook.levels;
  }

  get codes(): number {
    return this.codebook.codes;
  }

  /** Codes of n × dim vectors (n × levels, row-major). */
  codesOf(vectors: Float32Array): Int32Array {
    return encodeSemanticIds(this.codebook, vectors);
  }

  /** One SID string ("12-5-40") per row of n × dim vectors. */
  encode(vectors: Float32Array): string[] {
    const ids = this.codesOf(vectors);
    const L = this.codebook.levels;
    const out = new Array<string>(ids.length / L);
    for (let i = 0; i < out.length; i++) out[i] = formatSemanticId(ids.subarray(i * L, (i + 1) * L));
    return out;
  }
}

/** "3x128" → { levels: 3, codes: 128 }; throws with a reason on anything else. */
export function parseSidShape(spec: string): { levels: number; codes: number } {
  const m = /^(\d+)x(\d+)$/.exec(spec.trim());
  if (!m) throw new Error(`--sid must be LEVELSxCODES, e.g. 3x128 (got ${JSON.stringify(spec)})`);
  const levels = Number(m[1]);
  const codes = Number(m[2]);
  if (levels < 1 || levels > 8) throw new Error(`--sid levels must be 1..8 (got ${levels})`);
  if (codes < 2 || codes > 4096) throw new Error(`--sid codes per level must be 2..4096 (got ${codes})`);
  return { levels, codes };
}

export interface FittedSemanticIds {
  model: SemanticIdModel;
  manifest: Omit<SemanticIdManifest, 'checksum'>;
}

/** Fits the codebook on n × dim vectors of a version's established songs and measures it there. */
export function fitSemanticIdModel(
  vectors: Float32Array,
  dim: number,
  modelVersion: string,
  config: Partial<RqKMeansConfig> & { levels: number; codes: number },
): FittedSemanticIds {
  const cfg = { ...DEFAULT_RQ_KMEANS, ...config };
  const t0 = performance.now();
  const codebook = fitRqKMeans(vectors, dim, cfg);
  const fitSeconds = (performance.now() - t0) / 1000;
  const ids = encodeSemanticIds(codebook, vectors);
  return {
    model: new SemanticIdModel(codebook, modelVersion),
    manifest: {
      kind: 'semantic-ids',
      formatVersion: SID_FORMAT_VERSION,
      modelVersion,
      levels: cfg.levels,
      codes: cfg.codes,
      dim,
      fit: { iterations: cfg.iterations, sample: cfg.sample, seed: cfg.seed },
      fittedOn: vectors.length / dim,
      fitSeconds,
      reconstructionError: reconstructionError(codebook, vectors, ids),
      stats: semanticIdStats(ids, cfg.levels, cfg.codes),
    },
  };
}

/** Writes the codebook (levels × codes × dim float32, little-endian) and its manifest into `dir`. */
export async function saveSemanticIds(dir: string, fitted: FittedSemanticIds): Promise<SemanticIdManifest> {
  const { codebook } = fitted.model;
  const all = new Float32Array(codebook.levels * codebook.codes * codebook.dim);
  codebook.centroids.forEach((c, l) => all.set(c, l * codebook.codes * codebook.dim));
  const buf = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  const manifest: SemanticIdManifest = {
    ...fitted.manifest,
    checksum: createHash('sha256').update(buf).digest('hex'),
  };
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, SID_CODEBOOK_FILE), buf);
  await fs.writeFile(path.join(dir, SID_MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return manifest;
}

export async function readSemanticIdManifest(dir: string): Promise<SemanticIdManifest | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, SID_MANIFEST_FILE), 'utf8')) as SemanticIdManifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The codebook saved in an I2I artifact directory; null when the artifact has none (trained
 * before SIDs, or with SIDs off). A codebook of another version, of another width or whose bytes
 * fail the checksum is refused: a wrong codebook would store wrong SIDs silently.
 */
export async function loadSemanticIds(
  dir: string,
  expect: { modelVersion: string; dim: number },
): Promise<SemanticIdModel | null> {
  const manifest = await readSemanticIdManifest(dir);
  if (!manifest) return null;
  const where = `${path.join(dir, SID_MANIFEST_FILE)}`;
  if (manifest.formatVersion !== SID_FORMAT_VERSION)
    throw new Error(`${where}: format version ${manifest.formatVersion} unsupported`);
  if (manifest.modelVersion !== expect.modelVersion)
    throw new Error(`${where}: fitted for ${manifest.modelVersion}, not ${expect.modelVersion}`);
  if (manifest.dim !== expect.dim)
    throw new Error(`${where}: dim ${manifest.dim}, the encoder's is ${expect.dim}`);
  const buf = await fs.readFile(path.join(dir, SID_CODEBOOK_FILE));
  if (createHash('sha256').update(buf).digest('hex') !== manifest.checksum)
    throw new Error(`${path.join(dir, SID_CODEBOOK_FILE)}: checksum mismatch`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const size = manifest.codes * manifest.dim;
  if (all.length !== manifest.levels * size)
    throw new Error(
      `${path.join(dir, SID_CODEBOOK_FILE)}: ${all.length} floats, expected ${manifest.levels * size}`,
    );
  const centroids = Array.from({ length: manifest.levels }, (_, l) => all.slice(l * size, (l + 1) * size));
  return new SemanticIdModel(
    { levels: manifest.levels, codes: manifest.codes, dim: manifest.dim, centroids },
    manifest.modelVersion,
  );
}
