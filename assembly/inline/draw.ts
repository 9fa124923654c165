// Exact draws from the softmax of one row without noise per token: the building blocks of the
// token sampler (inline/tokens.ts, token stream layout 2).
//
// A token's weight is w_k = expf((l_k - lmax) * invT) (float32, softmax's bits); its law is
// w_k / sum_j w_j over the tokens a filter keeps. The filters keep upper sets of logits: a
// logit floor `theta` (top-k, top-p) and a floor `lq` on s_k = (l_k - lmax) * invT (min-p:
// log(minP); both monotone in l_k). Two exact ways to draw, both scalar in both binaries (so the
// SIMD and scalar builds give the same token), both from the row's own random blocks:
//
// - From a list (listDraw, rowDraw): the inverse CDF. One uniform u of 53 bits; the token is
//   the first whose cumulative weight (float64, list order) exceeds u * total.
// - By rejection from block maxima (rejectDraw), when the kept tokens are many: the row is cut
//   into blocks of B = 64 tokens (the last one padded with nothing) whose maxima bm_b one read
//   pass gives; ub_b = expf((bm_b - lmax) * invT) bounds every weight of block b. A try picks
//   block b with probability ub_b / sum ub (53-bit uniform against float64 prefix sums), a slot
//   of b uniformly (6 bits), and accepts its token k with probability w_k / ub_b (53-bit
//   uniform): P(k) is proportional to w_k. Since each block's largest token has w = ub_b, a try
//   succeeds with probability at least 1 / B whatever the row (64 tries on average at worst,
//   about 1-10 on LLM logits); after MAX_TRIES failures (probability below 1e-28) the draw
//   falls back to the exact inverse CDF over the row, which keeps the law exact.
//
// Exactness: up to float64 rounding of the sums and the 2^-53 resolution of the uniforms (a
// block or token of probability below about 1e-16 of the row's total is drawn at a rate off by
// that much), far below float32's rounding of the weights themselves.
//
// Random blocks: draw i of a row (i = 0, 1, ...; each try or inverse CDF takes the next) is
// the Philox block at counter (jr low word, jr high word, 0, 1 + i) with the row's key, where
// jr is the row's first stream element (offset + r * cols, or offsets[r]). Every other stream
// use has counter word 3 = 0 (inline/stream.ts), so these blocks are disjoint from all noise,
// and rows with different jr draw from disjoint blocks.

import { expf, expf4 } from "./exp";
import { philoxBlock } from "./philox";
import { at } from "./row";
import { SCRATCH_BLOCK, scratch } from "./scratch";
import { expShift4x4 } from "./wide";

/** Tokens per block (a power of two: a slot is the low LOG_B bits of a word). */
export const LOG_B: i32 = 6;
export const B: i32 = 1 << LOG_B;
/** Rejection tries before the exact fallback ((1 - 1/64)^4096 < 1e-28). */
const MAX_TRIES: i32 = 4096;
const TWO_M53: f64 = 1.1102230246251565e-16;

/** Blocks of a row of n tokens. */
// @ts-ignore: decorator
@inline
export function blockCount(n: i32): i32 {
  return (n + B - 1) >> LOG_B;
}

/**
 * The ways the sampler took since token_paths() last read them (bits, for the tests that make
 * every path run): inline/tokens.ts's PATH_* and the rejection fallback here.
 */
export let paths: i32 = 0;
export const PATH_REJECT_FALLBACK: i32 = 1 << 10;

/** The draw counter of the current row (reset by startDraws). */
let drawIndex: u32 = 0;
let key0: u32 = 0;
let key1: u32 = 0;
let rowJ: u64 = 0;

/** Starts a row's draws: key (k0, k1), first stream element jr, draw 0 next. */
export function startDraws(k0: u32, k1: u32, jr: u64): void {
  key0 = k0;
  key1 = k1;
  rowJ = jr;
  drawIndex = 0;
}

