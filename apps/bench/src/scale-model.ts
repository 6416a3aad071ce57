/**
 * bench:scale's pure parts: size lists, the listener-count model behind the aggregation stage,
 * recall against the exact answer, and the one faiss field (IVF nprobe) the bench patches.
 */

/** "10k,100k,1m" → [10000, 100000, 1000000]; throws on anything that is not a positive integer. */
export function parseSizes(list: string): number[] {
  return list.split(',').map((raw) => {
    const s = raw.trim().toLowerCase();
    const m = /^(\d+(?:\.\d+)?)([km]?)$/.exec(s);
    const n = m ? Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'm' ? 1e6 : 1) : NaN;
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`not a size (e.g. 10k, 1m): ${raw}`);
    return n;
  });
}

/** 10000 → "10k", 1000000 → "1M" (table labels). */
export function sizeLabel(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

export interface ListenerModel {
  /** Songs, ranked by popularity (rank 0 is the most played). */
  songs: number;
  /** Mean distinct listeners per song (interaction rows / songs). */
  meanPerSong: number;
  /** Distinct users: no song has more listeners. */
  users: number;
  /** Zipf exponent of popularity over rank. */
  exponent: number;
}

/**
 * Listeners of the song at each popularity rank: round(c·(rank+1)^−s), capped at `users`, with
 * c chosen (bisection) so that the counts add up to songs × meanPerSong, as far as the cap allows.
 */
export function zipfListenerCounts(m: ListenerModel): Int32Array {
  const target = m.songs * m.meanPerSong;
  const shape = new Float64Array(m.songs);
  for (let r = 0; r < m.songs; r++) shape[r] = Math.pow(r + 1, -m.exponent);
  const total = (c: number) => {
    let s = 0;
    for (let r = 0; r < m.songs; r++) s += Math.min(m.users, Math.round(c * shape[r]));
    return s;
  };
  let lo = 0;
  let hi = target * 2 + 1;
  while (total(hi) < target && hi < target * 1e6) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (total(mid) < target) lo = mid;
    else hi = mid;
  }
  const out = new Int32Array(m.songs);
  for (let r = 0; r < m.songs; r++) out[r] = Math.min(m.users, Math.round(hi * shape[r]));
  return out;
}

/** Share of each query's exact top `k` ids found in the approximate top `k`, over all queries. */
export function recallAtK(
  approx: ReadonlyArray<readonly string[]>,
  exact: ReadonlyArray<readonly string[]>,
  k: number,
): number {
  let hit = 0;
  let wanted = 0;
  exact.forEach((truth, q) => {
    const t = new Set(truth.slice(0, k));
    wanted += t.size;
    for (const id of approx[q].slice(0, k)) if (t.has(id)) hit++;
  });
  return wanted ? hit / wanted : NaN;
}

/**
 * Byte offset of `nprobe` in a serialised faiss IndexIVFPQ ("IwPQ") or IndexIVFPQFastScan
 * ("IwPf"), or null when the layout is not the expected one. faiss-node 0.5.1 has no setter for
 * nprobe (the IVF lists searched per query, default 1), and faiss 1.7.x writes it right after
 * the index header and nlist: fourcc, d (int32), ntotal (int64), two int64 dummies, is_trained
 * (byte), metric (int32) [+ metric_arg (float) for metrics beyond L2], nlist (size_t), nprobe (size_t).
 */
export function locateIvfNprobe(buf: Buffer, nlist: number): number | null {
  if (buf.length < 53 || !['IwPQ', 'IwPf'].includes(buf.toString('latin1', 0, 4))) return null;
  const metric = buf.readInt32LE(33);
  const at = 37 + (metric > 1 ? 4 : 0);
  if (Number(buf.readBigUInt64LE(at)) !== nlist) return null;
  const nprobe = Number(buf.readBigUInt64LE(at + 8));
  if (!(nprobe >= 1 && nprobe <= nlist)) return null;
  return at + 8;
}
