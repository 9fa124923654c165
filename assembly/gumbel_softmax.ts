// Gumbel-Softmax (Concrete) samples: y = softmax((logits + g) / tau), g the Gumbel noise of
// stream elements j0 + r*cols + k. Hard mode writes one_hot(argmax(logits + g)) instead, and
// the soft sample to `soft` when that pointer is not 0 (for the straight-through gradient);
// without `soft`, hard mode needs only the index, which Gumbel-Max's screen finds cheaply.

import { ACROSS_MAX, addInto, softmaxAcross4 } from "./inline/across";
import { addArgmax, expShiftSum, firstEqual, rowPtr, scaleRow } from "./inline/row";
import { SCREEN_MIN, sampleRow } from "./inline/sample";
import { SCRATCH_ACROSS_IDX, scratch } from "./inline/scratch";
import { writeGumbel } from "./inline/stream";
import { invTemperature } from "./inline/tau";
import { checkRows } from "./inline/validate";

/** Short rows draw their noise together, up to this many elements at a time. */
const GROUP: i32 = 1024;

/**
 * dst <- softmax((logits + g) / tau) per row; when `hard`, one_hot(argmax(logits + g)) instead,
 * and soft <- the soft sample when soft is not 0. Returns -1, or the first bad row (nothing
 * written).
 * @rows logits:cols dst:cols soft:cols
 * @validates
 */
export function gumbel_softmax(
  logits: usize, dst: usize, soft: usize, rows: i32, cols: i32, tau: f32, hard: bool,
  k0: u32, k1: u32, jLo: u32, jHi: u32,
): i32 {
  const bad = checkRows(logits, rows, cols);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf row: nothing written
  const it = invTemperature(tau);
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  if (hard && !soft && cols >= SCREEN_MIN) {
    // Only the index is needed: Gumbel-Max's screened sampler, then the one-hot.
    for (let r = 0; r < rows; r++) {
      const dr = rowPtr(dst, r, cols);
      const idx = sampleRow(rowPtr(logits, r, cols), cols, j0 + <u64>r * <u64>cols, k0, k1);
      memory.fill(dr, 0, <usize>cols << 2);
      store<f32>(dr + (<usize>idx << 2), 1.0);
    }
    return -1;
  }
  // Rows per draw: the noise of consecutive rows is consecutive in the stream and in dst, so
  // short rows share one draw (no partial Philox groups per row) and long rows draw alone,
  // adding their logits and finding their maximum in the same pass.
  const per = cols >= GROUP ? 1 : GROUP / cols;
  for (let r0 = 0; r0 < rows; r0 += per) {
    const r1 = min<i32>(rows, r0 + per);
    if (per == 1) {
      const dr = rowPtr(dst, r0, cols);
      const m = writeGumbel(dr, cols, k0, k1, j0 + <u64>r0 * <u64>cols, 0, rowPtr(logits, r0, cols));
      finishRow(dr, hard ? firstEqual(dr, cols, m) : 0, m, soft ? rowPtr(soft, r0, cols) : 0, cols, it, hard);
      continue;
    }
    // dst <- g for rows r0 .. r1-1.
    writeGumbel(rowPtr(dst, r0, cols), (r1 - r0) * cols, k0, k1, j0 + <u64>r0 * <u64>cols);
    let r = r0;
    if (ASC_FEATURE_SIMD && cols < ACROSS_MAX) {
      // Four short rows at a time, one per lane (same bits as the rows one by one below).
      for (; r + 4 <= r1; r += 4) {
        const dr = rowPtr(dst, r, cols);
        addInto(rowPtr(logits, r, cols), dr, dr, 4 * cols);
        const y = hard ? soft ? rowPtr(soft, r, cols) : 0 : dr;
        softmaxAcross4(dr, y, cols, it);
        if (hard) {
          memory.fill(dr, 0, <usize>cols << 4);
          for (let q = 0; q < 4; q++) {
            store<f32>(rowPtr(dr, q, cols) + (<usize>load<i32>(scratch(SCRATCH_ACROSS_IDX) + (<usize>q << 2)) << 2), 1.0);
          }
        }
      }
    }
    for (; r < r1; r++) {
      const dr = rowPtr(dst, r, cols);
      // dst <- logits + g, and the argmax of that sum.
      const idx = addArgmax(rowPtr(logits, r, cols), dr, dr, cols);
      finishRow(dr, idx, load<f32>(dr + (<usize>idx << 2)), soft ? rowPtr(soft, r, cols) : 0, cols, it, hard);
    }
  }
  return -1;
}

/**
 * One row whose sums x = logits + g are in dr, their maximum m at index idx: dr <- the soft
 * sample softmax(x / tau), or when `hard` the one-hot at idx, with the soft sample in sr when
 * sr is not 0.
 */
function finishRow(dr: usize, idx: i32, m: f32, sr: usize, cols: i32, it: f32, hard: bool): void {
  if (!hard) {
    scaleRow(dr, cols, <f32>1.0 / expShiftSum(dr, dr, cols, m, it));
    return;
  }
  if (sr) scaleRow(sr, cols, <f32>1.0 / expShiftSum(dr, sr, cols, m, it));
  memory.fill(dr, 0, <usize>cols << 2);
  store<f32>(dr + (<usize>idx << 2), 1.0);
}
