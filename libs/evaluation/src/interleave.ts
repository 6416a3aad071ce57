/**
 * Round-robin interleaving of ranked lists (STARS' dual-memory serving): the first of each list
 * in turn, then the second of each, …, skipping anything already taken, until `k` are taken or
 * every list is exhausted.
 */
export function roundRobin<T>(lists: readonly (readonly T[])[], k = Infinity): T[] {
  const out: T[] = [];
  const seen = new Set<T>();
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let r = 0; r < longest && out.length < k; r++) {
    for (const l of lists) {
      if (r >= l.length || seen.has(l[r])) continue;
      seen.add(l[r]);
      out.push(l[r]);
      if (out.length >= k) break;
    }
  }
  return out;
}