/** The row's next random block (four words at the returned address). */
function nextBlock(): usize {
  const dst = scratch(SCRATCH_BLOCK);
  philoxBlock(<u32>rowJ, <u32>(rowJ >> 32), 0, 1 + drawIndex, key0, key1, dst);
  drawIndex++;
  return dst;
}

/** A uniform in [0, 1) from 53 bits: hi's 32 and lo's top 21. */
// @ts-ignore: decorator
@inline
function u53(hi: u32, lo: u32): f64 {
  return <f64>((<u64>hi << 21) | (<u64>lo >> 11)) * TWO_M53;
}

/** Byte address of pair i (two 32-bit words: a logit and an index or weight) of a pair array. */
// @ts-ignore: decorator
@inline
export function pair(a: usize, i: i32): usize {
  return a + (<usize>i << 3);
}

/**
 * bm[b] = the largest logit of block b and sm[4 b + i] that of its sub-block i (16 tokens
 * each; +0 for a zero, -Inf for one past the row's end); returns the row's largest, or NaN if
 * the row holds a NaN (then the maxima are not to be used). One read of the row: the pass the
 * sampler cannot do without, which validates the row on the way (NaN here, +Inf and all -Inf
 * from the maximum: tokenFault).
 */
export function blockMaxima(x: usize, n: i32, bm: usize, sm: usize): f32 {
  const nb = blockCount(n);
  let m = -Infinity as f32;
  let nan = false;
  let b = 0;
  if (ASC_FEATURE_SIMD) {
    let bad = f32x4.splat(0);
    const zero = f32x4.splat(0);
    for (; b < n >> LOG_B; b++) {
      const p = x + (<usize>b << (LOG_B + 2));
      // a_i: the maximum of sub-block i (vectors 4 i .. 4 i + 3), lane-wise.
      let a0 = v128.load(p);
      let a1 = v128.load(p, 64);
      let a2 = v128.load(p, 128);
      let a3 = v128.load(p, 192);
      bad = v128.or(bad, v128.or(v128.or(f32x4.ne(a0, a0), f32x4.ne(a1, a1)), v128.or(f32x4.ne(a2, a2), f32x4.ne(a3, a3))));
      for (let q: usize = 16; q < 64; q += 16) {
        const v0 = v128.load(p + q);
        const v1 = v128.load(p + q, 64);
        const v2 = v128.load(p + q, 128);
        const v3 = v128.load(p + q, 192);
        bad = v128.or(bad, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
        a0 = f32x4.pmax(a0, v0);
        a1 = f32x4.pmax(a1, v1);
        a2 = f32x4.pmax(a2, v2);
        a3 = f32x4.pmax(a3, v3);
      }
      // [max a0, max a1, max a2, max a3] by two rounds of pairwise maxima.
      const u = f32x4.pmax(i32x4.shuffle(a0, a1, 0, 1, 4, 5), i32x4.shuffle(a0, a1, 2, 3, 6, 7));
      const w = f32x4.pmax(i32x4.shuffle(a2, a3, 0, 1, 4, 5), i32x4.shuffle(a2, a3, 2, 3, 6, 7));
      const z = f32x4.add(f32x4.pmax(i32x4.shuffle(u, w, 0, 2, 4, 6), i32x4.shuffle(u, w, 1, 3, 5, 7)), zero);
      v128.store(sm + (<usize>b << 4), z);
      const h = f32x4.pmax(z, i32x4.shuffle(z, z, 2, 3, 0, 1));
      const c = f32x4.extract_lane(h, 0);
      const d = f32x4.extract_lane(h, 1);
      const mb = select<f32>(d, c, c < d);
      store<f32>(at(bm, b), mb);
      m = select<f32>(mb, m, m < mb);
    }
    nan = v128.any_true(bad);
  }
  for (; b < nb; b++) {
    let mb = -Infinity as f32;
    for (let i = 0; i < 4; i++) {
      const end = min<i32>(n, (b << LOG_B) + (i + 1) * 16);
      let ms = -Infinity as f32;
      for (let k = (b << LOG_B) + i * 16; k < end; k++) {
        const v = load<f32>(at(x, k));
        ms = select<f32>(v, ms, ms < v);
        nan = nan || v != v;
      }
      ms += 0;
      store<f32>(at(sm, (b << 2) + i), ms);
      mb = select<f32>(ms, mb, mb < ms);
    }
    store<f32>(at(bm, b), mb);
    m = select<f32>(mb, m, m < mb);
  }
  return nan ? NaN : m;
}

/**
 * sb[b] = an upper bound of block b's weight: the sum over its sub-blocks of 16 2^floor(y)
 * (1 + frac(y)), y = (sm - lmax) invT log2(e) (coldMass' bound of 2^y) clamped at -126, in
 * float32 lanes combined as (a0 + a2) + (a1 + a3): the same bits in both binaries.
 */
export function subBlockBounds(sm: usize, nb: i32, lmax: f32, invT: f32, sb: usize): void {
  const scale: f32 = invT * 1.44269504088896341;
  for (let b = 0; b < nb; b++) {
    let s: f32;
    if (ASC_FEATURE_SIMD) {
      const y = f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(sm + (<usize>b << 4)), f32x4.splat(lmax)), f32x4.splat(scale)), f32x4.splat(-126));
      const fl = f32x4.floor(y);
      const pow = i32x4.shl(i32x4.add(f32x4.add(fl, f32x4.splat(12582912)), i32x4.splat(127 - 0x4b400000)), 23);
      const e = f32x4.mul(pow, f32x4.add(f32x4.sub(y, fl), f32x4.splat(1)));
      const h = f32x4.add(e, i32x4.shuffle(e, e, 2, 3, 0, 1));
      s = f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1);
    } else {
      const e0 = bitExp(load<f32>(at(sm, b << 2)), lmax, scale);
      const e1 = bitExp(load<f32>(at(sm, (b << 2) + 1)), lmax, scale);
      const e2 = bitExp(load<f32>(at(sm, (b << 2) + 2)), lmax, scale);
      const e3 = bitExp(load<f32>(at(sm, (b << 2) + 3)), lmax, scale);
      s = (e0 + e2) + (e1 + e3);
    }
    store<f32>(at(sb, b), s * 16);
  }
}

