// Gumbel-Rao and Gapped ST (gumbel_rao.ts, gapped_st.ts) along a non-last axis: the classes of
// a line are `inner` elements apart. Each of the `rows` slices holds cols = classes * inner
// elements, class c of line j at c * inner + j (line index o * inner + j).
//
// Noise: element (o, c, j) gets the stream elements a row-major index of the input as given
// would, e = o * cols + c * inner + j:
// - the draw of the sampled class (gumbel_max's noise): element j0 + e of sub-stream 0;
// - Gumbel-Rao's conditional draw s: element j0 + e of sub-stream 1 + s.
// With inner = 1 that is gumbel_rao's layout (row r = slice o, element jr + k), so `axis` never
// changes which noise an element gets, and the strided kernels give the row kernels' bits.
//
// Per line, the operations and their order are the row kernels' (canonical sums: class c in
// accumulator c & 3, combined as (a0 + a2) + (a1 + a3); the same exp and log; the argmax the
// lowest class at the maximum of l + g, as gumbel_max's and its screened form's): a line gives
// the same bits as the row kernel given that line as a row and the same noise.
//
// Layout of the work: lines go in chunks of up to STRAIGHT_AXIS_LINES adjacent lines of one
// slice. Per chunk, each pass of noise is written for the whole chunk at once (one contiguous
// run of n stream elements per class, so that Philox blocks are not wasted), then four
// adjacent lines go in the four f32x4 lanes (contiguous v128 loads at a stride of inner * 4
// bytes); the n % 4 lines left over go one at a time, each broadcast to the four lanes (one
// copy of the f32x4 code, not a second scalar one, in the SIMD binary); the scalar build takes
// every line one at a time. Where a line's work needs a buffer:
// - the sampled class's noise goes into dst (its own positions), which the forward overwrites
//   with the one-hot and the backward with the gradient last;
// - Gumbel-Rao's conditional draws need all their noise before a line's softmax: the forward
//   writes it into dst as well (as gumbel_rao does), the backward (dst accumulates the
//   gradient) into the workspace `aux`: classes x n floats, n = min(inner, STRAIGHT_AXIS_LINES)
//   (a buffer of the chunk's noise, not a copy of the input);
// - each line's sampled class and log Z stay in scratch (sampleRow's buffers, not used here).
// No copy of the input is made; every pointer stays strided. (Large power-of-two strides,
// inner * 4 a multiple of 4 KiB, map a line's classes to one cache set: slower, still right.)

import { ONE, ZERO, sf, vf } from "./inline/consts";
import { expf, expf4 } from "./inline/exp";
import { logf, logf4, logNormal, logNormal4 } from "./inline/log";
import { SCRATCH_BOUNDS, SCRATCH_WORDS, scratch } from "./inline/scratch";
import { adaptiveGapOf } from "./inline/straight";
import { writeGumbel } from "./inline/stream";
import { at, lineExpSum } from "./inline/row";
import { invTemperature } from "./inline/tau";
import { checkLines, lineMax } from "./inline/validate";

/** Lines per chunk: the backward of gumbel_rao_axis needs classes * min(inner, this) floats of workspace. */
export const STRAIGHT_AXIS_LINES: i32 = 64;

/** Per line of a chunk: its sampled class (i32), and log Z of its logits (f32). */
const IDX: usize = SCRATCH_WORDS;
const LOGZ: usize = SCRATCH_BOUNDS;

/**
 * Noise of sub-stream `sub` for n adjacent lines: class c's run of n (stream elements
 * jc + c * inner ..) at w + c * ws floats. One run when the chunk is the whole slice.
 */
function noiseLines(w: usize, ws: i32, classes: i32, n: i32, inner: i32, jc: u64, sub: u32, k0: u32, k1: u32): void {
  if (n == inner && ws == inner) {
    writeGumbel(w, classes * n, k0, k1, jc, sub);
    return;
  }
  for (let c = 0; c < classes; c++) writeGumbel(w + ((<usize>c * <usize>ws) << 2), n, k0, k1, jc + <u64>c * <u64>inner, sub);
}

