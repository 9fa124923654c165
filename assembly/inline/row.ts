// Passes over one row of float32 values, SIMD and scalar from one source.
//
// Sums have one canonical order, so that both binaries give the same bits: element k of a row
// goes to accumulator (k & 3) (one f32x4 lane each; the tail of a row that is not a multiple
// of 4 is padded with values that add nothing), and the four are combined as
// (a0 + a2) + (a1 + a3):
//
// ```text
// [a0, a1, a2, a3] + [a2, a3, a0, a1] => [a0+a2, a1+a3, ...] => (a0+a2) + (a1+a3)
// ```
// Maxima and argmaxima do not depend on order: the argmax is the lowest index whose value
// equals (==) the maximum.

import { FOUR, LANES, NEG_INF, ONE, POS_INF, ZERO, vf, vi } from "./consts";
import { expf, expf4, expfNear4 } from "./exp";
import { logf, logf4 } from "./log";
import { SCRATCH_WIDE, scratch } from "./scratch";
import { expShift4x4, expShiftNear4x4 } from "./wide";

// @ts-ignore: decorator
@inline
export function loadTail(p: usize, rem: i32, fill: f32): v128 {
  let v = f32x4.splat(fill);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (rem > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (rem > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// @ts-ignore: decorator
@inline
export function storeTail(p: usize, rem: i32, v: v128): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (rem > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (rem > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** The largest lane of v (never NaN). */
// @ts-ignore: decorator
@inline
export function hmax(v: v128): f32 {
  // No NaN here (sums of validated logits and finite noise): pmax, one instruction.
  const m = f32x4.pmax(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  const a = f32x4.extract_lane(m, 0);
  const b = f32x4.extract_lane(m, 1);
  return select<f32>(b, a, a < b);
}

/** The smallest lane of v (never NaN). */
// @ts-ignore: decorator
@inline
export function hmin(v: v128): f32 {
  const m = f32x4.pmin(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  const a = f32x4.extract_lane(m, 0);
  const b = f32x4.extract_lane(m, 1);
  return select<f32>(b, a, b < a);
}

/** Byte address of element k of a float32 (or 32-bit) array at p. */
// @ts-ignore: decorator
@inline
export function at(p: usize, k: i32): usize {
  return p + (<usize>k << 2);
}

/**
 * max_k x[k] (or min), -Inf (+Inf) for n = 0, NaN if any element is NaN, a zero result as +0.
 * Built on pmax/pmin (`a < b ? b : a`: one instruction, where wasm's NaN-propagating max is a
 * chain of eight) with a separate NaN mask; the value is then independent of order except for
 * the sign of a zero, which the final `+ 0` makes +0 (-0 + 0 = +0). So the four independent
 * accumulators (V8 does not unroll) and the scalar loop give the same bits. Inlined with a
 * constant `wantMax`, so the choice folds away.
 */
// @ts-ignore: decorator
@inline
function extreme(x: usize, n: i32, wantMax: bool): f32 {
  let k = 0;
  let m = wantMax ? -Infinity as f32 : Infinity as f32;
  let nan = false;
  if (ASC_FEATURE_SIMD) {
    let m0 = vf(wantMax ? NEG_INF : POS_INF);
    let m1 = m0;
    let m2 = m0;
    let m3 = m0;
    let bad = vf(ZERO);
    for (; k + 16 <= n; k += 16) {
      const p = at(x, k);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      m0 = wantMax ? f32x4.pmax(m0, v0) : f32x4.pmin(m0, v0);
      m1 = wantMax ? f32x4.pmax(m1, v1) : f32x4.pmin(m1, v1);
      m2 = wantMax ? f32x4.pmax(m2, v2) : f32x4.pmin(m2, v2);
      m3 = wantMax ? f32x4.pmax(m3, v3) : f32x4.pmin(m3, v3);
      bad = v128.or(bad, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
    }
    for (; k + 4 <= n; k += 4) {
      const v = v128.load(at(x, k));
      m0 = wantMax ? f32x4.pmax(m0, v) : f32x4.pmin(m0, v);
      bad = v128.or(bad, f32x4.ne(v, v));
    }
    const v = wantMax
      ? f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3))
      : f32x4.pmin(f32x4.pmin(m0, m1), f32x4.pmin(m2, m3));
    const h = wantMax ? f32x4.pmax(v, i32x4.shuffle(v, v, 2, 3, 0, 1)) : f32x4.pmin(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
    const a = f32x4.extract_lane(h, 0);
    const b = f32x4.extract_lane(h, 1);
    m = wantMax ? select<f32>(b, a, a < b) : select<f32>(b, a, b < a);
    nan = v128.any_true(bad);
  }
  for (; k < n; k++) {
    const v = load<f32>(at(x, k));
    m = wantMax ? select<f32>(v, m, m < v) : select<f32>(v, m, v < m);
    nan = nan || v != v;
  }
  return nan ? NaN : m + 0;
}

/** Byte offset of row r of a float32 matrix of `cols` columns at p. */
// @ts-ignore: decorator
@inline
export function rowPtr(p: usize, r: i32, cols: i32): usize {
  return p + ((<usize>r * <usize>cols) << 2);
}

/** max_k x[k]: -Inf for n = 0, NaN if any element is NaN. */
export function rowMax(x: usize, n: i32): f32 {
  return extreme(x, n, true);
}

/** min_k x[k]: +Inf for n = 0. */
export function rowMin(x: usize, n: i32): f32 {
  return extreme(x, n, false);
}

/**
 * dst[k] = a[k] + b[k] (dst may be b); returns the lowest k whose sum equals the row's
 * maximum, or -1 when every sum is -Inf.
 */
export function addArgmax(a: usize, b: usize, dst: usize, n: i32): i32 {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    let best = vf(NEG_INF);
    let bestIdx = i32x4.splat(-1);
    let idx = vi(LANES);
    for (; k + 4 <= n; k += 4) {
      const t = f32x4.add(v128.load(at(a, k)), v128.load(at(b, k)));
      v128.store(at(dst, k), t);
      const gt = f32x4.gt(t, best);
      best = v128.bitselect(t, best, gt);
      bestIdx = v128.bitselect(idx, bestIdx, gt);
      idx = i32x4.add(idx, vi(FOUR));
    }
    const rem = n - k;
    if (rem > 0) {
      const t = f32x4.add(loadTail(at(a, k), rem, -Infinity), loadTail(at(b, k), rem, 0));
      storeTail(at(dst, k), rem, t);
      const gt = f32x4.gt(t, best);
      best = v128.bitselect(t, best, gt);
      bestIdx = v128.bitselect(idx, bestIdx, gt);
    }
    const m = hmax(best);
    // Lowest index among the lanes holding the maximum (-1 lanes never hold a finite one).
    const cand = v128.bitselect(bestIdx, i32x4.splat(i32.MAX_VALUE), f32x4.eq(best, f32x4.splat(m)));
    const c = i32x4.min_s(cand, i32x4.shuffle(cand, cand, 2, 3, 0, 1));
    const r = min<i32>(i32x4.extract_lane(c, 0), i32x4.extract_lane(c, 1));
    return r == i32.MAX_VALUE || m == -Infinity ? -1 : r;
  } else {
    let best = -Infinity as f32;
    let bestIdx = -1;
    for (; k < n; k++) {
      const t = load<f32>(at(a, k)) + load<f32>(at(b, k));
      store<f32>(at(dst, k), t);
      if (t > best) {
        best = t;
        bestIdx = k;
      }
    }
    return bestIdx;
  }
}

/** expShift4 where every (x - m) * invTau is in [-87, 0] (expfNear4: the same bits). */
// @ts-ignore: decorator
@inline
export function expShiftNear4(x: v128, mv: v128, iv: v128): v128 {
  return expfNear4(f32x4.mul(f32x4.sub(x, mv), iv));
}

/** exp((x - m) * invTau) of four values (widened to sixteen in wide.ts). */
// @ts-ignore: decorator
@inline
export function expShift4(x: v128, mv: v128, iv: v128): v128 {
  return expf4(f32x4.mul(f32x4.sub(x, mv), iv));
}


/**
 * expShiftSum for a line of a strided layout, one element at a time: e = exp((x - m) * invTau)
 * for `n` values `step` bytes apart from p (stored to dst, `step` apart, unless dst is 0), the
 * sum in the canonical order (element k to accumulator k & 3). invTau = 1 gives exp(x - m)
 * exactly (a product by 1 is exact).
 */
export function lineExpSum(p: usize, dst: usize, n: i32, step: usize, m: f32, invTau: f32): f32 {
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
  let q = dst;
  for (let c = 0; c < n; c++, p += step, q += step) {
    const e = expf((load<f32>(p) - m) * invTau);
    if (dst) store<f32>(q, e);
    const lane = c & 3;
    if (lane == 0) a0 += e;
    else if (lane == 1) a1 += e;
    else if (lane == 2) a2 += e;
    else a3 += e;
  }
  return (a0 + a2) + (a1 + a3);
}

/**
 * e[k] = exp((src[k] - m) * invTau), stored to dst unless dst is 0; returns sum_k e[k] in the
 * canonical order. dst may be src.
 */
export function expShiftSum(src: usize, dst: usize, n: i32, m: f32, invTau: f32): f32 {
  return expShiftSumOf(src, dst, n, m, invTau, false);
}

/**
 * expShiftSum where every (src[k] - m) * invTau is known to be in [-87, 0] (no -Inf): the same
 * bits, with the cheaper exp (expfNear).
 */
export function expShiftSumNear(src: usize, dst: usize, n: i32, m: f32, invTau: f32): f32 {
  return expShiftSumOf(src, dst, n, m, invTau, true);
}

/** expShiftSum (near: expShiftSumNear), inlined with a constant `near`. */
// @ts-ignore: decorator
@inline
function expShiftSumOf(src: usize, dst: usize, n: i32, m: f32, invTau: f32, near: bool): f32 {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    const iv = f32x4.splat(invTau);
    let acc = vf(ZERO);
    for (; k + 16 <= n; k += 16) {
      const out = dst ? at(dst, k) : scratch(SCRATCH_WIDE);
      if (near) expShiftNear4x4(at(src, k), out, mv, iv);
      else expShift4x4(at(src, k), out, mv, iv);
      acc = f32x4.add(acc, v128.load(out, 0));
      acc = f32x4.add(acc, v128.load(out, 16));
      acc = f32x4.add(acc, v128.load(out, 32));
      acc = f32x4.add(acc, v128.load(out, 48));
    }
    for (; k + 4 <= n; k += 4) {
      const x = v128.load(at(src, k));
      const e = near ? expShiftNear4(x, mv, iv) : expShift4(x, mv, iv);
      if (dst) v128.store(at(dst, k), e);
      acc = f32x4.add(acc, e);
    }
    const rem = n - k;
    if (rem > 0) {
      // -Inf pads: exp gives +0, which adds nothing (expf; expfNear is never given a -Inf).
      const e = expShift4(loadTail(at(src, k), rem, -Infinity), mv, iv);
      if (dst) storeTail(at(dst, k), rem, e);
      acc = f32x4.add(acc, e);
    }
    return hsum(acc);
  } else {
    // A line of step 4: the same sums in the same order (expf, which gives expfNear's bits on
    // its interval; the scalar build never tracks the range that would choose it).
    return lineExpSum(src, dst, n, 4, m, invTau);
  }
}

/** dst[k] *= s. */
export function scaleRow(dst: usize, n: i32, s: f32): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const sv = f32x4.splat(s);
    for (; k + 4 <= n; k += 4) v128.store(at(dst, k), f32x4.mul(v128.load(at(dst, k)), sv));
  }
  for (; k < n; k++) store<f32>(at(dst, k), load<f32>(at(dst, k)) * s);
}

/** dst[k] = (src[k] - m) * invTau - c. dst may be src. */
export function shiftScaleSub(src: usize, dst: usize, n: i32, m: f32, invTau: f32, c: f32): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(m);
    const iv = f32x4.splat(invTau);
    const cv = f32x4.splat(c);
    for (; k + 4 <= n; k += 4) {
      v128.store(at(dst, k), f32x4.sub(f32x4.mul(f32x4.sub(v128.load(at(src, k)), mv), iv), cv));
    }
  }
  for (; k < n; k++) store<f32>(at(dst, k), (load<f32>(at(src, k)) - m) * invTau - c);
}

/** sum_k a[k] * b[k] in the canonical order. */
export function dotRow(a: usize, b: usize, n: i32): f32 {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; k + 4 <= n; k += 4) {
      acc = f32x4.add(acc, f32x4.mul(v128.load(at(a, k)), v128.load(at(b, k))));
    }
    const rem = n - k;
    if (rem > 0) acc = f32x4.add(acc, f32x4.mul(loadTail(at(a, k), rem, 0), loadTail(at(b, k), rem, 0)));
    return hsum(acc);
  } else {
    let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
    for (; k < n; k++) {
      const p = load<f32>(at(a, k)) * load<f32>(at(b, k));
      const lane = k & 3;
      if (lane == 0) a0 += p;
      else if (lane == 1) a1 += p;
      else if (lane == 2) a2 += p;
      else a3 += p;
    }
    return (a0 + a2) + (a1 + a3);
  }
}