/** 2^floor(y) (1 + frac(y)) >= 2^y for y = (l - lmax) * scale clamped at -126 (the f32x4 steps, scalar). */
// @ts-ignore: decorator
@inline
function bitExp(l: f32, lmax: f32, scale: f32): f32 {
  const y = max<f32>((l - lmax) * scale, -126);
  const fl = Mathf.floor(y);
  return reinterpret<f32>((<i32>fl + 127) << 23) * ((y - fl) + 1);
}

/** ub[b] = expf((bm[b] - lmax) * invT): the bound of block b's weights (same bits in both binaries). */
export function blockWeights(bm: usize, ub: usize, nb: i32, lmax: f32, invT: f32): void {
  let b = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(lmax);
    const iv = f32x4.splat(invT);
    for (; b + 16 <= nb; b += 16) expShift4x4(at(bm, b), at(ub, b), mv, iv); // four chains side by side
    for (; b + 4 <= nb; b += 4) v128.store(at(ub, b), expf4(f32x4.mul(f32x4.sub(v128.load(at(bm, b)), mv), iv)));
  }
  for (; b < nb; b++) store<f32>(at(ub, b), expf((load<f32>(at(bm, b)) - lmax) * invT));
}

/** Whether a logit l passes the floors: l >= theta and (l - lmax) * invT >= lq. */
// @ts-ignore: decorator
@inline
export function passes(l: f32, theta: f32, lmax: f32, invT: f32, lq: f32): bool {
  return l >= theta && (l - lmax) * invT >= lq;
}

