import type { SongReleasedEvent, UserInteractionEvent } from '@debut/features';
import type { Interaction, Item } from './types';
import { deriveSeed, mulberry32 } from './random';

/** Deterministic UUID-shaped id (v4 layout) from a seeded stream. */
function uuidFrom(rng: () => number): string {
  const hex: string[] = [];
  for (let i = 0; i < 16; i++)
    hex.push(
      Math.floor(rng() * 256)
        .toString(16)
        .padStart(2, '0'),
    );
  hex[6] = '4' + hex[6][1];
  hex[8] = ((parseInt(hex[8], 16) & 0x3f) | 0x80).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Items as `song.released` events (features copied; release dates spread over a day from `start`). */
export function toSongReleasedEvents(
  items: readonly Item[],
  options: { seed?: number; start?: string } = {},
): SongReleasedEvent[] {
  const rng = mulberry32(deriveSeed(options.seed ?? 42, 'song-events'));
  const t0 = Date.parse(options.start ?? '2026-11-20T00:00:00Z');
  return items.map((it, i) => ({
    eventId: uuidFrom(rng),
    songId: it.id,
    title: it.title ?? it.id,
    artistId: it.artistId ?? 'a-unknown',
    language: it.content.language ?? null,
    genres: [...(it.content.genres ?? [])],
    releasedAt: new Date(t0 + Math.floor((i * 86_400_000) / Math.max(1, items.length))).toISOString(),
    features: Object.fromEntries(Object.entries(it.content.features).map(([k, v]) => [k, Array.from(v)])),
  }));
}

/**
 * Interactions as `user.interaction` events: one event per interaction, its kind from the
 * strength (1 play → play, 2 → complete, ≥ 3 → favorite); with `skips` > 0, that share of
 * extra skip events on random songs of the list is added. Times spread over `days` before `end`.
 */
export function toInteractionEvents(
  interactions: readonly Interaction[],
  options: { seed?: number; end?: string; days?: number; skips?: number; songIds?: readonly string[] } = {},
): UserInteractionEvent[] {
  const rng = mulberry32(deriveSeed(options.seed ?? 42, 'interaction-events'));
  const end = Date.parse(options.end ?? '2026-11-19T00:00:00Z');
  const span = (options.days ?? 90) * 86_400_000;
  const at = () => new Date(end - Math.floor(rng() * span)).toISOString();
  const out: UserInteractionEvent[] = interactions.map((it) => ({
    eventId: uuidFrom(rng),
    userId: it.userId,
    songId: it.itemId,
    kind: it.strength >= 3 ? 'favorite' : it.strength >= 2 ? 'complete' : 'play',
    occurredAt: at(),
  }));
  const skips = options.skips ?? 0;
  const songs = options.songIds ?? [...new Set(interactions.map((i) => i.itemId))];
  if (skips > 0 && songs.length > 0) {
    const n = Math.round(interactions.length * skips);
    for (let i = 0; i < n; i++) {
      const base = interactions[Math.floor(rng() * interactions.length)];
      out.push({
        eventId: uuidFrom(rng),
        userId: base.userId,
        songId: songs[Math.floor(rng() * songs.length)],
        kind: 'skip',
        occurredAt: at(),
      });
    }
  }
  return out;
}
