/**
 * Round-robin interleaving of ranked lists (STARS' dual-memory serving): the first of each list
 * in turn, then the second of each, …, skipping anything already taken, until `k` are taken or
 * every list is exhausted. With `shares`, turn t takes the ranks t·s … (t + 1)·s − 1 of a list
 * whose share is s (e.g. [2, 1]: two long-term picks per next-intent pick); an item already taken
 * is skipped, not replaced, as in the plain round-robin, which is the default (one each).
 */
export function roundRobin<T>(
  lists: readonly (readonly T[])[],
  k = Infinity,
  shares?: readonly number[],
): T[] {
  const out: T[] = [];
  const seen = new Set<T>();
  const share = (i: number) => Math.max(1, Math.floor(shares?.[i] ?? 1));
  const turns = Math.max(0, ...lists.map((l, i) => Math.ceil(l.length / share(i))));
  for (let t = 0; t < turns && out.length < k; t++) {
    for (let i = 0; i < lists.length && out.length < k; i++) {
      const l = lists[i];
      const s = share(i);
      for (let r = t * s; r < Math.min(l.length, (t + 1) * s) && out.length < k; r++) {
        if (seen.has(l[r])) continue;
        seen.add(l[r]);
        out.push(l[r]);
      }
    }
  }
  return out;
}
