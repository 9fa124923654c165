// Softmax of four short rows at once, one row per lane (rows of fewer than ACROSS_MAX
// columns: inside a row, 10 columns fill two and a half vectors and leave a tail in every
// pass). The four rows' columns are gathered into a small transposed scratch, and every step
// does lane by lane exactly what the row-by-row passes of row.ts do element by element: the
// same first-maximum rule, the same exp, the sum in the same canonical order (column k into
// accumulator k & 3, then (a0 + a2) + (a1 + a3)), the same 1/sum and product. So the SIMD
// build, which takes this path, and the scalar build, which does not, give the same bits.

import { NEG_INF, ONE, ZERO, vf } from "./consts";
import { expShift4 } from "./row";
import { SCRATCH_ACROSS, SCRATCH_ACROSS_IDX, scratch } from "./scratch";
import { expShift4x4 } from "./wide";

/** Rows shorter than this go across. */
export const ACROSS_MAX: i32 = 16;

/**
 * Rows 0..3 of t (row-major, `cols` < ACROSS_MAX) hold logits + noise. Writes each row's
 * first argmax to scratch(SCRATCH_ACROSS_IDX) and, unless y is 0, the row's
 * softmax((t - max) * invTau) to y (row-major; y may be t). Column k of the four rows goes to
 * scratch(SCRATCH_ACROSS) + 16k.
 */
export function softmaxAcross4(t: usize, y: usize, cols: i32, invTau: f32): void {
  const stride = <usize>cols << 2;
  let best = vf(NEG_INF);
  let bestIdx = i32x4.splat(-1);
  let k = 0;
  for (; k < cols; k++) {
    const p = t + (<usize>k << 2);
    let v = f32x4.splat(load<f32>(p));
    v = f32x4.replace_lane(v, 1, load<f32>(p + stride));
    v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * stride));
    v = f32x4.replace_lane(v, 3, load<f32>(p + 3 * stride));
    v128.store(scratch(SCRATCH_ACROSS) + (<usize>k << 4), v);
    const gt = f32x4.gt(v, best);
    best = v128.bitselect(v, best, gt);
    bestIdx = v128.bitselect(i32x4.splat(k), bestIdx, gt);
  }
  v128.store(scratch(SCRATCH_ACROSS_IDX), bestIdx);
  if (!y) return;
  const iv = f32x4.splat(invTau);
  let a0 = vf(ZERO);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  // Four columns at a time (column k to accumulator k & 3), then the rest one by one.
  for (k = 0; k + 4 <= cols; k += 4) {
    const q = scratch(SCRATCH_ACROSS) + (<usize>k << 4);
    expShift4x4(q, q, best, iv);
    a0 = f32x4.add(a0, v128.load(q, 0));
    a1 = f32x4.add(a1, v128.load(q, 16));
    a2 = f32x4.add(a2, v128.load(q, 32));
    a3 = f32x4.add(a3, v128.load(q, 48));
  }
  for (; k < cols; k++) {
    const q = scratch(SCRATCH_ACROSS) + (<usize>k << 4);
    const e = expShift4(v128.load(q), best, iv);
    v128.store(q, e);
    const lane = k & 3;
    if (lane == 0) a0 = f32x4.add(a0, e);
    else if (lane == 1) a1 = f32x4.add(a1, e);
    else if (lane == 2) a2 = f32x4.add(a2, e);
    else a3 = f32x4.add(a3, e);
  }
  const inv = f32x4.div(vf(ONE), f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3)));
  for (k = 0; k < cols; k++) {
    const v = f32x4.mul(v128.load(scratch(SCRATCH_ACROSS) + (<usize>k << 4)), inv);
    const p = y + (<usize>k << 2);
    store<f32>(p, f32x4.extract_lane(v, 0));
    store<f32>(p + stride, f32x4.extract_lane(v, 1));
    store<f32>(p + 2 * stride, f32x4.extract_lane(v, 2));
    store<f32>(p + 3 * stride, f32x4.extract_lane(v, 3));
  }
}

/** dst[i] = a[i] + b[i] for n elements (dst may be b). */
export function addInto(a: usize, b: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(a + o) + load<f32>(b + o));
  }
}
