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

import { check_rows } from "./check";
import { logf } from "./inline/log";
import { dotRow, expShiftSum, rowMax, scaleRow } from "./inline/row";
import { accumulateRow, gradAccumulateRow, oneHotRow, sampledClass, truncatedRow } from "./inline/straight";
import { writeGumbel } from "./inline/stream";
import { invTemperature, rowPtr } from "./inline/tau";

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

/** logsumexp of a validated row (finite maximum). */
// @ts-ignore: decorator
@inline
function logSumExpRow(lr: usize, cols: i32): f32 {
  const m = rowMax(lr, cols);
  return m + logf(expShiftSum(lr, 0, cols, m, 1));
}

/**
 * Forward: dst <- D (one-hot); when soft is not 0, soft <- mean_s y_s (S = samples >= 1).
 * Returns -1, or the first bad row (nothing written).
 */
export function gumbel_rao(
  logits: usize, dst: usize, soft: usize, rows: i32, cols: i32, tau: f32, samples: i32,
  k0: u32, k1: u32, jLo: u32, jHi: u32,
): i32 {
  const bad = check_rows(logits, rows, cols);
  if (bad >= 0) return bad;
  const it = invTemperature(tau);
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  for (let r = 0; r < rows; r++) {
    const lr = rowPtr(logits, r, cols);
    const dr = rowPtr(dst, r, cols);
    const jr = j0 + <u64>r * <u64>cols;
    const i = sampledClass(lr, cols, jr, k0, k1, dr);
    if (soft) {
      // The one-hot row is the workspace of the draws until the end.
      const sr = rowPtr(soft, r, cols);
      const logZ = logSumExpRow(lr, cols);
      for (let s = 0; s < samples; s++) {
        conditionalSoftmax(lr, dr, cols, i, logZ, it, s, jr, k0, k1);
        accumulateRow(sr, dr, cols, s == 0);
      }
      if (samples > 1) scaleRow(sr, cols, <f32>1.0 / <f32>samples);
    }
    oneHotRow(dr, cols, i);
  }
  return -1;
}

/**
 * Backward: dst <- (1/S) sum_s y_s * (dy - <dy, y_s>) / tau, the draws recomputed from the
 * stream. `work` holds one row (cols floats). Returns -1, or the first bad row.
 */
export function gumbel_rao_grad(
  logits: usize, dy: usize, dst: usize, work: usize, rows: i32, cols: i32, tau: f32, samples: i32,
  k0: u32, k1: u32, jLo: u32, jHi: u32,
): i32 {
  const bad = check_rows(logits, rows, cols);
  if (bad >= 0) return bad;
  const it = invTemperature(tau);
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  for (let r = 0; r < rows; r++) {
    const lr = rowPtr(logits, r, cols);
    const vr = rowPtr(dy, r, cols);
    const dr = rowPtr(dst, r, cols);
    const jr = j0 + <u64>r * <u64>cols;
    const i = sampledClass(lr, cols, jr, k0, k1, dr);
    const logZ = logSumExpRow(lr, cols);
    for (let s = 0; s < samples; s++) {
      conditionalSoftmax(lr, work, cols, i, logZ, it, s, jr, k0, k1);
      gradAccumulateRow(work, vr, dr, cols, dotRow(vr, work, cols), it, s == 0);
    }
    if (samples > 1) scaleRow(dr, cols, <f32>1.0 / <f32>samples);
  }
  return -1;
}
