/**
 * Closed-form ridge regression from a song's content input to every warm user's listening:
 *   W = (XᵀX + λI)⁻¹ XᵀY,   score(user | song) = x · W[:, user]
 * X is the warm songs' content (the featurizer's flat input, L2-normalised rows), Y the
 * songs × users listening matrix. It is the strongest simple baseline for a cold song's
 * audience: every learned audience row is judged beside it, and fusion may use it.
 *
 * Plain typed-array arithmetic (no tensors): X is sparse for tag profiles, the Gram matrix is
 * d × d, and a Cholesky factorisation of it costs d³/3 — seconds for d ≈ 2k — while a
 * λ grid reuses the sparse products.
 */

/** Row-major sparse matrix (compressed rows). */
export interface SparseRows {
  rows: number;
  cols: number;
  /** rowStart[r] .. rowStart[r + 1] index into `col` / `val`. */
  rowStart: Int32Array;
  col: Int32Array;
  val: Float32Array;
}

/** Compressed rows of a dense row-major matrix (zeros dropped). */
export function sparseRows(dense: Float32Array, cols: number): SparseRows {
  const rows = cols > 0 ? dense.length / cols : 0;
  let nnz = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) nnz++;
  const rowStart = new Int32Array(rows + 1);
  const col = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = p;
    const o = r * cols;
    for (let j = 0; j < cols; j++) {
      const v = dense[o + j];
      if (v !== 0) {
        col[p] = j;
        val[p++] = v;
      }
    }
  }
  rowStart[rows] = p;
  return { rows, cols, rowStart, col, val };
}

/** Listening targets: one (song row, user column, value) triple per warm play. */
export interface RidgeTargets {
  users: number;
  song: Int32Array;
  user: Int32Array;
  value: Float32Array;
}

/** XᵀX (d × d, dense, Float64) from sparse rows. */
export function gram(x: SparseRows): Float64Array {
  const d = x.cols;
  const g = new Float64Array(d * d);
  for (let r = 0; r < x.rows; r++) {
    const a = x.rowStart[r];
    const b = x.rowStart[r + 1];
    for (let p = a; p < b; p++) {
      const i = x.col[p] * d;
      const vi = x.val[p];
      for (let q = a; q < b; q++) g[i + x.col[q]] += vi * x.val[q];
    }
  }
  return g;
}

/** XᵀY (d × users, dense, Float64). */
export function crossProduct(x: SparseRows, y: RidgeTargets): Float64Array {
  const u = y.users;
  const out = new Float64Array(x.cols * u);
  for (let t = 0; t < y.song.length; t++) {
    const r = y.song[t];
    const c = y.user[t];
    const v = y.value[t];
    for (let p = x.rowStart[r]; p < x.rowStart[r + 1]; p++) out[x.col[p] * u + c] += x.val[p] * v;
  }
  return out;
}

/** In-place lower Cholesky factor of (g + λI); throws if not positive definite. */
export function cholesky(g: Float64Array, d: number, lambda: number): Float64Array {
  const l = Float64Array.from(g);
  for (let i = 0; i < d; i++) l[i * d + i] += lambda;
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let s = l[rj + j];
    for (let k = 0; k < j; k++) s -= l[rj + k] * l[rj + k];
    if (!(s > 0)) throw new Error(`ridge: Gram matrix + ${lambda}·I is not positive definite at ${j}`);
    const diag = Math.sqrt(s);
    l[rj + j] = diag;
    for (let i = j + 1; i < d; i++) {
      const ri = i * d;
      let t = l[ri + j];
      for (let k = 0; k < j; k++) t -= l[ri + k] * l[rj + k];
      l[ri + j] = t / diag;
    }
    for (let k = j + 1; k < d; k++) l[rj + k] = 0;
  }
  return l;
}

/** Solves (L Lᵀ) Z = B in place for B (d × m, row-major). */
export function choleskySolve(l: Float64Array, d: number, b: Float64Array, m: number): Float64Array {
  // Forward: L y = b, row by row (each row a linear combination of the rows above).
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    const bi = i * m;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k];
      if (lik === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) b[bi + c] -= lik * b[bk + c];
    }
    const inv = 1 / l[ri + i];
    for (let c = 0; c < m; c++) b[bi + c] *= inv;
  }
  // Backward: Lᵀ z = y.
  for (let i = d - 1; i >= 0; i--) {
    const bi = i * m;
    for (let k = i + 1; k < d; k++) {
      const lki = l[k * d + i];
      if (lki === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) b[bi + c] -= lki * b[bk + c];
    }
    const inv = 1 / l[i * d + i];
    for (let c = 0; c < m; c++) b[bi + c] *= inv;
  }
  return b;
}

/**
 * Ridge fitted once per λ of a grid, each scored by a caller's validation function on the
 * cold VALIDATION songs; returns the weights of the best λ. The validation only needs the
 * predictions of a few hundred songs, so it solves for their inputs instead of for all users:
 *   ŷ(q) = x_q (XᵀX + λI)⁻¹ XᵀY = [(XᵀX + λI)⁻¹ x_qᵀ]ᵀ XᵀY.
 */
export interface RidgeFit {
  lambda: number;
  /** d × users, row-major. */
  weights: Float32Array;
  inputDim: number;
  users: number;
  /** Validation score per λ tried. */
  grid: Array<{ lambda: number; validation: number }>;
}

export function fitRidge(
  x: SparseRows,
  y: RidgeTargets,
  lambdas: readonly number[],
  validate?: { inputs: SparseRows; score: (predictions: Float32Array) => number },
): RidgeFit {
  const d = x.cols;
  const u = y.users;
  const g = gram(x);
  const xty = crossProduct(x, y);
  const grid: RidgeFit['grid'] = [];
  let best = lambdas[0];
  // The best λ's factor is kept from the grid: a Cholesky of d ≈ 2k costs seconds in JS.
  let bestFactor: Float64Array | null = null;
  if (validate && lambdas.length > 1) {
    const q = validate.inputs;
    let bestScore = -Infinity;
    for (const lambda of lambdas) {
      const l = cholesky(g, d, lambda);
      // Z = A⁻¹ Xqᵀ (d × nq), then predictions = Zᵀ XᵀY (nq × users).
      const zq = new Float64Array(d * q.rows);
      for (let r = 0; r < q.rows; r++) {
        for (let p = q.rowStart[r]; p < q.rowStart[r + 1]; p++) zq[q.col[p] * q.rows + r] = q.val[p];
      }
      choleskySolve(l, d, zq, q.rows);
      const pred = new Float32Array(q.rows * u);
      const row = new Float64Array(u);
      for (let r = 0; r < q.rows; r++) {
        row.fill(0);
        for (let i = 0; i < d; i++) {
          const z = zq[i * q.rows + r];
          if (z === 0) continue;
          const o = i * u;
          for (let c = 0; c < u; c++) row[c] += z * xty[o + c];
        }
        pred.set(row, r * u);
      }
      const score = validate.score(pred);
      grid.push({ lambda, validation: score });
      if (score > bestScore) {
        bestScore = score;
        best = lambda;
        bestFactor = l;
      }
    }
  }
  const l = bestFactor ?? cholesky(g, d, best);
  const w = choleskySolve(l, d, Float64Array.from(xty), u);
  return { lambda: best, weights: Float32Array.from(w), inputDim: d, users: u, grid };
}