/**
 * The softmax Jacobian-vector product and the gradient w.r.t. tau: dst[k] = (y[k] * (v[k] -
 * dot)) * invTau, and returns -sum_k dst[k] * log(y[k]) (terms with y[k] = 0 count as 0) in the
 * canonical order: the gradient w.r.t. tau, since log y = s - lse and sum_k dst[k] = 0.
 * Without dtau, softmaxGradRows below gives the same dst.
 */
export function softmaxGradRow(y: usize, v: usize, dst: usize, n: i32, dot: f32, invTau: f32): f32 {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const dv = f32x4.splat(dot);
    const iv = f32x4.splat(invTau);
    let acc = vf(ZERO);
    for (; k + 4 <= n; k += 4) {
      const yk = v128.load(at(y, k));
      const g = f32x4.mul(f32x4.mul(yk, f32x4.sub(v128.load(at(v, k)), dv)), iv);
      v128.store(at(dst, k), g);
      const pos = f32x4.gt(yk, vf(ZERO));
      acc = f32x4.add(acc, v128.and(f32x4.mul(g, logf4(v128.bitselect(yk, vf(ONE), pos))), pos));
    }
    const rem = n - k;
    if (rem > 0) {
      const yk = loadTail(at(y, k), rem, 0);
      const g = f32x4.mul(f32x4.mul(yk, f32x4.sub(loadTail(at(v, k), rem, 0), dv)), iv);
      storeTail(at(dst, k), rem, g);
      const pos = f32x4.gt(yk, vf(ZERO));
      acc = f32x4.add(acc, v128.and(f32x4.mul(g, logf4(v128.bitselect(yk, vf(ONE), pos))), pos));
    }
    return -hsum(acc);
  } else {
    let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
    for (; k < n; k++) {
      const yk = load<f32>(at(y, k));
      const g = (yk * (load<f32>(at(v, k)) - dot)) * invTau;
      store<f32>(at(dst, k), g);
      const pos = yk > 0;
      const p = pos ? g * logf(select<f32>(yk, 1, pos)) : <f32>0;
      const lane = k & 3;
      if (lane == 0) a0 += p;
      else if (lane == 1) a1 += p;
      else if (lane == 2) a2 += p;
      else a3 += p;
    }
    return -((a0 + a2) + (a1 + a3));
  }
}