/** The number of blocks whose maximum passes the floors. */
export function countBlocks(bm: usize, nb: i32, theta: f32, lmax: f32, invT: f32, lq: f32): i32 {
  let q = 0;
  for (let b = 0; b < nb; b++) q += <i32>passes(load<f32>(at(bm, b)), theta, lmax, invT, lq);
  return q;
}

/**
 * Appends (l_k, k) for every token passing the floors to cand, in index order, scanning only
 * the blocks whose maximum passes (four tokens at a time where SIMD is there); returns the
 * count. Also bounds the weight of the tokens it leaves in those blocks: belowMass = the sum
 * over their sub-blocks (16 tokens) of (16 - tokens gathered) * the weight of the largest token
 * left, sub-block by sub-block in order (the same bits in both binaries).
 */
export function gatherBlocks(x: usize, n: i32, bm: usize, nb: i32, theta: f32, lmax: f32, invT: f32, lq: f32, cand: usize): i32 {
  let c = 0;
  let below: f64 = 0;
  for (let b = 0; b < nb; b++) {
    if (!passes(load<f32>(at(bm, b)), theta, lmax, invT, lq)) continue;
    for (let i = 0; i < 4; i++) {
      const start = (b << LOG_B) + i * 16;
      const end = min<i32>(n, start + 16);
      const c0 = c;
      let k = start;
      let left = -Infinity as f32; // the largest token left
      if (ASC_FEATURE_SIMD) {
        if (end - start == 16) {
          const tv = f32x4.splat(theta);
          const mv = f32x4.splat(lmax);
          const iv = f32x4.splat(invT);
          const qv = f32x4.splat(lq);
          let lv = f32x4.splat(-Infinity);
          for (; k < end; k += 4) {
            const v = v128.load(at(x, k));
            const ok = v128.and(f32x4.ge(v, tv), f32x4.ge(f32x4.mul(f32x4.sub(v, mv), iv), qv));
            lv = f32x4.pmax(lv, v128.bitselect(lv, v, ok));
            if (!v128.any_true(ok)) continue;
            for (let j = k; j < k + 4; j++) c = pushPassing(x, j, theta, lmax, invT, lq, cand, c);
          }
          const h = f32x4.pmax(lv, i32x4.shuffle(lv, lv, 2, 3, 0, 1));
          left = max<f32>(f32x4.extract_lane(h, 0), f32x4.extract_lane(h, 1));
        }
      }
      for (; k < end; k++) {
        const l = load<f32>(at(x, k));
        if (!passes(l, theta, lmax, invT, lq)) left = max<f32>(left, l);
        c = pushPassing(x, k, theta, lmax, invT, lq, cand, c);
      }
      below += <f64>(16 - (c - c0)) * <f64>expf((left - lmax) * invT);
    }
  }
  belowMass = below;
  return c;
}

/** gatherBlocks' bound of the weight it left in the blocks it scanned. */
export let belowMass: f64 = 0;

// @ts-ignore: decorator
@inline
function pushPassing(x: usize, k: i32, theta: f32, lmax: f32, invT: f32, lq: f32, cand: usize, c: i32): i32 {
  const l = load<f32>(at(x, k));
  if (!passes(l, theta, lmax, invT, lq)) return c;
  store<f32>(pair(cand, c), l);
  store<i32>(pair(cand, c), k, 4);
  return c + 1;
}

/**
 * The exact mass sum_k w_k of a row, w_k = expf((l_k - lmax) * invT) written to wts[k], in
 * float64 with one canonical order (token k into accumulator k & 3, combined as
 * (a0 + a2) + (a1 + a3)): the same bits in both binaries.
 */
export function rowMass(x: usize, n: i32, lmax: f32, invT: f32, wts: usize): f64 {
  blockWeights(x, wts, n, lmax, invT); // the same map: dst[k] = expf((src[k] - lmax) * invT)
  return massAtLeast(wts, n, 0);
}