// Four lanes: four adjacent lines, or with `one` a single line broadcast to the four lanes
// (a chunk's last n % 4 lines in the SIMD build: every lane computes lane 0's values, lane 0 is
// kept). Lane for lane the f32x4 functions compute what the scalar ones do, so either way a
// line's bits are the scalar build's.

// @ts-ignore: decorator
@inline
function ld(p: usize, one: bool): v128 {
  if (one) return f32x4.splat(load<f32>(p));
  return v128.load(p);
}

// @ts-ignore: decorator
@inline
function st(p: usize, v: v128, one: bool): void {
  if (one) store<f32>(p, f32x4.extract_lane(v, 0));
  else v128.store(p, v);
}

// @ts-ignore: decorator
@inline
function ldI(p: usize, one: bool): v128 {
  if (one) return i32x4.splat(load<i32>(p));
  return v128.load(p);
}

// @ts-ignore: decorator
@inline
function stI(p: usize, v: v128, one: bool): void {
  if (one) store<i32>(p, i32x4.extract_lane(v, 0));
  else v128.store(p, v);
}

/** Each lane's sampled class: the lowest c at the maximum of l + g (g in d at the same stride). */
function argmax4(l: usize, g: usize, step: usize, classes: i32, one: bool): v128 {
  let best = f32x4.splat(-Infinity);
  let idx = i32x4.splat(-1);
  for (let c = 0; c < classes; c++, l += step, g += step) {
    const t = f32x4.add(ld(l, one), ld(g, one));
    const gt = f32x4.gt(t, best);
    best = v128.bitselect(t, best, gt);
    idx = v128.bitselect(i32x4.splat(c), idx, gt);
  }
  return idx;
}

function argmax1(l: usize, g: usize, step: usize, classes: i32): i32 {
  let best = -Infinity as f32;
  let idx = -1;
  for (let c = 0; c < classes; c++, l += step, g += step) {
    const t = load<f32>(l) + load<f32>(g);
    if (t > best) {
      best = t;
      idx = c;
    }
  }
  return idx;
}

/** max_c l (rowMax's value: no NaN after validation, a zero as +0). */
function max4(l: usize, step: usize, classes: i32, one: bool): v128 {
  let m = f32x4.splat(-Infinity);
  for (let c = 0; c < classes; c++, l += step) m = f32x4.pmax(m, ld(l, one));
  return f32x4.add(m, vf(ZERO));
}

/** sum_c exp(l - m) in the canonical order (expShiftSum with invTau = 1: x * 1 is x). */
function expSum4(l: usize, step: usize, classes: i32, m: v128, one: bool): v128 {
  let a0 = vf(ZERO), a1 = vf(ZERO), a2 = vf(ZERO), a3 = vf(ZERO);
  for (let c = 0; c < classes; c++, l += step) {
    const e = expf4(f32x4.sub(ld(l, one), m));
    const lane = c & 3;
    if (lane == 0) a0 = f32x4.add(a0, e);
    else if (lane == 1) a1 = f32x4.add(a1, e);
    else if (lane == 2) a2 = f32x4.add(a2, e);
    else a3 = f32x4.add(a3, e);
  }
  return f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3));
}

/**
 * y <- y * r (scaleRow); with v (not 0) also returns dot = <v, y> in the canonical order
 * (dotRow), for the backward.
 */
function scaleDot4(y: usize, ystep: usize, v: usize, step: usize, classes: i32, r: v128, one: bool): v128 {
  const withDot = v != 0;
  let a0 = vf(ZERO), a1 = vf(ZERO), a2 = vf(ZERO), a3 = vf(ZERO);
  for (let c = 0; c < classes; c++, y += ystep, v += step) {
    const yc = f32x4.mul(ld(y, one), r);
    st(y, yc, one);
    if (!withDot) continue;
    const p = f32x4.mul(ld(v, one), yc);
    const lane = c & 3;
    if (lane == 0) a0 = f32x4.add(a0, p);
    else if (lane == 1) a1 = f32x4.add(a1, p);
    else if (lane == 2) a2 = f32x4.add(a2, p);
    else a3 = f32x4.add(a3, p);
  }
  return f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3));
}

