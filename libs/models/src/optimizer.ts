/**
 * The trainers' Adam. tfjs's AdamOptimizer updates each variable with ~14 kernels plus ~5 scalar
 * uploads: for the I2I encoder's 22 variables that is ~300 of a step's ~900 kernels, each a
 * round trip through the tfjs engine and the native binding. `FlatAdam` does the same update on
 * every variable at once: the gradients are concatenated into one vector, Adam's moments are one
 * vector each, and the new values are split back (~60 kernels, constants uploaded once).
 *
 * The arithmetic is tfjs's, element for element and in the same order (m·β₁ + g·(1 − β₁), …,
 * value + (m̂ / (√v̂ + ε))·(−lr), the β powers as float32 tensors), so the weights it gives are
 * the ones tf.train.adam gives (optimizer.spec.ts checks this bit for bit). `adam()` picks it on
 * the native backend and keeps tf.train.adam elsewhere (the wasm numbers are recorded).
 */
import { isNativeBackend } from './native-ops';
import { tf } from './tf';

/** What the trainers use of an optimizer. */
export interface TrainOptimizer {
  minimize(f: () => tf.Scalar, returnCost: boolean, varList: tf.Variable[]): tf.Scalar | null;
  dispose(): void;
}

export class FlatAdam implements TrainOptimizer {
  private m: tf.Variable | null = null;
  private v: tf.Variable | null = null;
  private readonly accBeta1: tf.Variable;
  private readonly accBeta2: tf.Variable;
  private readonly c: Record<
    'beta1' | 'beta2' | 'oneMinusBeta1' | 'oneMinusBeta2' | 'eps' | 'negLr' | 'one',
    tf.Scalar
  >;

  constructor(
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    epsilon?: number,
  ) {
    const eps = epsilon ?? tf.backend().epsilon();
    this.c = tf.tidy(() => ({
      beta1: tf.keep(tf.scalar(beta1)),
      beta2: tf.keep(tf.scalar(beta2)),
      oneMinusBeta1: tf.keep(tf.scalar(1 - beta1)),
      oneMinusBeta2: tf.keep(tf.scalar(1 - beta2)),
      eps: tf.keep(tf.scalar(eps)),
      negLr: tf.keep(tf.scalar(-learningRate)),
      one: tf.keep(tf.scalar(1)),
    }));
    this.accBeta1 = tf.variable(tf.scalar(beta1), false);
    this.accBeta2 = tf.variable(tf.scalar(beta2), false);
  }

  minimize(f: () => tf.Scalar, returnCost: boolean, varList: tf.Variable[]): tf.Scalar | null {
    const { value, grads } = tf.variableGrads(f, varList);
    const missing = varList.find((x) => !grads[x.name]);
    if (missing) throw new Error(`FlatAdam: no gradient for ${missing.name}`);
    this.apply(
      varList,
      varList.map((x) => grads[x.name]),
    );
    tf.dispose(grads);
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** One Adam update of `vars` by `grads` (same order, same shapes). */
  apply(vars: tf.Variable[], grads: tf.Tensor[]): void {
    const sizes = vars.map((x) => x.size);
    const total = sizes.reduce((s, n) => s + n, 0);
    if (!this.m || !this.v) {
      this.m = tf.variable(tf.zeros([total]), false);
      this.v = tf.variable(tf.zeros([total]), false);
    }
    if (this.m.size !== total) throw new Error('FlatAdam: the variable list changed between steps');
    const { c } = this;
    const m = this.m;
    const v = this.v;
    tf.tidy(() => {
      const flat = (t: tf.Tensor) => (t.rank === 1 ? t : tf.reshape(t, [-1]));
      const g = grads.length === 1 ? flat(grads[0]) : tf.concat(grads.map(flat), 0);
      const oneMinusAccBeta1 = tf.sub(c.one, this.accBeta1);
      const oneMinusAccBeta2 = tf.sub(c.one, this.accBeta2);
      const newM = tf.add(tf.mul(m, c.beta1), tf.mul(g, c.oneMinusBeta1));
      const newV = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), c.oneMinusBeta2));
      const mHat = tf.div(newM, oneMinusAccBeta1);
      const vHat = tf.div(newV, oneMinusAccBeta2);
      m.assign(newM);
      v.assign(newV);
      const step = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), c.eps)), c.negLr);
      const params = vars.length === 1 ? flat(vars[0]) : tf.concat(vars.map(flat), 0);
      const next = tf.add(step, params);
      const parts = vars.length === 1 ? [next] : tf.split(next, sizes, 0);
      vars.forEach((x, i) => x.assign(x.rank === 1 ? parts[i] : tf.reshape(parts[i], x.shape)));
      this.accBeta1.assign(tf.mul(this.accBeta1, c.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, c.beta2));
    });
  }

  dispose(): void {
    this.m?.dispose();
    this.v?.dispose();
    this.accBeta1.dispose();
    this.accBeta2.dispose();
    Object.values(this.c).forEach((t) => t.dispose());
  }
}

/** Adam with tfjs's defaults (β₁ 0.9, β₂ 0.999, the backend's ε): FlatAdam on native, tf.train.adam elsewhere. */
export function adam(learningRate: number): TrainOptimizer {
  return isNativeBackend() ? new FlatAdam(learningRate) : tf.train.adam(learningRate);
}
