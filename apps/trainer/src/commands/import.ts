import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { SongRepository, openDatabase } from '@debut/catalog';
import { loadWithSplit, parseDataset } from '@debut/evaluation';
import { importWarm } from '@debut/serving';

/**
 * `trainer import`: the warm part of a dataset (songs, users, training interactions) into
 * PostgreSQL in bulk. The cold items of the split are held back: they are the "new releases"
 * that the demo and the benchmarks publish later. Interaction weights are the benchmark's
 * listener weights, so the service's I2I2U signals equal the ones bench:quality scores.
 */
export function registerImport(program: Command): void {
  program
    .command('import')
    .description('bulk-load a dataset (warm songs, users, interactions) into PostgreSQL')
    .option('--dataset <name>', 'lastfm | synthetic', 'synthetic')
    .option('--seed <n>', 'split seed (the same as bench:quality / train)', (v) => Number(v), 42)
    .option('--if-empty', 'do nothing when the database already holds songs (re-runnable set-up)')
    .action(async (o: { dataset: string; seed: number; ifEmpty?: boolean }) => {
      const t0 = Date.now();
      const config = loadConfig();
      if (o.ifEmpty) {
        const ds = await openDatabase(config.db);
        const { warm, cold } = await new SongRepository(ds).counts();
        await ds.destroy();
        if (warm + cold > 0) {
          console.log(
            `${config.db.database} already holds ${warm} warm and ${cold} cold songs: nothing imported`,
          );
          return;
        }
      }
      const { dataset, split } = loadWithSplit(parseDataset(o.dataset), o.seed, (m) => console.log(m));
      const ds = await openDatabase(config.db);
      try {
        const r = await importWarm(ds, dataset, split);
        console.log(
          `imported ${r.songs} warm songs (${r.songSeconds.toFixed(1)} s) and ${r.interactions} interactions of ${r.users} users ` +
            `(${r.interactionSeconds.toFixed(1)} s) into ${config.db.database}; ${r.heldBack} cold songs held back as new releases; ` +
            `total ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
      } finally {
        await ds.destroy();
      }
    });
}
