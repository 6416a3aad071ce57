import { bprLossAllNegatives, infoNCELoss, meanSoftplus } from './losses';
import { mulberry32 } from './random';
import { initTf, tf } from './tf';
import { l2Normalize } from './towers';

// On the native backend the losses and l2Normalize carry hand-written gradients; here they are
// held against tfjs's own chain rule through the plain formulas (written out again below).
beforeAll(async () => {
  await initTf({ log: () => undefined });
});

const rng = mulberry32(11);
const matrix = (n: number, d: number) =>
  tf.tensor2d(
    Array.from({ length: n * d }, () => rng() - 0.5),
    [n, d],
  );
const unit = (x: tf.Tensor2D) => tf.div<tf.Tensor2D>(x, tf.norm(x, 'euclidean', 1, true));

const plainInfoNCE = (z1: tf.Tensor2D, z2: tf.Tensor2D, t: number): tf.Scalar => {
  const logits = tf.div<tf.Tensor2D>(tf.matMul(z1, z2, false, true), t);
  const diag = tf.div(tf.sum(tf.mul(z1, z2), 1), t);
  const l = tf.add(tf.sub(tf.logSumExp(logits, 1), diag), tf.sub(tf.logSumExp(logits, 0), diag));
  return tf.div(tf.sum(l), 2 * z1.shape[0]);
};
const plainBpr = (a: tf.Tensor2D, p: tf.Tensor2D, n: tf.Tensor2D, scale: number): tf.Scalar => {
  const pos = tf.reshape(tf.sum(tf.mul(a, p), 1), [-1, 1]);
  return tf.mean(tf.softplus(tf.mul(tf.sub(tf.matMul(a, n, false, true), pos), scale)));
};
const plainL2 = (x: tf.Tensor2D) => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-8)));

/** Value and gradients of f at xs, through a weighted sum so every output element counts. */
function valueAndGrads(f: (...xs: tf.Tensor2D[]) => tf.Tensor, xs: tf.Tensor2D[]) {
  return tf.tidy(() => {
    const out = f(...xs);
    const w = tf.range(1, out.size + 1).reshape(out.shape);
    const g = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...(ys as tf.Tensor2D[])), w)))(xs);
    return { value: Array.from(out.dataSync()), grads: g.map((t) => Array.from(t.dataSync())) };
  });
}

function expectClose(a: number[], b: number[], tol: number) {
  expect(a.length).toBe(b.length);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expect(worst).toBeLessThanOrEqual(tol * Math.max(1, scale));
}

const cases: Array<{
  name: string;
  ours: (...xs: tf.Tensor2D[]) => tf.Tensor;
  plain: (...xs: tf.Tensor2D[]) => tf.Tensor;
  inputs: () => tf.Tensor2D[];
}> = [
  {
    name: 'infoNCELoss',
    ours: (a, b) => infoNCELoss(a, b, 0.1),
    plain: (a, b) => plainInfoNCE(a, b, 0.1),
    inputs: () => [unit(matrix(24, 6)), unit(matrix(24, 6))],
  },
  {
    name: 'bprLossAllNegatives',
    ours: (a, p, n) => bprLossAllNegatives(a, p, n, 10),
    plain: (a, p, n) => plainBpr(a, p, n, 10),
    inputs: () => [unit(matrix(24, 6)), unit(matrix(24, 6)), unit(matrix(30, 6))],
  },
  {
    name: 'meanSoftplus',
    ours: (x) => meanSoftplus(x),
    plain: (x) => tf.mean(tf.softplus(x)),
    inputs: () => [tf.mul<tf.Tensor2D>(matrix(24, 6), 8)],
  },
  { name: 'l2Normalize', ours: (x) => l2Normalize(x), plain: plainL2, inputs: () => [matrix(24, 6)] },
];

it.each(cases)('$name: the values and gradients of the plain formula', ({ ours, plain, inputs }) => {
  const xs = inputs();
  const got = valueAndGrads(ours, xs);
  const want = valueAndGrads(plain, xs);
  expectClose(got.value, want.value, 1e-6);
  got.grads.forEach((g, i) => expectClose(g, want.grads[i], 1e-5));
  // Not all zero: the comparison means something.
  expect(got.grads.every((g) => g.some((v) => Math.abs(v) > 1e-6))).toBe(true);
  tf.dispose(xs);
});
