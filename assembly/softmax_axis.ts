// The softmax family along a non-last axis: each of the `rows` slices holds cols = classes *
// inner elements, class c of line j at c * inner + j (a line: one categorical, its classes
// `inner` elements apart). Per line, every kernel here gives the bits the row kernel
// (softmax.ts, softmax_grad.ts) gives on that line laid out as a row:
// - the maximum is order-free (pmax / `m < v ? v : m`, no NaN after validation), and `+ 0`
//   makes a zero maximum +0 as rowMax does;
// - the same expf/expf4 and logf/logf4 (lane for lane the same operations: inline/exp.ts,
//   inline/log.ts), the same (x - m) * invTau, the same 1 / sum and products;
// - every sum in the canonical order of inline/row.ts: class k into accumulator k & 3, each in
//   class order, then (a0 + a2) + (a1 + a3). (The row kernels' 16-at-a-time passes keep that
//   order, lane k & 3 taking element k; their -Inf- or zero-padded tails only add +0 to an
//   accumulator, which changes no bits: an accumulator starts at +0 and never becomes -0.)
// Where SIMD is there, four adjacent lines j..j+3 go in the four lanes, loaded contiguously at
// class stride inner * 4 bytes (no gather, no transposed copy), and the lines left over when
// inner % 4 != 0 go as one group of fewer lanes (the others padded, never stored: lane for lane
// the same operations, so the same bits as a scalar pass); the scalar build takes one line at
// a time, in the same order as the row kernels' scalar loops.

import { expf, expf4 } from "./inline/exp";
import { logf, logf4 } from "./inline/log";
import { loadLanes, storeLanes } from "./inline/lanes";
import { lineExpSum, rowPtr } from "./inline/row";
import { invTemperature } from "./inline/tau";
import { checkLines, lineMax } from "./inline/validate";

// ---------------------------------------------------------------- four lines, one per lane
// Each helper takes `n` lines (1 to 4) and `full` (n == 4, a constant where it is inlined, so
// the choice folds away): a group of fewer than four (the lines left over when inner % 4 != 0)
// loads its lanes one by one, pads the others with 0 and never stores them.

/** The lines' maxima (a zero as +0). */
// @ts-ignore: decorator
@inline
function max4(p: usize, classes: i32, step: usize, n: i32, full: bool): v128 {
  let m = f32x4.splat(-Infinity);
  for (let c = 0; c < classes; c++, p += step) m = f32x4.pmax(m, loadLanes(p, n, full));
  return f32x4.add(m, f32x4.splat(0));
}

/**
 * e = exp((x - m) * invTau) for every class of the lines, stored to dst unless it is 0 (dst
 * may be x); returns the sums in the canonical order.
 */
// @ts-ignore: decorator
@inline
function expSum4(p: usize, dst: usize, classes: i32, step: usize, mv: v128, iv: v128, n: i32, full: bool): v128 {
  let a0 = f32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let q = dst;
  for (let c = 0; c < classes; c++, p += step, q += step) {
    const e = expf4(f32x4.mul(f32x4.sub(loadLanes(p, n, full), mv), iv));
    if (dst) storeLanes(q, e, n, full);
    const lane = c & 3;
    if (lane == 0) a0 = f32x4.add(a0, e);
    else if (lane == 1) a1 = f32x4.add(a1, e);
    else if (lane == 2) a2 = f32x4.add(a2, e);
    else a3 = f32x4.add(a3, e);
  }
  return f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3));
}

/** softmax_axis on n lines from p (x) and d (dst). */
// @ts-ignore: decorator
@inline
function softmaxLines(p: usize, d: usize, classes: i32, step: usize, iv: v128, n: i32, full: bool): void {
  const sum = expSum4(p, d, classes, step, max4(p, classes, step, n, full), iv, n, full);
  const s = f32x4.div(f32x4.splat(1), sum);
  for (let c = 0; c < classes; c++, d += step) storeLanes(d, f32x4.mul(loadLanes(d, n, full), s), n, full);
}

/** log_softmax_axis on n lines. */
// @ts-ignore: decorator
@inline
function logSoftmaxLines(p: usize, d: usize, classes: i32, step: usize, iv: v128, n: i32, full: bool): void {
  const mv = max4(p, classes, step, n, full);
  const lv = logf4(expSum4(p, 0, classes, step, mv, iv, n, full));
  for (let c = 0; c < classes; c++, p += step, d += step) {
    storeLanes(d, f32x4.sub(f32x4.mul(f32x4.sub(loadLanes(p, n, full), mv), iv), lv), n, full);
  }
}

/** log_sum_exp_axis on n lines (their n results to d, contiguous). */
// @ts-ignore: decorator
@inline
function logSumExpLines(p: usize, d: usize, classes: i32, step: usize, iv: v128, n: i32, full: bool): void {
  const mv = max4(p, classes, step, n, full);
  const lv = logf4(expSum4(p, 0, classes, step, mv, iv, n, full));
  storeLanes(d, f32x4.add(f32x4.mul(mv, iv), lv), n, full);
}

