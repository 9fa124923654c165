// The validation pass, run first by every kernel that reads logits, so that a bad row is
// reported before anything is written: per row, the maximum tells all three faults at once.
// Probabilities (log_probs) have their own pass: the maximum and the minimum.
// The fault found last is module state (one instance, here): check_fault() reads it.

import { rowMax, rowMin, rowPtr } from "./row";

/** The faults of a validation pass, as check_fault() reports them (0: none). */
export const FAULT_NAN: i32 = 1;
export const FAULT_POS_INF: i32 = 2;
export const FAULT_ALL_NEG_INF: i32 = 3;
/** sample_tokens: the row's largest logit divided by its temperature is not finite in float32. */
export const FAULT_SCALE: i32 = 4;
/** log_probs: a value that is not a finite probability >= 0 (NaN, negative, +Inf). */
export const FAULT_NOT_PROB: i32 = 5;
/** log_probs: no value of the row is positive (every class has probability 0). */
export const FAULT_ALL_ZERO: i32 = 6;

let lastFault: i32 = 0;

/**
 * Returns the first row whose maximum is NaN (a NaN in the row), +Inf (a +Inf in the row)
 * or -Inf (every element masked), or -1 when every row is fine; check_fault() (fault() here)
 * then says which.
 * @rows x:cols
 * @validates
 */
export function checkRows(x: usize, rows: i32, cols: i32): i32 {
  for (let r = 0; r < rows; r++) {
    const m = rowMax(rowPtr(x, r, cols), cols);
    if (m != m) lastFault = FAULT_NAN;
    else if (m == Infinity) lastFault = FAULT_POS_INF;
    else if (m == -Infinity) lastFault = FAULT_ALL_NEG_INF;
    else continue;
    return r;
  }
  lastFault = 0;
  return -1;
}

/**
 * The strided form of checkRows, for kernels whose classes run along a non-last axis: each of
 * the `rows` slices holds cols = classes * inner elements, class c of line j at c * inner + j.
 * Returns the first bad line, o * inner + j (slices in order, lines in order within one), or
 * -1; check_fault() then says which fault, as for checkRows. Four lines at a time where SIMD
 * is there (contiguous loads across j), one at a time otherwise.
 * @rows x:cols
 * @validates
 */
export function checkLines(x: usize, rows: i32, cols: i32, inner: i32): i32 {
  return scanLines(x, rows, cols, inner, false);
}

/**
 * The walk checkLines and checkProbLines share: slices in order, lines in order within one;
 * four adjacent lines screened at once where SIMD is there (contiguous loads across j), the
 * lines of a group that fails the screen (and every line otherwise) told by lineFault /
 * probLineFault, the first bad one returned with its fault recorded. Inlined with a constant
 * `prob`, so the choice folds away.
 */
// @ts-ignore: decorator
@inline
function scanLines(x: usize, rows: i32, cols: i32, inner: i32, prob: bool): i32 {
  const classes = cols / inner;
  const step = <usize>inner << 2;
  for (let o = 0; o < rows; o++) {
    const base = rowPtr(x, o, cols);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= inner; j += 4) {
        const p = base + (<usize>j << 2);
        if (!v128.any_true(prob ? probScreen4(p, classes, step) : lineScreen4(p, classes, step))) continue;
        for (let l = 0; l < 4; l++) {
          const q = p + (<usize>l << 2);
          const f = prob ? probLineFault(q, classes, step) : lineFault(q, classes, step);
          if (f == 0) continue;
          lastFault = f;
          return o * inner + j + l;
        }
      }
    }
    for (; j < inner; j++) {
      const q = base + (<usize>j << 2);
      const f = prob ? probLineFault(q, classes, step) : lineFault(q, classes, step);
      if (f == 0) continue;
      lastFault = f;
      return o * inner + j;
    }
  }
  lastFault = 0;
  return -1;
}

/** Four lines of logits: a lane is bad when it saw a NaN, a +Inf, or nothing above -Inf. */
function lineScreen4(p: usize, n: i32, step: usize): v128 {
  const m = lineMax4(p, n, step);
  return v128.or(v128.or(f32x4.ne(m, m), f32x4.eq(m, f32x4.splat(Infinity))), f32x4.eq(m, f32x4.splat(-Infinity)));
}

