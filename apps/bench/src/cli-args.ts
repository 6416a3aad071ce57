/** Parsers of the benches' command-line values (commander `argParser`s), one definition each. */

/** A positive finite number. */
export function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${v}`);
  return n;
}
