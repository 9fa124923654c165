// The calls with noise along a non-last axis (the façade's `shape`/`axis` with inner > 1):
// Gumbel-Softmax, Gumbel-Max and the probabilities-to-logits step of `probs: true`.
//
// Layout (strided kernels, see src/abi.ts): `rows` slices of cols = classes * inner elements;
// class c of line j of slice o sits at o * cols + c * inner + j. The noise of that element is
// stream element j0 + o * cols + c * inner + j: its row-major index in the input as given, the
// value `gumbel_noise` would write there, so the axis never changes which noise an element gets.
//
// Vectorised across the lines: four adjacent lines j .. j+3 in the four f32x4 lanes, loaded
// with contiguous v128 loads c * inner * 4 bytes apart (no gather, no transposing copy); the
// lines left over when inner % 4 != 0 go as one group of fewer lanes (inline/lanes.ts). The
// scalar build takes one line at a time. Per line, every step is the one the
// row kernels take per element (gumbel_softmax.ts, gumbel_max.ts, inline/row.ts): t = logits
// + g in float32, the first maximum of t (strict >, so the lowest class wins ties),
// exp((t - m) * invTau), the sum in the canonical order (class c into accumulator c & 3, then
// (a0 + a2) + (a1 + a3)), 1 / sum and one product. So the SIMD and scalar builds give the
// same bits, and a line gives the bits the row kernel gives a row holding that line's logits
// and noise (for inner == 1: exactly gumbel_softmax's and gumbel_max's output).

import { NEG_INF, ONE, ZERO, vf } from "./inline/consts";
import { expf } from "./inline/exp";
import { logOrMaskRun } from "./inline/log";
import { loadLanes, storeLanes } from "./inline/lanes";
import { expShift4, rowPtr } from "./inline/row";
import { CHUNK } from "./inline/sample";
import { SCRATCH_NOISE, SCRATCH_WORDS, scratch } from "./inline/scratch";
import { writeGumbel } from "./inline/stream";
import { invTemperature } from "./inline/tau";
import { FAULT_ALL_ZERO, checkLines, checkProbLines, setFault } from "./inline/validate";

/** Short slices draw their noise together, up to this many elements at a time (as gumbel_softmax's rows). */
const GROUP: i32 = 1024;

// @ts-ignore: decorator
@inline
function counter(jLo: u32, jHi: u32): u64 {
  return (<u64>jHi << 32) | <u64>jLo;
}

/**
 * dst <- softmax((logits + g) / tau) along each line (classes `inner` elements apart); when
 * `hard`, one_hot(argmax(logits + g)) along the line instead, and soft <- the soft sample when
 * soft is not 0. g: the noise of the element's row-major index (stream element j0 + o * cols +
 * c * inner + j). Returns -1, or the first bad line o * inner + j (nothing written).
 * @rows logits:cols dst:cols soft:cols
 * @validates
 */
export function gumbel_softmax_axis(
  logits: usize, dst: usize, soft: usize, rows: i32, cols: i32, inner: i32, tau: f32, hard: bool,
  k0: u32, k1: u32, jLo: u32, jHi: u32,
): i32 {
  const bad = checkLines(logits, rows, cols, inner);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf line: nothing written
  const it = invTemperature(tau);
  const j0 = counter(jLo, jHi);
  const classes = cols / inner;
  // dst has the input's shape: the noise goes straight there, whole slices per draw (short
  // slices several at a time: their noise is consecutive in the stream and in dst).
  const per = cols >= GROUP ? 1 : GROUP / cols;
  for (let o0 = 0; o0 < rows; o0 += per) {
    const o1 = min<i32>(rows, o0 + per);
    writeGumbel(rowPtr(dst, o0, cols), (o1 - o0) * cols, k0, k1, j0 + <u64>o0 * <u64>cols);
    for (let o = o0; o < o1; o++) {
      softmaxLines(rowPtr(logits, o, cols), rowPtr(dst, o, cols), soft ? rowPtr(soft, o, cols) : 0, classes, inner, it, hard);
    }
  }
  return -1;
}

/**
 * One slice: d holds the noise g on entry. d <- softmax((x + g) * invTau) per line, or with
 * `hard` the one-hot of the first argmax of x + g (and s <- the soft sample unless s is 0).
 */