function scaleDot1(y: usize, ystep: usize, v: usize, step: usize, classes: i32, r: f32): f32 {
  const withDot = v != 0;
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
  for (let c = 0; c < classes; c++, y += ystep, v += step) {
    const yc = load<f32>(y) * r;
    store<f32>(y, yc);
    if (!withDot) continue;
    const p = load<f32>(v) * yc;
    const lane = c & 3;
    if (lane == 0) a0 += p;
    else if (lane == 1) a1 += p;
    else if (lane == 2) a2 += p;
    else a3 += p;
  }
  return (a0 + a2) + (a1 + a3);
}

/**
 * The backward (v not 0): acc <- g = (y * (v - dot)) * invTau when `first`, else acc + g
 * (gradAccumulateRow; acc may be y). The forward (v = 0): acc <- y, or acc + y (accumulateRow).
 */
function accumulate4(y: usize, ystep: usize, v: usize, acc: usize, step: usize, classes: i32, dot: v128, iv: v128, first: bool, one: bool): void {
  const grad = v != 0;
  for (let c = 0; c < classes; c++, y += ystep, v += step, acc += step) {
    const g = grad ? f32x4.mul(f32x4.mul(ld(y, one), f32x4.sub(ld(v, one), dot)), iv) : ld(y, one);
    st(acc, first ? g : f32x4.add(ld(acc, one), g), one);
  }
}

function accumulate1(y: usize, ystep: usize, v: usize, acc: usize, step: usize, classes: i32, dot: f32, it: f32, first: bool): void {
  const grad = v != 0;
  for (let c = 0; c < classes; c++, y += ystep, v += step, acc += step) {
    const g = grad ? (load<f32>(y) * (load<f32>(v) - dot)) * it : load<f32>(y);
    store<f32>(acc, first ? g : load<f32>(acc) + g);
  }
}

/** p[c, q] *= s for the n lines of a chunk (class c's run at p + c * step bytes): elementwise. */
function scaleLines(p: usize, step: usize, classes: i32, n: i32, s: f32): void {
  for (let c = 0; c < classes; c++, p += step) {
    let q = 0;
    if (ASC_FEATURE_SIMD) {
      const sv = f32x4.splat(s);
      for (; q + 4 <= n; q += 4) v128.store(at(p, q), f32x4.mul(v128.load(at(p, q)), sv));
    }
    for (; q < n; q++) store<f32>(at(p, q), load<f32>(at(p, q)) * s);
  }
}

/** d[c, q] <- (c == idx[q]) for the n lines of a chunk, idx in scratch. */
function oneHotLines(d: usize, step: usize, classes: i32, n: i32): void {
  const idx = scratch(IDX);
  for (let c = 0; c < classes; c++, d += step) {
    let q = 0;
    if (ASC_FEATURE_SIMD) {
      const cv = i32x4.splat(c);
      for (; q + 4 <= n; q += 4) v128.store(at(d, q), v128.and(i32x4.eq(v128.load(at(idx, q)), cv), vf(ONE)));
    }
    for (; q < n; q++) store<f32>(at(d, q), load<i32>(at(idx, q)) == c ? <f32>1 : <f32>0);
  }
}

// ---------------------------------------------------------------- Gumbel-Rao

/**
 * A conditional draw (truncatedRow, then the softmax shifted by z_i, as gumbel_rao's
 * conditionalSoftmax): w (the draw's noise on entry, at wstep) <- exp((z - z_i) / tau);
 * returns 1 / sum.
 */