// ---------------------------------------------------------------- the VJP / JVP of many rows, no dtau
//
// softmaxGradRows gives every row the bits of softmaxGradRow(y, v, dst, n, dotRow(v, y, n), ...)
// (the same operations per element: dot = <v, y> in the canonical order, then
// (y[k] * (v[k] - dot)) * invTau), at the speed of the memory:
// - no loadTail / storeTail: a row of n >= 4 columns is its full vectors before the last one,
//   then the vector of its last four elements (which overlaps the one before it when n % 4 != 0).
//   That last vector's products are moved so that the elements not yet summed go to the lanes of
//   their accumulators and the other lanes become +0 (LAST_LANES): the vector loadTail gives,
//   adding the same terms to the same accumulators (+0 adds nothing: an accumulator is never
//   -0). Its dst is computed before the row's other stores and stored after them, writing the
//   overlapped elements again with the values they already hold (so dst may be y or v, as in
//   gapped_st's in-place backward);
// - rows of 4 to 16 columns are loaded once and held in registers (shortGradRows);
// - longer rows: row r's write pass and row r+1's dot in one loop (gradPass), so that
//   the dot's chain of dependent adds (one accumulator: the canonical order) runs beside the
//   independent work of the write rather than alone;
// - rows of fewer than 4 columns, and the scalar build: one row at a time.

