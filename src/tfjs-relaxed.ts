// The relaxed distributions' log-densities as gumbel-wasm/tfjs ops: what the Concrete ELBO of
// Maddison et al. (2017) needs, log q(y) - log p(y) at a relaxed sample y, with its gradients
// w.r.t. the logits, the temperature and y itself (the reparameterised path). The densities
// and their logits and temperature gradients come from the kernels (float64 inside, see
// src/relaxed-kernels.ts); the gradient w.r.t. the value is arithmetic on them (no exp or log
// in JS):
//
//   categorical  d/dy_k log p = -(tau+1)/y_k + K tau softmax(x)_k / y_k = (-tau dlogits_k - 1) / y_k
//                (x = l - tau log y, dlogits_k = 1 - K softmax(x)_k; 0 for masked classes)
//   Bernoulli    d/dy log p = (2y - 1 - tau dlogits) / (y (1 - y))      (dlogits = 1 - 2 sigmoid(u))
//
// At a value of exactly 0 (or 1, binary) the density is not differentiable: dvalue is +/-Inf.

import * as tf from "@tensorflow/tfjs-core";
import { BERN_LOG_PROB } from "./abi.js";
import type { GumbelWasm } from "./gumbel.js";
import { bernoulliRun, categoricalDensity, checkLogitRows } from "./relaxed-kernels.js";
import { as, at, op, read, rowsOf, sameShape, temperatureArg, temperatureGrad, tensorArg, wrap, type Temperature } from "./tfjs-args.js";

/** A temperature: a number, or a float32 tensor (a scalar, or one per row / element), which then gets its gradient. */
export type TfTemperature = number | tf.Tensor;

/** Each temperature value repeated per unit, as the kernels read them. */
function perUnit(t: Temperature, units: number): Float32Array {
  return typeof t.value === "number" ? new Float32Array(units).fill(t.value) : t.value;
}

/**
 * Whether the engine records a gradient (inside tf.grad, tf.variableGrads, an optimizer's
 * minimize): then the gradients are computed with the density, in one kernel pass; otherwise
 * only the density, and a backward (should one come after all) runs the pass again. Asked
 * before the op starts: inside its forward the engine reports no tape (a kernel is running).
 */
function recording(): boolean {
  return tf.engine().isTapeOn();
}

export function relaxedCategoricalLogProb(gw: GumbelWasm, logits: unknown, value: unknown, temperature: unknown): tf.Tensor {
  const fn = "tfjs.relaxedCategoricalLogProb";
  const l = tensorArg(fn, "logits", logits);
  const v = tensorArg(fn, "value", value);
  const { rows, cols, lead } = rowsOf(fn, "logits", l);
  sameShape(fn, l, "logits", v, "value");
  const t = temperatureArg(fn, "temperature", temperature, rows, lead, "row", true);
  const inputs = t.tensor ? [l, v, t.tensor] : [l, v];
  const tape = recording();
  return op(inputs, () => {
    const ld = read(l);
    const y = read(v);
    const taus = perUnit(t, rows);
    const density = (grad: boolean) =>
      as(fn, () => {
        checkLogitRows(gw, fn, "logits", ld, rows, cols);
        return categoricalDensity(gw, fn, ld, y, taus, rows, cols, grad);
      }, lead);
    let grads = tape;
    let parts = density(grads);
    return {
      value: wrap(parts[0]!, lead),
      grad: (dy) => {
        if (!grads) parts = density((grads = true));
        const dlogits = parts[1]!;
        const dtemp = parts[2]!;
        const d = read(dy);
        const dl = new Float32Array(rows * cols);
        const dv = new Float32Array(rows * cols);
        const dt = new Float32Array(rows);
        for (let r = 0; r < rows; r++) {
          const g = d[r]!;
          const tau = taus[r]!;
          const base = r * cols;
          dt[r] = dtemp[r]! * g;
          // Outside the support (a masked class with a value above 0), log p is -Inf: no gradient.
          let outside = false;
          for (let k = base; k < base + cols; k++) if (ld[k] === -Infinity && y[k] !== 0) outside = true;
          for (let k = base; k < base + cols; k++) {
            dl[k] = dlogits[k]! * g;
            dv[k] = outside || ld[k] === -Infinity ? 0 : ((-tau * dlogits[k]! - 1) / y[k]!) * g;
          }
        }
        const out = [wrap(dl, l.shape), wrap(dv, v.shape)];
        return t.tensor ? [...out, temperatureGrad(t.tensor, dt)] : out;
      },
    };
  });
}

export function relaxedBernoulliLogProb(gw: GumbelWasm, logits: unknown, value: unknown, temperature: unknown): tf.Tensor {
  const fn = "tfjs.relaxedBernoulliLogProb";
  const l = tensorArg(fn, "logits", logits);
  const v = tensorArg(fn, "value", value);
  sameShape(fn, l, "logits", v, "value");
  const n = l.size;
  const shape = l.shape;
  const t = temperatureArg(fn, "temperature", temperature, n, shape, "element", true);
  const inputs = t.tensor ? [l, v, t.tensor] : [l, v];
  const tape = recording();
  return op(inputs, () => {
    const ld = read(l);
    for (let i = 0; i < n; i++) if (Number.isNaN(ld[i])) throw new RangeError(`${fn}: logits${at(shape, i)} is NaN`);
    const y = read(v);
    const taus = perUnit(t, n);
    const density = (grad: boolean) => as(fn, () => bernoulliRun(gw, fn, BERN_LOG_PROB, ld, taus, y, n, grad ? 3 : 1), null, shape);
    let grads = tape;
    let parts = density(grads);
    return {
      value: wrap(parts[0]!, shape),
      grad: (dy) => {
        if (!grads) parts = density((grads = true));
        const dlogits = parts[1]!;
        const dtemp = parts[2]!;
        const d = read(dy);
        const dl = new Float32Array(n);
        const dv = new Float32Array(n);
        const dt = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const g = d[i]!;
          const yi = y[i]!;
          dl[i] = dlogits[i]! * g;
          dt[i] = dtemp[i]! * g;
          // Logits of +/-Inf are point masses: log p is constant (0 or -Inf) in the value.
          dv[i] = Math.abs(ld[i]!) === Infinity ? 0 : ((2 * yi - 1 - taus[i]! * dlogits[i]!) / (yi * (1 - yi))) * g;
        }
        const out = [wrap(dl, shape), wrap(dv, shape)];
        return t.tensor ? [...out, temperatureGrad(t.tensor, dt)] : out;
      },
    };
  });
}
