// Row passes of the straight-through kernels (gumbel_rao.ts, gapped_st.ts). All are
// elementwise: the f32x4 loop and the scalar remainder run the same operations on each
// element, so the SIMD and scalar binaries give the same bits.

import { ONE, sf, vf } from "./consts";
import { expf, expf4 } from "./exp";
import { logf, logNormal, logNormal4 } from "./log";
import { addArgmax, at, rowPtr } from "./row";
import { SCREEN_MIN, sampleRow } from "./sample";
import { writeGumbel } from "./stream";
import { invTemperature } from "./tau";
import { checkRows } from "./validate";

/**
 * One row of a straight-through kernel, given its sampled class i: lr, vr (0 in the forward)
 * and dr are the row's logits, upstream gradient and output; aux is the kernel's fourth
 * pointer (not moved to the row); jr the row's first stream element.
 */
export type StraightRow = (
  lr: usize, vr: usize, dr: usize, aux: usize, r: i32, cols: i32, it: f32, param: f32, i: i32, jr: u64, k0: u32, k1: u32,
) => void;

/**
 * The row loop of both straight-through kernels: validates every row first (returns the first
 * bad one, having written nothing), then per row draws the class gumbel_max draws (dr serves
 * as its workspace) and hands over to `row`. Returns -1 when done.
 */
// @ts-ignore: decorator
@inline
export function eachSampledRow(
  logits: usize, dy: usize, dst: usize, aux: usize, rows: i32, cols: i32, tau: f32, param: f32,
  k0: u32, k1: u32, jLo: u32, jHi: u32, row: StraightRow,
): i32 {
  const bad = checkRows(logits, rows, cols);
  if (bad >= 0) return bad;
  const it = invTemperature(tau);
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  for (let r = 0; r < rows; r++) {
    const lr = rowPtr(logits, r, cols);
    const dr = rowPtr(dst, r, cols);
    const jr = j0 + <u64>r * <u64>cols;
    const i = sampledClass(lr, cols, jr, k0, k1, dr);
    row(lr, dy ? rowPtr(dy, r, cols) : 0, dr, aux, r, cols, it, param, i, jr, k0, k1);
  }
  return -1;
}

/**
 * The class gumbel_max draws for the row at lr (noise of stream elements jr .. jr+cols-1),
 * bit for bit: screened for long rows, else the noise is written to `work` (cols floats).
 */
export function sampledClass(lr: usize, cols: i32, jr: u64, k0: u32, k1: u32, work: usize): i32 {
  if (cols >= SCREEN_MIN) return sampleRow(lr, cols, jr, k0, k1);
  writeGumbel(work, cols, k0, k1, jr);
  return addArgmax(lr, work, work, cols);
}

/**
 * The truncated Gumbel of the classes not sampled (Paulus et al. 2021, appendix; the
 * reference code `conditional_gumbel`): w[k] holds fresh Gumbel noise g_k on entry and
 * z_k = -logaddexp(-zi, -(l_k + g_k)) on return, for every k (the caller overwrites the
 * sampled class with zi). With t = l_k + g_k, computed stably as
 * z_k = min(zi, t) - log(1 + exp(-|zi - t|)), so z_k <= zi always, and a masked class
 * (t = -Inf) gets exactly -Inf.
 */
export function truncatedRow(l: usize, w: usize, n: i32, zi: f32): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const zv = f32x4.splat(zi);
    for (; k + 4 <= n; k += 4) {
      const t = f32x4.add(v128.load(at(l, k)), v128.load(at(w, k)));
      const e = expf4(f32x4.neg(f32x4.abs(f32x4.sub(zv, t))));
      const lg = logNormal4(f32x4.add(vf(ONE), e));
      // pmin(zi, t) = t < zi ? t : zi
      v128.store(at(w, k), f32x4.sub(f32x4.pmin(zv, t), lg));
    }
  }
  for (; k < n; k++) {
    const t = load<f32>(at(l, k)) + load<f32>(at(w, k));
    const e = expf(-abs<f32>(zi - t));
    const lg = logNormal(sf(ONE) + e);
    store<f32>(at(w, k), select<f32>(t, zi, t < zi) - lg);
  }
}

/**
 * GST's gapped logits (Fan et al. 2022, `gst_mover`): dst[k] = min(l_k, c) with
 * c = max(l) - kappa; the caller sets the sampled class to max(l).
 */
export function gapRow(l: usize, dst: usize, n: i32, c: f32): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const cv = f32x4.splat(c);
    // pmin(c, l) = l < c ? l : c
    for (; k + 4 <= n; k += 4) v128.store(at(dst, k), f32x4.pmin(cv, v128.load(at(l, k))));
  }
  for (; k < n; k++) {
    const x = load<f32>(at(l, k));
    store<f32>(at(dst, k), select<f32>(x, c, x < c));
  }
}

/** Below this p, -log(1 - p) / p from its series (float32 1 - p would lose p's low bits). */
const SERIES_BELOW: f32 = 0.015625; // 2^-6

/**
 * GST-p's adaptive gap -log(1 - p) / p, given p = softmax(l)_i * (1 - 1e-5) of the sampled
 * class i (gapped_st.ts and straight_axis.ts). For p < 2^-6 the series
 * 1 + p/2 + p^2/3 + p^3/4 + p^4/5 (truncation < p^5/6 < 2^-32); p = 0 (a class of
 * underflowing probability) gives the limit 1, where the reference code gives NaN.
 */
// @ts-ignore: decorator
@inline
export function adaptiveGapOf(p: f32): f32 {
  if (p < SERIES_BELOW) return sf(ONE) + p * (<f32>0.5 + p * (<f32>(1.0 / 3.0) + p * (<f32>0.25 + p * <f32>0.2)));
  return -logf(sf(ONE) - p) / p;
}

/** acc[k] = src[k] when `first`, else acc[k] + src[k]. */
export function accumulateRow(acc: usize, src: usize, n: i32, first: bool): void {
  if (first) {
    memory.copy(acc, src, <usize>n << 2);
    return;
  }
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k + 4 <= n; k += 4) v128.store(at(acc, k), f32x4.add(v128.load(at(acc, k)), v128.load(at(src, k))));
  }
  for (; k < n; k++) store<f32>(at(acc, k), load<f32>(at(acc, k)) + load<f32>(at(src, k)));
}

/**
 * One draw's softmax VJP added to acc: g = (y[k] * (v[k] - dot)) * invTau (the same bits as
 * softmaxGradRow's), stored when `first`, else acc[k] + g.
 */
export function gradAccumulateRow(y: usize, v: usize, acc: usize, n: i32, dot: f32, invTau: f32, first: bool): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    const dv = f32x4.splat(dot);
    const iv = f32x4.splat(invTau);
    for (; k + 4 <= n; k += 4) {
      const g = f32x4.mul(f32x4.mul(v128.load(at(y, k)), f32x4.sub(v128.load(at(v, k)), dv)), iv);
      v128.store(at(acc, k), first ? g : f32x4.add(v128.load(at(acc, k)), g));
    }
  }
  for (; k < n; k++) {
    const g = (load<f32>(at(y, k)) * (load<f32>(at(v, k)) - dot)) * invTau;
    store<f32>(at(acc, k), first ? g : load<f32>(at(acc, k)) + g);
  }
}

/** Writes one_hot(idx) to the row at dst. */
export function oneHotRow(dst: usize, n: i32, idx: i32): void {
  memory.fill(dst, 0, <usize>n << 2);
  store<f32>(at(dst, idx), 1.0);
}