/**
 * i8x16.swizzle masks for a row's last vector (indices >= 16 give 0), by (n - 1) & 3:
 *
 * ```text
 * n % 4 = 1: [x0, x1, x2, x3] => [x3, 0, 0, 0]
 * n % 4 = 2: [x0, x1, x2, x3] => [x2, x3, 0, 0]
 * n % 4 = 3: [x0, x1, x2, x3] => [x1, x2, x3, 0]
 * n % 4 = 0: [x0, x1, x2, x3] => [x0, x1, x2, x3]
 * ```
 */
const LAST_LANES: usize = memory.data<u8>([
  12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
  8, 9, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
], 16);

/** v * y at byte offset o: one term of the dot (dotRow's order of the factors). */
// @ts-ignore: decorator
@inline
function dotTerm(y: usize, v: usize, o: usize): v128 {
  return f32x4.mul(v128.load(v + o), v128.load(y + o));
}

/** (y * (v - dot)) * invTau at byte offset o. */
// @ts-ignore: decorator
@inline
function gradTerm(y: usize, v: usize, o: usize, dv: v128, iv: v128): v128 {
  return f32x4.mul(f32x4.mul(v128.load(y + o), f32x4.sub(v128.load(v + o), dv)), iv);
}

/**
 * Rows of 4 * nv + 1 to 4 * nv + 4 columns (4 to 16): each row's vectors loaded once (nv full
 * ones, then the last), its dot, then its dst from the same registers. Inlined with a constant
 * nv: one straight loop body per length class.
 */
