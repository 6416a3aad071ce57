/**
 * String ids ↔ faiss labels. faiss-node only has `add`, which numbers vectors ntotal..ntotal+n-1,
 * so an id's label is its position in insertion order and `labels[position]` stays exact as long
 * as removals keep that order (flat: storage compacts; HNSW: the slot becomes a tombstone, null).
 */
export class LabelMap {
  private labels: (string | null)[];
  private positions: Map<string, number>;
  private dead = 0;

  /** A map of `ids` at positions 0..n-1, no tombstones. */
  constructor(ids: readonly string[] = []) {
    this.labels = [...ids];
    this.positions = new Map(ids.map((id, i) => [id, i]));
  }

  /** Rebuilds a saved map; `bad` gets the first position whose id is not a string or repeats. */
  static fromLabels(labels: readonly (string | null)[], bad: (position: number) => never): LabelMap {
    const map = new LabelMap();
    labels.forEach((id, pos) => {
      if (id === null) map.dead++;
      else if (typeof id !== 'string' || map.positions.has(id)) bad(pos);
      else map.positions.set(id, pos);
    });
    map.labels = [...labels];
    return map;
  }

  /** Live (searchable) ids. */
  get size(): number {
    return this.positions.size;
  }

  /** Vectors stored in faiss, tombstones included. */
  get stored(): number {
    return this.labels.length;
  }

  get tombstones(): number {
    return this.dead;
  }

  has(id: string): boolean {
    return this.positions.has(id);
  }

  /** The id under a faiss label: null for a tombstone, undefined past the end. */
  idAt(label: number): string | null | undefined {
    return this.labels[label];
  }

  /** Live ids in insertion order. */
  ids(): string[] {
    return this.labels.filter((id): id is string => id !== null);
  }

  /** Positions of the live ids, ascending. */
  livePositions(): number[] {
    const out: number[] = [];
    this.labels.forEach((id, pos) => {
      if (id !== null) out.push(pos);
    });
    return out;
  }

  /** Position → id with tombstones as null, as persisted. */
  toArray(): readonly (string | null)[] {
    return this.labels;
  }

  /** Records ids faiss has just appended, in the order they were added. */
  append(ids: readonly string[]): void {
    const base = this.labels.length;
    ids.forEach((id, i) => {
      this.labels.push(id);
      this.positions.set(id, base + i);
    });
  }

  /** For indexes that cannot delete (HNSW): the ids' vectors stay in faiss, unreachable by id. */
  tombstone(ids: readonly string[]): void {
    const doomed = this.detach(ids);
    for (const pos of doomed) this.labels[pos] = null;
    this.dead += doomed.length;
  }

  /**
   * For indexes that delete keeping order (IndexFlat::remove_ids): `removeFromFaiss` deletes the
   * labels it is given, then every later id shifts down past the removed ones.
   */
  removeShifting(ids: readonly string[], removeFromFaiss: (labels: number[]) => void): void {
    const doomed = this.detach(ids);
    removeFromFaiss(doomed);
    const gone = new Set(doomed);
    const first = doomed.reduce((a, b) => Math.min(a, b), Infinity);
    const kept = this.labels.slice(0, first);
    for (let pos = first; pos < this.labels.length; pos++) {
      if (gone.has(pos)) continue;
      const id = this.labels[pos] as string;
      this.positions.set(id, kept.length);
      kept.push(id);
    }
    this.labels = kept;
  }

  /** Forgets present ids and returns their positions, in the order given. */
  private detach(ids: readonly string[]): number[] {
    const doomed = ids.map((id) => this.positions.get(id) as number);
    for (const id of ids) this.positions.delete(id);
    return doomed;
  }
}
