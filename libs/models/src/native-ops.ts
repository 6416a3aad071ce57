/**
 * TensorFlow ops that tfjs leaves to JavaScript, run natively when the backend is tfjs-node.
 *
 * `tf.randomNormal` is not a kernel in tfjs: it fills a buffer in JS (seedrandom + Marsaglia
 * polar) and uploads it, ~6 ms for the 512 × 256 view noise of one I2I step, twice a step.
 * On the native backend TensorFlow's own StatelessRandomNormal draws the same distribution on
 * the device in ~1 ms, deterministic in its seed. The numbers differ from tf.randomNormal's, so
 * this is used on the 'tensorflow' backend only (wasm keeps its recorded numbers).
 */
import { tf } from './tf';

/** The slice of tfjs-node's NodeJSKernelBackend used here (no types import: the addon may be absent). */
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.TensorInfo[]): tf.Tensor;
}

export function isNativeBackend(): boolean {
  return tf.getBackend() === 'tensorflow';
}

/**
 * N(0, stddev²) noise of `shape` drawn on the native device by StatelessRandomNormal with the
 * 64-bit seed (seed, salt). Throws on other backends. No gradient (it is a constant input).
 */
export function nativeRandomNormal<R extends tf.Rank>(
  shape: number[],
  stddev: number,
  seed: number,
  salt = 0,
): tf.Tensor<R> {
  if (!isNativeBackend()) throw new Error('nativeRandomNormal needs the tensorflow backend');
  const backend = tf.backend() as unknown as NativeBackend;
  const { TF_ATTR_TYPE, TF_FLOAT, TF_INT32 } = backend.binding;
  return tf.tidy(() => {
    const shapeT = tf.tensor1d(shape, 'int32');
    const seedT = tf.tensor1d([seed | 0, salt | 0], 'int32');
    const unit = backend.executeSingleOutput(
      'StatelessRandomNormal',
      [
        { name: 'dtype', type: TF_ATTR_TYPE, value: TF_FLOAT },
        { name: 'T', type: TF_ATTR_TYPE, value: TF_INT32 },
        { name: 'Tseed', type: TF_ATTR_TYPE, value: TF_INT32 },
      ],
      [shapeT, seedT],
    );
    return (stddev === 1 ? unit : tf.mul(unit, stddev)) as tf.Tensor<R>;
  });
}

/**
 * relu whose gradient is TensorFlow's ReluGrad (one kernel). tfjs's relu gradient is
 * dy · cast(step(x)), and tfjs-node's Step builds isNaN, greater, ones, fill, where and select
 * over the whole activation: eight kernels per layer per step. Same values (dy where x > 0, else 0).
 */
export const nativeRelu: (x: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.relu(x);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const backend = tf.backend() as unknown as NativeBackend;
        const { TF_ATTR_TYPE, TF_FLOAT } = backend.binding;
        // ReluGrad(gradients, features): features > 0 ⇔ relu(x) > 0.
        return backend.executeSingleOutput(
          'ReluGrad',
          [{ name: 'T', type: TF_ATTR_TYPE, value: TF_FLOAT }],
          [dy, saved[0]],
        );
      },
    };
  },
) as (x: tf.Tensor2D) => tf.Tensor2D;