// @ts-ignore: decorator
@inline
function conditional4(l: usize, w: usize, step: usize, wstep: usize, classes: i32, i: v128, zi: v128, iv: v128, one: bool): v128 {
  let a0 = vf(ZERO), a1 = vf(ZERO), a2 = vf(ZERO), a3 = vf(ZERO);
  for (let c = 0; c < classes; c++, l += step, w += wstep) {
    const t = f32x4.add(ld(l, one), ld(w, one));
    const lg = logNormal4(f32x4.add(vf(ONE), expf4(f32x4.neg(f32x4.abs(f32x4.sub(zi, t))))));
    // pmin(zi, t) = t < zi ? t : zi; the sampled class gets z_i itself.
    const z = v128.bitselect(zi, f32x4.sub(f32x4.pmin(zi, t), lg), i32x4.eq(i, i32x4.splat(c)));
    const e = expf4(f32x4.mul(f32x4.sub(z, zi), iv));
    st(w, e, one);
    const lane = c & 3;
    if (lane == 0) a0 = f32x4.add(a0, e);
    else if (lane == 1) a1 = f32x4.add(a1, e);
    else if (lane == 2) a2 = f32x4.add(a2, e);
    else a3 = f32x4.add(a3, e);
  }
  return f32x4.div(vf(ONE), f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3)));
}

// @ts-ignore: decorator
@inline
function conditional1(l: usize, w: usize, step: usize, wstep: usize, classes: i32, i: i32, zi: f32, it: f32): f32 {
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
  for (let c = 0; c < classes; c++, l += step, w += wstep) {
    const t = load<f32>(l) + load<f32>(w);
    const lg = logNormal(sf(ONE) + expf(-abs<f32>(zi - t)));
    const z = c == i ? zi : select<f32>(t, zi, t < zi) - lg;
    const e = expf((z - zi) * it);
    store<f32>(w, e);
    const lane = c & 3;
    if (lane == 0) a0 += e;
    else if (lane == 1) a1 += e;
    else if (lane == 2) a2 += e;
    else a3 += e;
  }
  return sf(ONE) / ((a0 + a2) + (a1 + a3));
}

/** Each lane's noise at its own sampled class: w[i_L, L]. */
// @ts-ignore: decorator
@inline
function atClass4(w: usize, wstep: usize, i: v128, one: bool): v128 {
  if (one) return f32x4.splat(load<f32>(w + <usize>i32x4.extract_lane(i, 0) * wstep));
  let g = f32x4.splat(load<f32>(w + <usize>i32x4.extract_lane(i, 0) * wstep));
  g = f32x4.replace_lane(g, 1, load<f32>(w + 4 + <usize>i32x4.extract_lane(i, 1) * wstep));
  g = f32x4.replace_lane(g, 2, load<f32>(w + 8 + <usize>i32x4.extract_lane(i, 2) * wstep));
  return f32x4.replace_lane(g, 3, load<f32>(w + 12 + <usize>i32x4.extract_lane(i, 3) * wstep));
}

/**
 * One chunk of n lines of gumbel_rao_axis: l, v (0 in the forward), d at the chunk's first
 * line (classes `inner` apart); a: the forward's soft there (or 0), the backward's workspace.
 */
