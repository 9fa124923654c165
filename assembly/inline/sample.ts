// One long row's Gumbel-Max draw, argmax_k(l_k + g_k) with g the noise of stream elements
// jr + k, the lowest such k on ties: what gumbel_max does for rows of SCREEN_MIN classes or
// more, and what gumbel_softmax (hard, index only), sample_tokens and the straight-through
// kernels use to get the same index bit for bit.
//
// Exact screening (rows of SCREEN_MIN classes or more): the noise costs two logarithms per
// class, but a cheap upper bound of it (inline/screen.ts) computed from the same random word
// rules out almost every class: only those whose bound reaches the best exact sum found so far
// get their exact noise. Same index as the full computation, bit for bit.
//
// Exact pruning (long rows whose logits spread wider than the noise can bridge, as LLM logits
// and masked vocabularies do): every noise value is below NOISE_BOUND = 22.875, so a class
// with float32(l_k + NOISE_BOUND) < t can never reach a sum t already found (rounding is
// monotone). Seeded with the sum at the largest logit, chunks of classes none of which can
// reach the running best are skipped without drawing their random words; in the others, the
// screen above picks the classes that get exact noise. The result is the same index, bit for bit, as
// the full computation: only work that cannot change it is skipped.

import { NOISE_BOUND, sf } from "./consts";
import { anyReaches, firstEqual, hmax, hmin, rowPtr } from "./row";
import { SCRATCH_BOUNDS, SCRATCH_GROUPS, SCRATCH_NOISE, SCRATCH_STAGE, SCRATCH_WORDS, STAGE_ROWS, scratch } from "./scratch";
import { noiseUpper, noiseUpper4 } from "./screen";
import { writeBits, writeGumbel } from "./stream";
import { gumbelFromBits } from "./transform";
import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF, checkRows, setFault } from "./validate";

/** Classes per chunk: the scratch holds this many noise values, words and bounds. */
export const CHUNK: i32 = 1024;
/** Below this spread of a row's logits nothing can be pruned (noise spans [-3.13, 22.87]). */
const PRUNE_SPREAD: f32 = 26.0;
/** Rows this long or longer are screened. */
export const SCREEN_MIN: i32 = 64;

/** The running best of a screened row: its exact sum and index. */
let tBest: f32 = -Infinity;
let iBest: i32 = -1;

/** Offers class i (sum t) to the running best; ties go to the lower index. */
// @ts-ignore: decorator
@inline
function offer(t: f32, i: i32): void {
  if (t > tBest || (t == tBest && i < iBest)) {
    tBest = t;
    iBest = i;
  }
}

/**
 * argmax_k(l_k + g_k) of one row of SCREEN_MIN classes or more, g the noise of stream
 * elements jr + k: pruned when the logits spread wider than the noise, else screened. The row
 * is validated in the passes that read it anyway: -1 for a row with a NaN or +Inf or only
 * -Inf, its fault recorded as checkRows records it (setFault).
 */
export function sampleRow(lr: usize, cols: i32, jr: u64, k0: u32, k1: u32): i32 {
  // A row of one chunk has nothing to prune: the chunk holding the best is never skipped.
  if (cols <= CHUNK) return screenedArgmax(lr, cols, jr, k0, k1, 0, false);
  const lmax = rowRange(lr, cols);
  if (lNaN || lmax == Infinity || lmax == -Infinity) {
    setFault(lNaN ? FAULT_NAN : lmax == Infinity ? FAULT_POS_INF : FAULT_ALL_NEG_INF);
    return -1;
  }
  return screenedArgmax(lr, cols, jr, k0, k1, lmax, lmax - lMin > PRUNE_SPREAD);
}

/**
 * sampleRow of each of `rows` rows (rows <= STAGE_ROWS), their indices to SCRATCH_STAGE, the
 * rows validated as they are read: returns -1, or the first bad row (its fault recorded) with
 * nothing written outside the scratch.
 */
function sampleRowsStaged(logits: usize, rows: i32, cols: i32, j0: u64, k0: u32, k1: u32): i32 {
  const stage = scratch(SCRATCH_STAGE);
  for (let r = 0; r < rows; r++) {
    const i = sampleRow(rowPtr(logits, r, cols), cols, j0 + <u64>r * <u64>cols, k0, k1);
    if (i < 0) return r;
    store<i32>(stage + (<usize>r << 2), i);
  }
  setFault(0);
  return -1;
}

/**
 * The Gumbel-Max index of each of `rows` rows of cols >= SCREEN_MIN classes (row r from stream
 * element j0 + r*cols): to dst as int32 values, or when `oneHot`, as one-hot rows of cols floats.
 * Returns -1, or the first bad row (a NaN, +Inf or all -Inf row) with dst untouched.
 *
 * The rows are drawn STAGE_ROWS at a time, each validated by the sampler's own passes as it
 * reads it, the batch's indices waiting in the scratch until all are drawn: no validation pass
 * of its own. With more than STAGE_ROWS rows a bad row in a later batch would be found after
 * earlier batches were written, so such calls validate every row first.
 */
