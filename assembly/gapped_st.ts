// Gapped Straight-Through (GST; Fan, Chi, Rudnicky and Ramadge, "Training Discrete Deep
// Generative Models via Gapped Straight-Through Estimator", ICML 2022), as in the official
// code `gst_mover` (github.com/chijames/GST, model/basic.py, with its default detach=True).
//
// Forward value: D = one_hot(i), i = argmax_k(l_k + g_k) with g the noise of gumbel_max
// (the same index as gumbel_max). Surrogate: y = softmax(l' / tau) of the deterministically
// perturbed logits, m = max(l):
//   l'_i = m                          (`move`: the sampled class raised to the maximum)
//   l'_k = min(l_k, m - kappa), k != i (`move2`: every other class at least kappa below it)
// i.e. l' = l + (move - move2) with move and move2 held constant (no gradient through them).
// The official code also subtracts mean(l') before the softmax, which changes neither y nor
// its gradient (softmax is shift-invariant and its VJP sums to zero), so it is left out (it
// would also turn a -Inf mask into NaN). kappa defaults to 1 ("gst-1.0"); kappa < 0 selects
// the adaptive gap of "gst-p": kappa = -log(1 - p) / p, p = softmax(l)_i * (1 - 1e-5).
// VJP with upstream v: dlogits = y * (v - <v, y>) / tau. The backward recomputes i from
// (seed, offset).

import { expf } from "./inline/exp";
import { expShiftSum, rowMax, rowPtr, scaleRow, softmaxGradRows } from "./inline/row";
import { adaptiveGapOf, eachSampledRow, gapRow, oneHotRow } from "./inline/straight";

/**
 * GST-p's gap for the sampled class i: -log(1 - p) / p with p = softmax(l)_i * (1 - 1e-5)
 * (inline/straight.ts, adaptiveGapOf).
 */
// @ts-ignore: decorator
@inline
function adaptiveGap(lr: usize, cols: i32, m: f32, i: i32): f32 {
  const sum = expShiftSum(lr, 0, cols, m, 1);
  return adaptiveGapOf((expf(load<f32>(lr + (<usize>i << 2)) - m) / sum) * <f32>0.99999);
}

/** dst <- y = softmax(l' / tau) of the row at lr, given the sampled class i. */
// @ts-ignore: decorator
@inline
function gappedSoftmax(lr: usize, dst: usize, cols: i32, i: i32, kappa: f32, it: f32): void {
  const m = rowMax(lr, cols);
  const gap = kappa >= 0 ? kappa : adaptiveGap(lr, cols, m, i);
  gapRow(lr, dst, cols, m - gap);
  store<f32>(dst + (<usize>i << 2), m);
  // The maximum of l' is m.
  const sum = expShiftSum(dst, dst, cols, m, it);
  scaleRow(dst, cols, <f32>1.0 / sum);
}

/** One row. Forward (vr = 0): dr <- D, and soft's row <- y when aux (soft) is not 0. Backward: dr <- dlogits. */
function gappedRow(lr: usize, vr: usize, dr: usize, aux: usize, r: i32, cols: i32, it: f32, kappa: f32, i: i32, jr: u64, k0: u32, k1: u32): void {
  if (vr == 0) {
    if (aux) gappedSoftmax(lr, rowPtr(aux, r, cols), cols, i, kappa, it);
    oneHotRow(dr, cols, i);
    return;
  }
  gappedSoftmax(lr, dr, cols, i, kappa, it);
  // In place (dst = y): softmaxGradRows allows it.
  softmaxGradRows(dr, vr, dr, 1, cols, it);
}

/**
 * Forward when dy is 0: dst <- D (one-hot), and soft <- y when soft is not 0. Backward
 * otherwise: dst <- y * (dy - <dy, y>) / tau, y recomputed (soft unused). kappa < 0: adaptive.
 * Returns -1, or the first bad row (nothing written).
 * Two layouts, as gumbel_rao's: soft has a row per row in the forward, none in the backward.
 * @rows.forward logits:cols dy:cols dst:cols soft:cols
 * @rows.backward logits:cols dy:cols dst:cols soft:-
 * @validates
 */
export function gapped_st(
  logits: usize, dy: usize, dst: usize, soft: usize, rows: i32, cols: i32, tau: f32, kappa: f32,
  k0: u32, k1: u32, jLo: u32, jHi: u32,
): i32 {
  return eachSampledRow(logits, dy, dst, soft, rows, cols, tau, kappa, k0, k1, jLo, jHi, gappedRow);
}