/**
 * An upper bound of the weight of the row's tokens below the floor lq (s_k < lq): sum_k
 * 2^floor(y) (1 + frac(y)), y = s_k log2(e) clamped at -126 (the linear interpolation of 2^y
 * between powers of two: at least 2^y, at most 1.0615 times it). One pass, no exp: each
 * block's sum in float32 lanes (token k into lane k & 3, combined as (a0 + a2) + (a1 + a3)),
 * the blocks' sums in float64: the same bits in both binaries.
 */
export function coldMass(x: usize, n: i32, lmax: f32, invT: f32, lq: f32): f64 {
  const nb = blockCount(n);
  const scale: f32 = invT * 1.44269504088896341; // 1 / (T ln 2)
  let total: f64 = 0;
  let b = 0;
  if (ASC_FEATURE_SIMD) {
    const mv = f32x4.splat(lmax);
    const iv = f32x4.splat(invT);
    const sv = f32x4.splat(scale);
    const qv = f32x4.splat(lq);
    const lo = f32x4.splat(-126);
    const one = f32x4.splat(1);
    const shifter = f32x4.splat(12582912); // 1.5 * 2^23: adding it leaves an integer in the low bits
    const bias = i32x4.splat(127 - 0x4b400000); // the exponent bias minus the shifter's bits
    for (; b < n >> LOG_B; b++) {
      const p = x + (<usize>b << (LOG_B + 2));
      let acc = f32x4.splat(0);
      for (let q: usize = 0; q < <usize>(B << 2); q += 16) {
        const d = f32x4.sub(v128.load(p + q), mv);
        const y = f32x4.pmax(f32x4.mul(d, sv), lo);
        const fl = f32x4.floor(y);
        const pow = i32x4.shl(i32x4.add(f32x4.add(fl, shifter), bias), 23);
        const e = f32x4.mul(pow, f32x4.add(f32x4.sub(y, fl), one));
        acc = f32x4.add(acc, v128.and(e, f32x4.lt(f32x4.mul(d, iv), qv)));
      }
      const h = f32x4.add(acc, i32x4.shuffle(acc, acc, 2, 3, 0, 1));
      total += <f64>(f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1));
    }
  }
  for (; b < nb; b++) {
    let a0: f32 = 0;
    let a1: f32 = 0;
    let a2: f32 = 0;
    let a3: f32 = 0;
    const end = min<i32>(n, (b + 1) << LOG_B);
    for (let k = b << LOG_B; k < end; k++) {
      const l = load<f32>(at(x, k));
      const e = (l - lmax) * invT < lq ? bitExp(l, lmax, scale) : 0;
      const j = k & 3;
      if (j == 0) a0 += e;
      else if (j == 1) a1 += e;
      else if (j == 2) a2 += e;
      else a3 += e;
    }
    total += <f64>((a0 + a2) + (a1 + a3));
  }
  return total;
}

/**
 * Appends (l_k, k) for every token whose weight wts[k] exceeds `cut` to cand, in index order;
 * returns the count. (Top-p's candidates: a token of weight at most (1 - p) Z / n cannot be in
 * the nucleus.)
 */
export function gatherHeavy(x: usize, wts: usize, n: i32, cut: f32, cand: usize): i32 {
  let c = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(cut);
    for (; k + 4 <= n; k += 4) {
      if (!v128.any_true(f32x4.gt(v128.load(at(wts, k)), cv))) continue;
      for (let q = k; q < k + 4; q++) c = pushHeavy(x, wts, q, cut, cand, c);
    }
  }
  for (; k < n; k++) c = pushHeavy(x, wts, k, cut, cand, c);
  return c;
}

// @ts-ignore: decorator
@inline
function pushHeavy(x: usize, wts: usize, k: i32, cut: f32, cand: usize, c: i32): i32 {
  if (!(load<f32>(at(wts, k)) > cut)) return c;
  store<f32>(pair(cand, c), load<f32>(at(x, k)));
  store<i32>(pair(cand, c), k, 4);
  return c + 1;
}

