import type { FaissIndex, FaissModule } from './faiss';

/**
 * faiss-node 0.5.1 exposes no setter for HNSW's efConstruction/efSearch. Both are plain fields of
 * faiss's serialised IndexHNSW, so we serialise the index, overwrite the two int32 fields in
 * place and deserialise it again. The layout is checked field by field (faiss 1.7.x "IHNf"
 * format: index header, 5 HNSW vectors, entry_point, max_level, efConstruction, efSearch,
 * upper_beam, then the flat storage "IxF?"); anything unexpected returns null and the caller
 * keeps faiss's defaults (efConstruction 40, efSearch 16).
 *
 * efSearch must live in the index: Debian's faiss 1.7.3 does not widen the search beam to k
 * (asking for k = 128 neighbours with efSearch 16 keeps recall@10 where efSearch 16 puts it,
 * ~0.9 on 64-dim clustered vectors, against 1.0 with efSearch 128 stored; bench:index).
 * Patching a filled index costs a copy of it (faiss-node's toBuffer/fromBuffer), so it is done
 * at creation and when a caller changes efSearch, never per search.
 */
export function createHnswWithParams(
  faiss: FaissModule,
  index: FaissIndex,
  efConstruction: number,
  efSearch: number,
): FaissIndex | null {
  const buf = index.toBuffer();
  const loc = locateHnswParams(buf);
  if (loc === null) return null;
  buf.writeInt32LE(efConstruction, loc.efConstruction);
  buf.writeInt32LE(efSearch, loc.efSearch);
  return faiss.Index.fromBuffer(buf);
}

/** Byte offsets of efConstruction and efSearch in a serialised IndexHNSWFlat; or null. */
export function locateHnswParams(buf: Buffer): { efConstruction: number; efSearch: number } | null {
  try {
    if (buf.toString('latin1', 0, 4) !== 'IHNf') return null;
    const ntotal = buf.readBigInt64LE(8);
    if (ntotal < 0n) return null;
    const metric = buf.readInt32LE(33);
    let o = 37 + (metric > 1 ? 4 : 0); // metric_arg (float) follows for metrics beyond L2
    // assign_probas (double), cum_nneighbor_per_level (int), levels (int), offsets (size_t), neighbors (int)
    for (const size of [8, 4, 4, 8, 4]) {
      const n = Number(buf.readBigUInt64LE(o));
      if (!Number.isSafeInteger(n) || n < 0 || o + 8 + n * size > buf.length) return null;
      o += 8 + n * size;
    }
    const entryPoint = buf.readInt32LE(o);
    const maxLevel = buf.readInt32LE(o + 4);
    const efC = buf.readInt32LE(o + 8);
    const efS = buf.readInt32LE(o + 12);
    const storage = buf.toString('latin1', o + 20, o + 23);
    const empty = ntotal === 0n;
    if (empty !== (entryPoint === -1) || empty !== (maxLevel === -1)) return null;
    if (efC < 1 || efC > 100_000 || efS < 1 || efS > 100_000) return null;
    if (storage !== 'IxF') return null;
    return { efConstruction: o + 8, efSearch: o + 12 };
  } catch {
    return null;
  }
}