function raoChunk(l: usize, v: usize, d: usize, a: usize, n: i32, classes: i32, inner: i32, jc: u64, it: f32, param: f32, k0: u32, k1: u32): void {
  const samples = <i32>param;
  const forward = v == 0;
  const draws = !forward || a != 0;
  const step = <usize>inner << 2;
  const idx = scratch(IDX);
  const logZ = scratch(LOGZ);
  // The sampled class (noise in d), and log Z of the line's logits when there are draws.
  noiseLines(d, inner, classes, n, inner, jc, 0, k0, k1);
  if (ASC_FEATURE_SIMD) {
    for (let q = 0; q < n; ) {
      const one = n - q < 4;
      stI(at(idx, q), argmax4(at(l, q), at(d, q), step, classes, one), one);
      if (draws) {
        const m = max4(at(l, q), step, classes, one);
        st(at(logZ, q), f32x4.add(m, logf4(expSum4(at(l, q), step, classes, m, one))), one);
      }
      q += one ? 1 : 4;
    }
  } else {
    for (let q = 0; q < n; q++) {
      store<i32>(at(idx, q), argmax1(at(l, q), at(d, q), step, classes));
      if (!draws) continue;
      const m = lineMax(at(l, q), classes, step);
      store<f32>(at(logZ, q), m + logf(lineExpSum(at(l, q), 0, classes, step, m, 1)));
    }
  }
  if (draws) {
    // The draws' noise: in d (forward), else in the workspace, n floats per class.
    const w = forward ? d : a;
    const wstep = forward ? step : <usize>n << 2;
    const acc = forward ? a : d;
    for (let s = 0; s < samples; s++) {
      noiseLines(w, forward ? inner : n, classes, n, inner, jc, <u32>(s + 1), k0, k1);
      const first = s == 0;
      if (ASC_FEATURE_SIMD) {
        const iv = f32x4.splat(it);
        for (let q = 0; q < n; ) {
          const one = n - q < 4;
          const i = ldI(at(idx, q), one);
          const zi = f32x4.add(ld(at(logZ, q), one), atClass4(at(w, q), wstep, i, one));
          const r = conditional4(at(l, q), at(w, q), step, wstep, classes, i, zi, iv, one);
          const vq: usize = forward ? 0 : at(v, q);
          const dot = scaleDot4(at(w, q), wstep, vq, step, classes, r, one);
          accumulate4(at(w, q), wstep, vq, at(acc, q), step, classes, dot, iv, first, one);
          q += one ? 1 : 4;
        }
      } else {
        for (let q = 0; q < n; q++) {
          const i = load<i32>(at(idx, q));
          const zi = load<f32>(at(logZ, q)) + load<f32>(at(w, q) + <usize>i * wstep);
          const r = conditional1(at(l, q), at(w, q), step, wstep, classes, i, zi, it);
          const vq: usize = forward ? 0 : at(v, q);
          const dot = scaleDot1(at(w, q), wstep, vq, step, classes, r);
          accumulate1(at(w, q), wstep, vq, at(acc, q), step, classes, dot, it, first);
        }
      }
    }
    if (samples > 1) scaleLines(acc, step, classes, n, <f32>1.0 / <f32>samples);
  }
  if (forward) oneHotLines(d, step, classes, n);
}

// ---------------------------------------------------------------- Gapped ST

/** GST-p's gap of one line: adaptiveGapOf(p), p = (exp(l_i - m) / sum) * (1 - 1e-5) (gapped_st's adaptiveGap). */
function adaptiveGap1(l: usize, step: usize, i: i32, m: f32, sum: f32): f32 {
  return adaptiveGapOf((expf(load<f32>(l + <usize>i * step) - m) / sum) * <f32>0.99999);
}

/** GST-p's gap per lane: the sum vectorised, the rest lane by lane. */
function adaptiveGap4(l: usize, step: usize, classes: i32, m: v128, i: v128, one: bool): v128 {
  const sum = expSum4(l, step, classes, m, one);
  const g = f32x4.splat(adaptiveGap1(l, step, i32x4.extract_lane(i, 0), f32x4.extract_lane(m, 0), f32x4.extract_lane(sum, 0)));
  if (one) return g;
  let gap = f32x4.replace_lane(g, 1, adaptiveGap1(l + 4, step, i32x4.extract_lane(i, 1), f32x4.extract_lane(m, 1), f32x4.extract_lane(sum, 1)));
  gap = f32x4.replace_lane(gap, 2, adaptiveGap1(l + 8, step, i32x4.extract_lane(i, 2), f32x4.extract_lane(m, 2), f32x4.extract_lane(sum, 2)));
  return f32x4.replace_lane(gap, 3, adaptiveGap1(l + 12, step, i32x4.extract_lane(i, 3), f32x4.extract_lane(m, 3), f32x4.extract_lane(sum, 3)));
}

/**
 * y <- exp((l' - m) / tau) (gapRow, then expShiftSum shifted by m): l'_c = min(l_c, cut),
 * l'_i = m. Returns 1 / sum.
 */
