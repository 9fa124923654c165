// One row of the LLM token sampler (sample_tokens, sample_tokens_axis): a temperature, then
// the top-k, top-p (nucleus) and min-p filters in this order (Hugging Face transformers'
// order), then Gumbel-Max over the tokens kept. The draw is exactly gumbel_max on the row
// s_k = l_k / T with every filtered token set to -Inf: the same noise (stream elements
// jr + k * step), the same index, bit for bit. step is 1 for a row (and for a line with a
// stream of its own); a line along a non-last axis drawn from the tensor's one stream has its
// classes `inner` elements apart (inline/strided.ts).
//
// Every filter keeps a set {k : l_k >= theta} (tokens with equal logits are kept or dropped
// together), and none sorts the row:
// - top-k: theta is the k-th largest logit (counting repeats). A lower bound first: the
//   smallest of the maxima of k disjoint blocks (each block holds an element at least that
//   large, so at least k do), which leaves a few candidates for an exact selection.
// - top-p: theta is the smallest logit whose tokens above it (strictly larger logits) carry
//   less than p of the mass of the tokens top-k kept, with masses e_k = exp((l_k - lmax) / T)
//   (softmax's bits). Over the whole row, a token with e_k <= (1 - p) Z / n cannot be kept
//   (the n tokens at or below it weigh at most (1 - p) Z), so only the others are selected.
// - min-p: keeps (l_k - lmax) / T >= log(minP), i.e. p_k >= minP * p_max.
// Selection is a three-way quickselect with masses (expected linear time). A row whose kept
// tokens are few draws noise for them alone; otherwise the filtered row is written out and
// sampled with gumbel_max's pruning (inline/sample.ts). Temperature 0 is greedy: the first largest logit.

import { expf } from "./exp";
import { logf } from "./log";
import { addArgmax, expShiftSum, firstEqual, rowMax } from "./row";
import { SCREEN_MIN, sampleRow } from "./sample";
import { SCRATCH_NOISE, scratch } from "./scratch";
import { writeGumbel } from "./stream";
import { writeGumbelStep } from "./strided";
import { invTemperature } from "./tau";
import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF, FAULT_SCALE } from "./validate";

/** A row's parameters, PARAM_BYTES: temperature, topK, topP, minP, key, first counter. */
export const P_TEMP: usize = 0; // f32, 0 = greedy
const P_TOPK: usize = 4; // i32, 0 (or >= cols) = off
const P_TOPP: usize = 8; // f32 in (0, 1], 1 = off
const P_MINP: usize = 12; // f32 in [0, 1], 0 = off
const P_K0: usize = 16;
const P_K1: usize = 20;
const P_JLO: usize = 24;
const P_JHI: usize = 28;
/** Bytes of sample_tokens' parameters per row: temperature (f32), topK (i32), topP, minP (f32), k0, k1, jLo, jHi (u32). */
export const PARAM_BYTES: i32 = 32;
/** Below this many columns per block, top-k's block bound is not worth its passes. */
const BLOCK_MIN: i32 = 64;
/** Kept tokens at most 1/DIRECT of the row: noise for them alone. */
const DIRECT: i32 = 32;
/** Pruning margin for top-p's cut (covers float rounding of the sums by far). */
const CUT_MARGIN: f32 = 0.999;

/** The bytes of work space sampleTokenRow needs for a row of `n`: the scaled row, candidates and selection pairs. */
// @ts-ignore: decorator
@inline
export function tokenRowWork(n: i32): i32 {
  return n * 20;
}

/**
 * Why a row (or line) whose largest logit is m (rowMax: NaN if it holds one) cannot be sampled
 * at temperature t: NaN, +Inf, all -Inf, or m / t overflowing float32; 0 when it can.
 */
// @ts-ignore: decorator
@inline
export function tokenFault(m: f32, t: f32): i32 {
  const s = t > 0 ? m / t : 0;
  if (m != m) return FAULT_NAN;
  if (m == Infinity) return FAULT_POS_INF;
  if (m == -Infinity) return FAULT_ALL_NEG_INF;
  if (s - s != 0) return FAULT_SCALE;
  return 0;
}

/**
 * The token of one validated row lr[0 .. n) with the parameters at p (PARAM_BYTES), using
 * tokenRowWork(n) bytes at work; noise of class k: stream element jr + k * step.
 */
