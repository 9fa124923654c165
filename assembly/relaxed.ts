// The relaxed (Concrete) distributions' densities, in float64: float32 in and out, every log
// and exp here is inline/math64.ts's table-free fdlibm exp64/log64, log1p AssemblyScript's
// (compiled into this binary, so every engine gets the same bits). Scalar code only: the SIMD and scalar builds
// are the same function. The façade validates (shapes, y on the simplex or in [0, 1]); these
// loops trust their inputs. The categorical density runs one line at a time (categoricalLine):
// rows of the row kernel, or lines along a non-last axis (`_axis`, classes `inner` elements
// apart), the same arithmetic in the same order either way, so the same bits per line.
//
// RelaxedOneHotCategorical (K unmasked classes, x = l - tau log y):
//   log p(y) = lgamma(K) + (K-1) log tau + sum_k l_k - (tau+1) sum_k log y_k - K logsumexp_k(x_k)
//   d/dl_k = 1 - K softmax(x)_k,  d/dtau = (K-1)/tau - sum_k log y_k + K sum_k softmax(x)_k log y_k
// With m of the unmasked y_k exactly 0 (the set Z), along y_Z = eps -> 0 (all of Z at the same
// rate) log p = L (m(tau+1) - K tau) + C + o(1), L = -log eps, where
//   C = lgamma(K) + (K-1) log tau + sum_k l_k - (tau+1) sum_{k not in Z} log y_k - K logsumexp_{j in Z} l_j
// so log p = +Inf, -Inf or C as m(tau+1) - K tau is > 0, < 0 or 0; softmax(x) tends to
// softmax over Z of l (0 elsewhere), and d/dtau to -Inf (its L coefficient is m - K < 0).
// A masked class (l = -Inf) is outside the support unless its y is 0: log p = -Inf there,
// gradients 0. Logits are shifted by their row maximum first (the density does not change).
//
// RelaxedBernoulli (binary Concrete), with a = log y, b = log1p(-y), u = l - tau (a - b):
//   log p(y) = log tau - a - b - softplus(u) - softplus(-u)   (no overflow: |u| + 2 log1p(e^-|u|))
//   d/dl = 1 - 2 sigmoid(u),  d/dtau = 1/tau + (a - b)(2 sigmoid(u) - 1)
//   cdf(y) = P(sigmoid((l + L)/tau) <= y) = sigmoid(tau (a - b) - l)
// At y = 0: log p = log tau - l + (tau - 1) log y -> +Inf (tau < 1), -Inf (tau > 1), -l (tau = 1),
// d/dl = -1, d/dtau = -Inf; at y = 1: log tau + l + (tau - 1) log(1-y), the same way, +l at
// tau = 1, d/dl = 1, d/dtau = -Inf. l = -Inf (+Inf) is the point mass at 0 (1): log p = 0 there,
// -Inf elsewhere, gradients 0.

import { exp64, log64 } from "./inline/math64";
import { at } from "./inline/row";

/** relaxed_bernoulli's op codes. */
export const BERN_SAMPLE: i32 = 0;
export const BERN_LOG_PROB: i32 = 1;
export const BERN_CDF: i32 = 2;
export const BERN_LOGIT: i32 = 3;
export const BERN_SIGMOID: i32 = 4;

/** log((K-1)!) = lgamma(K) for an integer K >= 1, within 1e-14: sum of logs below 16, else Stirling. */
function lgammaInt(k: i32): f64 {
  if (k < 16) {
    let s = 0.0;
    for (let i = 2; i < k; i++) s += log64(<f64>i);
    return s;
  }
  // (K - 1/2) log K - K + log(2 pi)/2 + 1/(12K) - 1/(360K^3) + 1/(1260K^5) - 1/(1680K^7);
  // the next term, 1/(1188 K^9), is below 2e-14 for K >= 16.
  const x = <f64>k;
  const r = 1.0 / x;
  const r2 = r * r;
  const series = r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0))));
  return (x - 0.5) * log64(x) - x + 0.9189385332046728 + series;
}

/** 1 / (1 + e^-z) without overflow for either sign (sigmoid(+/-Inf) = 1 / 0). */
// @ts-ignore: decorator
@inline
function sigmoid(z: f64): f64 {
  if (z >= 0) return 1.0 / (1.0 + exp64(-z));
  const e = exp64(z);
  return e / (1.0 + e);
}

/** lgamma(K) + (K - 1) log tau of the last row (K, tau). */
let lastK: i32 = -1;
let lastT: f64 = NaN;
let lastConst: f64 = 0;

/**
 * Log-density of each row of y (rows x cols) under RelaxedOneHotCategorical(logits, tau[r])
 * into dst[r]; when dlogits / dtau are not 0, the gradients w.r.t. the logits (rows x cols)
 * and the temperature (rows) too.
 * @rows logits:cols y:cols tau:1 dst:1 dlogits:cols dtau:1
 */
