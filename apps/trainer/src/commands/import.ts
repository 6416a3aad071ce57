import { Command } from 'commander';
import { loadConfig } from '@debut/config';
import { InteractionRepository, NewInteraction, NewSong, SongRepository, openDatabase } from '@debut/catalog';
import { ColdSplit, ColdStartDataset, Interaction, Item, listenerWeights } from '@debut/evaluation';
import type { DataSource } from 'typeorm';
import { loadWithSplit, parseDataset } from './datasets';

const DAY_MS = 86_400_000;

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
          console.log(`${config.db.database} already holds ${warm} warm and ${cold} cold songs: nothing imported`);
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

export interface ImportResult {
  songs: number;
  interactions: number;
  users: number;
  heldBack: number;
  songSeconds: number;
  interactionSeconds: number;
}

/** Loads the warm songs and training interactions of a split (also used by the e2e tests). */
export async function importWarm(ds: DataSource, dataset: ColdStartDataset, split: ColdSplit): Promise<ImportResult> {
  const warm = new Set(split.warmItems);
  const now = Date.now();
  const songs = warmSongRows(dataset.items.filter((it) => warm.has(it.id)), now);
  const rows = playRows(split.train, `import:${dataset.name}`, now);
  const t0 = Date.now();
  await new SongRepository(ds).insertMany(songs);
  const t1 = Date.now();
  await new InteractionRepository(ds).insertMany(rows);
  await ds.query('ANALYZE songs; ANALYZE interactions; ANALYZE users');
  return {
    songs: songs.length,
    interactions: rows.length,
    users: new Set(split.train.map((i) => i.userId)).size,
    heldBack: split.coldValItems.length + split.coldTestItems.length,
    songSeconds: (t1 - t0) / 1000,
    interactionSeconds: (Date.now() - t1) / 1000,
  };
}

/** Established songs as rows: released over the past year, content rounded to 5 decimals. */
export function warmSongRows(items: readonly Item[], now = Date.now()): NewSong[] {
  return items.map((it, i) => ({
    id: it.id,
    title: it.title ?? it.id,
    artistId: it.artistId ?? 'unknown',
    language: it.content.language ?? null,
    genres: [...(it.content.genres ?? [])],
    releasedAt: new Date(now - 365 * DAY_MS + (i % 300) * DAY_MS),
    features: Object.fromEntries(Object.entries(it.content.features).map(([k, v]) => [k, Array.from(v, round5)])),
    pool: 'warm',
  }));
}

/**
 * Listening history as interaction rows with the benchmark's listener weights, event ids
 * `<prefix>:<user>:<song>` (a re-import writes nothing twice), spread over the last two weeks
 * so the service's signal decay leaves them nearly as weighted.
 */
export function playRows(plays: readonly Interaction[], prefix: string, now = Date.now()): NewInteraction[] {
  const weights = listenerWeights(plays);
  return plays.map((it, i) => ({
    eventId: `${prefix}:${it.userId}:${it.itemId}`,
    userId: it.userId,
    songId: it.itemId,
    kind: 'play',
    weight: weights[i],
    occurredAt: new Date(now - ((i * 7919) % 14) * DAY_MS),
  }));
}

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
