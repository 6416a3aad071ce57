import type { AudienceEntity, InteractionKind, SongPool } from '../src/entities';
import type { NewInteraction } from '../src/repositories/interaction.repository';
import type { NewSong } from '../src/repositories/song.repository';

/** Rows for repository tests and the SQL generator's example calls. */
export const T0 = new Date('2024-01-01T00:00:00.000Z');

export function song(id: string, pool: SongPool = 'cold', extra: Partial<NewSong> = {}): NewSong {
  return {
    id,
    title: `Song ${id}`,
    artistId: 'artist-1',
    language: 'en',
    genres: ['pop'],
    releasedAt: T0,
    features: { audio: [0.25, -0.5], text: [1] },
    pool,
    ...extra,
  };
}

export function play(
  eventId: string | null,
  userId: string,
  songId: string,
  kind: InteractionKind = 'play',
  extra: Partial<NewInteraction> = {},
): NewInteraction {
  return { eventId, userId, songId, kind, weight: 1, occurredAt: T0, ...extra };
}

export function audience(
  songId: string,
  modelVersion: string,
  extra: Partial<AudienceEntity> = {},
): AudienceEntity {
  return {
    songId,
    modelVersion,
    members: [{ userId: 'u-1', score: 0.9, because: ['s-1'] }],
    neighbours: [{ songId: 's-1', similarity: 0.8 }],
    eventId: `ev-${songId}`,
    selectedAt: T0,
    method: 'i2i2u',
    publishedAt: null,
    ...extra,
  };
}

export function modelVersion(version: string, kind: 'i2i' | 'dssm' = 'i2i', dim = 2) {
  return {
    version,
    kind,
    artifactPath: `/models/${version}`,
    dim,
    config: { epochs: 1 },
    metrics: { recall: 0.5 },
  };
}
