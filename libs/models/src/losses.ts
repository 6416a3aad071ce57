/**
 * Losses as small functions, written in forms whose gradients exist on the wasm backend
 * (softplus instead of logSigmoid; logSumExp instead of gather-based cross-entropy).
 */
import { isNativeBackend } from './native-ops';
import { tf } from './tf';

type CustomArgs = Array<tf.Tensor | tf.GradSaveFunc>;

/**
 * BPR: mean softplus(−scale·(s_ap − s_an)) = −log σ(scale·(s_ap − s_an)). Scores from
 * L2-normalised vectors live in [−1, 1]; `scale` (an inverse temperature) sharpens them.
 */
export function bprLoss(posScores: tf.Tensor1D, negScores: tf.Tensor1D, scale = 1): tf.Scalar {
  return tf.tidy<tf.Scalar>(() => tf.mean(tf.softplus(tf.mul(tf.sub(negScores, posScores), scale))));
}

/**
 * mean softplus(x) (= mean −log σ(−x)) of a tensor. On the native backend with its gradient
 * written out, σ(x)·dy / size: tfjs's Mean gradient fills a ones tensor of x's shape in JS.
 */
export function meanSoftplus(x: tf.Tensor): tf.Scalar {
  if (!isNativeBackend()) return tf.mean(tf.softplus(x));
  const f = tf.customGrad((...args: CustomArgs) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.mean<tf.Scalar>(tf.softplus(input)),
      gradFunc: (dy: tf.Tensor, [inputS]: tf.Tensor[]) => tf.mul(tf.sigmoid(inputS), tf.div(dy, inputS.size)),
    };
  });
  return f(x);
}

/** Row-wise inner product of two N × d matrices → N. */
export function rowDot(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy<tf.Tensor1D>(() => tf.sum(tf.mul(a, b), 1));
}

/**
 * Symmetric InfoNCE over two views (N × d each, L2-normalised): logits = z1·z2ᵀ/τ; view i of
 * one side must pick view i of the other among all N in-batch candidates, both directions.
 */
export function infoNCELoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  if (isNativeBackend()) return infoNCEFused(z1, z2, temperature);
  return tf.tidy<tf.Scalar>(() => {
    const logits = tf.div<tf.Tensor2D>(tf.matMul(z1, z2, false, true), temperature);
    const n = logits.shape[0];
    const diag = tf.div(rowDot(z1, z2), temperature);
    const rows = tf.logSumExp(logits, 1);
    const cols = tf.logSumExp(logits, 0);
    const l = tf.add(tf.sub(rows, diag), tf.sub(cols, diag));
    return tf.div(tf.sum(l), 2 * n);
  });
}

/**
 * BPR against every sampled negative of the batch: anchors A (N × d), positives P (N × d),
 * globally sampled negatives Neg (M × d), all L2-normalised. Loss = mean over (i, j) of
 * softplus(scale·(a_i·n_j − a_i·p_i)): the same pairwise BPR objective with M random negatives
 * per anchor for the price of one N × M matmul.
 */
export function bprLossAllNegatives(a: tf.Tensor2D, p: tf.Tensor2D, neg: tf.Tensor2D, scale = 1): tf.Scalar {
  if (isNativeBackend()) return bprAllNegativesFused(a, p, neg, scale);
  return tf.tidy<tf.Scalar>(() => {
    const pos = tf.reshape(rowDot(a, p), [-1, 1]);
    const sn = tf.matMul(a, neg, false, true);
    return tf.mean(tf.softplus(tf.mul(tf.sub(sn, pos), scale)));
  });
}

// Native backend: the same two losses with their gradients written out. tfjs's chain rule
// through logSumExp, mean and the row dots takes ~60 kernels and fills ones tensors of the
// N × N logits in JS (Sum's and Mean's gradients); these take ~15 kernels, all on the device.
// The forward values are computed as above; the gradients agree to float rounding (losses.spec).

/** ∂/∂logits of the symmetric InfoNCE is (softmax by row + softmax by column − 2I) / 2N. */
function infoNCEFused(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  const n = z1.shape[0];
  const f = tf.customGrad((...args: CustomArgs) => {
    const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const logits = tf.div<tf.Tensor2D>(tf.matMul(a, b, false, true), temperature);
    const diag = tf.div(tf.sum(tf.mul(a, b), 1), temperature);
    const rows = tf.logSumExp(logits, 1);
    const cols = tf.logSumExp(logits, 0);
    const l = tf.add(tf.sub(rows, diag), tf.sub(cols, diag));
    save([a, b, logits, rows, cols]);
    return {
      value: tf.div<tf.Scalar>(tf.sum(l), 2 * n),
      gradFunc: (dy: tf.Tensor, [aS, bS, logitsS, rowsS, colsS]: tf.Tensor[]) => {
        const byRow = tf.exp(tf.sub(logitsS, tf.reshape(rowsS, [n, 1])));
        const byCol = tf.exp(tf.sub(logitsS, tf.reshape(colsS, [1, n])));
        const g = tf.mul<tf.Tensor2D>(tf.add(byRow, byCol), tf.div(dy, 2 * n * temperature));
        const diagCoef = tf.div(dy, n * temperature);
        return [
          tf.sub(tf.matMul(g, bS as tf.Tensor2D), tf.mul(bS, diagCoef)),
          tf.sub(tf.matMul(g, aS as tf.Tensor2D, true, false), tf.mul(aS, diagCoef)),
        ];
      },
    };
  });
  return f(z1, z2);
}

/** ∂/∂z of mean softplus(z), z = scale·(a·negᵀ − a·p), is σ(z)·scale / (N·M). */
function bprAllNegativesFused(a: tf.Tensor2D, p: tf.Tensor2D, neg: tf.Tensor2D, scale: number): tf.Scalar {
  const size = a.shape[0] * neg.shape[0];
  const f = tf.customGrad((...args: CustomArgs) => {
    const [aI, pI, nI, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const pos = tf.reshape(tf.sum(tf.mul(aI, pI), 1), [-1, 1]);
    const z = tf.mul(tf.sub(tf.matMul(aI, nI, false, true), pos), scale);
    save([aI, pI, nI, z]);
    return {
      value: tf.mean<tf.Scalar>(tf.softplus(z)),
      gradFunc: (dy: tf.Tensor, [aS, pS, nS, zS]: tf.Tensor[]) => {
        const s = tf.mul<tf.Tensor2D>(tf.sigmoid(zS), tf.mul(dy, scale / size));
        const perAnchor = tf.sum(s, 1, true); // −∂/∂(a·p) per anchor
        return [
          tf.sub(tf.matMul(s, nS as tf.Tensor2D), tf.mul(pS, perAnchor)),
          tf.neg(tf.mul(aS, perAnchor)),
          tf.matMul(s, aS, true, false),
        ];
      },
    };
  });
  return f(a, p, neg);
}