function softmaxLines(x: usize, d: usize, s: usize, classes: i32, inner: i32, it: f32, hard: bool): void {
  const step = <usize>inner << 2;
  const y = hard ? s : d; // where the soft sample goes; 0: hard without it (the index alone)
  if (ASC_FEATURE_SIMD) {
    const iv = f32x4.splat(it);
    let j = 0;
    for (; j + 4 <= inner; j += 4) softmax4(x, d, y, <usize>j << 2, classes, step, iv, hard, 4, true);
    if (j < inner) softmax4(x, d, y, <usize>j << 2, classes, step, iv, hard, inner - j, false);
    return;
  }
  for (let j = 0; j < inner; j++) {
    const q = <usize>j << 2;
    let best = -Infinity as f32;
    let bestIdx = -1;
    let p = q;
    for (let c = 0; c < classes; c++, p += step) {
      const t = load<f32>(x + p) + load<f32>(d + p);
      store<f32>(d + p, t);
      if (t > best) {
        best = t;
        bestIdx = c;
      }
    }
    if (y) {
      let a0: f32 = 0, a1: f32 = 0, a2: f32 = 0, a3: f32 = 0;
      p = q;
      for (let c = 0; c < classes; c++, p += step) {
        const e = expf((load<f32>(d + p) - best) * it);
        store<f32>(y + p, e);
        const lane = c & 3;
        if (lane == 0) a0 += e;
        else if (lane == 1) a1 += e;
        else if (lane == 2) a2 += e;
        else a3 += e;
      }
      const inv = <f32>1.0 / ((a0 + a2) + (a1 + a3));
      p = q;
      for (let c = 0; c < classes; c++, p += step) store<f32>(y + p, load<f32>(y + p) * inv);
    }
    if (hard) {
      p = q;
      for (let c = 0; c < classes; c++, p += step) store<f32>(d + p, c == bestIdx ? 1 : 0);
    }
  }
}

/** softmaxLines on the n lines (1 to 4; `full`: 4) at byte q of the slice, one per lane. */
// @ts-ignore: decorator
@inline
function softmax4(x: usize, d: usize, y: usize, q: usize, classes: i32, step: usize, iv: v128, hard: bool, n: i32, full: bool): void {
  // d <- t = x + g, and each lane's first maximum and its class.
  let best = vf(NEG_INF);
  let bestIdx = i32x4.splat(-1);
  let p = q;
  for (let c = 0; c < classes; c++, p += step) {
    const t = f32x4.add(loadLanes(x + p, n, full), loadLanes(d + p, n, full));
    storeLanes(d + p, t, n, full);
    const gt = f32x4.gt(t, best);
    best = v128.bitselect(t, best, gt);
    bestIdx = v128.bitselect(i32x4.splat(c), bestIdx, gt);
  }
  if (y) {
    // e = exp((t - m) * invTau) to y; class c into accumulator c & 3, four classes a step.
    let a0 = vf(ZERO);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let c = 0;
    p = q;
    for (; c + 4 <= classes; c += 4, p += step << 2) {
      const e0 = expShift4(loadLanes(d + p, n, full), best, iv);
      const e1 = expShift4(loadLanes(d + p + step, n, full), best, iv);
      const e2 = expShift4(loadLanes(d + p + 2 * step, n, full), best, iv);
      const e3 = expShift4(loadLanes(d + p + 3 * step, n, full), best, iv);
      storeLanes(y + p, e0, n, full);
      storeLanes(y + p + step, e1, n, full);
      storeLanes(y + p + 2 * step, e2, n, full);
      storeLanes(y + p + 3 * step, e3, n, full);
      a0 = f32x4.add(a0, e0);
      a1 = f32x4.add(a1, e1);
      a2 = f32x4.add(a2, e2);
      a3 = f32x4.add(a3, e3);
    }
    for (; c < classes; c++, p += step) {
      const e = expShift4(loadLanes(d + p, n, full), best, iv);
      storeLanes(y + p, e, n, full);
      const lane = c & 3;
      if (lane == 0) a0 = f32x4.add(a0, e);
      else if (lane == 1) a1 = f32x4.add(a1, e);
      else a2 = f32x4.add(a2, e);
    }
    const inv = f32x4.div(vf(ONE), f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3)));
    p = q;
    for (c = 0; c < classes; c++, p += step) storeLanes(y + p, f32x4.mul(loadLanes(y + p, n, full), inv), n, full);
  }
  if (hard) {
    p = q;
    for (let c = 0; c < classes; c++, p += step) storeLanes(d + p, v128.and(vf(ONE), i32x4.eq(bestIdx, i32x4.splat(c))), n, full);
  }
}

/**
 * dst[o * inner + j] (int32) = argmax_c(logits[o, c, j] + g[o, c, j]), the lowest such c on
 * ties, g the noise of the element's row-major index (stream element j0 + o * cols + c *
 * inner + j). Returns -1, or the first bad line o * inner + j (nothing written). No workspace
 * beyond the instance's scratch: the noise is drawn a tile at a time, as runs of the stream.
 * @rows logits:cols dst:inner
 * @validates
 */
