/**
 * Fixed-width rows of floats keyed by id, all in one growable Float32Array: a lookup is a map
 * read and the row a zero-copy view, so the gate's arithmetic runs over memory the request path
 * never allocates. Removed rows' slots are reused. Not a cache: it holds every row it is given.
 */
export class VectorTable {
  private readonly slots = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private data: Float32Array;
  private used = 0;

  constructor(
    readonly width: number,
    capacity = 1024,
  ) {
    if (!Number.isInteger(width) || width <= 0)
      throw new Error(`row width must be a positive integer, got ${width}`);
    this.data = new Float32Array(Math.max(1, capacity) * width);
  }

  get size(): number {
    return this.slots.size;
  }

  /** Bytes of the float storage (what the rows cost, without the id map). */
  get bytes(): number {
    return this.data.byteLength;
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  /**
   * The row of `id` as a view, or undefined. The view stays readable after later writes, but a
   * write to the same id overwrites it in place, so read it within one synchronous step.
   */
  get(id: string): Float32Array | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.data.subarray(slot * this.width, (slot + 1) * this.width);
  }

  /**
   * Where the row of `id` starts in `matrix`, or -1: lets a hot loop read rows in place without
   * a view per row. Valid until the next write that grows the table (read within one step).
   */
  offsetOf(id: string): number {
    const slot = this.slots.get(id);
    return slot === undefined ? -1 : slot * this.width;
  }

  /** The storage the offsets point into (replaced when the table grows). */
  get matrix(): Float32Array {
    return this.data;
  }

  /** Writes the row of `id` from `values` (width floats, possibly in parts that are concatenated). */
  set(id: string, ...parts: ArrayLike<number>[]): void {
    let n = 0;
    for (const p of parts) n += p.length;
    if (n !== this.width) throw new Error(`row of ${id} has ${n} values, the table's width is ${this.width}`);
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.freeSlots.pop() ?? this.used++;
      if ((slot + 1) * this.width > this.data.length) this.grow();
      this.slots.set(id, slot);
    }
    let at = slot * this.width;
    for (const p of parts) {
      this.data.set(p, at);
      at += p.length;
    }
  }

  delete(id: string): boolean {
    const slot = this.slots.get(id);
    if (slot === undefined) return false;
    this.slots.delete(id);
    this.freeSlots.push(slot);
    return true;
  }

  /** Fills the table from a packed row-major matrix (rows × width) in one pass. */
  load(ids: string[], packed: Float32Array): void {
    if (packed.length !== ids.length * this.width)
      throw new Error(`expected ${ids.length} × ${this.width} values, got ${packed.length}`);
    for (let i = 0; i < ids.length; i++)
      this.set(ids[i], packed.subarray(i * this.width, (i + 1) * this.width));
  }

  private grow(): void {
    const next = new Float32Array(Math.max(this.data.length * 2, (this.used + 1) * this.width));
    next.set(this.data);
    this.data = next;
  }
}
