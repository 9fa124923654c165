// Gumbel-Rao: the Rao-Blackwellised straight-through Gumbel-Softmax estimator (Paulus,
// Maddison and Krause, "Rao-Blackwellizing the Straight-Through Gumbel-Softmax Gradient
// Estimator", ICLR 2021), as in the reference code `gumbel_rao` / `conditional_gumbel`
// (github.com/nshepperd/gumbel-rao-pytorch) and `rao_gumbel` in Fan et al.'s GST code.
//
// Forward value: D = one_hot(i), i = argmax_k(l_k + g_k) with g the noise of gumbel_max
// (stream elements j0 + r*cols + k): the same index as gumbel_max.
// Surrogate (what the gradient flows through): mean_s softmax(z^(s) / tau) over S draws of
// the Gumbel-perturbed logits conditioned on the argmax being i, with fresh noise g'
// (draw s: sub-stream 1 + s of the same elements, see inline/stream.ts):
//   logZ = logsumexp(l)
//   z_i = logZ + g'_i                                  (~ Gumbel(logZ), the max)
//   z_k = -logaddexp(-z_i, -(l_k + g'_k)), k != i      (Gumbel(l_k) truncated below z_i)
// The draws are held constant (no gradient through them, as the reference code's no_grad),
// so the VJP with upstream v is
//   dlogits = (1/S) sum_s y_s * (v - <v, y_s>) / tau,   y_s = softmax(z^(s) / tau).
// The backward recomputes D and the draws from (seed, offset): nothing is stored between.

import { logf } from "./inline/log";
import { dotRow, expShiftSum, rowMax, rowPtr, scaleRow } from "./inline/row";
import { accumulateRow, eachSampledRow, gradAccumulateRow, oneHotRow, truncatedRow } from "./inline/straight";
import { writeGumbel } from "./inline/stream";

/**
 * Draw s of row lr into w (cols floats): y_s = softmax(z^(s) / tau) given the sampled class i.
 * Stream elements jr .. jr+cols-1 of sub-stream 1 + s.
 */
// @ts-ignore: decorator
@inline
function conditionalSoftmax(lr: usize, w: usize, cols: i32, i: i32, logZ: f32, it: f32, s: i32, jr: u64, k0: u32, k1: u32): void {
  writeGumbel(w, cols, k0, k1, jr, <u32>(s + 1));
  const wi = w + (<usize>i << 2);
  const zi = logZ + load<f32>(wi);
  truncatedRow(lr, w, cols, zi);
  store<f32>(wi, zi);
  // The maximum of z is z_i: no pass to find it.
  const sum = expShiftSum(w, w, cols, zi, it);
  scaleRow(w, cols, <f32>1.0 / sum);
}

/**
 * One row. Forward (vr = 0): dr <- D, and when aux (soft) is not 0 its row <- mean_s y_s,
 * drawn in dr before the one-hot goes there. Backward: dr <- (1/S) sum_s y_s (v - <v, y_s>) / tau,
 * each draw in aux (one row of workspace).
 */
function raoRow(lr: usize, vr: usize, dr: usize, aux: usize, r: i32, cols: i32, it: f32, param: f32, i: i32, jr: u64, k0: u32, k1: u32): void {
  const samples = <i32>param;
  const forward = vr == 0;
  if (forward && !aux) {
    oneHotRow(dr, cols, i);
    return;
  }
  const m = rowMax(lr, cols);
  const logZ = m + logf(expShiftSum(lr, 0, cols, m, 1));
  const w = forward ? dr : aux;
  const acc = forward ? rowPtr(aux, r, cols) : dr;
  for (let s = 0; s < samples; s++) {
    conditionalSoftmax(lr, w, cols, i, logZ, it, s, jr, k0, k1);
    if (forward) accumulateRow(acc, w, cols, s == 0);
    else gradAccumulateRow(w, vr, acc, cols, dotRow(vr, w, cols), it, s == 0);
  }
  if (samples > 1) scaleRow(acc, cols, <f32>1.0 / <f32>samples);
  if (forward) oneHotRow(dr, cols, i);
}

/**
 * Forward when dy is 0: dst <- D (one-hot), and soft <- mean_s y_s when aux (soft) is not 0.
 * Backward otherwise: dst <- dlogits, aux one row of workspace. samples = S >= 1. Returns -1,
 * or the first bad row (nothing written).
 * Two layouts: the forward's aux (soft) has a row per row, the backward's is one row of
 * workspace for the whole call (not moved when the rows are split: each part running beside
 * another needs a row of its own).
 * @rows.forward logits:cols dy:cols dst:cols aux:cols
 * @rows.backward logits:cols dy:cols dst:cols aux:own
 * @validates
 */
export function gumbel_rao(
  logits: usize, dy: usize, dst: usize, aux: usize, rows: i32, cols: i32, tau: f32, samples: i32,
  k0: u32, k1: u32, jLo: u32, jHi: u32,
): i32 {
  return eachSampledRow(logits, dy, dst, aux, rows, cols, tau, <f32>samples, k0, k1, jLo, jHi, raoRow);
}