// @ts-ignore: decorator
@inline
function gapped4(l: usize, y: usize, step: usize, classes: i32, i: v128, m: v128, cut: v128, iv: v128, one: bool): v128 {
  let a0 = vf(ZERO), a1 = vf(ZERO), a2 = vf(ZERO), a3 = vf(ZERO);
  for (let c = 0; c < classes; c++, l += step, y += step) {
    // pmin(cut, x) = x < cut ? x : cut
    const g = v128.bitselect(m, f32x4.pmin(cut, ld(l, one)), i32x4.eq(i, i32x4.splat(c)));
    const e = expf4(f32x4.mul(f32x4.sub(g, m), iv));
    st(y, e, one);
    const lane = c & 3;
    if (lane == 0) a0 = f32x4.add(a0, e);
    else if (lane == 1) a1 = f32x4.add(a1, e);
    else if (lane == 2) a2 = f32x4.add(a2, e);
    else a3 = f32x4.add(a3, e);
  }
  return f32x4.div(vf(ONE), f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3)));
}

// @ts-ignore: decorator
@inline
function gapped1(l: usize, y: usize, step: usize, classes: i32, i: i32, m: f32, cut: f32, it: f32): f32 {
  let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
  for (let c = 0; c < classes; c++, l += step, y += step) {
    const x = load<f32>(l);
    const g = c == i ? m : select<f32>(x, cut, x < cut);
    const e = expf((g - m) * it);
    store<f32>(y, e);
    const lane = c & 3;
    if (lane == 0) a0 += e;
    else if (lane == 1) a1 += e;
    else if (lane == 2) a2 += e;
    else a3 += e;
  }
  return sf(ONE) / ((a0 + a2) + (a1 + a3));
}

/**
 * One chunk of n lines of gapped_st_axis: l, v (0 in the forward), d at the chunk's first
 * line; a: the forward's soft there (or 0), unused in the backward. Line by line (four at a
 * time): no state between passes of noise.
 */
function gappedChunk(l: usize, v: usize, d: usize, a: usize, n: i32, classes: i32, inner: i32, jc: u64, it: f32, kappa: f32, k0: u32, k1: u32): void {
  const forward = v == 0;
  const step = <usize>inner << 2;
  const idx = scratch(IDX);
  // y: the forward's soft, or the backward's dst (the gradient computed in place, as gapped_st:
  // each element's y is read before its gradient is written).
  const y = forward ? a : d;
  noiseLines(d, inner, classes, n, inner, jc, 0, k0, k1);
  if (ASC_FEATURE_SIMD) {
    const iv = f32x4.splat(it);
    for (let q = 0; q < n; ) {
      const one = n - q < 4;
      const i = argmax4(at(l, q), at(d, q), step, classes, one);
      stI(at(idx, q), i, one);
      if (y) {
        const m = max4(at(l, q), step, classes, one);
        const gap = kappa >= 0 ? f32x4.splat(kappa) : adaptiveGap4(at(l, q), step, classes, m, i, one);
        const r = gapped4(at(l, q), at(y, q), step, classes, i, m, f32x4.sub(m, gap), iv, one);
        const vq: usize = forward ? 0 : at(v, q);
        const dot = scaleDot4(at(y, q), step, vq, step, classes, r, one);
        if (!forward) accumulate4(at(d, q), step, vq, at(d, q), step, classes, dot, iv, true, one);
      }
      q += one ? 1 : 4;
    }
  } else {
    for (let q = 0; q < n; q++) {
      const i = argmax1(at(l, q), at(d, q), step, classes);
      store<i32>(at(idx, q), i);
      if (!y) continue;
      const m = lineMax(at(l, q), classes, step);
      const gap = kappa >= 0 ? kappa : adaptiveGap1(at(l, q), step, i, m, lineExpSum(at(l, q), 0, classes, step, m, 1));
      const r = gapped1(at(l, q), at(y, q), step, classes, i, m, m - gap, it);
      const vq: usize = forward ? 0 : at(v, q);
      const dot = scaleDot1(at(y, q), step, vq, step, classes, r);
      if (!forward) accumulate1(at(d, q), step, vq, at(d, q), step, classes, dot, it, true);
    }
  }
  if (forward) oneHotLines(d, step, classes, n);
}

