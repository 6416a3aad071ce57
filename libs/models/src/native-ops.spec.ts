import type { Neighbour } from '@debut/audience';
import { ContentBlendSearch } from './methods/content-blend';
import { isNativeBackend, nativeRandomNormal, nativeRelu } from './native-ops';
import { mulberry32 } from './random';
import { initTf, tf } from './tf';

// The native paths run only where tfjs-node loads (what `initTf()` picks once
// scripts/build-tfjs-native.sh built it); elsewhere they are skipped, and say so.
beforeAll(async () => {
  await initTf({ log: () => undefined });
});

const native = () => isNativeBackend();

it('nativeRandomNormal: N(0, σ²), the same numbers for the same seed, others for another', () => {
  if (!native()) {
    expect(() => nativeRandomNormal([2, 2], 1, 1)).toThrow(/tensorflow backend/);
    return;
  }
  const before = tf.memory().numTensors;
  const a = nativeRandomNormal<tf.Rank.R2>([400, 250], 0.1, 7);
  const b = nativeRandomNormal<tf.Rank.R2>([400, 250], 0.1, 7);
  const c = nativeRandomNormal<tf.Rank.R2>([400, 250], 0.1, 8);
  const d = nativeRandomNormal<tf.Rank.R2>([400, 250], 0.1, 7, 1);
  expect(a.shape).toEqual([400, 250]);
  expect(a.dtype).toBe('float32');
  const x = a.dataSync() as Float32Array;
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
  expect(Math.abs(mean)).toBeLessThan(0.002); // 4 standard errors of 0.1/√100000
  expect(Math.abs(sd - 0.1)).toBeLessThan(0.002);
  expect(Array.from(b.dataSync())).toEqual(Array.from(x));
  expect(c.dataSync()[0]).not.toBe(x[0]);
  expect(d.dataSync()[0]).not.toBe(x[0]);
  [a, b, c, d].forEach((t) => t.dispose());
  expect(tf.memory().numTensors).toBe(before);
});

it('nativeRelu: the values and the gradient of tf.relu', () => {
  if (!native()) return;
  const x = tf.tensor2d([-2, -0.5, 0, 0.25, 3, -1e-9, 1e-9, 7], [2, 4]);
  const w = tf.tensor2d([1, -2, 3, -4, 5, -6, 7, -8], [2, 4]);
  const f = (relu: (t: tf.Tensor2D) => tf.Tensor2D) => (t: tf.Tensor) =>
    tf.sum(tf.mul(relu(t as tf.Tensor2D), w));
  const [ours, theirs] = [nativeRelu, (t: tf.Tensor2D) => tf.relu(t)].map((relu) => ({
    y: Array.from(relu(x).dataSync()),
    dx: Array.from(tf.grad(f(relu))(x).dataSync()).map((v) => v + 0), // -0 and 0 alike
  }));
  expect(ours).toEqual(theirs);
  expect(ours.dx).toEqual([0, 0, 0, -4, 5, 0, 7, -8]);
});

/** Unit rows of a random n × dim matrix, some of them repeated (ties in the scores). */
function unitRows(n: number, dim: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const m = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    if (r % 5 === 4) {
      m.copyWithin(r * dim, (r - 1) * dim, r * dim); // a tie with the previous row
      continue;
    }
    let s = 0;
    for (let j = 0; j < dim; j++) s += (m[r * dim + j] = rng() < 0.3 ? rng() : 0) ** 2;
    if (s === 0) m[r * dim] = s = 1;
    for (let j = 0; j < dim; j++) m[r * dim + j] /= Math.sqrt(s);
  }
  return m;
}

it('ContentBlendSearch: the device path finds the neighbours and α the JS path finds', async () => {
  if (!native()) return;
  const nw = 300;
  const nq = 20;
  const D = 40;
  const warmIds = Array.from({ length: nw }, (_, i) => `w${i}`);
  const warmInputs = unitRows(nw, D, 1);
  const valInputs = unitRows(nq, D, 2);
  const towerWarm = unitRows(nw, 8, 3);
  const towerVal = unitRows(nq, 8, 4);
  const seen: Neighbour[][][] = [];
  // A score that depends on every neighbour list: how many of them start with an even song.
  const validate = async (nb: Neighbour[][]) => {
    seen.push(nb);
    return nb.filter((l) => Number(l[0].songId.slice(1)) % 2 === 0).length / nb.length;
  };
  const search = new ContentBlendSearch(warmIds, warmInputs, valInputs, D, validate, 10);
  const onDevice = await search.best(towerWarm, towerVal, 8);
  const deviceLists = seen.splice(0);
  search.dispose();
  await tf.setBackend('cpu'); // not native: the JS path
  try {
    const inJs = await search.best(towerWarm, towerVal, 8);
    expect(onDevice).toEqual(inJs);
    expect(deviceLists.length).toBe(seen.length);
    deviceLists.forEach((lists, a) =>
      lists.forEach((l, q) => {
        expect(l.map((n) => n.songId)).toEqual(seen[a][q].map((n) => n.songId));
        l.forEach((n, t) => expect(n.similarity).toBeCloseTo(seen[a][q][t].similarity, 5));
      }),
    );
  } finally {
    await tf.setBackend('tensorflow');
  }
});
