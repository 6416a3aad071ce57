import type { SongContent } from '@debut/features';

/** The content part of a stored song or a release event, as the featurizer reads it. */
export function songContent(s: {
  language: string | null;
  genres: string[];
  features: Record<string, number[]>;
}): SongContent {
  return { language: s.language, genres: s.genres, features: s.features };
}
