// Probabilities to logits, for gumbel_softmax and gumbel_max on probabilities (the façade's
// `probs: true`): dst = log(probs), 0 -> -Inf (a mask). The façade writes dst into the call's
// staging, then runs the logits kernel on it: the same noise and the same bits as that kernel
// given these logits. The log is inline/log.ts's logf (< 1 ULP), the same bits in the SIMD and
// scalar builds, and the same as log_f32's.
//
// One pass over the rows as one run of rows * cols elements (no per-row setup, which would cost
// more than the log on short rows) writes the logs and notes any value that is not a finite
// probability >= 0; only then are rows looked at: for such a value, to find the first bad row,
// else for rows of zeros (all -Inf logs, found by the logits' own check).

import { logOrMaskRun } from "./inline/log";
import { FAULT_ALL_ZERO, checkProbRows, checkRows, setFault } from "./inline/validate";

/**
 * dst = log(probs), -Inf where a probability is 0 (or -0). Returns -1, or the first row holding
 * a value that is not a finite probability >= 0 (NaN, negative, +Inf) or no positive value
 * (check_fault(): FAULT_NOT_PROB, FAULT_ALL_ZERO). dst is the caller's work area: it is written
 * even when a row is refused (the façade's output is not).
 * @rows probs:cols dst:cols
 */
export function log_probs(probs: usize, dst: usize, rows: i32, cols: i32): i32 {
  const ok = logOrMaskRun(probs, dst, <usize>rows * <usize>cols);
  if (!ok) return checkProbRows(probs, rows, cols);
  // Every value is a finite probability >= 0: a row is bad only when it is all zeros.
  const bad = checkRows(dst, rows, cols);
  if (bad >= 0) setFault(FAULT_ALL_ZERO);
  return bad;
}
