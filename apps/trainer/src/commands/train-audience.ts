import * as path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { ModelVersionRepository, openDatabase } from '@debut/catalog';
import { ColdStartEvaluator, loadWithSplit, parseDataset } from '@debut/evaluation';
import {
  asItemEncoder,
  fitAudienceModels,
  initTf,
  loadDssmModel,
  loadI2IEncoder,
  newModelVersion,
  saveAudienceArtifact,
} from '@debut/models';
import { registerVersion } from './train-support';

interface TrainAudienceOptions {
  dataset: string;
  seed: number;
  i2i?: string;
  dssm?: string;
  register: boolean;
}

/** The artifact path of a version, or of the active one of a kind. */
async function artifactOf(
  kind: 'i2i' | 'dssm',
  version?: string,
): Promise<{ version: string; dir: string } | null> {
  const ds = await openDatabase(loadConfig().db);
  try {
    const repo = new ModelVersionRepository(ds);
    const v = version ? await repo.find(version) : await repo.active(kind);
    if (version && (!v || v.kind !== kind)) throw new Error(`--${kind} ${version}: no such ${kind} version`);
    return v ? { version: v.version, dir: v.artifactPath } : null;
  } finally {
    await ds.destroy();
  }
}

/**
 * `trainer train audience`: the audience methods besides neighbour voting, fitted on the same
 * dataset and split as the I2I encoder and the DSSM they build on (the active ones, or
 * --i2i / --dssm): the content-ridge map (λ on cold validation), the u2i scoring mode and the
 * fusion weights; every method's cold-validation Recall@100 and the best of them are saved in
 * a versioned `audience` artifact, which AUDIENCE_METHOD=auto serves once activated.
 */
export function registerTrainAudience(train: Command): void {
  train
    .command('audience')
    .description(
      'content-ridge, u2i-audience and fusion over the active I2I/DSSM; picks the best on cold validation',
    )
    .option('--dataset <name>', 'lastfm | synthetic', 'synthetic')
    .option('--seed <n>', 'split seed (the one the I2I/DSSM were trained on)', (v) => Number(v), 42)
    .option('--i2i <version>', 'I2I version (default: the active one)')
    .option('--dssm <version>', 'DSSM version (default: the active one, if any)')
    .option('--no-register', 'do not register the version in the database')
    .action(async (o: TrainAudienceOptions) => {
      const config = loadConfig();
      await initTf({ backend: config.models.tfBackend, log: (m) => console.log(m) });
      const log = (m: string) => console.log(m);
      const i2i = await artifactOf('i2i', o.i2i);
      if (!i2i) throw new Error('no active I2I version: train and activate one first (or pass --i2i)');
      const dssm = await artifactOf('dssm', o.dssm);
      const { dataset, split } = loadWithSplit(parseDataset(o.dataset), o.seed, log);
      const ev = new ColdStartEvaluator(dataset, split, { k: config.audience.neighbours, seed: o.seed });
      const fitted = await fitAudienceModels(
        ev.trainContext({ log }),
        ev.selector,
        { version: i2i.version, encoder: asItemEncoder((await loadI2IEncoder(i2i.dir)).encoder) },
        dssm ? { version: dssm.version, model: (await loadDssmModel(dssm.dir)).model } : undefined,
      );
      const { validation, best } = fitted.config;
      const version = newModelVersion('audience');
      const dir = path.join(config.models.dir, version);
      const metrics = {
        dataset: o.dataset,
        seed: o.seed,
        ...Object.fromEntries(
          Object.entries(validation).map(([k, v]) => [`val.${k}.audience.recall@100`, v]),
        ),
      };
      const manifest = await saveAudienceArtifact(
        dir,
        dataset.schema,
        fitted.config,
        fitted.ridge,
        metrics,
        version,
      );
      log(`cold-validation audience Recall@100 (seed ${o.seed}):`);
      for (const [k, v] of Object.entries(validation))
        log(
          `  ${k.padEnd(14)} ${v.toFixed(4)}${k === best ? '  ← best (AUDIENCE_METHOD=auto serves it)' : ''}`,
        );
      for (const n of fitted.notes) log(n);
      log(`saved ${version} to ${dir}`);
      if (o.register) await registerVersion(manifest, dir, 0, false);
    });
}
