import { IndexInputError } from './errors';
import type { BatchInput, IndexKind, VectorIndexOptions, VectorInput } from './types';

const MAX_DIM = 65_536;

/** The index reading the input: its name prefixes every message, its dim sizes every row. */
export interface InputTarget {
  readonly name: string;
  readonly dim: number;
}

export function checkDim(dim: number): void {
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) {
    throw new IndexInputError(`dim must be an integer in [1, ${MAX_DIM}], got ${String(dim)}`);
  }
}

/** The validated options every kind has. */
export interface IndexSettings {
  name: string;
  dim: number;
  maxTombstoneFraction: number;
}

export function indexSettings(
  options: Omit<VectorIndexOptions, 'kind' | 'hnsw'>,
  kind: IndexKind,
): IndexSettings {
  checkDim(options.dim);
  const fraction = options.maxTombstoneFraction ?? 0.2;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new IndexInputError(`maxTombstoneFraction must be in (0, 1], got ${String(fraction)}`);
  }
  return { name: options.name ?? kind, dim: options.dim, maxTombstoneFraction: fraction };
}

/** Ids must be non-empty strings, unique within one add() call. */
export function checkIds(target: InputTarget, ids: readonly string[]): void {
  if (!Array.isArray(ids)) throw new IndexInputError(`${target.name}: ids must be an array of strings`);
  const seen = new Set<string>();
  for (let i = 0; i < ids.length; i++) {
    // unknown: Array.isArray above narrows `ids` to any[], and callers may break the type at runtime.
    const id: unknown = ids[i];
    if (typeof id !== 'string' || id.length === 0) {
      throw new IndexInputError(
        `${target.name}: ids[${i}] must be a non-empty string, got ${JSON.stringify(id)}`,
      );
    }
    if (seen.has(id))
      throw new IndexInputError(`${target.name}: duplicate id ${JSON.stringify(id)} in one add() call`);
    seen.add(id);
  }
}

export function checkK(target: InputTarget, k: number): void {
  if (!Number.isInteger(k) || k < 0)
    throw new IndexInputError(`${target.name}: k must be a non-negative integer, got ${String(k)}`);
}

/** Validates and copies `count` row-major vectors into a Float32Array. */
export function toRows(
  target: InputTarget,
  vectors: VectorInput,
  count: number,
  what: string,
  ids?: readonly string[],
): Float32Array {
  const { name, dim } = target;
  if (
    vectors === null ||
    typeof vectors !== 'object' ||
    typeof (vectors as ArrayLike<number>).length !== 'number'
  ) {
    throw new IndexInputError(`${name}: ${what} must be a Float32Array or an array of numbers`);
  }
  const expected = count * dim;
  if (vectors.length !== expected) {
    throw new IndexInputError(
      `${name}: dimension mismatch: ${what} has ${vectors.length} values, expected ${count} × ${dim} = ${expected}`,
    );
  }
  const rows = new Float32Array(expected);
  for (let i = 0; i < expected; i++) {
    const v = vectors[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      const row = Math.floor(i / dim);
      const who = ids ? ` (id ${JSON.stringify(ids[row])})` : count > 1 ? ` (row ${row})` : '';
      throw new IndexInputError(
        `${name}: ${what}${who} has a non-finite value ${String(v)} at component ${i % dim}`,
      );
    }
    rows[i] = v;
  }
  // Values that are finite in float64 can overflow to ±Infinity in float32.
  for (let i = 0; i < expected; i++) {
    if (!Number.isFinite(rows[i])) {
      throw new IndexInputError(
        `${name}: ${what} value ${String(vectors[i])} overflows float32 at component ${i % dim}`,
      );
    }
  }
  return rows;
}

/** A query batch, either row-major (n × dim) or an array of vectors, as validated rows. */
export function batchRows(target: InputTarget, vectors: BatchInput): { rows: Float32Array; n: number } {
  const { name, dim } = target;
  if (Array.isArray(vectors) && vectors.length > 0 && typeof vectors[0] !== 'number') {
    const list = vectors as readonly VectorInput[];
    const rows = new Float32Array(list.length * dim);
    list.forEach((v, i) => rows.set(toRows(target, v, 1, `query vector ${i}`), i * dim));
    return { rows, n: list.length };
  }
  const flat = vectors as VectorInput;
  if (flat.length % dim !== 0) {
    throw new IndexInputError(
      `${name}: query batch length ${flat.length} is not a multiple of the index dimension ${dim}`,
    );
  }
  const n = flat.length / dim;
  return { rows: toRows(target, flat, n, 'query batch'), n };
}