export function gumbel_max_axis(logits: usize, dst: usize, rows: i32, cols: i32, inner: i32, k0: u32, k1: u32, jLo: u32, jHi: u32): i32 {
  const bad = checkLines(logits, rows, cols, inner);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf line: nothing written
  const j0 = counter(jLo, jHi);
  const classes = cols / inner;
  const step = <usize>inner << 2;
  const noise = scratch(SCRATCH_NOISE); // CHUNK noise values
  const best = scratch(SCRATCH_WORDS); // CHUNK running maxima, one per line of the tile
  if (cols <= CHUNK) {
    // Short slices: the noise of as many whole slices as fit, one run of the stream.
    const per = CHUNK / cols;
    for (let o0 = 0; o0 < rows; o0 += per) {
      const o1 = min<i32>(rows, o0 + per);
      writeGumbel(noise, (o1 - o0) * cols, k0, k1, j0 + <u64>o0 * <u64>cols);
      for (let o = o0; o < o1; o++) {
        argmaxLines(rowPtr(logits, o, cols), rowPtr(noise, o - o0, cols), step, classes, 0, inner, best, rowPtr(dst, o, inner), true);
      }
    }
  } else if (inner <= CHUNK) {
    // Every line of a slice at once; the noise of a block of classes is one run of the stream.
    const block = CHUNK / inner;
    for (let o = 0; o < rows; o++) {
      const xo = rowPtr(logits, o, cols);
      for (let c0 = 0; c0 < classes; c0 += block) {
        const n = min<i32>(block, classes - c0);
        writeGumbel(noise, n * inner, k0, k1, j0 + <u64>o * <u64>cols + <u64>c0 * <u64>inner);
        argmaxLines(xo + <usize>c0 * step, noise, step, n, c0, inner, best, rowPtr(dst, o, inner), c0 == 0);
      }
    }
  } else {
    // Wide slices: tiles of CHUNK lines, one class at a time (each a run of CHUNK noise values).
    for (let o = 0; o < rows; o++) {
      const xo = rowPtr(logits, o, cols);
      for (let ja = 0; ja < inner; ja += CHUNK) {
        const w = min<i32>(CHUNK, inner - ja);
        for (let c = 0; c < classes; c++) {
          writeGumbel(noise, w, k0, k1, j0 + <u64>o * <u64>cols + <u64>c * <u64>inner + <u64>ja);
          argmaxLines(xo + <usize>c * step + (<usize>ja << 2), noise, step, 1, c, w, best, rowPtr(dst, o, inner) + (<usize>ja << 2), c == 0);
        }
      }
    }
  }
  return -1;
}

/**
 * Offers classes c0 .. c0+n-1 of lines 0 .. w-1 to their running maxima: class c0 + k of line
 * l has its logit at x + k * step + 4l and its noise at g + k * step + 4l (the noise tile laid
 * out as the logits). best[l] (float) and idx[l] (int32, the output) hold the running maximum
 * and its class; `first`: start them at -Inf and -1. Strict >: the lowest class wins ties.
 */
function argmaxLines(x: usize, g: usize, step: usize, n: i32, c0: i32, w: i32, best: usize, idx: usize, first: bool): void {
  if (ASC_FEATURE_SIMD) {
    let l = 0;
    for (; l + 4 <= w; l += 4) argmax4(x, g, <usize>l << 2, step, n, c0, best, idx, first, 4, true);
    if (l < w) argmax4(x, g, <usize>l << 2, step, n, c0, best, idx, first, w - l, false);
    return;
  }
  for (let l = 0; l < w; l++) {
    const q = <usize>l << 2;
    let b = first ? -Infinity as f32 : load<f32>(best + q);
    let bi = first ? -1 : load<i32>(idx + q);
    let p = q;
    for (let k = 0; k < n; k++, p += step) {
      const t = load<f32>(x + p) + load<f32>(g + p);
      if (t > b) {
        b = t;
        bi = c0 + k;
      }
    }
    store<f32>(best + q, b);
    store<i32>(idx + q, bi);
  }
}

/** argmaxLines on the m lines (1 to 4; `full`: 4) at byte q, one per lane. */
// @ts-ignore: decorator
@inline
function argmax4(x: usize, g: usize, q: usize, step: usize, n: i32, c0: i32, best: usize, idx: usize, first: bool, m: i32, full: bool): void {
  let b = first ? vf(NEG_INF) : loadLanes(best + q, m, full);
  let bi = first ? i32x4.splat(-1) : loadLanes(idx + q, m, full);
  let p = q;
  for (let k = 0; k < n; k++, p += step) {
    const t = f32x4.add(loadLanes(x + p, m, full), loadLanes(g + p, m, full));
    const gt = f32x4.gt(t, b);
    b = v128.bitselect(t, b, gt);
    bi = v128.bitselect(i32x4.splat(c0 + k), bi, gt);
  }
  storeLanes(best + q, b, m, full);
  storeLanes(idx + q, bi, m, full);
}

/**
 * dst = log(probs), -Inf where a probability is 0 (or -0): log_probs along a non-last axis
 * (the logs are elementwise, the same bits; only the refusals follow the lines). Returns -1,
 * or the first line o * inner + j holding a value that is not a finite probability >= 0 (NaN,
 * negative, +Inf) or no positive value (check_fault(): FAULT_NOT_PROB, FAULT_ALL_ZERO). dst is
 * the caller's work area: it is written even when a line is refused (the façade's output is not).
 * @rows probs:cols dst:cols
 */
export function log_probs_axis(probs: usize, dst: usize, rows: i32, cols: i32, inner: i32): i32 {
  if (!logOrMaskRun(probs, dst, <usize>rows * <usize>cols)) return checkProbLines(probs, rows, cols, inner);
  // Every value is a finite probability >= 0: a line is bad only when it is all zeros.
  const bad = checkLines(dst, rows, cols, inner);
  if (bad >= 0) setFault(FAULT_ALL_ZERO);
  return bad;
}