/** softmax_grad_axis on n lines (dtau: their n results, contiguous, or 0). */
// @ts-ignore: decorator
@inline
function gradLines(y: usize, v: usize, d: usize, dtau: usize, classes: i32, step: usize, iv: v128, n: i32, full: bool): void {
  const zero = f32x4.splat(0);
  // <v, y> in the canonical order.
  let b0 = zero;
  let b1 = zero;
  let b2 = zero;
  let b3 = zero;
  let p = y;
  let r = v;
  for (let c = 0; c < classes; c++, p += step, r += step) {
    const t = f32x4.mul(loadLanes(r, n, full), loadLanes(p, n, full));
    const lane = c & 3;
    if (lane == 0) b0 = f32x4.add(b0, t);
    else if (lane == 1) b1 = f32x4.add(b1, t);
    else if (lane == 2) b2 = f32x4.add(b2, t);
    else b3 = f32x4.add(b3, t);
  }
  const dv = f32x4.add(f32x4.add(b0, b2), f32x4.add(b1, b3));
  // dst, and the tau terms in the canonical order.
  let a0 = zero;
  let a1 = zero;
  let a2 = zero;
  let a3 = zero;
  p = y;
  r = v;
  for (let c = 0; c < classes; c++, p += step, r += step, d += step) {
    const yk = loadLanes(p, n, full);
    const g = f32x4.mul(f32x4.mul(yk, f32x4.sub(loadLanes(r, n, full), dv)), iv);
    storeLanes(d, g, n, full);
    if (dtau) {
      const pos = f32x4.gt(yk, zero);
      const t = v128.and(f32x4.mul(g, logf4(v128.bitselect(yk, f32x4.splat(1), pos))), pos);
      const lane = c & 3;
      if (lane == 0) a0 = f32x4.add(a0, t);
      else if (lane == 1) a1 = f32x4.add(a1, t);
      else if (lane == 2) a2 = f32x4.add(a2, t);
      else a3 = f32x4.add(a3, t);
    }
  }
  if (dtau) storeLanes(dtau, f32x4.neg(f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3))), n, full);
}

// ---------------------------------------------------------------- one line

/** softmax_grad_axis on one line: writes dst, returns dtau (computed only when withTau). */
function gradLine(y: usize, v: usize, d: usize, classes: i32, step: usize, invTau: f32, withTau: bool): f32 {
  let b0: f32 = 0, b1: f32 = 0, b2: f32 = 0, b3: f32 = 0;
  let p = y;
  let r = v;
  for (let c = 0; c < classes; c++, p += step, r += step) {
    const t = load<f32>(r) * load<f32>(p);
    const lane = c & 3;
    if (lane == 0) b0 += t;
    else if (lane == 1) b1 += t;
    else if (lane == 2) b2 += t;
    else b3 += t;
  }
  const dot = (b0 + b2) + (b1 + b3);
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
  p = y;
  r = v;
  for (let c = 0; c < classes; c++, p += step, r += step, d += step) {
    const yk = load<f32>(p);
    const g = (yk * (load<f32>(r) - dot)) * invTau;
    store<f32>(d, g);
    if (withTau) {
      const pos = yk > 0;
      const t = pos ? g * logf(select<f32>(yk, 1, pos)) : <f32>0;
      const lane = c & 3;
      if (lane == 0) a0 += t;
      else if (lane == 1) a1 += t;
      else if (lane == 2) a2 += t;
      else a3 += t;
    }
  }
  return -((a0 + a2) + (a1 + a3));
}

// ---------------------------------------------------------------- kernels

const SOFTMAX: i32 = 0;
const LOG_SOFTMAX: i32 = 1;
const LOG_SUM_EXP: i32 = 2;

/**
 * The three forward kernels' one loop (inlined with a constant `kind`, so its choices fold
 * away): validate, then per slice the lines four at a time (the group left over as fewer
 * lanes) where SIMD is there, else one at a time; a reduction writes `inner` values per slice.
 */
// @ts-ignore: decorator
@inline
function forwardAxis(kind: i32, x: usize, dst: usize, rows: i32, cols: i32, inner: i32, tau: f32): i32 {
  const bad = checkLines(x, rows, cols, inner);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf line: nothing written
  const it = invTemperature(tau);
  const classes = cols / inner;
  const step = <usize>inner << 2;
  for (let o = 0; o < rows; o++) {
    const xo = rowPtr(x, o, cols);
    const d0 = rowPtr(dst, o, kind == LOG_SUM_EXP ? inner : cols);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const iv = f32x4.splat(it);
      for (; j + 4 <= inner; j += 4) forwardLines(kind, xo + (<usize>j << 2), d0 + (<usize>j << 2), classes, step, iv, 4, true);
      if (j < inner) forwardLines(kind, xo + (<usize>j << 2), d0 + (<usize>j << 2), classes, step, iv, inner - j, false);
    } else {
      for (; j < inner; j++) forwardLine(kind, xo + (<usize>j << 2), d0 + (<usize>j << 2), classes, step, it);
    }
  }
  return -1;
}