// @ts-ignore: decorator
@inline
function shortGradRows(y: usize, v: usize, dst: usize, rows: i32, cols: i32, iv: v128, lanes: v128, nv: i32): void {
  const stride = <usize>cols << 2;
  const ol = <usize>(cols - 4) << 2;
  for (let r = 0; r < rows; r++, y += stride, v += stride, dst += stride) {
    const y0 = nv > 0 ? v128.load(y) : vf(ZERO);
    const v0 = nv > 0 ? v128.load(v) : y0;
    const y1 = nv > 1 ? v128.load(y, 16) : y0;
    const v1 = nv > 1 ? v128.load(v, 16) : v0;
    const y2 = nv > 2 ? v128.load(y, 32) : y0;
    const v2 = nv > 2 ? v128.load(v, 32) : v0;
    const yl = v128.load(y + ol);
    const vl = v128.load(v + ol);
    let acc = vf(ZERO);
    if (nv > 0) acc = f32x4.add(acc, f32x4.mul(v0, y0));
    if (nv > 1) acc = f32x4.add(acc, f32x4.mul(v1, y1));
    if (nv > 2) acc = f32x4.add(acc, f32x4.mul(v2, y2));
    acc = f32x4.add(acc, i8x16.swizzle(f32x4.mul(vl, yl), lanes));
    // hsum, its result in every lane: [s0, s1, ...] => s0 + s1.
    const s = f32x4.add(acc, i32x4.shuffle(acc, acc, 2, 3, 0, 1));
    const dv = f32x4.add(i32x4.shuffle(s, s, 0, 0, 0, 0), i32x4.shuffle(s, s, 1, 1, 1, 1));
    if (nv > 0) v128.store(dst, f32x4.mul(f32x4.mul(y0, f32x4.sub(v0, dv)), iv));
    if (nv > 1) v128.store(dst, f32x4.mul(f32x4.mul(y1, f32x4.sub(v1, dv)), iv), 16);
    if (nv > 2) v128.store(dst, f32x4.mul(f32x4.mul(y2, f32x4.sub(v2, dv)), iv), 32);
    v128.store(dst + ol, f32x4.mul(f32x4.mul(yl, f32x4.sub(vl, dv)), iv));
  }
}

/**
 * One pass over rows of more than 16 columns: when `write`, the dst of the row at y, v given its
 * dot; when `next`, the dot of the row at yn, vn, returned. Inlined with constant flags: row 0's
 * dot alone, then row r's dst with row r+1's dot in one loop, then the last row's dst alone.
 */
// @ts-ignore: decorator
@inline
function gradPass(y: usize, v: usize, dst: usize, yn: usize, vn: usize, cols: i32, dot: f32, iv: v128, lanes: v128, write: bool, next: bool): f32 {
  const n = (cols - 1) & ~3; // the full vectors before the last one
  const ol = <usize>(cols - 4) << 2;
  const dv = f32x4.splat(dot);
  const last = write ? gradTerm(y, v, ol, dv, iv) : dv;
  let acc = vf(ZERO);
  let k = 0;
  for (; k + 16 <= n; k += 16) {
    const o = <usize>k << 2;
    if (next) acc = f32x4.add(acc, dotTerm(yn, vn, o));
    if (write) v128.store(dst + o, gradTerm(y, v, o, dv, iv));
    if (next) acc = f32x4.add(acc, dotTerm(yn, vn, o + 16));
    if (write) v128.store(dst + o, gradTerm(y, v, o + 16, dv, iv), 16);
    if (next) acc = f32x4.add(acc, dotTerm(yn, vn, o + 32));
    if (write) v128.store(dst + o, gradTerm(y, v, o + 32, dv, iv), 32);
    if (next) acc = f32x4.add(acc, dotTerm(yn, vn, o + 48));
    if (write) v128.store(dst + o, gradTerm(y, v, o + 48, dv, iv), 48);
  }
  for (; k < n; k += 4) {
    const o = <usize>k << 2;
    if (next) acc = f32x4.add(acc, dotTerm(yn, vn, o));
    if (write) v128.store(dst + o, gradTerm(y, v, o, dv, iv));
  }
  if (write) v128.store(dst + ol, last);
  return next ? hsum(f32x4.add(acc, i8x16.swizzle(dotTerm(yn, vn, ol), lanes))) : 0;
}