export function relaxed_categorical_log_prob(
  logits: usize, y: usize, tau: usize, dst: usize, dlogits: usize, dtau: usize, rows: i32, cols: i32,
): void {
  for (let r = 0; r < rows; r++) {
    const e = r * cols;
    categoricalLine(at(logits, e), at(y, e), 1, cols, load<f32>(at(tau, r)), at(dst, r), dlogits ? at(dlogits, e) : 0, dtau ? at(dtau, r) : 0);
  }
}

/**
 * relaxed_categorical_log_prob along a non-last axis: rows = outer slices of cols = classes *
 * inner elements, class c of line j at c * inner + j (logits, y, dlogits), one value per line
 * (o * inner + j) in tau, dst and dtau. Each line gets exactly the row kernel's bits on that
 * line (the same scalar float64 loop, `inner` elements apart): no copy.
 * @rows logits:cols y:cols tau:inner dst:inner dlogits:cols dtau:inner
 */
export function relaxed_categorical_log_prob_axis(
  logits: usize, y: usize, tau: usize, dst: usize, dlogits: usize, dtau: usize, rows: i32, cols: i32, inner: i32,
): void {
  const classes = cols / inner;
  for (let o = 0; o < rows; o++) {
    for (let j = 0; j < inner; j++) {
      const e = o * cols + j;
      const l = o * inner + j;
      categoricalLine(at(logits, e), at(y, e), inner, classes, load<f32>(at(tau, l)), at(dst, l), dlogits ? at(dlogits, e) : 0, dtau ? at(dtau, l) : 0);
    }
  }
}

/**
 * One categorical's log-density (and, where dl / dt are not 0, its gradients): its `cols`
 * classes `s` elements apart at lr (logits), yr (y) and dl (d/dlogits); the results at dst, dt.
 */
function categoricalLine(lr: usize, yr: usize, s: i32, cols: i32, tau: f32, dst: usize, dl: usize, dt: usize): void {
  const t = <f64>tau;
  // Pass 1: the unmasked count K, the zeros m, the logits' maximum, support.
  let k = 0;
  let m = 0;
  let lmax = -Infinity;
  let outside = false;
  for (let j = 0; j < cols; j++) {
    const l = <f64>load<f32>(at(lr, j * s));
    const v = load<f32>(at(yr, j * s));
    if (l == -Infinity) {
      outside = outside || v != 0;
      continue;
    }
    k++;
    if (v == 0) m++;
    lmax = max(lmax, l);
  }
  if (outside) {
    store<f32>(dst, -Infinity);
    if (dl) {
      if (s == 1) memory.fill(dl, 0, <usize>cols << 2);
      else for (let j = 0; j < cols; j++) store<f32>(at(dl, j * s), 0);
    }
    if (dt) store<f32>(dt, 0);
    return;
  }
  // Pass 2: sums, and running log-sum-exps of x over y > 0 (mx, sx) and of l over Z (mz, sz).
  let sumL = 0.0;
  let sumA = 0.0;
  let mx = -Infinity;
  let sx = 0.0;
  let mz = -Infinity;
  let sz = 0.0;
  for (let j = 0; j < cols; j++) {
    const l0 = <f64>load<f32>(at(lr, j * s));
    if (l0 == -Infinity) continue;
    const l = l0 - lmax;
    sumL += l;
    const v = <f64>load<f32>(at(yr, j * s));
    if (v == 0) {
      if (l > mz) {
        sz = sz * exp64(mz - l) + 1.0;
        mz = l;
      } else sz += exp64(l - mz);
      continue;
    }
    const a = log64(v);
    sumA += a;
    const x = l - t * a;
    if (x > mx) {
      sx = sx * exp64(mx - x) + 1.0;
      mx = x;
    } else sx += exp64(x - mx);
  }
  const kf = <f64>k;
  if (k != lastK || t != lastT) {
    // Rows of one batch share K and (mostly) tau: computed once for them.
    lastK = k;
    lastT = t;
    lastConst = lgammaInt(k) + (kf - 1.0) * log64(t);
  }
  const base = lastConst + sumL - (t + 1.0) * sumA;
  // With zeros, the softmax of x lives on Z: lse (of x, or of l over Z) and the shift of x.
  const lse = m == 0 ? mx + log64(sx) : mz + log64(sz);
  let lp: f64;
  if (m == 0) lp = base - kf * lse;
  else {
    const d = <f64>m - <f64>(k - m) * t; // the sign of m(tau+1) - K tau
    lp = d > 0 ? Infinity : d < 0 ? -Infinity : base - kf * lse;
  }
  store<f32>(dst, <f32>lp);
  if (!dl && !dt) return;
  // Pass 3: s = softmax(x) (or its limit on Z), d/dl = 1 - K s, and sum s log y.
  let sa = 0.0;
  if (dl || m == 0) {
    for (let j = 0; j < cols; j++) {
      const l0 = <f64>load<f32>(at(lr, j * s));
      let g = 0.0;
      if (l0 != -Infinity) {
        const l = l0 - lmax;
        const v = <f64>load<f32>(at(yr, j * s));
        let p = 0.0;
        if (m == 0) {
          const a = log64(v);
          p = exp64(l - t * a - lse);
          sa += p * a;
        } else if (v == 0) p = exp64(l - lse);
        g = 1.0 - kf * p;
      }
      if (dl) store<f32>(at(dl, j * s), <f32>g);
    }
  }
  if (dt) store<f32>(dt, m == 0 ? <f32>((kf - 1.0) / t - sumA + kf * sa) : <f32>-Infinity);
}