// @ts-ignore: decorator
@inline
function forwardLines(kind: i32, p: usize, d: usize, classes: i32, step: usize, iv: v128, n: i32, full: bool): void {
  if (kind == SOFTMAX) softmaxLines(p, d, classes, step, iv, n, full);
  else if (kind == LOG_SOFTMAX) logSoftmaxLines(p, d, classes, step, iv, n, full);
  else logSumExpLines(p, d, classes, step, iv, n, full);
}

/** One line at p (classes `step` bytes apart) to d: the scalar build's pass. */
// @ts-ignore: decorator
@inline
function forwardLine(kind: i32, p: usize, d: usize, classes: i32, step: usize, it: f32): void {
  const m = lineMax(p, classes, step);
  if (kind == SOFTMAX) {
    const s = <f32>1.0 / lineExpSum(p, d, classes, step, m, it);
    for (let c = 0; c < classes; c++, d += step) store<f32>(d, load<f32>(d) * s);
  } else if (kind == LOG_SOFTMAX) {
    const l = logf(lineExpSum(p, 0, classes, step, m, it));
    for (let c = 0; c < classes; c++, p += step, d += step) store<f32>(d, (load<f32>(p) - m) * it - l);
  } else {
    store<f32>(d, m * it + logf(lineExpSum(p, 0, classes, step, m, it)));
  }
}

/**
 * dst = softmax(x / tau) along the class axis of each line (classes = cols / inner, `inner`
 * apart): exp((x - m) / tau) / sum. Returns -1, or the first bad line o * inner + j (nothing
 * written).
 * @rows x:cols dst:cols
 * @validates
 */
export function softmax_axis(x: usize, dst: usize, rows: i32, cols: i32, inner: i32, tau: f32): i32 {
  return forwardAxis(SOFTMAX, x, dst, rows, cols, inner, tau);
}

/**
 * dst = log_softmax(x / tau) along the class axis of each line: (x - m) / tau - log(sum).
 * Returns -1, or the first bad line (nothing written).
 * @rows x:cols dst:cols
 * @validates
 */
export function log_softmax_axis(x: usize, dst: usize, rows: i32, cols: i32, inner: i32, tau: f32): i32 {
  return forwardAxis(LOG_SOFTMAX, x, dst, rows, cols, inner, tau);
}

/**
 * dst[o * inner + j] = log sum_c exp(x[o, c, j] / tau) = m / tau + log(sum), one value per
 * line. Returns -1, or the first bad line (nothing written).
 * @rows x:cols dst:inner
 * @validates
 */
export function log_sum_exp_axis(x: usize, dst: usize, rows: i32, cols: i32, inner: i32, tau: f32): i32 {
  return forwardAxis(LOG_SUM_EXP, x, dst, rows, cols, inner, tau);
}

/**
 * The strided softmax_grad: along the class axis of each line, dst <- y * (v - <v, y>) / tau
 * (the VJP with upstream v, or the JVP with tangent v), and, when dtau is not 0,
 * dtau[o * inner + j] <- the gradient w.r.t. tau, -sum_c dst * log y (terms with y = 0 count
 * as 0), one value per line. Like softmax_grad it reads a softmax output and does not validate.
 * @rows y:cols v:cols dst:cols dtau:inner
 */
export function softmax_grad_axis(y: usize, v: usize, dst: usize, dtau: usize, rows: i32, cols: i32, inner: i32, tau: f32): void {
  const it = invTemperature(tau);
  const classes = cols / inner;
  const step = <usize>inner << 2;
  for (let o = 0; o < rows; o++) {
    const yo = rowPtr(y, o, cols);
    const vo = rowPtr(v, o, cols);
    const d0 = rowPtr(dst, o, cols);
    const t0 = dtau ? rowPtr(dtau, o, inner) : 0;
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const iv = f32x4.splat(it);
      for (; j + 4 <= inner; j += 4) {
        const off = <usize>j << 2;
        gradLines(yo + off, vo + off, d0 + off, dtau ? t0 + off : 0, classes, step, iv, 4, true);
      }
      if (j < inner) {
        const off = <usize>j << 2;
        gradLines(yo + off, vo + off, d0 + off, dtau ? t0 + off : 0, classes, step, iv, inner - j, false);
      }
    } else {
      for (; j < inner; j++) {
        const off = <usize>j << 2;
        const dt = gradLine(yo + off, vo + off, d0 + off, classes, step, it, dtau != 0);
        if (dtau) store<f32>(t0 + off, dt);
      }
    }
  }
}