export function sampleTokenRow(lr: usize, n: i32, p: usize, work: usize, step: u64): i32 {
  const t = load<f32>(p, P_TEMP);
  const lmax = rowMax(lr, n);
  if (t == 0) return firstEqual(lr, n, lmax);
  const topK = load<i32>(p, P_TOPK);
  const topP = load<f32>(p, P_TOPP);
  const minP = load<f32>(p, P_MINP);
  const k0 = load<u32>(p, P_K0);
  const k1 = load<u32>(p, P_K1);
  const jr = (<u64>load<u32>(p, P_JHI) << 32) | <u64>load<u32>(p, P_JLO);
  const useK = topK > 0 && topK < n;
  const useP = topP < 1;
  const useMin = minP > 0;
  const w = work; // n floats: the scaled row, or the masses
  const cand = work + (<usize>n << 2); // n pairs (logit, index), in index order
  const sel = work + (<usize>n << 3) + (<usize>n << 2); // n pairs (logit, mass) to select in
  if (!useK && !useP && !useMin) {
    if (t == 1) return argmaxRow(lr, n, jr, k0, k1, step);
    scaleInto(lr, w, n, t);
    return argmaxRow(w, n, jr, k0, k1, step);
  }
  const invT = invTemperature(t);
  let c: i32;
  let z: f64 = 0;
  if (useK) {
    c = gatherAtLeast(lr, n, blockBound(lr, n, topK), cand);
    for (let i = 0; i < c; i++) {
      store<f32>(pair(sel, i), load<f32>(pair(cand, i)));
      store<f32>(pair(sel, i), 1, 4);
    }
    c = keepAtLeast(cand, c, select(sel, c, <f64>topK));
  } else if (useP) {
    z = <f64>expShiftSum(lr, w, n, lmax, invT);
    c = gatherHeavy(lr, w, n, (<f32>1 - topP) * <f32>z / <f32>n * CUT_MARGIN, cand);
  } else {
    c = gatherMinP(lr, n, lmax, invT, logf(minP), cand);
  }
  if (useP) {
    // Masses of the candidates: exp((l - lmax) / T), as softmax computes them.
    let zk: f64 = 0;
    for (let i = 0; i < c; i++) {
      const l = load<f32>(pair(cand, i));
      const e = expf((l - lmax) * invT);
      store<f32>(pair(sel, i), l);
      store<f32>(pair(sel, i), e, 4);
      zk += <f64>e;
    }
    if (useK) z = zk;
    c = keepAtLeast(cand, c, select(sel, c, <f64>topP * z));
  }
  if (useMin) {
    const lm = logf(minP);
    let j = 0;
    for (let i = 0; i < c; i++) {
      const l = load<f32>(pair(cand, i));
      if ((l - lmax) * invT >= lm) {
        store<u64>(pair(cand, j), load<u64>(pair(cand, i)));
        j++;
      }
    }
    c = j;
  }
  return argmaxKept(lr, n, t, cand, c, w, jr, k0, k1, step);
}

/** Byte address of pair i (two 32-bit words) of a pair array. */
// @ts-ignore: decorator
@inline
function pair(a: usize, i: i32): usize {
  return a + (<usize>i << 3);
}

/** dst[k] = src[k] / t. */
function scaleInto(src: usize, dst: usize, n: i32, t: f32): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const tv = f32x4.splat(t);
    for (; k + 4 <= n; k += 4) {
      const o = <usize>k << 2;
      v128.store(dst + o, f32x4.div(v128.load(src + o), tv));
    }
  }
  for (; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)) / t);
}

/** argmax_k(x_k + g_k) with g the noise of stream elements jr + k * step: exactly gumbel_max's row (step 1). */
function argmaxRow(x: usize, n: i32, jr: u64, k0: u32, k1: u32, step: u64): i32 {
  if (n >= SCREEN_MIN) return sampleRow(x, n, jr, k0, k1, step);
  writeGumbelStep(scratch(SCRATCH_NOISE), n, k0, k1, jr, step);
  return addArgmax(x, scratch(SCRATCH_NOISE), scratch(SCRATCH_NOISE), n);
}

/**
 * A lower bound of the k-th largest logit: the smallest maximum of k disjoint blocks (-Inf
 * when blocks would be shorter than BLOCK_MIN).
 */
function blockBound(lr: usize, n: i32, k: i32): f32 {
  const b = n / k;
  if (b < BLOCK_MIN) return -Infinity;
  let t = Infinity as f32;
  for (let i = 0; i < k; i++) {
    const start = i * b;
    const len = i == k - 1 ? n - start : b;
    t = min<f32>(t, rowMax(lr + (<usize>start << 2), len));
  }
  return t;
}

/** Appends (l_k, k) for every l_k >= t to cand, in index order; returns the count. */
function gatherAtLeast(lr: usize, n: i32, t: f32, cand: usize): i32 {
  let c = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const tv = f32x4.splat(t);
    for (; k + 4 <= n; k += 4) {
      if (!v128.any_true(f32x4.ge(v128.load(lr + (<usize>k << 2)), tv))) continue;
      for (let q = k; q < k + 4; q++) {
        const l = load<f32>(lr + (<usize>q << 2));
        if (l >= t) c = push(cand, c, l, q);
      }
    }
  }
  for (; k < n; k++) {
    const l = load<f32>(lr + (<usize>k << 2));
    if (l >= t) c = push(cand, c, l, k);
  }
  return c;
}

/** Appends (l_k, k) for every mass e_k > cut to cand, in index order; returns the count. */
function gatherHeavy(lr: usize, e: usize, n: i32, cut: f32, cand: usize): i32 {
  let c = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(cut);
    for (; k + 4 <= n; k += 4) {
      if (!v128.any_true(f32x4.gt(v128.load(e + (<usize>k << 2)), cv))) continue;
      for (let q = k; q < k + 4; q++) {
        if (load<f32>(e + (<usize>q << 2)) > cut) c = push(cand, c, load<f32>(lr + (<usize>q << 2)), q);
      }
    }
  }
  for (; k < n; k++) {
    if (load<f32>(e + (<usize>k << 2)) > cut) c = push(cand, c, load<f32>(lr + (<usize>k << 2)), k);
  }
  return c;
}

