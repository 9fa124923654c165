// softmax, log-softmax and log-sum-exp of x / tau, row by row. The row maximum m is
// subtracted first (x - m <= 0), so nothing overflows and -Inf entries give exactly 0.

import { logf } from "./inline/log";
import { expShiftSum, rowMax, rowPtr, scaleRow, shiftScaleSub } from "./inline/row";
import { invTemperature } from "./inline/tau";
import { checkRows } from "./inline/validate";

/**
 * dst = softmax(x / tau) per row: exp((x - m) / tau) / sum. Returns -1, or the first bad row
 * (nothing written).
 * @rows x:cols dst:cols
 * @validates
 */
export function softmax(x: usize, dst: usize, rows: i32, cols: i32, tau: f32): i32 {
  const bad = checkRows(x, rows, cols);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf row: nothing written
  const it = invTemperature(tau);
  for (let r = 0; r < rows; r++) {
    const xr = rowPtr(x, r, cols);
    const dr = rowPtr(dst, r, cols);
    const sum = expShiftSum(xr, dr, cols, rowMax(xr, cols), it);
    scaleRow(dr, cols, <f32>1.0 / sum);
  }
  return -1;
}

/**
 * dst = log_softmax(x / tau) per row: (x - m) / tau - log(sum). Returns -1, or the first bad
 * row (nothing written).
 * @rows x:cols dst:cols
 * @validates
 */
export function log_softmax(x: usize, dst: usize, rows: i32, cols: i32, tau: f32): i32 {
  const bad = checkRows(x, rows, cols);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf row: nothing written
  const it = invTemperature(tau);
  for (let r = 0; r < rows; r++) {
    const xr = rowPtr(x, r, cols);
    const m = rowMax(xr, cols);
    const sum = expShiftSum(xr, 0, cols, m, it);
    shiftScaleSub(xr, rowPtr(dst, r, cols), cols, m, it, logf(sum));
  }
  return -1;
}

/**
 * dst[r] = log sum_k exp(x[r, k] / tau) = m / tau + log(sum). Returns -1, or the first bad row
 * (nothing written).
 * @rows x:cols dst:1
 * @validates
 */
export function log_sum_exp(x: usize, dst: usize, rows: i32, cols: i32, tau: f32): i32 {
  const bad = checkRows(x, rows, cols);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf row: nothing written
  const it = invTemperature(tau);
  for (let r = 0; r < rows; r++) {
    const xr = rowPtr(x, r, cols);
    const m = rowMax(xr, cols);
    const sum = expShiftSum(xr, 0, cols, m, it);
    store<f32>(dst + (<usize>r << 2), m * it + logf(sum));
  }
  return -1;
}
