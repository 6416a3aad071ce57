/**
 * Tokenisation of the search paths (lexical and dense alike): Unicode NFKD, combining marks
 * dropped (é → e), lower-cased, split on every character that is not a letter or a digit;
 * empty tokens dropped. No stemming, no stop words: tags and titles are short.
 */
export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

/** Tokens of several phrases (e.g. a song's title, artist and tags), concatenated. */
export function tokenizeAll(phrases: readonly string[]): string[] {
  return phrases.flatMap(tokenize);
}