/** log p and its gradients at one y in [0, 1] (see the top of the file); writes the gradients to gl / gt. */
let gl: f64 = 0;
let gt: f64 = 0;
function bernoulliLogProb(l: f64, t: f64, v: f64): f64 {
  gl = 0;
  gt = 0;
  if (l == -Infinity) return v == 0 ? 0 : -Infinity;
  if (l == Infinity) return v == 1 ? 0 : -Infinity;
  if (v == 0 || v == 1) {
    gl = v == 0 ? -1 : 1;
    gt = -Infinity;
    if (t == 1) return v == 0 ? -l : l;
    return t < 1 ? Infinity : -Infinity;
  }
  const a = log64(v);
  const b = Math.log1p(-v);
  const u = l - t * (a - b);
  const au = Math.abs(u);
  const s = sigmoid(u);
  gl = 1.0 - 2.0 * s;
  gt = 1.0 / t + (a - b) * (2.0 * s - 1.0);
  return log64(t) - a - b - au - 2.0 * Math.log1p(exp64(-au));
}

/** P(Y <= v) for Y = sigmoid((l + Logistic)/t). */
// @ts-ignore: decorator
@inline
function bernoulliCdf(l: f64, t: f64, v: f64): f64 {
  if (l == -Infinity || v == 1) return 1;
  if (l == Infinity || v == 0) return 0;
  return sigmoid(t * (log64(v) - Math.log1p(-v)) - l);
}

/**
 * RelaxedBernoulli elementwise over n = draws * size elements; element q uses logits[q % size]
 * and tau[q % size]. op:
 * - BERN_SAMPLE: x holds 2n Gumbel values; dst[q] = sigmoid((l + x[2q] - x[2q+1]) / tau) and,
 *   when aux1 is not 0, aux1[q] = 1 if that argument is > 0 (else 0).
 * - BERN_LOG_PROB: x = y; dst = log p, aux1 / aux2 (when not 0) = d/dlogits, d/dtau.
 * - BERN_CDF: x = y; dst = P(Y <= y).
 * - BERN_LOGIT: dst = log(x) - log1p(-x) (probs to logits; 0 -> -Inf, 1 -> +Inf). Params unused.
 * - BERN_SIGMOID: dst = sigmoid(x) (logits to probs). Params unused.
 */
export function relaxed_bernoulli(
  op: i32, logits: usize, tau: usize, x: usize, dst: usize, aux1: usize, aux2: usize, n: i32, size: i32,
): void {
  if (op == BERN_LOGIT || op == BERN_SIGMOID) {
    for (let q = 0; q < n; q++) {
      const v = <f64>load<f32>(at(x, q));
      let r: f64;
      if (op == BERN_SIGMOID) r = sigmoid(v);
      else r = v == 0 ? -Infinity : v == 1 ? Infinity : log64(v) - Math.log1p(-v);
      store<f32>(at(dst, q), <f32>r);
    }
    return;
  }
  for (let q0 = 0; q0 < n; q0 += size) {
    for (let i = 0; i < size; i++) {
      const q = q0 + i;
      const l = <f64>load<f32>(at(logits, i));
      const t = <f64>load<f32>(at(tau, i));
      if (op == BERN_SAMPLE) {
        const g = at(x, 2 * q);
        const z = (l + (<f64>load<f32>(g) - <f64>load<f32>(g + 4))) / t;
        store<f32>(at(dst, q), <f32>sigmoid(z));
        if (aux1) store<f32>(at(aux1, q), z > 0 ? 1 : 0);
        continue;
      }
      const v = <f64>load<f32>(at(x, q));
      if (op == BERN_CDF) {
        store<f32>(at(dst, q), <f32>bernoulliCdf(l, t, v));
        continue;
      }
      store<f32>(at(dst, q), <f32>bernoulliLogProb(l, t, v));
      if (aux1) store<f32>(at(aux1, q), <f32>gl);
      if (aux2) store<f32>(at(aux2, q), <f32>gt);
    }
  }
}
