/**
 * Versioned model artifacts: a directory with `manifest.json` (kind, format version, model
 * version, created time, backend, featurizer schema, config, metrics, weight table) and
 * `weights.bin` (all weights as little-endian float32, concatenated in manifest order).
 * Generic (`writeArtifact` / `readArtifact` work for any NamedVariables, e.g. the DSSM) plus
 * the I2I encoder's save/load on top. Loading gives bit-identical weights, hence identical vectors.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { FeatureSchema, Featurizer } from '@debut/features';
import { I2IEncoder } from './encoder';
import { I2ITrainConfig } from './i2i-trainer';
import { tf, backendName } from './tf';
import { ItemTower, NamedVariables } from './towers';

export const ARTIFACT_FORMAT_VERSION = 1;

export interface WeightEntry {
  name: string;
  shape: number[];
  /** Offset and length in float32 elements inside weights.bin. */
  offset: number;
  length: number;
}

export interface ArtifactManifest<C = unknown> {
  kind: string;
  formatVersion: number;
  version: string;
  createdAt: string;
  backend: string;
  schema: FeatureSchema;
  config: C;
  metrics: Record<string, unknown>;
  weights: WeightEntry[];
  /** sha256 of weights.bin. */
  checksum: string;
  extra?: Record<string, unknown>;
}

export interface LoadedWeights {
  manifest: ArtifactManifest;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

/** `<kind>-YYYYMMDD-HHMMSS-<6 hex>`: sortable, unique enough for a model-versions table. */
export function newModelVersion(kind: string, date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp =
    `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
  const rand = createHash('sha1').update(`${Date.now()}-${Math.random()}`).digest('hex').slice(0, 6);
  return `${kind}-${stamp}-${rand}`;
}

export interface WriteArtifactOptions<C> {
  kind: string;
  version?: string;
  schema: FeatureSchema;
  config: C;
  metrics?: Record<string, unknown>;
  /** Tensors, or plain arrays with a shape (closed-form models such as the ridge map). */
  weights: Array<{ name: string; variable: { shape: readonly number[]; dataSync(): ArrayLike<number> } }>;
  extra?: Record<string, unknown>;
}

/** Writes `dir` (created if needed) and returns the manifest. */
export async function writeArtifact<C>(
  dir: string,
  opts: WriteArtifactOptions<C>,
): Promise<ArtifactManifest<C>> {
  await fs.mkdir(dir, { recursive: true });
  const entries: WeightEntry[] = [];
  let total = 0;
  const values = opts.weights.map(({ name, variable }) => {
    const v = Float32Array.from(variable.dataSync());
    entries.push({ name, shape: variable.shape.slice(), offset: total, length: v.length });
    total += v.length;
    return v;
  });
  const all = new Float32Array(total);
  values.forEach((v, i) => all.set(v, entries[i].offset));
  const buf = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  const manifest: ArtifactManifest<C> = {
    kind: opts.kind,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    version: opts.version ?? newModelVersion(opts.kind),
    createdAt: new Date().toISOString(),
    backend: backendName(),
    schema: opts.schema,
    config: opts.config,
    metrics: opts.metrics ?? {},
    weights: entries,
    checksum: createHash('sha256').update(buf).digest('hex'),
    extra: opts.extra,
  };
  await fs.writeFile(path.join(dir, 'weights.bin'), buf);
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

export async function readArtifact(dir: string): Promise<LoadedWeights> {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as ArtifactManifest;
  if (manifest.formatVersion !== ARTIFACT_FORMAT_VERSION) {
    throw new Error(`artifact ${dir}: format version ${manifest.formatVersion} unsupported`);
  }
  const buf = await fs.readFile(path.join(dir, 'weights.bin'));
  const sum = createHash('sha256').update(buf).digest('hex');
  if (sum !== manifest.checksum) throw new Error(`artifact ${dir}: weights checksum mismatch`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const e of manifest.weights) {
    tensors.set(e.name, { shape: e.shape, values: all.slice(e.offset, e.offset + e.length) });
  }
  return { manifest, tensors };
}

/** Assigns loaded values to a module's named variables (shapes must match exactly). */
export function assignWeights(target: NamedVariables, loaded: LoadedWeights['tensors'], prefix = ''): void {
  for (const { name, variable } of target) {
    const w = loaded.get(prefix + name);
    if (!w) throw new Error(`artifact: missing weight ${prefix + name}`);
    if (w.shape.join('x') !== variable.shape.join('x')) {
      throw new Error(
        `artifact: weight ${name} has shape ${w.shape.join(',')}, model expects ${variable.shape.join(',')}`,
      );
    }
    tf.tidy(() => variable.assign(tf.tensor(w.values, w.shape)));
  }
}

export type I2IArtifactConfig = Pick<I2ITrainConfig, 'fieldDim' | 'hidden' | 'outputDim'> &
  Partial<I2ITrainConfig> & {
    /** α of the encoder's content path (absent in older artifacts: 0). */
    contentWeight?: number;
  };

export const I2I_KIND = 'i2i';

export async function saveI2IArtifact(
  dir: string,
  encoder: I2IEncoder,
  config: I2IArtifactConfig,
  metrics: Record<string, unknown> = {},
  version?: string,
): Promise<ArtifactManifest<I2IArtifactConfig>> {
  return writeArtifact(dir, {
    kind: I2I_KIND,
    version,
    schema: encoder.featurizer.schema,
    config: { ...config, contentWeight: encoder.contentWeight },
    metrics,
    weights: encoder.tower.weights(),
    extra: { fields: encoder.featurizer.fields, inputDim: encoder.featurizer.inputDim, dim: encoder.dim },
  });
}

/** Loads an I2I artifact into a ready encoder (call `await initTf()` first). */
export async function loadI2IEncoder(
  dir: string,
): Promise<{ encoder: I2IEncoder; manifest: ArtifactManifest<I2IArtifactConfig> }> {
  const loaded = await readArtifact(dir);
  const manifest = loaded.manifest as ArtifactManifest<I2IArtifactConfig>;
  if (manifest.kind !== I2I_KIND)
    throw new Error(`artifact ${dir}: kind ${manifest.kind}, expected ${I2I_KIND}`);
  const featurizer = new Featurizer(manifest.schema);
  const c = manifest.config;
  const tower = new ItemTower({
    fields: featurizer.fields,
    fieldDim: c.fieldDim,
    hidden: c.hidden,
    outputDim: c.outputDim,
    seed: c.seed ?? 0,
  });
  assignWeights(tower.weights(), loaded.tensors);
  return { encoder: new I2IEncoder(featurizer, tower, undefined, c.contentWeight ?? 0), manifest };
}
