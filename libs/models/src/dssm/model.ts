/**
 * DssmModel: the trained DSSM as the service and the bench use it. Knows songs only by content
 * (or by DSSM item vectors the caller stored) and users only by their histories.
 *
 *  - embedItems(contents) → N × d L2-normalised item vectors (cold pool → FAISS);
 *  - embedUsers(histories) → { users, boundaries } (N × d each) from song contents;
 *  - embedUsersFromItemVectors(histories) → the same from stored DSSM item vectors (the cheap
 *    batched refresh path: pooling is JS arithmetic, then one MLP pass per tower).
 *
 * A user with an EMPTY history gets zero user and boundary vectors and hasHistory = false: then
 * u·i = 0 and u·b = 0 for every song, so the gate (u·i > u·b) refuses everything — the same
 * answer as libs/audience's `noHistoryDecisions`.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { Featurizer, SongContent } from '@debut/features';
import { ArtifactManifest, assignWeights, readArtifact, writeArtifact } from '../artifact';
import { tf } from '../tf';
import { CONTEXT_WEIGHT, ContextOffsets, MONTH_BUCKETS } from './context-offsets';
import { DssmArchConfig, DssmTowers } from './towers';

export const DSSM_KIND = 'dssm';

export interface UserVectors {
  /** N × d user vectors u. */
  users: Float32Array;
  /** N × d boundary vectors b (gate: u·i > u·b). */
  boundaries: Float32Array;
  /** u·b per user (the threshold compared with every u·i). */
  thresholds: Float32Array;
  /** false for users with an empty history (zero vectors, every song refused). */
  hasHistory: boolean[];
}

/** A user's history as DSSM item vectors: h × d row-major (most recent / strongest first). */
export type VectorHistory = Float32Array;

export class DssmModel {
  constructor(
    readonly featurizer: Featurizer,
    readonly towers: DssmTowers,
    /** Rows per forward pass (bounds memory). */
    readonly chunkSize = 2048,
    /**
     * τ of the gate u·i > u·b + τ, calibrated on cold validation after training (one number for
     * every user: the boundary tower ranks users' thresholds, τ sets the level F1 is best at).
     */
    readonly gateOffset = 0,
    /** Calendar offsets for requests that name a time (absent: the model was trained without). */
    readonly context?: ContextOffsets,
  ) {}

  get dim(): number {
    return this.towers.dim;
  }

  /** The same towers with another gate offset. */
  withGateOffset(offset: number): DssmModel {
    return new DssmModel(this.featurizer, this.towers, this.chunkSize, offset, this.context);
  }

  /** The same towers with calendar context offsets. */
  withContext(context: ContextOffsets | undefined): DssmModel {
    return new DssmModel(this.featurizer, this.towers, this.chunkSize, this.gateOffset, context);
  }

  get historyLength(): number {
    return this.towers.cfg.historyLength;
  }

  get profileDim(): number {
    return this.towers.cfg.profileDim;
  }

  /** Featurizes and embeds song contents → N × d (L2-normalised). */
  embedItems(contents: SongContent[]): Float32Array {
    return this.embedItemInputs(this.featurizer.encodeBatch(contents), contents.length);
  }

  /** Embeds already-featurized rows (N × featurizer.inputDim). */
  embedItemInputs(inputs: Float32Array, n: number): Float32Array {
    const D = this.featurizer.inputDim;
    const d = this.dim;
    const out = new Float32Array(n * d);
    for (let start = 0; start < n; start += this.chunkSize) {
      const rows = Math.min(this.chunkSize, n - start);
      const v = tf.tidy(() =>
        this.towers.item.apply(tf.tensor2d(inputs.subarray(start * D, (start + rows) * D), [rows, D])),
      );
      out.set(v.dataSync(), start * d);
      v.dispose();
    }
    return out;
  }

  /**
   * User and boundary vectors from histories of song contents (only the first `historyLength`
   * songs of each history are used: pass most recent / strongest first).
   */
  embedUsers(histories: SongContent[][], profiles?: Float32Array): UserVectors {
    const H = this.historyLength;
    const flat: SongContent[] = [];
    const counts = histories.map((h) => {
      const k = Math.min(H, h.length);
      for (let j = 0; j < k; j++) flat.push(h[j]);
      return k;
    });
    const vecs = this.embedItems(flat);
    const d = this.dim;
    const pooled = new Float32Array(histories.length * d);
    let row = 0;
    counts.forEach((k, u) => {
      for (let j = 0; j < k; j++, row++)
        for (let c = 0; c < d; c++) pooled[u * d + c] += vecs[row * d + c] / k;
    });
    return this.fromPooled(
      pooled,
      counts.map((k) => k > 0),
      profiles,
    );
  }

  /**
   * User and boundary vectors from histories given as stored DSSM item vectors (h × d each;
   * the first `historyLength` rows are used), optionally with per-song weights (default equal).
   */
  embedUsersFromItemVectors(
    histories: VectorHistory[],
    profiles?: Float32Array,
    weights?: Float32Array[],
  ): UserVectors {
    const d = this.dim;
    const H = this.historyLength;
    const pooled = new Float32Array(histories.length * d);
    const has = histories.map((h, u) => {
      const k = Math.min(H, Math.floor(h.length / d));
      const w = weights?.[u];
      let total = 0;
      for (let j = 0; j < k; j++) total += w ? w[j] : 1;
      if (k === 0 || total <= 0) return false;
      for (let j = 0; j < k; j++) {
        const s = (w ? w[j] : 1) / total;
        for (let c = 0; c < d; c++) pooled[u * d + c] += s * h[j * d + c];
      }
      return true;
    });
    return this.fromPooled(pooled, has, profiles);
  }