/** Four lines of probabilities: a lane is bad when it saw a NaN, a +Inf, a negative value, or nothing positive. */
function probScreen4(p: usize, n: i32, step: usize): v128 {
  let hi = f32x4.splat(-Infinity);
  let lo = f32x4.splat(Infinity);
  let nan = f32x4.splat(0);
  for (let c = 0; c < n; c++, p += step) {
    const v = v128.load(p);
    hi = f32x4.pmax(hi, v);
    lo = f32x4.pmin(lo, v);
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  const notProb = v128.or(v128.or(nan, f32x4.eq(hi, f32x4.splat(Infinity))), f32x4.lt(lo, f32x4.splat(0)));
  return v128.or(notProb, f32x4.le(hi, f32x4.splat(0)));
}

/**
 * The maxima of four adjacent lines of `n` values `step` bytes apart (lane l: the line at p + 4l):
 * pmax (one instruction; wasm's NaN-propagating max is a chain of them) with a NaN mask beside
 * it, so a lane that saw a NaN is NaN, as rowMax's value.
 */
export function lineMax4(p: usize, n: i32, step: usize): v128 {
  let m = f32x4.splat(-Infinity);
  let nan = f32x4.splat(0);
  for (let c = 0; c < n; c++, p += step) {
    const v = v128.load(p);
    m = f32x4.pmax(m, v);
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  return v128.bitselect(f32x4.splat(NaN), m, nan);
}

/** The largest of `n` values `step` bytes apart, NaN if one is, a zero as +0 (rowMax's value). */
export function lineMax(p: usize, n: i32, step: usize): f32 {
  let m = -Infinity as f32;
  let nan = false;
  for (let c = 0; c < n; c++, p += step) {
    const v = load<f32>(p);
    nan = nan || v != v;
    m = select<f32>(v, m, m < v);
  }
  return nan ? NaN : m + 0;
}

/** The fault of one line of `n` values `step` bytes apart (0: none), as checkRows tells it. */
function lineFault(p: usize, n: i32, step: usize): i32 {
  const m = lineMax(p, n, step);
  if (m != m) return FAULT_NAN;
  if (m == Infinity) return FAULT_POS_INF;
  if (m == -Infinity) return FAULT_ALL_NEG_INF;
  return 0;
}

/**
 * Returns the first row holding a value that is not a finite probability >= 0 (NaN, negative
 * or +Inf: FAULT_NOT_PROB; -0 is a zero) or no positive value (FAULT_ALL_ZERO), or -1 when
 * every row is fine; check_fault() then says which.
 */
export function checkProbRows(x: usize, rows: i32, cols: i32): i32 {
  for (let r = 0; r < rows; r++) {
    const p = rowPtr(x, r, cols);
    const m = rowMax(p, cols); // NaN if any is NaN
    if (m != m || m == Infinity || rowMin(p, cols) < 0) lastFault = FAULT_NOT_PROB;
    else if (m <= 0) lastFault = FAULT_ALL_ZERO;
    else continue;
    return r;
  }
  lastFault = 0;
  return -1;
}

/**
 * The strided form of checkProbRows (layout as checkLines): returns the first line, o * inner + j,
 * holding a value that is not a finite probability >= 0 (FAULT_NOT_PROB) or no positive value
 * (FAULT_ALL_ZERO), or -1; check_fault() then says which. Four lines at a time where SIMD is
 * there (contiguous loads across j), one at a time otherwise.
 */
export function checkProbLines(x: usize, rows: i32, cols: i32, inner: i32): i32 {
  return scanLines(x, rows, cols, inner, true);
}

/** The fault of one line of `n` probabilities `step` bytes apart (0: none), as checkProbRows tells it. */
function probLineFault(p: usize, n: i32, step: usize): i32 {
  let hi = -Infinity as f32;
  let notProb = false;
  for (let c = 0; c < n; c++, p += step) {
    const v = load<f32>(p);
    notProb = notProb || !(v >= 0 && v < Infinity); // NaN, negative or +Inf (-0 is a zero)
    hi = select<f32>(v, hi, hi < v);
  }
  if (notProb) return FAULT_NOT_PROB;
  if (hi <= 0) return FAULT_ALL_ZERO;
  return 0;
}

/** Records a fault found by a kernel's own validation pass (0: none). */
export function setFault(f: i32): void {
  lastFault = f;
}

/** The fault found by the last validation pass (0: none), one of FAULT_*. */
export function fault(): i32 {
  return lastFault;
}
