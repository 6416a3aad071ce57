import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import {
  EmbeddingRepository,
  InteractionRepository,
  ModelVersionRepository,
  SongRepository,
  openDatabase,
} from '@debut/catalog';
import { ModelActivation, tfModelLoaders } from '@debut/serving';
import { activateSearch } from './train-search';

async function withActivation<T>(
  fn: (a: ModelActivation, versions: ModelVersionRepository) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const ds = await openDatabase(config.db);
  try {
    const versions = new ModelVersionRepository(ds);
    const activation = new ModelActivation(
      config,
      versions,
      new SongRepository(ds),
      new EmbeddingRepository(ds),
      new InteractionRepository(ds),
      tfModelLoaders(config.models.tfBackend),
    );
    return await fn(activation, versions);
  } finally {
    await ds.destroy();
  }
}

export function registerActivate(program: Command): void {
  program
    .command('activate <version>')
    .description(
      'embed every song with a trained version, build and save its FAISS pool, compute user vectors (DSSM), make it active',
    )
    .action(async (version: string) => {
      if ((await withActivation((_, versions) => versions.find(version)))?.kind === 'search')
        return activateSearch(version);
      const r = await withActivation((a) => a.activate(version));
      if (r.kind === 'audience') {
        console.log(
          `activated ${r.version} (audience): with AUDIENCE_METHOD=auto, services serve its best method on their next poll.`,
        );
        return;
      }
      console.log(
        `activated ${r.version} (${r.kind}): ${r.songsEmbedded} songs embedded, ${r.kind === 'i2i' ? 'warm' : 'cold'} pool ` +
          `${r.poolSize} songs${r.kind === 'dssm' ? `, ${r.usersRefreshed} users' (u, b) vectors` : ''}` +
          `${r.sids ? `, ${r.sids.songs} semantic IDs (${r.sids.shape})` : r.kind === 'i2i' ? ', no semantic IDs (trained with --sid off)' : ''}, ` +
          `${r.seconds.toFixed(1)} s. ` +
          'Running api and worker processes switch on their next poll.',
      );
    });

  program
    .command('reindex')
    .description("rebuild the active versions' FAISS pools from the vectors stored in PostgreSQL")
    .action(async () => {
      await withActivation(async (a, versions) => {
        for (const kind of ['i2i', 'dssm'] as const) {
          const v = await versions.active(kind);
          if (!v) continue;
          const size = await a.rebuildIndex(v.version, kind === 'i2i' ? 'warm' : 'cold', v.dim);
          console.log(`${v.version}: ${kind === 'i2i' ? 'warm' : 'cold'} pool rebuilt with ${size} songs`);
        }
      });
    });

  program
    .command('versions')
    .description('trained model versions, newest first')
    .action(async () => {
      await withActivation(async (_, versions) => {
        for (const v of await versions.list()) {
          const dataset = typeof v.metrics.dataset === 'string' ? v.metrics.dataset : ''; // recorded as a string by the trainer
          console.log(
            `${v.active ? '*' : ' '} ${v.version}  ${v.kind}  dim ${v.dim}  ${dataset}  ${v.artifactPath}`,
          );
        }
      });
    });
}