  /** Runs the user and boundary towers on pooled histories (N × d) [+ profiles N × profileDim]. */
  fromPooled(pooled: Float32Array, hasHistory: boolean[], profiles?: Float32Array): UserVectors {
    const d = this.dim;
    const n = hasHistory.length;
    const P = this.profileDim;
    if (profiles && profiles.length !== n * P)
      throw new Error(`profiles: expected ${n} × ${P} values, got ${profiles.length}`);
    const users = new Float32Array(n * d);
    const boundaries = new Float32Array(n * d);
    for (let start = 0; start < n; start += this.chunkSize) {
      const rows = Math.min(this.chunkSize, n - start);
      const [u, b] = tf.tidy(() => {
        const pooledT = tf.tensor2d(pooled.subarray(start * d, (start + rows) * d), [rows, d]);
        const prof =
          P > 0 && profiles
            ? tf.tensor2d(profiles.subarray(start * P, (start + rows) * P), [rows, P])
            : undefined;
        const r = this.towers.userAndBoundary(this.towers.userInput(pooledT, prof));
        return [r.u, r.b];
      });
      users.set(u.dataSync(), start * d);
      boundaries.set(b.dataSync(), start * d);
      u.dispose();
      b.dispose();
    }
    const thresholds = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      if (!hasHistory[r]) {
        users.fill(0, r * d, (r + 1) * d);
        boundaries.fill(0, r * d, (r + 1) * d);
        continue;
      }
      let s = 0;
      for (let c = 0; c < d; c++) s += users[r * d + c] * boundaries[r * d + c];
      thresholds[r] = s;
    }
    return { users, boundaries, thresholds, hasHistory };
  }

  dispose(): void {
    this.towers.dispose();
  }
}

export type DssmArtifactConfig = DssmArchConfig & Record<string, unknown>;

/** Saves a versioned `dssm` artifact (manifest.json + weights.bin) and returns the manifest. */
export async function saveDssmArtifact(
  dir: string,
  model: DssmModel,
  config: Partial<DssmArtifactConfig> = {},
  metrics: Record<string, unknown> = {},
  version?: string,
): Promise<ArtifactManifest<DssmArtifactConfig>> {
  return writeArtifact(dir, {
    kind: DSSM_KIND,
    version,
    schema: model.featurizer.schema,
    config: {
      ...config,
      ...model.towers.cfg,
      gateOffset: model.gateOffset,
      contextBuckets: model.context ? MONTH_BUCKETS : 0,
    },
    metrics,
    weights: [...model.towers.weights(), ...(model.context ? [model.context.weight()] : [])],
    extra: { fields: model.featurizer.fields, inputDim: model.featurizer.inputDim, dim: model.dim },
  });
}

/** Loads a `dssm` artifact into a ready model (call `await initTf()` first). */
export async function loadDssmModel(
  dir: string,
): Promise<{ model: DssmModel; manifest: ArtifactManifest<DssmArtifactConfig> }> {
  const loaded = await readArtifact(dir);
  const manifest = loaded.manifest as ArtifactManifest<DssmArtifactConfig>;
  if (manifest.kind !== DSSM_KIND)
    throw new Error(`artifact ${dir}: kind ${manifest.kind}, expected ${DSSM_KIND}`);
  const featurizer = new Featurizer(manifest.schema);
  const towers = new DssmTowers(featurizer.fields, archOf(manifest.config));
  try {
    assignWeights(towers.weights(), loaded.tensors);
  } catch (e) {
    towers.dispose();
    throw e;
  }
  const offset = typeof manifest.config.gateOffset === 'number' ? manifest.config.gateOffset : 0;
  return {
    model: new DssmModel(featurizer, towers, undefined, offset, contextOf(manifest, loaded, dir)),
    manifest,
  };
}

/**
 * Initialises a DSSM item tower from an I2I artifact directory (kind 'i2i': same ItemTower
 * weight names). Shapes must match (same schema, fieldDim, hidden, dim); throws otherwise.
 */
export async function initItemTowerFromI2I(towers: DssmTowers, i2iDir: string): Promise<void> {
  await fs.access(path.join(i2iDir, 'manifest.json'));
  const loaded = await readArtifact(i2iDir);
  if (loaded.manifest.kind !== 'i2i')
    throw new Error(`artifact ${i2iDir}: kind ${loaded.manifest.kind}, expected i2i`);
  assignWeights(towers.item.weights(), loaded.tensors);
}

/** The artifact's calendar offsets, when it was trained with them (older artifacts have none). */
function contextOf(
  manifest: ArtifactManifest<DssmArtifactConfig>,
  loaded: Awaited<ReturnType<typeof readArtifact>>,
  dir: string,
): ContextOffsets | undefined {
  if (!manifest.config.contextBuckets) return undefined;
  const w = loaded.tensors.get(CONTEXT_WEIGHT);
  if (!w)
    throw new Error(
      `artifact ${dir}: contextBuckets ${JSON.stringify(manifest.config.contextBuckets)} but no ${CONTEXT_WEIGHT}`,
    );
  const dim = typeof manifest.extra?.dim === 'number' ? manifest.extra.dim : manifest.config.dim;
  return new ContextOffsets(w.values, dim);
}

function archOf(c: DssmArtifactConfig): DssmArchConfig {
  return {
    fieldDim: c.fieldDim,
    hidden: c.hidden,
    dim: c.dim,
    userHidden: c.userHidden,
    boundaryHidden: c.boundaryHidden,
    profileDim: c.profileDim ?? 0,
    historyLength: c.historyLength,
    seed: c.seed ?? 0,
  };
}
