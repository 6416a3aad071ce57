/**
 * What search reads of a song, from what the catalogue stores (songs: title, artist_id, genres,
 * language, features): the lexical text is the title and the song's tag phrases. The catalogue
 * keeps no artist names, only opaque artist ids, which are not indexed: their pieces ("a", "19")
 * would match numbers in titles (for Last.fm the title is the artist's name). The tag
 * phrases are the values of its multi-valued modalities (genres) and, for a dense tag modality
 * whose column names the model was trained with (Last.fm `tags`), the names of its non-zero
 * columns. Each phrase carries the input columns it sets, which training zeroes when the phrase
 * is the query (search-trainer.ts).
 */
import { FeatureSchema, FieldSpec, SongContent, multiValues } from '@debut/features';
import type { Phrase } from './search-trainer';
import { tokenizeAll } from './text';

export interface SearchTextConfig {
  /** Column names of dense tag modalities, by modality name (Last.fm: `tags` → tag names). */
  tagNames?: Record<string, string[]>;
}

export interface SearchableSong {
  title?: string | null;
  content: SongContent;
}

/** A song's tag phrases and the input columns each sets. */
export function songPhrases(
  schema: FeatureSchema,
  fields: readonly FieldSpec[],
  content: SongContent,
  text: SearchTextConfig = {},
): Phrase[] {
  const offsetOf = (modality: string) => fields.find((f) => f.modality === modality)?.offset ?? 0;
  const out: Phrase[] = [];
  for (const m of schema.modalities) {
    if (m.kind === 'multi') {
      const base = offsetOf(m.name);
      for (const v of multiValues(content, m.name) ?? []) {
        const j = m.vocabulary.indexOf(v); // the featurizer's column: 0 is the OOV bucket
        out.push({ text: v, columns: [base + (j >= 0 ? j + 1 : 0)] });
      }
    } else if (m.kind === 'dense' && text.tagNames?.[m.name]) {
      const names = text.tagNames[m.name];
      const v = content.features[m.name] ?? [];
      const base = offsetOf(m.name);
      for (let j = 0; j < Math.min(v.length, names.length); j++)
        if (v[j] !== 0) out.push({ text: names[j], columns: [base + j] });
    }
  }
  return out;
}

/** The lexical (BM25) tokens of a song: title and tag phrases. */
export function songTokens(song: SearchableSong, phrases: readonly Phrase[]): string[] {
  return tokenizeAll([song.title ?? '', ...phrases.map((p) => p.text)]);
}
