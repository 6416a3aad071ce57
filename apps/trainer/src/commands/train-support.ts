import * as path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '@debut/config';
import { ModelKind, ModelVersionRepository, openDatabase } from '@debut/catalog';
import { newModelVersion, type ArtifactManifest, type TrainProgress } from '@debut/models';

/** A progress bar per epoch on stderr (training logs stay readable on stdout). */
export function progressBar(label: string): { update(p: TrainProgress): void; stop(): void } {
  const bar = new SingleBar(
    {
      format: `${label} epoch {epoch}/{epochs} [{bar}] {value}/{total} steps | loss {loss}`,
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  let epoch = -1;
  return {
    update(p) {
      if (p.epoch !== epoch) {
        if (epoch >= 0) bar.stop();
        epoch = p.epoch;
        bar.start(p.steps, 0, { epoch: p.epoch, epochs: p.epochs, loss: '-' });
      }
      bar.update(p.step, { loss: p.loss.toFixed(4) });
    },
    stop: () => bar.stop(),
  };
}

/** Registers an artifact in model_versions (and optionally activates it). */
export async function registerVersion(
  manifest: ArtifactManifest,
  dir: string,
  dim: number,
  activate: boolean,
): Promise<void> {
  const ds = await openDatabase(loadConfig().db);
  try {
    const versions = new ModelVersionRepository(ds);
    await versions.register({
      version: manifest.version,
      kind: manifest.kind as ModelKind,
      artifactPath: dir,
      dim,
      // The artifact keeps the full config; the table only what a reader of `versions` needs.
      config: withoutUserIds(manifest.config as Record<string, unknown>),
      metrics: manifest.metrics,
    });
    console.log(`registered ${manifest.version} (${manifest.kind}) → ${dir}`);
  } finally {
    await ds.destroy();
  }
  if (activate) console.log(`activate it with: npm run trainer -- activate ${manifest.version}`);
}

/**
 * The end of every `trainer train <kind>` run: a new version under `modelsDir`, the artifact
 * saved there, the `saved <version> to <dir>: …` line, and (unless --no-register) the version
 * registered in model_versions. The commands differ only in what they save and print around it.
 */
export async function saveTrainedVersion<M extends ArtifactManifest>(opts: {
  kind: 'i2i' | 'dssm' | 'search';
  modelsDir: string;
  /** Writes the artifact into `dir`, with whatever goes beside it (e.g. semantic IDs); its manifest. */
  save: (dir: string, version: string) => Promise<M>;
  /** The saved line says `[lead, ]best epoch N[, tail], T s on <backend>` of this run. */
  train: { bestEpoch: number; trainSeconds: number };
  backend: string;
  lead?: string;
  tail?: string;
  /** Runs after the saved line, before registration (more lines, freeing the model). */
  after?: () => void;
  /**
   * null: not registered. `activateHint`: print how to activate it; `manifest`: what the table
   * keeps when it is less than the artifact's manifest.
   */
  register: { dim: number; activateHint: boolean; manifest?: (m: M) => ArtifactManifest } | null;
}): Promise<{ version: string; dir: string }> {
  const version = newModelVersion(opts.kind);
  const dir = path.join(opts.modelsDir, version);
  const manifest = await opts.save(dir, version);
  const said = [
    opts.lead,
    `best epoch ${opts.train.bestEpoch}`,
    opts.tail,
    `${opts.train.trainSeconds.toFixed(1)} s on ${opts.backend}`,
  ].filter((part) => part !== undefined);
  console.log(`saved ${version} to ${dir}: ${said.join(', ')}`);
  opts.after?.();
  const r = opts.register;
  if (r) await registerVersion(r.manifest ? r.manifest(manifest) : manifest, dir, r.dim, r.activateHint);
  return { version, dir };
}

function withoutUserIds(config: Record<string, unknown>): Record<string, unknown> {
  const { userIds, ...rest } = config;
  return Array.isArray(userIds) ? { ...rest, users: userIds.length } : config;
}