/** Appends (l_k, k) for every (l_k - lmax) * invT >= lm (min-p) to cand, in index order. */
function gatherMinP(lr: usize, n: i32, lmax: f32, invT: f32, lm: f32, cand: usize): i32 {
  let c = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(lmax);
    const iv = f32x4.splat(invT);
    const lv = f32x4.splat(lm);
    for (; k + 4 <= n; k += 4) {
      const u = f32x4.mul(f32x4.sub(v128.load(lr + (<usize>k << 2)), mv), iv);
      if (!v128.any_true(f32x4.ge(u, lv))) continue;
      for (let q = k; q < k + 4; q++) {
        const l = load<f32>(lr + (<usize>q << 2));
        if ((l - lmax) * invT >= lm) c = push(cand, c, l, q);
      }
    }
  }
  for (; k < n; k++) {
    const l = load<f32>(lr + (<usize>k << 2));
    if ((l - lmax) * invT >= lm) c = push(cand, c, l, k);
  }
  return c;
}

// @ts-ignore: decorator
@inline
function push(cand: usize, c: i32, l: f32, k: i32): i32 {
  store<f32>(pair(cand, c), l);
  store<i32>(pair(cand, c), k, 4);
  return c + 1;
}

/** Keeps the pairs whose logit is >= theta, in order; returns the count. */
function keepAtLeast(cand: usize, c: i32, theta: f32): i32 {
  let j = 0;
  for (let i = 0; i < c; i++) {
    if (load<f32>(pair(cand, i)) >= theta) {
      store<u64>(pair(cand, j), load<u64>(pair(cand, i)));
      j++;
    }
  }
  return j;
}

/**
 * The smallest value v of pairs (value, mass) such that the pairs of values strictly larger
 * than v weigh less than `target` (> 0): a three-way quickselect that keeps the mass above
 * its window. Permutes the pairs.
 */
function select(a: usize, c: i32, target: f64): f32 {
  let lo = 0;
  let hi = c;
  let above: f64 = 0;
  let best = Infinity as f32;
  while (lo < hi) {
    const x = load<f32>(pair(a, lo));
    const y = load<f32>(pair(a, (lo + hi) >> 1));
    const z = load<f32>(pair(a, hi - 1));
    // Median of three.
    const pivot = max<f32>(min<f32>(x, y), min<f32>(max<f32>(x, y), z));
    // [lo, gt): > pivot, [gt, i): == pivot, [lt, hi): < pivot.
    let gt = lo;
    let i = lo;
    let lt = hi;
    let massGt: f64 = 0;
    let massEq: f64 = 0;
    while (i < lt) {
      const v = load<f32>(pair(a, i));
      if (v > pivot) {
        massGt += <f64>load<f32>(pair(a, i), 4);
        swapPairs(a, i, gt);
        gt++;
        i++;
      } else if (v < pivot) {
        lt--;
        swapPairs(a, i, lt);
      } else {
        massEq += <f64>load<f32>(pair(a, i), 4);
        i++;
      }
    }
    if (above + massGt < target) {
      // The pivot qualifies: the answer is it or a smaller value.
      best = pivot;
      above += massGt + massEq;
      lo = lt;
    } else {
      hi = gt;
    }
  }
  return best;
}

// @ts-ignore: decorator
@inline
function swapPairs(a: usize, i: i32, j: i32): void {
  const t = load<u64>(pair(a, i));
  store<u64>(pair(a, i), load<u64>(pair(a, j)));
  store<u64>(pair(a, j), t);
}

/**
 * Gumbel-Max over the kept tokens cand[0 .. c): argmax of l_k / t + g_k, the lowest index on
 * ties, as gumbel_max gives on the row with the others at -Inf.
 */
function argmaxKept(lr: usize, n: i32, t: f32, cand: usize, c: i32, w: usize, jr: u64, k0: u32, k1: u32, step: u64): i32 {
  if (c * DIRECT <= n) {
    let best = -1;
    let tBest = -Infinity as f32;
    for (let i = 0; i < c; i++) {
      const k = load<i32>(pair(cand, i), 4);
      writeGumbel(scratch(SCRATCH_NOISE), 1, k0, k1, jr + <u64>k * step);
      const s = load<f32>(pair(cand, i)) / t + load<f32>(scratch(SCRATCH_NOISE));
      if (s > tBest) {
        tBest = s;
        best = k;
      }
    }
    return best;
  }
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) v128.store(w + (<usize>k << 2), f32x4.splat(-Infinity));
  }
  for (; k < n; k++) store<f32>(w + (<usize>k << 2), -Infinity);
  for (let i = 0; i < c; i++) {
    store<f32>(w + (<usize>load<i32>(pair(cand, i), 4) << 2), load<f32>(pair(cand, i)) / t);
  }
  return argmaxRow(w, n, jr, k0, k1, step);
}
