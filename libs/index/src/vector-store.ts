/**
 * A growable row-major copy of vectors. HNSW keeps one because faiss cannot remove vectors from
 * the graph: dropping tombstones means building a new graph from the kept vectors.
 */
export class VectorStore {
  private data: Float32Array;
  private rows: number;

  /** Starts with `initial` (row-major, a multiple of dim) as its rows. */
  constructor(
    readonly dim: number,
    initial: Float32Array = new Float32Array(0),
  ) {
    this.data = initial;
    this.rows = initial.length / dim;
  }

  get count(): number {
    return this.rows;
  }

  append(rows: Float32Array): void {
    const used = this.rows * this.dim;
    if (used + rows.length > this.data.length) {
      // Grow by half so that repeated small adds copy the store a logarithmic number of times.
      const next = new Float32Array(Math.max(used + rows.length, Math.ceil(this.data.length * 1.5)));
      next.set(this.data.subarray(0, used));
      this.data = next;
    }
    this.data.set(rows, used);
    this.rows += rows.length / this.dim;
  }

  /** The stored rows (a view, not a copy). */
  used(): Float32Array {
    return this.data.subarray(0, this.rows * this.dim);
  }

  /** A new store holding only the rows at `positions`, in that order. */
  gather(positions: readonly number[]): VectorStore {
    const out = new Float32Array(positions.length * this.dim);
    positions.forEach((pos, i) =>
      out.set(this.data.subarray(pos * this.dim, (pos + 1) * this.dim), i * this.dim),
    );
    return new VectorStore(this.dim, out);
  }
}
