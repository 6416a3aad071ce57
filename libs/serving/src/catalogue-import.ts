import type { DataSource } from 'typeorm';
import { InteractionRepository, NewInteraction, NewSong, SongRepository } from '@debut/catalog';
import { ColdSplit, ColdStartDataset, Interaction, Item, listenerWeights } from '@debut/evaluation';
import { signalForWeight } from '@debut/audience';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface ImportResult {
  songs: number;
  interactions: number;
  users: number;
  heldBack: number;
  songSeconds: number;
  interactionSeconds: number;
}

/** Loads the warm songs and training interactions of a split (also used by the e2e tests). */
export async function importWarm(
  ds: DataSource,
  dataset: ColdStartDataset,
  split: ColdSplit,
): Promise<ImportResult> {
  const warm = new Set(split.warmItems);
  const now = Date.now();
  const songs = warmSongRows(
    dataset.items.filter((it) => warm.has(it.id)),
    now,
  );
  const rows = playRows(split.train, `import:${dataset.name}`, now);
  const t0 = Date.now();
  await new SongRepository(ds).insertMany(songs);
  const t1 = Date.now();
  await new InteractionRepository(ds).insertMany(rows);
  await new SongRepository(ds).analyze();
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
    features: Object.fromEntries(
      Object.entries(it.content.features).map(([k, v]) => [k, Array.from(v, round5)]),
    ),
    pool: 'warm',
  }));
}

/**
 * Listening history as interaction rows whose served listener weight is the benchmark's
 * (`listenerWeights`): each stores the signal that listenerWeightOf maps back to it. Event ids
 * `<prefix>:<user>:<song>` (a re-import writes nothing twice); times spread over the last 14
 * minutes, so age decay (half-life in days) leaves the weights as they were to within 1e-5.
 */
export function playRows(plays: readonly Interaction[], prefix: string, now = Date.now()): NewInteraction[] {
  const weights = listenerWeights(plays);
  return plays.map((it, i) => ({
    eventId: `${prefix}:${it.userId}:${it.itemId}`,
    userId: it.userId,
    songId: it.itemId,
    kind: 'play',
    weight: signalForWeight(weights[i]),
    occurredAt: new Date(now - ((i * 7919) % 14) * MINUTE_MS),
  }));
}

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