export function sampleRowsTo(logits: usize, rows: i32, cols: i32, j0: u64, k0: u32, k1: u32, dst: usize, oneHot: bool): i32 {
  if (rows > STAGE_ROWS) {
    const bad = checkRows(logits, rows, cols);
    if (bad >= 0) return bad;
  }
  const stage = scratch(SCRATCH_STAGE);
  for (let r0 = 0; r0 < rows; r0 += STAGE_ROWS) {
    const n = min<i32>(STAGE_ROWS, rows - r0);
    const bad = sampleRowsStaged(rowPtr(logits, r0, cols), n, cols, j0 + <u64>r0 * <u64>cols, k0, k1);
    if (bad >= 0) return r0 + bad; // nothing written: only the first batch can hold a bad row
    if (!oneHot) {
      memory.copy(dst + (<usize>r0 << 2), stage, <usize>n << 2);
      continue;
    }
    for (let r = 0; r < n; r++) {
      const dr = rowPtr(dst, r0 + r, cols);
      memory.fill(dr, 0, <usize>cols << 2);
      store<f32>(dr + (<usize>load<i32>(stage + (<usize>r << 2)) << 2), 1.0);
    }
  }
  return -1;
}

/** The smallest logit of the row rowRange saw last, and whether that row holds a NaN. */
let lMin: f32 = Infinity;
let lNaN: bool = false;

/**
 * The largest of n logits (a zero as +0, as rowMax gives it; NaNs left out), the smallest to
 * lMin, whether there is a NaN to lNaN: all in one pass (pmax / pmin, one instruction each).
 */
function rowRange(x: usize, n: i32): f32 {
  let k = 0;
  let hi = -Infinity as f32;
  let lo = Infinity as f32;
  let nan = false;
  if (ASC_FEATURE_SIMD) {
    let mx = f32x4.splat(-Infinity);
    let mn = f32x4.splat(Infinity);
    let nv = i32x4.splat(0);
    for (; k + 8 <= n; k += 8) {
      const p = x + (<usize>k << 2);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      mx = f32x4.pmax(mx, f32x4.pmax(v0, v1));
      mn = f32x4.pmin(mn, f32x4.pmin(v0, v1));
      nv = v128.or(nv, v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)));
    }
    nan = v128.any_true(nv);
    hi = hmax(mx);
    lo = hmin(mn);
  }
  for (; k < n; k++) {
    const v = load<f32>(x + (<usize>k << 2));
    hi = select<f32>(v, hi, hi < v);
    lo = select<f32>(v, lo, v < lo);
    nan = nan || v != v;
  }
  lMin = lo;
  lNaN = nan;
  return hi + 0;
}

/**
 * argmax_k(l_k + g_k) of one row, chunk by chunk: the words of the chunk, their noise bounds
 * b_k = float32(l_k + upper(g_k)) >= l_k + g_k, then exact sums only where b_k reaches the
 * running best (the chunk's largest bound first, so the best rises at once). With `prune`,
 * seeded with the exact sum of the largest logit's class, and chunks none of whose classes can
 * reach the best even with the largest noise are skipped before their words are drawn.
 */