/**
 * An estimate of the bucket (a weight's float bits >> 20: its binary exponent and 3 mantissa
 * bits, 0 .. 1016 for weights in [0, 1]) in which the cumulative weight from the largest bucket
 * down first reaches `target`: from a histogram in float32 of every `stride`-th weight (times
 * stride; stride 1: every weight, in four copies, token k into copy k & 3, so that neighbours do
 * not wait on each other); 0 if none does. The caller checks it with exact sums and moves from
 * it. hist: 16 KiB of work space.
 */
export function nucleusBucket(w: usize, n: i32, hist: usize, target: f64, stride: i32): i32 {
  memory.fill(hist, 0, 4 * 1024 * 4);
  for (let k = 0; k < n; k += stride) {
    const v = load<f32>(at(w, k));
    const q = hist + ((<usize>(k & 3) << 12) | (<usize>(reinterpret<u32>(v) >>> 20) << 2));
    store<f32>(q, load<f32>(q) + v);
  }
  let acc: f64 = 0;
  for (let j = 1016; j >= 0; j--) {
    const q = hist + (<usize>j << 2);
    acc += (<f64>load<f32>(q) + <f64>load<f32>(q, 4096) + <f64>load<f32>(q, 8192) + <f64>load<f32>(q, 12288)) * <f64>stride;
    if (acc >= target) return j;
  }
  return 0;
}

/**
 * The exact sum of the weights w[k] >= lo (float64, token k into accumulator k & 3, combined as
 * (a0 + a2) + (a1 + a3): the same bits in both binaries).
 */
export function massAtLeast(w: usize, n: i32, lo: f32): f64 {
  let a0: f64 = 0;
  let a1: f64 = 0;
  let a2: f64 = 0;
  let a3: f64 = 0;
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const lv = f32x4.splat(lo);
    let v01 = f64x2.splat(0);
    let v23 = f64x2.splat(0);
    for (; k + 4 <= n; k += 4) {
      const v = v128.load(at(w, k));
      const e = v128.and(v, f32x4.ge(v, lv));
      v01 = f64x2.add(v01, f64x2.promote_low_f32x4(e));
      v23 = f64x2.add(v23, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    a0 = f64x2.extract_lane(v01, 0);
    a1 = f64x2.extract_lane(v01, 1);
    a2 = f64x2.extract_lane(v23, 0);
    a3 = f64x2.extract_lane(v23, 1);
  }
  for (; k < n; k++) {
    const v = load<f32>(at(w, k));
    const e: f64 = v >= lo ? <f64>v : 0;
    const j = k & 3;
    if (j == 0) a0 += e;
    else if (j == 1) a1 += e;
    else if (j == 2) a2 += e;
    else a3 += e;
  }
  return (a0 + a2) + (a1 + a3);
}

/**
 * Appends (l_k, w_k) for every token of weight lo <= w_k < hi to pairs, in index order; returns
 * the count, their mass (float64, in that order) in bandMass.
 */
export function gatherBand(x: usize, w: usize, n: i32, lo: f32, hi: f32, pairs: usize): i32 {
  let c = 0;
  let k = 0;
  bandMass = 0;
  if (ASC_FEATURE_SIMD) {
    const lv = f32x4.splat(lo);
    const hv = f32x4.splat(hi);
    for (; k + 4 <= n; k += 4) {
      const v = v128.load(at(w, k));
      if (!v128.any_true(v128.and(f32x4.ge(v, lv), f32x4.lt(v, hv)))) continue;
      for (let q = k; q < k + 4; q++) c = pushBand(x, w, q, lo, hi, pairs, c);
    }
  }
  for (; k < n; k++) c = pushBand(x, w, k, lo, hi, pairs, c);
  return c;
}

/** gatherBand's step: token k appended (and its weight added to bandMass) when in the band. */
// @ts-ignore: decorator
@inline
function pushBand(x: usize, w: usize, k: i32, lo: f32, hi: f32, pairs: usize, c: i32): i32 {
  const e = load<f32>(at(w, k));
  if (!(e >= lo && e < hi)) return c;
  store<f32>(pair(pairs, c), load<f32>(at(x, k)));
  store<f32>(pair(pairs, c), e, 4);
  bandMass += <f64>e;
  return c + 1;
}

/** gatherBand's mass. */
export let bandMass: f64 = 0;

/**
 * The inverse CDF over n tokens passing the floors, read as pairs (logit, index) when `pairs`
 * (a candidate list) or as the row itself (token k = element k); their weights go to wts (0
 * for those not passing). One random block. Returns the token (its index).
 */
// @ts-ignore: decorator
@inline
function inverseCdf(src: usize, n: i32, pairs: bool, wts: usize, theta: f32, lmax: f32, invT: f32, lq: f32): i32 {
  let z: f64 = 0;
  for (let i = 0; i < n; i++) {
    const l = pairs ? load<f32>(pair(src, i)) : load<f32>(at(src, i));
    const w = passes(l, theta, lmax, invT, lq) ? expf((l - lmax) * invT) : 0;
    store<f32>(at(wts, i), w);
    z += <f64>w;
  }
  const r = nextBlock();
  const target = u53(load<u32>(r), load<u32>(r, 4)) * z;
  let acc: f64 = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const w = load<f32>(at(wts, i));
    if (w == 0) continue;
    acc += <f64>w;
    last = i;
    if (acc > target) break;
  }
  // (u * z rounding up to z, about once in 2^53 draws: the last kept token.)
  return pairs ? load<i32>(pair(src, last), 4) : last;
}

