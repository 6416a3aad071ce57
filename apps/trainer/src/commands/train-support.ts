import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '@debut/config';
import { ModelKind, ModelVersionRepository, openDatabase } from '@debut/catalog';
import type { ArtifactManifest, TrainProgress } from '@debut/models';

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

function withoutUserIds(config: Record<string, unknown>): Record<string, unknown> {
  const { userIds, ...rest } = config;
  return Array.isArray(userIds) ? { ...rest, users: userIds.length } : config;
}