function screenedArgmax(lr: usize, cols: i32, jr: u64, k0: u32, k1: u32, lmax: f32, prune: bool): i32 {
  tBest = -Infinity;
  iBest = -1;
  if (prune) {
    // Seeded with the largest logit's exact sum, so that chunks can be skipped before their
    // words are drawn. (Without pruning each chunk seeds itself with its largest bound.)
    iBest = firstEqual(lr, cols, lmax);
    writeGumbel(scratch(SCRATCH_NOISE), 1, k0, k1, jr + <u64>iBest);
    tBest = lmax + load<f32>(scratch(SCRATCH_NOISE));
  }
  const bound = sf(NOISE_BOUND);
  for (let c = 0; c < cols; c += CHUNK) {
    const len = min<i32>(CHUNK, cols - c);
    const lc = lr + (<usize>c << 2);
    if (prune && !anyReaches(lc, len, bound, tBest)) continue;
    writeBits(scratch(SCRATCH_WORDS), len, k0, k1, jr + <u64>c);
    // Bounds and their maximum; a NaN logit gives a NaN bound.
    let k = 0;
    let bmax = -Infinity as f32;
    let nan = false;
    if (ASC_FEATURE_SIMD) {
      let m = f32x4.splat(-Infinity);
      let nv = i32x4.splat(0);
      for (; k + 16 <= len; k += 16) {
        const o = <usize>k << 2;
        const b0 = bound4(lc + o, scratch(SCRATCH_WORDS) + o, scratch(SCRATCH_BOUNDS) + o);
        const b1 = bound4(lc + o + 16, scratch(SCRATCH_WORDS) + o + 16, scratch(SCRATCH_BOUNDS) + o + 16);
        const b2 = bound4(lc + o + 32, scratch(SCRATCH_WORDS) + o + 32, scratch(SCRATCH_BOUNDS) + o + 32);
        const b3 = bound4(lc + o + 48, scratch(SCRATCH_WORDS) + o + 48, scratch(SCRATCH_BOUNDS) + o + 48);
        // Each group of sixteen keeps its four lane maxima, for the screen below.
        const g = f32x4.pmax(f32x4.pmax(b0, b1), f32x4.pmax(b2, b3));
        v128.store(scratch(SCRATCH_GROUPS) + <usize>k, g);
        m = f32x4.pmax(m, g);
        nv = v128.or(nv, v128.or(v128.or(f32x4.ne(b0, b0), f32x4.ne(b1, b1)), v128.or(f32x4.ne(b2, b2), f32x4.ne(b3, b3))));
      }
      for (; k + 4 <= len; k += 4) {
        const o = <usize>k << 2;
        const b = bound4(lc + o, scratch(SCRATCH_WORDS) + o, scratch(SCRATCH_BOUNDS) + o);
        m = f32x4.pmax(m, b);
        nv = v128.or(nv, f32x4.ne(b, b));
      }
      nan = v128.any_true(nv);
      bmax = hmax(m); // the largest bound that is not NaN
    }
    for (; k < len; k++) {
      const o = <usize>k << 2;
      const b = load<f32>(lc + o) + noiseUpper(load<u32>(scratch(SCRATCH_WORDS) + o));
      store<f32>(scratch(SCRATCH_BOUNDS) + o, b);
      bmax = select<f32>(b, bmax, bmax < b);
      nan = nan || b != b;
    }
    // A row of one chunk is validated here (longer ones by rowRange): a NaN or +Inf logit gives
    // a NaN or +Inf bound (the bounds of finite logits are finite), a row all -Inf bounds of -Inf.
    if (len == cols && (nan || bmax == Infinity || bmax == -Infinity)) {
      setFault(nan ? FAULT_NAN : bmax == Infinity ? FAULT_POS_INF : FAULT_ALL_NEG_INF);
      return -1;
    }
    if (bmax < tBest || bmax == -Infinity) continue; // nothing here can reach the best
    // Seed with the chunk's largest bound (the first group holding it, then the class in it),
    // then every class whose bound reaches the best.
    let s = 0;
    if (ASC_FEATURE_SIMD) {
      const bv = f32x4.splat(bmax);
      while (s + 16 <= len && !v128.any_true(f32x4.eq(v128.load(scratch(SCRATCH_GROUPS) + <usize>s), bv))) s += 16;
    }
    s += firstEqual(scratch(SCRATCH_BOUNDS) + (<usize>s << 2), len - s, bmax);
    offer(load<f32>(lc + (<usize>s << 2)) + gumbelFromBits(load<u32>(scratch(SCRATCH_WORDS) + (<usize>s << 2))), c + s);
    k = 0;
    if (ASC_FEATURE_SIMD) {
      // Groups of sixteen none of whose bounds reaches the best are passed over whole.
      for (; k + 16 <= len; k += 16) {
        if (!v128.any_true(f32x4.ge(v128.load(scratch(SCRATCH_GROUPS) + <usize>k), f32x4.splat(tBest)))) continue;
        for (let q = k; q < k + 16; q += 4) screen4(lc, q, c);
      }
      for (; k + 4 <= len; k += 4) screen4(lc, k, c);
    }
    for (; k < len; k++) screenOne(lc, k, c);
  }
  return iBest;
}

/** Four classes' bounds l + upper(g) from their logits and words, stored and returned. */
// @ts-ignore: decorator
@inline
function bound4(l: usize, words: usize, dst: usize): v128 {
  const b = f32x4.add(v128.load(l), noiseUpper4(v128.load(words)));
  v128.store(dst, b);
  return b;
}

/** Classes k .. k+3 of the chunk at c: screenOne each, if one of their bounds reaches the best. */
// @ts-ignore: decorator
@inline
function screen4(lc: usize, k: i32, c: i32): void {
  if (!v128.any_true(f32x4.ge(v128.load(scratch(SCRATCH_BOUNDS) + (<usize>k << 2)), f32x4.splat(tBest)))) return;
  for (let q = k; q < k + 4; q++) screenOne(lc, q, c);
}

/** Class k of the chunk at c: its exact sum, if its bound reaches the running best. */
// @ts-ignore: decorator
@inline
function screenOne(lc: usize, k: i32, c: i32): void {
  const o = <usize>k << 2;
  if (load<f32>(scratch(SCRATCH_BOUNDS) + o) >= tBest) offer(load<f32>(lc + o) + gumbelFromBits(load<u32>(scratch(SCRATCH_WORDS) + o)), c + k);
}
