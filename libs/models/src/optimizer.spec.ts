import { FlatAdam } from './optimizer';
import { mulberry32 } from './random';
import { initTf, tf } from './tf';

beforeAll(async () => {
  await initTf({ log: () => undefined });
});

/** A small model with a matrix, a vector and a scalar-sized weight; its loss is not quadratic. */
function model(seed: number): tf.Variable[] {
  const rng = mulberry32(seed);
  const values = (n: number) => Float32Array.from({ length: n }, () => rng() - 0.5);
  return [
    tf.variable(tf.tensor2d(values(12), [4, 3])),
    tf.variable(tf.tensor1d(values(3))),
    tf.variable(tf.tensor2d(values(3), [3, 1])),
  ];
}

function lossOf([w, b, u]: tf.Variable[], x: tf.Tensor2D): () => tf.Scalar {
  return () => tf.mean(tf.softplus(tf.matMul(tf.relu(tf.add(tf.matMul(x, w), b)), u)));
}

it('FlatAdam gives the weights tf.train.adam gives, bit for bit', () => {
  const x = tf.tensor2d(
    Array.from({ length: 20 }, (_, i) => Math.sin(i)),
    [5, 4],
  );
  const ours = model(1);
  const theirs = model(1);
  const flat = new FlatAdam(0.05);
  const reference = tf.train.adam(0.05);
  let afterFirst = 0;
  for (let step = 0; step < 25; step++) {
    const a = flat.minimize(lossOf(ours, x), true, ours)!;
    const b = reference.minimize(lossOf(theirs, x), true, theirs)!;
    expect(a.dataSync()[0]).toBe(b.dataSync()[0]);
    a.dispose();
    b.dispose();
    if (step === 0) afterFirst = tf.memory().numTensors;
  }
  // Nothing is left behind by a step (the moments are made on the first one).
  expect(tf.memory().numTensors).toBe(afterFirst);
  ours.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(theirs[i].dataSync())));
  // The weights moved (the comparison is not of two untouched models).
  const start = model(1);
  expect(Array.from(ours[0].dataSync())).not.toEqual(Array.from(start[0].dataSync()));
  start.forEach((v) => v.dispose());
  flat.dispose();
  reference.dispose();
});

it('FlatAdam refuses a variable without a gradient', () => {
  const [w, b] = model(2);
  const unused = tf.variable(tf.zeros([2]));
  const opt = new FlatAdam(0.01);
  expect(() => opt.minimize(() => tf.sum(tf.add(w, 0)), false, [w, unused])).toThrow(/no gradient/);
  opt.dispose();
  [w, b, unused].forEach((v) => v.dispose());
});