/** <v, y> in the canonical order, scalar: unrolled by four (element k to accumulator k & 3). */
// @ts-ignore: decorator
@inline
function scalarDot(y: usize, v: usize, n: i32): f32 {
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const p = at(v, k);
    const q = at(y, k);
    a0 += load<f32>(p) * load<f32>(q);
    a1 += load<f32>(p, 4) * load<f32>(q, 4);
    a2 += load<f32>(p, 8) * load<f32>(q, 8);
    a3 += load<f32>(p, 12) * load<f32>(q, 12);
  }
  if (k < n) a0 += load<f32>(at(v, k)) * load<f32>(at(y, k));
  if (k + 1 < n) a1 += load<f32>(at(v, k + 1)) * load<f32>(at(y, k + 1));
  if (k + 2 < n) a2 += load<f32>(at(v, k + 2)) * load<f32>(at(y, k + 2));
  return (a0 + a2) + (a1 + a3);
}

/**
 * The softmax Jacobian-vector product of `rows` rows, no dtau: dst[k] = (y[k] * (v[k] - dot)) *
 * invTau with dot = <v, y> of the row, the bits of softmaxGradRow after dotRow. dst may be y or v.
 */
export function softmaxGradRows(y: usize, v: usize, dst: usize, rows: i32, cols: i32, invTau: f32): void {
  if (rows <= 0) return;
  if (ASC_FEATURE_SIMD && cols >= 4) {
    const iv = f32x4.splat(invTau);
    const lanes = v128.load(LAST_LANES + (<usize>((cols - 1) & 3) << 4));
    const nv = (cols - 1) >> 2;
    if (nv == 0) shortGradRows(y, v, dst, rows, cols, iv, lanes, 0);
    else if (nv == 1) shortGradRows(y, v, dst, rows, cols, iv, lanes, 1);
    else if (nv == 2) shortGradRows(y, v, dst, rows, cols, iv, lanes, 2);
    else if (nv == 3) shortGradRows(y, v, dst, rows, cols, iv, lanes, 3);
    else {
      const stride = <usize>cols << 2;
      let dot = gradPass(0, 0, 0, y, v, cols, 0, iv, lanes, false, true);
      for (let r = 1; r < rows; r++, y += stride, v += stride, dst += stride) {
        dot = gradPass(y, v, dst, y + stride, v + stride, cols, dot, iv, lanes, true, true);
      }
      gradPass(y, v, dst, 0, 0, cols, dot, iv, lanes, true, false);
    }
  } else {
    // The scalar build, and rows of fewer than 4 columns: one row at a time.
    for (let r = 0; r < rows; r++, y = at(y, cols), v = at(v, cols), dst = at(dst, cols)) {
      const dot = ASC_FEATURE_SIMD ? dotRow(v, y, cols) : scalarDot(y, v, cols);
      for (let k = 0; k < cols; k++) store<f32>(at(dst, k), (load<f32>(at(y, k)) * (load<f32>(at(v, k)) - dot)) * invTau);
    }
  }
}

/** The lowest k with x[k] == v (-1 if none). */
export function firstEqual(x: usize, n: i32, v: f32): i32 {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const vv = f32x4.splat(v);
    for (; k + 4 <= n; k += 4) if (v128.any_true(f32x4.eq(v128.load(at(x, k)), vv))) break;
  }
  for (; k < n; k++) if (load<f32>(at(x, k)) == v) return k;
  return -1;
}

/** Whether some k < n has float32(x[k] + bound) >= t. */
export function anyReaches(x: usize, n: i32, bound: f32, t: f32): bool {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const bv = f32x4.splat(bound);
    const tv = f32x4.splat(t);
    for (; k + 4 <= n; k += 4) {
      if (v128.any_true(f32x4.ge(f32x4.add(v128.load(at(x, k)), bv), tv))) return true;
    }
  }
  for (; k < n; k++) if (load<f32>(at(x, k)) + bound >= t) return true;
  return false;
}
