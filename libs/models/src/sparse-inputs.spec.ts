import { Featurizer } from '@debut/features';
import { generateSynthetic } from '@debut/evaluation';
import { SparseInputs, disposeSparseBatch } from './sparse-inputs';
import { backendName, initTf, tf } from './tf';
import { ItemTower } from './towers';

// The sparse field embedding needs gather's gradient (UnsortedSegmentSum): the native backend
// (what `initTf()` picks once scripts/build-tfjs-native.sh built it) and the plain cpu backend
// have it, wasm does not. Only the CSR bookkeeping is checked there.
beforeAll(async () => {
  await initTf({ log: () => undefined });
});

const ds = generateSynthetic({ seed: 4, songs: 60, users: 20, interactionsPerUser: 5 });
const featurizer = new Featurizer(ds.schema);
const inputs = featurizer.encodeBatch(ds.items.map((i) => i.content));
const D = featurizer.inputDim;
const rowsA = [3, 0, 17, 3];
const rowsB = [59, 8];

it('keeps every non-zero of the field columns, rows in the order asked for', () => {
  const sp = new SparseInputs(inputs, D, featurizer.fields);
  const inFields = new Set(
    featurizer.fields.flatMap((f) => Array.from({ length: f.width }, (_, c) => f.offset + c)),
  );
  const nnz = inputs.reduce((n, v, i) => n + (v !== 0 && inFields.has(i % D) ? 1 : 0), 0);
  expect(sp.rows).toBe(60);
  expect(sp.nnz).toBe(nnz);
  const b = sp.batch(rowsA, rowsB);
  expect(b.rows).toBe(6);
  const seg = b.segments.dataSync();
  const F = featurizer.fields.length;
  expect(Math.max(...seg)).toBeLessThan(6 * F);
  // Segments are non-decreasing: row-major, fields in order within a row.
  for (let k = 1; k < seg.length; k++) expect(seg[k]).toBeGreaterThanOrEqual(seg[k - 1]);
  disposeSparseBatch(b);
});

const gatherTrains = () => backendName() !== 'wasm';

// CI (CI=true) runs the tests on the native backend: setup builds it, so a silent fall back to
// wasm there is a failure. DEBUT_TF_NATIVE=off is the explicit opt-out.
it('runs on the native backend in CI', () => {
  if (process.env.CI !== 'true' || process.env.DEBUT_TF_NATIVE === 'off') return;
  expect(backendName()).toBe('tensorflow');
});

it('gives the dense field matrix and the same kernel gradients (native / cpu backends)', () => {
  if (!gatherTrains()) return;
  const tower = new ItemTower({
    fields: featurizer.fields,
    fieldDim: 8,
    hidden: [16],
    outputDim: 8,
    seed: 9,
  });
  const sp = new SparseInputs(inputs, D, featurizer.fields);
  const rows = [...rowsA, ...rowsB];
  const flat = new Float32Array(rows.length * D);
  rows.forEach((r, i) => flat.set(inputs.subarray(r * D, (r + 1) * D), i * D));
  const x = tf.tensor2d(flat, [rows.length, D]);
  const b = sp.batch(rowsA, rowsB);
  const dense = tf.tidy(() => tower.fieldMatrix(x));
  const fromSparse = tf.tidy(() => tower.fieldMatrixSparse(b));
  expect(fromSparse.shape).toEqual(dense.shape);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(dense, fromSparse))).dataSync()[0]);
  expect(diff).toBeLessThan(1e-5);

  const vars = tower.fieldEmbedding.variables();
  const loss = (h: () => tf.Tensor2D) => () => tf.sum<tf.Scalar>(tf.square(tower.fromFieldMatrix(h())));
  const g1 = tf.variableGrads(
    loss(() => tower.fieldMatrix(x)),
    vars,
  );
  const g2 = tf.variableGrads(
    loss(() => tower.fieldMatrixSparse(b)),
    vars,
  );
  for (const v of vars) {
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(g1.grads[v.name], g2.grads[v.name]))).dataSync()[0]);
    expect(d).toBeLessThan(1e-4);
  }
  tf.dispose([
    x,
    dense,
    fromSparse,
    g1.value,
    g2.value,
    ...Object.values(g1.grads),
    ...Object.values(g2.grads),
  ]);
  disposeSparseBatch(b);
  tower.variables().forEach((v) => v.dispose());
});
