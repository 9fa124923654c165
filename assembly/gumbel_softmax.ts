// Gumbel-Softmax (Concrete) samples: y = softmax((logits + g) / tau), g the Gumbel noise of
// stream elements j0 + r*cols + k. Hard mode writes one_hot(argmax(logits + g)) instead, and
// the soft sample to `soft` when that pointer is not 0 (for the straight-through gradient);
// without `soft`, hard mode needs only the index, which Gumbel-Max's screen finds cheaply.

import { ACROSS_MAX, addInto, softmaxAcross4 } from "./inline/across";
import { NEG_INF, vf } from "./inline/consts";
import { addArgmax, expShiftSum, expShiftSumNear, firstEqual, hmax, loadTail, rowPtr, scaleRow, storeTail } from "./inline/row";
import { SCREEN_MIN, sampleRowsTo } from "./inline/sample";
import { SCRATCH_ACROSS_IDX, SCRATCH_WIDE, scratch } from "./inline/scratch";
import { NEAR_MIN } from "./inline/exp";
import { lastSumsMin, writeGumbel } from "./inline/stream";
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
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  // Only the indices are needed: Gumbel-Max's screened sampler, each row validated as it is
  // read, then the one-hots (sampleRowsTo).
  if (hard && !soft && cols >= SCREEN_MIN) return sampleRowsTo(logits, rows, cols, j0, k0, k1, dst, true);
  const bad = checkRows(logits, rows, cols);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf row: nothing written
  const it = invTemperature(tau);
  if (ASC_FEATURE_SIMD && !hard && rows == 1 && cols <= 16 - <i32>(j0 & 3)) {
    softShortRow(logits, dst, cols, it, k0, k1, j0);
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
      // Every exp argument (x - m) / tau in [-87, 0]: the cheaper exp, the same bits.
      const near = (lastSumsMin() - m) * it >= NEAR_MIN;
      finishRow(dr, hard ? firstEqual(dr, cols, m) : 0, m, soft ? rowPtr(soft, r0, cols) : 0, cols, it, hard, near);
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
 * logits + noise of one short row, lanes 4q .. 4q+3 (the noise of element k at g + 4k); lanes
 * past the row -Inf, whose exp is +0 (it adds nothing), as in addArgmax's tail.
 */
// @ts-ignore: decorator
@inline
function shortSum(lr: usize, g: usize, q: i32, cols: i32): v128 {
  const k = q << 2;
  const o = <usize>k << 2;
  if (k + 4 <= cols) return f32x4.add(v128.load(lr + o), v128.load(g + o));
  if (k >= cols) return vf(NEG_INF);
  return f32x4.add(loadTail(lr + o, cols - k, -Infinity), loadTail(g + o, cols - k, 0));
}

/**
 * One soft row of at most 16 - (j0 & 3) classes, its chain of latencies kept short: the row's
 * one Philox group, its noise written whole to scratch (four vectors, no copy element by
 * element), logits + noise and their maximum in registers, the exps of the four vectors side by
 * side and their sum (expShiftSum), the scaling in registers. The same operations on the same
 * values as the row-by-row path (addArgmax, expShiftSum, scaleRow), so the same bits: the
 * maximum is the value addArgmax's index points at (a zero's sign aside, which changes no
 * x - m but a zero, whose exp is 1 either way), and the sum adds the vectors in order from +0,
 * the lanes past the row (and whole vectors of them) adding +0.
 */
// @ts-ignore: decorator
@inline
function softShortRow(lr: usize, dr: usize, cols: i32, it: f32, k0: u32, k1: u32, j0: u64): void {
  const w = scratch(SCRATCH_WIDE);
  writeGumbel(w, 16, k0, k1, j0 & ~3);
  const g = w + (<usize>(j0 & 3) << 2);
  const x0 = shortSum(lr, g, 0, cols);
  const x1 = shortSum(lr, g, 1, cols);
  const x2 = shortSum(lr, g, 2, cols);
  const x3 = shortSum(lr, g, 3, cols);
  v128.store(w, x0, 0);
  v128.store(w, x1, 16);
  v128.store(w, x2, 32);
  v128.store(w, x3, 48);
  const m = hmax(f32x4.pmax(f32x4.pmax(x0, x1), f32x4.pmax(x2, x3)));
  const s = f32x4.splat(<f32>1.0 / expShiftSum(w, w, 16, m, it));
  const e0 = v128.load(w, 0);
  const e1 = v128.load(w, 16);
  const e2 = v128.load(w, 32);
  const e3 = v128.load(w, 48);
  shortStore(dr, f32x4.mul(e0, s), 0, cols);
  shortStore(dr, f32x4.mul(e1, s), 1, cols);
  shortStore(dr, f32x4.mul(e2, s), 2, cols);
  shortStore(dr, f32x4.mul(e3, s), 3, cols);
}

/** Lanes 4q .. 4q+3 of a short row to dr, those inside the row only. */
// @ts-ignore: decorator
@inline
function shortStore(dr: usize, y: v128, q: i32, cols: i32): void {
  const k = q << 2;
  const o = <usize>k << 2;
  if (k + 4 <= cols) v128.store(dr + o, y);
  else if (k < cols) storeTail(dr + o, cols - k, y);
}

/**
 * One row whose sums x = logits + g are in dr, their maximum m at index idx: dr <- the soft
 * sample softmax(x / tau), or when `hard` the one-hot at idx, with the soft sample in sr when
 * sr is not 0.
 */
function finishRow(dr: usize, idx: i32, m: f32, sr: usize, cols: i32, it: f32, hard: bool, near: bool = false): void {
  if (!hard) {
    scaleRow(dr, cols, <f32>1.0 / (near ? expShiftSumNear(dr, dr, cols, m, it) : expShiftSum(dr, dr, cols, m, it)));
    return;
  }
  if (sr) scaleRow(sr, cols, <f32>1.0 / (near ? expShiftSumNear(dr, sr, cols, m, it) : expShiftSum(dr, sr, cols, m, it)));
  memory.fill(dr, 0, <usize>cols << 2);
  store<f32>(dr + (<usize>idx << 2), 1.0);
}
