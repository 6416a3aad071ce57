/**
 * Losses as small functions, written in forms whose gradients exist on the wasm backend
 * (softplus instead of logSigmoid; logSumExp instead of gather-based cross-entropy).
 */
import { tf } from './tf';

/**
 * BPR: mean softplus(−scale·(s_ap − s_an)) = −log σ(scale·(s_ap − s_an)). Scores from
 * L2-normalised vectors live in [−1, 1]; `scale` (an inverse temperature) sharpens them.
 */
export function bprLoss(posScores: tf.Tensor1D, negScores: tf.Tensor1D, scale = 1): tf.Scalar {
  return tf.tidy<tf.Scalar>(() => tf.mean(tf.softplus(tf.mul(tf.sub(negScores, posScores), scale))));
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
  return tf.tidy<tf.Scalar>(() => {
    const pos = tf.reshape(rowDot(a, p), [-1, 1]);
    const sn = tf.matMul(a, neg, false, true);
    return tf.mean(tf.softplus(tf.mul(tf.sub(sn, pos), scale)));
  });
}
