// What test/tfjs.test.ts compares gumbel-wasm/tfjs with: each op's formula composed from tfjs ops
// (differentiated by tf.grad, on the same noise), and float64 references of the quantities its
// gradients estimate (written plainly from the formulas; Math.log / Math.exp are fine in tests).
import * as tf from "@tensorflow/tfjs-core";
import { lgammaIntRef, relaxedBernoulliLogProbRef, relaxedLogProbRef } from "./reference-relaxed.js";
import { exponentialOfBits, subStreamBitsRef } from "./reference-straight.js";

// ---------------------------------------------------------------- composed in tfjs

/** Gumbel-Softmax as a tfjs user writes it: softmax((logits + g) / tau) over the last axis. */
export function gumbelSoftmaxTf(logits: tf.Tensor, g: tf.Tensor, tau: tf.Tensor | number): tf.Tensor {
  return tf.softmax(tf.div(tf.add(logits, g), tau));
}

/**
 * The straight-through estimators' surrogate as their reference codes write it: mean_s
 * softmax((logits + c_s) / tau), where c_s = z_s - logits is held constant (Gumbel-Rao's
 * `conditional_gumbel` runs under no_grad; Gapped ST's shift is detached). Masked classes get
 * c = 0 (their logit stays -Inf).
 */
export function surrogateTf(logits: tf.Tensor, shifts: Float32Array[], tau: number): tf.Tensor {
  const ys = shifts.map((c) => tf.softmax(tf.div(tf.add(logits, tf.tensor(c, logits.shape)), tau)));
  return tf.div(tf.addN(ys), shifts.length);
}

/**
 * log p(y) of the relaxed one-hot categorical, one per row, composed as
 * lgamma(K) + (K-1) log tau + sum l - (tau+1) sum log y - K logsumexp(l - tau log y).
 */
export function relaxedCategoricalTf(logits: tf.Tensor, y: tf.Tensor, tau: tf.Tensor): tf.Tensor {
  const K = logits.shape[logits.rank - 1]!;
  const logy = tf.log(y);
  const head = tf.add(tf.scalar(lgammaIntRef(K)), tf.mul(K - 1, tf.log(tau)));
  const body = tf.sub(tf.sum(logits, -1), tf.mul(tf.add(tau, 1), tf.sum(logy, -1)));
  return tf.sub(tf.add(head, body), tf.mul(K, tf.logSumExp(tf.sub(logits, tf.mul(tau, logy)), -1)));
}

/** log p(y) of the relaxed Bernoulli: log tau - a - b - softplus(u) - softplus(-u), a = log y, b = log1p(-y), u = l - tau (a - b). */
export function relaxedBernoulliTf(logits: tf.Tensor, y: tf.Tensor, tau: tf.Tensor): tf.Tensor {
  const a = tf.log(y);
  const b = tf.log1p(tf.neg(y));
  const u = tf.sub(logits, tf.mul(tau, tf.sub(a, b)));
  return tf.sub(tf.sub(tf.sub(tf.sub(tf.log(tau), a), b), tf.softplus(u)), tf.softplus(tf.neg(u)));
}

// ---------------------------------------------------------------- the shifts of the estimators

/**
 * Gumbel-Rao's S shifts c_s = z_s - l (rows x cols each): z_s the conditional draws of the
 * sampled classes `index`, from sub-stream 1 + s (test/reference-straight.ts), in float64.
 */
export function raoShifts(logits: Float32Array, cols: number, samples: number, seed: bigint, offset: bigint, index: Int32Array): Float32Array[] {
  const rows = logits.length / cols;
  const shifts = Array.from({ length: samples }, () => new Float32Array(rows * cols));
  for (let r = 0; r < rows; r++) {
    const l = Array.from(logits.subarray(r * cols, (r + 1) * cols));
    const m = Math.max(...l);
    let Z = 0;
    for (const v of l) Z += Math.exp(v - m);
    const i = index[r]!;
    for (let s = 0; s < samples; s++) {
      const E = Array.from(subStreamBitsRef(seed, offset + BigInt(r * cols), cols, 1 + s), exponentialOfBits);
      for (let k = 0; k < cols; k++) {
        if (l[k] === -Infinity) continue;
        // z - m, as the reference writes it on logits shifted by their maximum
        const z = k === i ? Math.log(Z) - Math.log(E[i]!) : -Math.log(E[k]! / Math.exp(l[k]! - m) + E[i]! / Z);
        shifts[s]![r * cols + k] = z + m - l[k]!;
      }
    }
  }
  return shifts;
}

/** Gapped ST's shift: l'_i = max l for the sampled class i, l'_k = min(l_k, max l - kappa) for the others. */
export function gappedShift(logits: Float32Array, cols: number, kappa: number, index: Int32Array): Float32Array {
  const c = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / cols; r++) {
    const l = logits.subarray(r * cols, (r + 1) * cols);
    const m = Math.max(...l);
    for (let k = 0; k < cols; k++) {
      if (l[k] === -Infinity) continue;
      c[r * cols + k] = k === index[r] ? m - l[k]! : Math.min(0, m - kappa - l[k]!);
    }
  }
  return c;
}

// ---------------------------------------------------------------- float64

/** sum_k w_k softmax((l + g) / tau)_k over all rows, in float64 (the loss whose gradient gumbelSoftmax's backward is). */
export function gumbelSoftmaxLoss(l: ArrayLike<number>, g: ArrayLike<number>, w: ArrayLike<number>, cols: number, tau: number): number {
  let total = 0;
  for (let r = 0; r < l.length / cols; r++) {
    let m = -Infinity;
    for (let k = 0; k < cols; k++) m = Math.max(m, l[r * cols + k]! + g[r * cols + k]!);
    let s = 0;
    let sw = 0;
    for (let k = 0; k < cols; k++) {
      const x = l[r * cols + k]! + g[r * cols + k]!;
      const e = x === -Infinity ? 0 : Math.exp((x - m) / tau);
      s += e;
      sw += e * w[r * cols + k]!;
    }
    total += sw / s;
  }
  return total;
}

/** sum over rows of relaxedLogProbRef (test/reference-relaxed.ts). */
export function categoricalLoss(l: ArrayLike<number>, y: ArrayLike<number>, cols: number, tau: number): number {
  let total = 0;
  for (let r = 0; r < l.length / cols; r++) {
    total += relaxedLogProbRef(Array.from(l).slice(r * cols, (r + 1) * cols), Array.from(y).slice(r * cols, (r + 1) * cols), tau);
  }
  return total;
}

/** sum over elements of relaxedBernoulliLogProbRef. */
export function bernoulliLoss(l: ArrayLike<number>, y: ArrayLike<number>, tau: number): number {
  let total = 0;
  for (let i = 0; i < l.length; i++) total += relaxedBernoulliLogProbRef(l[i]!, tau, y[i]!);
  return total;
}

/**
 * The central difference of `f` at `x` along each coordinate, with step h max(1, |x_i|), or
 * h |x_i| when `relative` (values in (0, 1) that must stay positive): float64 gradients to
 * about 1e-9 for the smooth, small cases the tests use.
 */
export function finiteDiff(f: (x: Float64Array) => number, x: ArrayLike<number>, relative = false, h = 1e-6): Float64Array {
  const at = Float64Array.from(x);
  return at.map((v, i) => {
    const step = h * (relative ? Math.abs(v) : Math.max(1, Math.abs(v)));
    const a = at.slice();
    const b = at.slice();
    a[i] = v + step;
    b[i] = v - step;
    return (f(a) - f(b)) / (2 * step);
  });
}