/** The inverse CDF over the candidate pairs cand[0 .. c) passing the floors. */
export function listDraw(cand: usize, c: i32, wts: usize, theta: f32, lmax: f32, invT: f32, lq: f32): i32 {
  return inverseCdf(cand, c, true, wts, theta, lmax, invT, lq);
}

/** The inverse CDF over the row's tokens passing the floors. */
export function rowDraw(x: usize, n: i32, wts: usize, theta: f32, lmax: f32, invT: f32, lq: f32): i32 {
  return inverseCdf(x, n, false, wts, theta, lmax, invT, lq);
}

/**
 * A token of the row x[0 .. n) passing the floors, by rejection from the
 * block bounds (see the top): bm the block maxima, ub and cum work space of nb floats and nb
 * doubles. Falls back to rowDraw after MAX_TRIES tries.
 */
export function rejectDraw(x: usize, n: i32, bm: usize, ub: usize, cum: usize, theta: f32, lmax: f32, invT: f32, lq: f32, wts: usize): i32 {
  const nb = blockCount(n);
  blockWeights(bm, ub, nb, lmax, invT);
  let s: f64 = 0;
  for (let b = 0; b < nb; b++) {
    const kept = passes(load<f32>(at(bm, b)), theta, lmax, invT, lq);
    s += kept ? <f64>load<f32>(at(ub, b)) : 0;
    store<f64>(cum + (<usize>b << 3), s);
  }
  for (let t = 0; t < MAX_TRIES; t++) {
    const r = nextBlock();
    const w1 = load<u32>(r, 4);
    const target = u53(load<u32>(r), w1) * s;
    // The first block whose prefix sum exceeds the target.
    let lo = 0;
    let hi = nb - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (load<f64>(cum + (<usize>mid << 3)) > target) hi = mid;
      else lo = mid + 1;
    }
    const k = (lo << LOG_B) + <i32>(w1 & <u32>(B - 1));
    if (k >= n) continue;
    const l = load<f32>(at(x, k));
    const v = (l - lmax) * invT;
    if (!(l >= theta && v >= lq)) continue;
    if (u53(load<u32>(r, 8), load<u32>(r, 12)) * <f64>load<f32>(at(ub, lo)) < <f64>expf(v)) return k;
  }
  paths |= PATH_REJECT_FALLBACK;
  return rowDraw(x, n, wts, theta, lmax, invT, lq);
}