// ---------------------------------------------------------------- the kernels

type Chunk = (l: usize, v: usize, d: usize, a: usize, n: i32, classes: i32, inner: i32, jc: u64, it: f32, param: f32, k0: u32, k1: u32) => void;

/**
 * The loop of both kernels: validates every line first (returns the first bad one, having
 * written nothing), then hands over the chunks of each slice. The forward's aux (soft) moves
 * with the chunk, the backward's (workspace) does not.
 */
function eachChunk(
  logits: usize, dy: usize, dst: usize, aux: usize, rows: i32, cols: i32, inner: i32, tau: f32, param: f32,
  k0: u32, k1: u32, jLo: u32, jHi: u32, chunk: Chunk,
): i32 {
  const bad = checkLines(logits, rows, cols, inner);
  if (bad >= 0) return bad;
  const it = invTemperature(tau);
  const classes = cols / inner;
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  for (let o = 0; o < rows; o++) {
    for (let ja = 0; ja < inner; ja += STRAIGHT_AXIS_LINES) {
      const e = <usize>o * <usize>cols + <usize>ja;
      const b = e << 2;
      const a = dy ? aux : aux ? aux + b : 0;
      chunk(logits + b, dy ? dy + b : 0, dst + b, a, min<i32>(STRAIGHT_AXIS_LINES, inner - ja), classes, inner, j0 + <u64>e, it, param, k0, k1);
    }
  }
  return -1;
}

/**
 * gumbel_rao along a non-last axis: cols = classes * inner per slice, class c of line j at
 * c * inner + j. Forward when dy is 0: dst <- D (one-hot), and aux (soft) <- mean_s y_s when
 * not 0. Backward otherwise: dst <- dlogits, aux a workspace of classes * min(inner,
 * STRAIGHT_AXIS_LINES) floats. Noise: element (o, c, j) draws stream element
 * j0 + o * cols + c * inner + j for the sampled class, and the same element of sub-stream
 * 1 + s for draw s (gumbel_rao's, with the input's row-major index). Returns -1, or the first
 * bad line o * inner + j (nothing written).
 * @rows.forward logits:cols dy:cols dst:cols aux:cols
 * @rows.backward logits:cols dy:cols dst:cols aux:own
 * @validates
 */
export function gumbel_rao_axis(
  logits: usize, dy: usize, dst: usize, aux: usize, rows: i32, cols: i32, inner: i32, tau: f32, samples: i32,
  k0: u32, k1: u32, jLo: u32, jHi: u32,
): i32 {
  return eachChunk(logits, dy, dst, aux, rows, cols, inner, tau, <f32>samples, k0, k1, jLo, jHi, raoChunk);
}

/**
 * gapped_st along a non-last axis (layout as gumbel_rao_axis). Forward when dy is 0: dst <- D
 * (one-hot), soft <- y when soft is not 0. Backward otherwise: dst <- y * (dy - <dy, y>) / tau
 * (soft unused). kappa < 0: adaptive. Noise: element (o, c, j) draws stream element
 * j0 + o * cols + c * inner + j. Returns -1, or the first bad line (nothing written).
 * @rows.forward logits:cols dy:cols dst:cols soft:cols
 * @rows.backward logits:cols dy:cols dst:cols soft:-
 * @validates
 */
export function gapped_st_axis(
  logits: usize, dy: usize, dst: usize, soft: usize, rows: i32, cols: i32, inner: i32, tau: f32, kappa: f32,
  k0: u32, k1: u32, jLo: u32, jHi: u32,
): i32 {
  return eachChunk(logits, dy, dst, soft, rows, cols, inner, tau, kappa, k0, k1, jLo, jHi, gappedChunk);
}
