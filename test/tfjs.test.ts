// gumbel-wasm/tfjs on TensorFlow.js's cpu and wasm backends:
// - forward values are gumbel-wasm's own calls' bits (and the relaxed distributions');
// - gradients agree with tf.grad of the same formula composed from tfjs ops on the same noise,
//   within the bounds stated below, and with float64 finite differences;
// - where tfjs's autodiff and ours disagree, float64 says which is right (ours, in every case
//   found: masks, cold temperatures, large logits);
// - 10^4 steps leave tf.memory() and the wasm memory as they were;
// - bad input is refused with our named errors, nothing leaked and nothing drawn.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
// tfjs-core registers no gradients itself (@tensorflow/tfjs does): the composed formulas need them.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { beforeAll, describe, expect, test } from "vitest";
import { init, RelaxedBernoulli, RelaxedOneHotCategorical, type GumbelWasm } from "../src/node.js";
import { tfOps, type TfOps } from "../src/tfjs.js";
import { testRandom } from "./reference.js";
import {
  bernoulliLoss, categoricalLoss, finiteDiff, gappedShift, gumbelSoftmaxLoss, gumbelSoftmaxTf, raoShifts, relaxedBernoulliTf,
  relaxedCategoricalTf, surrogateTf,
} from "./tfjs-compose.js";

const require = createRequire(import.meta.url);
setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
tf.enableProdMode();

let gw: GumbelWasm;
let ops: TfOps;
beforeAll(async () => {
  gw = await init({ seed: 11 });
  ops = tfOps(gw);
});

function randoms(seed: number, n: number, scale = 1, mean = 0): Float32Array {
  const rnd = testRandom(seed);
  return Float32Array.from({ length: n }, () => mean + (rnd() * 2 - 1) * scale);
}

/** The float32 bits of a tensor's values or an array (NaN, -0 and +0 told apart). */
function bits(x: tf.Tensor | ArrayLike<number>): Uint32Array {
  return new Uint32Array(Float32Array.from(x instanceof tf.Tensor ? x.dataSync() : x).buffer);
}

const f32 = (x: tf.Tensor) => x.dataSync() as Float32Array;
const sum = (x: ArrayLike<number>) => Array.from(x).reduce((a, b) => a + b, 0);

/**
 * The softmax VJP's bound (README, Accuracy) on each of two float32 gradients of one exact value,
 * so on their difference twice it: per row, 1e-5 of the row's largest |gradient| plus
 * 2^-20 max|w| / tau (float32 cancellation in w - <w, y>).
 */
function expectVjpClose(a: ArrayLike<number>, b: ArrayLike<number>, w: ArrayLike<number>, cols: number, tau: number | ArrayLike<number>): void {
  let wmax = 0;
  for (let i = 0; i < w.length; i++) wmax = Math.max(wmax, Math.abs(w[i]!));
  for (let r = 0; r < a.length / cols; r++) {
    let scale = 0;
    let err = 0;
    for (let k = r * cols; k < (r + 1) * cols; k++) {
      scale = Math.max(scale, Math.abs(b[k]!));
      err = Math.max(err, Math.abs(a[k]! - b[k]!));
    }
    const t = typeof tau === "number" ? tau : tau[r]!;
    expect(err, `row ${r}`).toBeLessThanOrEqual(2 * (1e-5 * scale + (2 ** -20 * wmax) / t));
  }
}

/**
 * d/dtau of sum w * softmax((l + g) / tau) is -sum_k dlogits_k (x_k - m) / tau, a sum whose terms
 * cancel; each float32 gradient is within 2^-18 sum_k |dlogits_k| (1 + |x_k - m| / tau) of it.
 */
function dtauBound(dlogits: ArrayLike<number>, x: ArrayLike<number>, cols: number, tau: number): number {
  let b = 0;
  for (let r = 0; r < x.length / cols; r++) {
    let m = -Infinity;
    for (let k = r * cols; k < (r + 1) * cols; k++) m = Math.max(m, x[k]!);
    for (let k = r * cols; k < (r + 1) * cols; k++) if (x[k] !== -Infinity) b += Math.abs(dlogits[k]!) * (1 + Math.abs(x[k]! - m) / tau);
  }
  return 2 ** -18 * b;
}

describe.each(["cpu", "wasm"] as const)("tfjs %s backend", (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
    await tf.ready();
    expect(tf.getBackend()).toBe(backend);
  });

  describe("forward: gumbel-wasm's own bits", () => {
    test("gumbelSoftmax, soft and hard, on tensors of rank 1 to 3, tau a number, a scalar tensor or one per row", () => {
      for (const shape of [[7], [3, 5], [2, 3, 17]]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const cols = shape.at(-1)!;
        const data = randoms(n, n, 3);
        data[2] = -Infinity; // a masked class
        const logits = tf.tensor(data, shape);
        const rowTau = randoms(7, n / cols, 0.4, 0.6);
        const taus: Array<[number | tf.Tensor, number | Float32Array]> = [
          [0.5, 0.5],
          [tf.scalar(0.7), 0.7],
          [tf.tensor(rowTau, shape.slice(0, -1)), rowTau],
        ];
        for (const [tau, plain] of taus) {
          for (const hard of [false, true]) {
            const y = ops.gumbelSoftmax(logits, { tau, hard, seed: 5, offset: 3 });
            expect(y.shape).toEqual(shape);
            expect(y.dtype).toBe("float32");
            expect(bits(y)).toEqual(bits(gw.gumbelSoftmax(data, { cols, tau: plain, hard, seed: 5, offset: 3 })));
          }
        }
      }
    });

    test("gumbelRao and gappedST: one-hot rows at gumbelMax's index, gw.gumbelRao's and gw.gappedST's bits", () => {
      const data = randoms(3, 4 * 9, 2);
      const logits = tf.tensor(data, [2, 2, 9]);
      const rao = ops.gumbelRao(logits, { tau: 0.5, samples: 7, seed: 8, offset: 100 });
      const gst = ops.gappedST(logits, { tau: 0.5, kappa: "adaptive", seed: 8, offset: 100 });
      expect(bits(rao)).toEqual(bits(gw.gumbelRao(data, { cols: 9, tau: 0.5, samples: 7, seed: 8, offset: 100 })));
      expect(bits(gst)).toEqual(bits(gw.gappedST(data, { cols: 9, tau: 0.5, kappa: "adaptive", seed: 8, offset: 100 })));
      const idx = gw.gumbelMax(data, { cols: 9, seed: 8, offset: 100 });
      idx.forEach((k, r) => expect(f32(rao)[r * 9 + k]).toBe(1));
      expect(sum(f32(gst))).toBe(4);
    });

    test("relaxed log-densities: RelaxedOneHotCategorical's and RelaxedBernoulli's logProb bits", () => {
      const data = randoms(4, 3 * 6, 2);
      const y = gw.gumbelSoftmax(data, { cols: 6, tau: 0.6, seed: 2 });
      const temps = Float32Array.of(0.5, 1, 2);
      const cat = new RelaxedOneHotCategorical(gw, { logits: data, cols: 6, temperature: temps });
      const got = ops.relaxedCategoricalLogProb(tf.tensor(data, [3, 6]), tf.tensor(y, [3, 6]), tf.tensor(temps));
      expect(got.shape).toEqual([3]);
      expect(bits(got)).toEqual(bits(cat.logProb(y)));
      const b = new RelaxedBernoulli(gw, { logits: data, temperature: 0.7 });
      const v = b.rsample({ seed: 3 });
      expect(bits(ops.relaxedBernoulliLogProb(tf.tensor(data, [3, 6]), tf.tensor(v, [3, 6]), 0.7))).toEqual(bits(b.logProb(v)));
    });

    test("without a seed: the instance's stream, as gumbel-wasm's calls without seed draw it; a refused call draws nothing", async () => {
      const a = await init({ seed: 77 });
      const b = await init({ seed: 77 });
      const opsA = tfOps(a);
      const data = randoms(5, 3 * 8, 2);
      const logits = tf.tensor(data, [3, 8]);
      const dy = randoms(6, 3 * 8);
      const o = { cols: 8, tau: 0.5 };
      expect(bits(opsA.gumbelSoftmax(logits, { tau: 0.5 }))).toEqual(bits(b.gumbelSoftmax(data, o)));
      let hard: tf.Tensor | null = null;
      const raoGrad = tf.grad((l: tf.Tensor) => {
        hard = tf.keep(opsA.gumbelRao(l, { tau: 0.5, samples: 4 }));
        return tf.sum(tf.mul(hard, tf.tensor(dy, [3, 8])));
      })(logits);
      expect(bits(hard!)).toEqual(bits(b.gumbelRao(data, { ...o, samples: 4 })));
      // Its backward recomputed the noise of (defaultSeed, 24): the second call's elements.
      expect(bits(raoGrad)).toEqual(bits(b.gumbelRaoBackward(data, dy, { ...o, samples: 4, seed: b.defaultSeed, offset: 24 })));
      expect(() => opsA.gappedST(tf.tensor([1, NaN, 0], [1, 3]))).toThrow(RangeError);
      expect(bits(opsA.gappedST(logits, { tau: 0.5 }))).toEqual(bits(b.gappedST(data, o)));
      expect(bits(opsA.gumbelSoftmax(logits, { tau: 0.5, hard: true }))).toEqual(bits(b.gumbelSoftmax(data, { ...o, hard: true })));
    });
  });

  test("the relaxed densities run one kernel pass per step: with the gradients under a tape, without them outside", async () => {
    const g = await init({ seed: 1 });
    const calls: string[] = [];
    const kernels = g.kernels as unknown as Record<string, (...a: number[]) => number>;
    // Count the density kernels' calls, and whether each wrote gradients (a non-zero dlogits pointer).
    const counted = { ...kernels };
    counted.relaxed_categorical_log_prob = (...a) => (calls.push(a[4] ? "grad" : "plain"), kernels.relaxed_categorical_log_prob!(...a));
    counted.relaxed_bernoulli = (...a) => (calls.push(a[5] ? "grad" : "plain"), kernels.relaxed_bernoulli!(...a));
    Object.defineProperty(g, "kernels", { value: counted });
    const o = tfOps(g);
    const l = tf.tensor(randoms(95, 12, 2), [2, 6]);
    const y = tf.softmax(l);
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(o.relaxedCategoricalLogProb(a, b, 0.5)))([l, y]);
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(o.relaxedBernoulliLogProb(a, b, 0.5)))([l, y]);
    o.relaxedCategoricalLogProb(l, y, 0.5);
    o.relaxedBernoulliLogProb(l, y, 0.5);
    expect(calls).toEqual(["grad", "grad", "plain", "plain"]);
  });

  describe("gradients: tf.grad of the same formula composed from tfjs ops, on the same noise", () => {
    test("gumbelSoftmax w.r.t. logits and tau: soft, hard (the soft sample's gradient), tau a scalar or one per row", () => {
      const [rows, cols] = [6, 11];
      const data = randoms(10, rows * cols, 2); // no mask: tfjs's d/dtau is NaN with one (below)
      const w = randoms(11, rows * cols);
      const logits = tf.tensor(data, [2, 3, cols]);
      const wt = tf.tensor(w, [2, 3, cols]);
      const noise = gw.gumbelNoise(rows * cols, { seed: 4, offset: 9 });
      const g = tf.tensor(noise, [2, 3, cols]);
      const x = data.map((v, i) => v + noise[i]!);
      for (const tauValue of [0.5, 1, 2.5]) {
        const tau = tf.scalar(tauValue);
        const [tl, tt] = tf.grads((l: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(gumbelSoftmaxTf(l, g, t), wt)))([logits, tau]);
        const ours = (hard: boolean) => tf.grads((l: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(ops.gumbelSoftmax(l, { tau: t, hard, seed: 4, offset: 9 }), wt)))([logits, tau]);
        const [sl, st] = ours(false);
        const [hl, ht] = ours(true);
        expect(bits(hl!)).toEqual(bits(sl!));
        expect(bits(ht!)).toEqual(bits(st!));
        expect(sl!.shape).toEqual([2, 3, cols]);
        expect(st!.shape).toEqual([]);
        expectVjpClose(f32(sl!), f32(tl!), w, cols, tauValue);
        expect(Math.abs(f32(st!)[0]! - f32(tt!)[0]!)).toBeLessThanOrEqual(2 * dtauBound(f32(tl!), x, cols, tauValue));
        // A scalar tau's gradient is the sum of the per-row ones, in float64 then rounded.
        const y = gw.gumbelSoftmax(data, { cols, tau: tauValue, seed: 4, offset: 9 });
        expect(f32(st!)[0]).toBe(Math.fround(sum(gw.softmaxBackward(y, w, { cols, tau: tauValue, dtau: true }).dtau)));
      }
      // One tau per row: the gradient has tau's shape, each row's its own.
      const rowTau = randoms(12, rows, 0.5, 1);
      const tauRows = tf.tensor(rowTau, [2, 3]);
      const [ol, ot] = tf.grads((l: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(ops.gumbelSoftmax(l, { tau: t, seed: 4, offset: 9 }), wt)))([logits, tauRows]);
      const [cl, ct] = tf.grads((l: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(gumbelSoftmaxTf(l, g, tf.expandDims(t, -1)), wt)))([logits, tauRows]);
      expect(ot!.shape).toEqual([2, 3]);
      expectVjpClose(f32(ol!), f32(cl!), w, cols, rowTau);
      for (let r = 0; r < rows; r++) {
        const row = (a: ArrayLike<number>) => Array.from(a).slice(r * cols, (r + 1) * cols);
        expect(Math.abs(f32(ot!)[r]! - f32(ct!)[r]!), `row ${r}`).toBeLessThanOrEqual(2 * dtauBound(row(f32(cl!)), row(x), cols, rowTau[r]!));
      }
    });

    test("gumbelRao: the reference code's surrogate mean_s softmax((logits + c_s) / tau), c_s the same conditional draws held constant", () => {
      const [rows, cols, samples] = [4, 9, 6];
      const data = randoms(20, rows * cols, 2);
      data[7] = -Infinity;
      const w = randoms(21, rows * cols);
      const logits = tf.tensor(data, [rows, cols]);
      const wt = tf.tensor(w, [rows, cols]);
      for (const tau of [0.3, 1]) {
        const idx = gw.gumbelMax(data, { cols, seed: 6, offset: 40 });
        const shifts = raoShifts(data, cols, samples, 6n, 40n, idx);
        const theirs = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(surrogateTf(l, shifts, tau), wt)))(logits);
        const ours = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(ops.gumbelRao(l, { tau, samples, seed: 6, offset: 40 }), wt)))(logits);
        expect(bits(ours)).toEqual(bits(gw.gumbelRaoBackward(data, w, { cols, tau, samples, seed: 6, offset: 40 })));
        expectVjpClose(f32(ours), f32(theirs), w, cols, tau);
      }
    });

    test("gappedST: softmax((logits + c) / tau), c the detached gap shift of the sampled class", () => {
      const [rows, cols] = [5, 7];
      const data = randoms(30, rows * cols, 2);
      const w = randoms(31, rows * cols);
      const logits = tf.tensor(data, [rows, cols]);
      const wt = tf.tensor(w, [rows, cols]);
      for (const [tau, kappa] of [[0.5, 1], [2, 0.25]] as const) {
        const idx = gw.gumbelMax(data, { cols, seed: 2 });
        const shift = gappedShift(data, cols, kappa, idx);
        const theirs = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(surrogateTf(l, [shift], tau), wt)))(logits);
        const ours = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(ops.gappedST(l, { tau, kappa, seed: 2 }), wt)))(logits);
        expect(bits(ours)).toEqual(bits(gw.gappedSTBackward(data, w, { cols, tau, kappa, seed: 2 })));
        expectVjpClose(f32(ours), f32(theirs), w, cols, tau);
      }
    });

    test("relaxedCategoricalLogProb w.r.t. logits, value and temperature (within 2^-22 K of the terms' scale)", () => {
      for (const [rows, cols, tauValue, sampleTau] of [[4, 10, 0.5, 0.5], [6, 3, 2, 0.3], [2, 200, 0.7, 1]] as const) {
        const data = randoms(cols, rows * cols, 2);
        const y = gw.gumbelSoftmax(data, { cols, tau: sampleTau, seed: 3 });
        const [l, v, t] = [tf.tensor(data, [rows, cols]), tf.tensor(y, [rows, cols]), tf.scalar(tauValue)];
        const ours = ops.relaxedCategoricalLogProb(l, v, t);
        const theirs = relaxedCategoricalTf(l, v, t);
        const wr = tf.tensor(randoms(cols + 1, rows), [rows]); // upstream gradients in (-1, 1)
        const go = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(ops.relaxedCategoricalLogProb(a, b, c), wr)))([l, v, t]).map(f32);
        const gt = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(relaxedCategoricalTf(a, b, c), wr)))([l, v, t]).map(f32);
        const K = cols;
        const eps = 2 ** -22 * K;
        let logScale = 0; // sum_k |log y_k| over the batch: the scale of the terms that cancel
        for (const yk of y) logScale += Math.abs(Math.log(yk));
        for (let r = 0; r < rows; r++) {
          let rowLog = 0;
          for (let k = r * cols; k < (r + 1) * cols; k++) rowLog += Math.abs(Math.log(y[k]!));
          expect(Math.abs(f32(ours)[r]! - f32(theirs)[r]!)).toBeLessThanOrEqual(eps * (1 + Math.abs(f32(ours)[r]!) + (tauValue + 1) * rowLog));
        }
        for (let i = 0; i < rows * cols; i++) {
          expect(Math.abs(go[0]![i]! - gt[0]![i]!), `dlogits[${i}]`).toBeLessThanOrEqual(eps * Math.max(1, Math.abs(gt[0]![i]!)));
          const dvScale = (tauValue * Math.abs(go[0]![i]!) + tauValue + 1) / y[i]!;
          expect(Math.abs(go[1]![i]! - gt[1]![i]!), `dvalue[${i}]`).toBeLessThanOrEqual(eps * dvScale);
        }
        expect(Math.abs(go[2]![0]! - gt[2]![0]!)).toBeLessThanOrEqual(eps * (Math.abs(go[2]![0]!) + (rows * (K - 1)) / tauValue + logScale));
      }
    });

    test("relaxedBernoulliLogProb w.r.t. logits, value and temperature (elementwise, temperature a scalar or per element)", () => {
      const n = 40;
      const data = randoms(40, n, 3);
      const y = randoms(41, n, 0.49, 0.5); // in (0.01, 0.99)
      const [l, v] = [tf.tensor(data, [5, 8]), tf.tensor(y, [5, 8])];
      const wb = tf.tensor(randoms(43, n), [5, 8]); // upstream gradients in (-1, 1)
      for (const t of [tf.scalar(0.6), tf.tensor(randoms(42, n, 0.5, 1), [5, 8])]) {
        const ours = ops.relaxedBernoulliLogProb(l, v, t);
        const theirs = relaxedBernoulliTf(l, v, t);
        expect(ours.shape).toEqual([5, 8]);
        const go = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(ops.relaxedBernoulliLogProb(a, b, c), wb)))([l, v, t]).map(f32);
        const gt = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(relaxedBernoulliTf(a, b, c), wb)))([l, v, t]).map(f32);
        expect(go[2]!.length).toBe(t.size);
        const eps = 2 ** -22;
        for (let i = 0; i < n; i++) {
          const tau = f32(t)[t.size === 1 ? 0 : i]!;
          const logit = Math.abs(Math.log(y[i]! / (1 - y[i]!)));
          expect(Math.abs(f32(ours)[i]! - f32(theirs)[i]!)).toBeLessThanOrEqual(eps * (2 + Math.abs(data[i]!) + (tau + 2) * 5));
          expect(Math.abs(go[0]![i]! - gt[0]![i]!)).toBeLessThanOrEqual(eps * (1 + tau * logit));
          expect(Math.abs(go[1]![i]! - gt[1]![i]!)).toBeLessThanOrEqual((eps * (2 + tau)) / (y[i]! * (1 - y[i]!)));
          if (t.size > 1) expect(Math.abs(go[2]![i]! - gt[2]![i]!)).toBeLessThanOrEqual(eps * (1 / tau + logit));
        }
        if (t.size === 1) expect(Math.abs(go[2]![0]! - gt[2]![0]!)).toBeLessThanOrEqual(eps * n * 10);
      }
    });
  });

  describe("float64 finite differences: our gradients, and who is right where tfjs's autodiff disagrees", () => {
    test("gumbelSoftmax, relaxedCategoricalLogProb and relaxedBernoulliLogProb: every gradient within its bound of float64", () => {
      const [rows, cols, tau] = [2, 5, 0.5];
      const data = randoms(50, rows * cols, 2);
      const w = randoms(51, rows * cols);
      const g = gw.gumbelNoise(rows * cols, { seed: 1 });
      const [l, t] = [tf.tensor(data, [rows, cols]), tf.scalar(tau)];
      const [dl, dt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ops.gumbelSoftmax(a, { tau: b, seed: 1 }), tf.tensor(w, [rows, cols]))))([l, t]).map(f32);
      const fdl = finiteDiff((x) => gumbelSoftmaxLoss(x, g, w, cols, tau), data);
      const fdt = finiteDiff((x) => gumbelSoftmaxLoss(data, g, w, cols, x[0]!), [tau])[0]!;
      expectVjpClose(dl!, fdl, w, cols, tau); // the bound for one float32 gradient, with room for the difference's error
      expect(Math.abs(dt![0]! - fdt)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(fdt)));

      const y = gw.gumbelSoftmax(data, { cols, tau: 0.8, seed: 2 });
      const [cl, cv, ct] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(ops.relaxedCategoricalLogProb(a, b, c)))([l, tf.tensor(y, [rows, cols]), t]).map(f32);
      const fcl = finiteDiff((x) => categoricalLoss(x, y, cols, tau), data);
      const fcv = finiteDiff((x) => categoricalLoss(data, x, cols, tau), y, true);
      const fct = finiteDiff((x) => categoricalLoss(data, y, cols, x[0]!), [tau])[0]!;
      for (let i = 0; i < rows * cols; i++) {
        expect(Math.abs(cl![i]! - fcl[i]!), `dlogits[${i}]`).toBeLessThanOrEqual(1e-6 * cols);
        expect(Math.abs(cv![i]! - fcv[i]!) / Math.abs(fcv[i]!), `dvalue[${i}]`).toBeLessThanOrEqual(1e-5);
      }
      expect(Math.abs(ct![0]! - fct) / Math.abs(fct)).toBeLessThanOrEqual(1e-6);

      const p = randoms(52, rows * cols, 0.45, 0.5);
      const [bl, bv, bt] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(ops.relaxedBernoulliLogProb(a, b, c)))([l, tf.tensor(p, [rows, cols]), t]).map(f32);
      const fbl = finiteDiff((x) => bernoulliLoss(x, p, tau), data);
      const fbv = finiteDiff((x) => bernoulliLoss(data, x, tau), p, true);
      const fbt = finiteDiff((x) => bernoulliLoss(data, p, x[0]!), [tau])[0]!;
      for (let i = 0; i < rows * cols; i++) {
        expect(Math.abs(bl![i]! - fbl[i]!), `dlogits[${i}]`).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(bv![i]! - fbv[i]!) / Math.abs(fbv[i]!), `dvalue[${i}]`).toBeLessThanOrEqual(1e-5);
      }
      expect(Math.abs(bt![0]! - fbt) / Math.abs(fbt)).toBeLessThanOrEqual(1e-6);
    });

    test("a masked class (-Inf logit): tfjs's d/dtau is NaN (0 * -Inf in (l + g) / tau), ours is float64's", () => {
      const [rows, cols, tau] = [2, 6, 0.5];
      const data = randoms(60, rows * cols, 2);
      data[1] = data[8] = -Infinity;
      const w = randoms(61, rows * cols);
      const g = gw.gumbelNoise(rows * cols, { seed: 5 });
      const [l, t, wt] = [tf.tensor(data, [rows, cols]), tf.scalar(tau), tf.tensor(w, [rows, cols])];
      const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ops.gumbelSoftmax(a, { tau: b, seed: 5 }), wt)))([l, t]).map(f32);
      const theirs = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(gumbelSoftmaxTf(a, tf.tensor(g, [rows, cols]), b), wt)))([l, t]).map(f32);
      const fdt = finiteDiff((x) => gumbelSoftmaxLoss(data, g, w, cols, x[0]!), [tau])[0]!;
      expect(theirs[1]![0]).toBeNaN();
      expect(Math.abs(ours[1]![0]! - fdt)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(fdt)));
      // The logits' gradients agree, masked classes getting none.
      expectVjpClose(ours[0]!, theirs[0]!, w, cols, tau);
      expect([ours[0]![1], ours[0]![8], theirs[0]![1], theirs[0]![8]].map((v) => Math.abs(v!))).toEqual([0, 0, 0, 0]);
    });

    test("a cold temperature or large logits: tfjs's d/dtau loses its sign to cancellation, ours keeps float64's to 1e-3", () => {
      for (const [scale, tau] of [[3, 0.01], [1e4, 1]] as const) {
        const [rows, cols] = [4, 10];
        const data = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 12.9898) * scale);
        const w = Float32Array.from({ length: rows * cols }, (_, i) => Math.cos(i * 7.1));
        const g = gw.gumbelNoise(rows * cols, { seed: 3 });
        const [l, t, wt] = [tf.tensor(data, [rows, cols]), tf.scalar(tau), tf.tensor(w, [rows, cols])];
        const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ops.gumbelSoftmax(a, { tau: b, seed: 3 }), wt)))([l, t]).map(f32)[1]![0]!;
        const theirs = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(gumbelSoftmaxTf(a, tf.tensor(g, [rows, cols]), b), wt)))([l, t]).map(f32)[1]![0]!;
        // The exact derivative, float64 in closed form (a difference quotient cannot resolve
        // 1e-19 against the loss): -sum_k y_k (w_k - <w, y>) (x_k - m) / tau^2.
        let exact = 0;
        for (let r = 0; r < rows; r++) {
          const x = Array.from({ length: cols }, (_, k) => data[r * cols + k]! + g[r * cols + k]!);
          const m = Math.max(...x);
          const e = x.map((v) => Math.exp((v - m) / tau));
          const y = e.map((v) => v / sum(e));
          const dot = sum(y.map((v, k) => v * w[r * cols + k]!));
          for (let k = 0; k < cols; k++) exact -= (y[k]! * (w[r * cols + k]! - dot) * (x[k]! - m)) / (tau * tau);
        }
        expect(Math.abs(ours - exact) / Math.abs(exact), `scale ${scale}, tau ${tau}`).toBeLessThanOrEqual(1e-3);
        expect(Math.sign(theirs), `tfjs, scale ${scale}, tau ${tau}`).toBe(-Math.sign(exact));
      }
    });

    test("relaxed categorical with a masked class: tfjs's composed density is NaN (log 0 times tau), ours is float64's", () => {
      const [rows, cols, tau] = [2, 5, 0.7];
      const data = randoms(70, rows * cols, 2);
      data[2] = data[6] = -Infinity;
      const y = gw.gumbelSoftmax(data, { cols, tau: 0.5, seed: 9 });
      const [l, v, t] = [tf.tensor(data, [rows, cols]), tf.tensor(y, [rows, cols]), tf.scalar(tau)];
      expect(Array.from(f32(relaxedCategoricalTf(l, v, t))).every(Number.isNaN)).toBe(true);
      const lp = f32(ops.relaxedCategoricalLogProb(l, v, t));
      const [dl, dv, dt] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(ops.relaxedCategoricalLogProb(a, b, c)))([l, v, t]).map(f32);
      expect(Math.abs(sum(lp) - categoricalLoss(data, y, cols, tau))).toBeLessThanOrEqual(1e-5);
      const unmasked = [0, 1, 3, 4, 5, 7, 8, 9];
      const fdl = finiteDiff((x) => categoricalLoss(x, y, cols, tau), data);
      const fdv = finiteDiff((x) => categoricalLoss(data, x, cols, tau), y, true);
      for (const i of unmasked) {
        expect(Math.abs(dl![i]! - fdl[i]!)).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(dv![i]! - fdv[i]!) / Math.abs(fdv[i]!)).toBeLessThanOrEqual(1e-5);
      }
      expect([dl![2], dl![6], dv![2], dv![6]]).toEqual([0, 0, 0, 0]);
      const fdt = finiteDiff((x) => categoricalLoss(data, y, cols, x[0]!), [tau])[0]!;
      expect(Math.abs(dt![0]! - fdt) / Math.abs(fdt)).toBeLessThanOrEqual(1e-6);
    });
  });

  test("tf.memory() and the wasm memory stay flat over 10^4 steps (forward and backward of each op in turn)", () => {
    const [rows, cols] = [4, 8];
    const logits = tf.tensor(randoms(80, rows * cols, 2), [rows, cols]);
    const w = tf.tensor(randoms(81, rows * cols), [rows, cols]);
    const tau = tf.scalar(0.5);
    const value = ops.gumbelSoftmax(logits, { tau: 0.5, seed: 1 });
    const probs = tf.sigmoid(logits);
    const steps: Array<() => tf.Tensor[]> = [
      () => tf.grads((l: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(ops.gumbelSoftmax(l, { tau: t }), w)))([logits, tau]),
      () => tf.grads((l: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(ops.gumbelSoftmax(l, { tau: t, hard: true }), w)))([logits, tau]),
      () => [tf.grad((l: tf.Tensor) => tf.sum(tf.mul(ops.gumbelRao(l, { tau: 0.5, samples: 4 }), w)))(logits)],
      () => [tf.grad((l: tf.Tensor) => tf.sum(tf.mul(ops.gappedST(l, { tau: 0.5 }), w)))(logits)],
      () => tf.grads((l: tf.Tensor, v: tf.Tensor, t: tf.Tensor) => tf.sum(ops.relaxedCategoricalLogProb(l, v, t)))([logits, value, tau]),
      () => tf.grads((l: tf.Tensor, v: tf.Tensor, t: tf.Tensor) => tf.sum(ops.relaxedBernoulliLogProb(l, v, t)))([logits, probs, tau]),
      () => [ops.gumbelSoftmax(logits, { tau: 0.5, seed: 3 }), ops.relaxedCategoricalLogProb(logits, value, 0.5)], // no tape
    ];
    for (const step of steps) tf.dispose(step()); // warm: every op's staging sized once
    const before = tf.memory();
    const wasmBytes = gw.memory.buffer.byteLength;
    for (let i = 0; i < 10_000; i++) tf.dispose(tf.tidy(steps[i % steps.length]!));
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(gw.memory.buffer.byteLength).toBe(wasmBytes);
    tf.dispose([logits, w, tau, value, probs]);
  });

  test("bad input: our named TypeErrors and RangeErrors, with nothing leaked and nothing drawn", async () => {
    const a = await init({ seed: 5 });
    const b = await init({ seed: 5 });
    const o = tfOps(a);
    const l = tf.tensor(randoms(90, 12, 2), [2, 6]);
    const y = tf.softmax(l);
    const nan = tf.tensor([1, 2, 3, 4, 5, NaN, 0, 0], [2, 2, 2]);
    const disposed = tf.tensor([1, 2]);
    disposed.dispose();
    const t = {
      int: tf.tensor([1, 2], [2], "int32"), scalar: tf.scalar(1), empty: tf.zeros([3, 0]), inf: tf.tensor([1, Infinity, 0, 0], [2, 2]),
      masked: tf.tensor([0, 0, -Infinity, -Infinity], [1, 2, 2]), nanTau: tf.scalar(NaN), badTau: tf.tensor([1, -1]), ones3: tf.ones([3]),
      half: tf.scalar(0.5), ones25: tf.ones([2, 5]), y2: tf.mul(y, 2), halves: tf.fill([2, 2, 2], 0.5), halves2: tf.fill([1, 2, 2], 0.5), big: tf.fill([2, 6], 1.5), ones6: tf.ones([6]),
    };
    const cases: Array<[() => unknown, ErrorConstructor, RegExp]> = [
      [() => o.gumbelSoftmax(l, { temperature: 0.5 } as never), TypeError, /^tfjs\.gumbelSoftmax: unknown option "temperature" \(did you mean "tau"\?\)$/],
      [() => o.gumbelSoftmax(l, { cols: 6 } as never), TypeError, /^tfjs\.gumbelSoftmax: unknown option "cols" \(the classes are the last axis/],
      [() => o.gumbelRao(l, { tau: 0.5, num_samples: 3 } as never), TypeError, /^tfjs\.gumbelRao: unknown option "num_samples" \(did you mean "samples"\?\)$/],
      [() => o.gappedST(l, { gap: 1 } as never), TypeError, /^tfjs\.gappedST: unknown option "gap" \(did you mean "kappa"\?\)$/],
      [() => o.gumbelSoftmax(l, 0.5 as never), TypeError, /^tfjs\.gumbelSoftmax: options must be a plain object/],
      [() => o.gumbelSoftmax([1, 2, 3] as never), TypeError, /^tfjs\.gumbelSoftmax: logits must be a tf\.Tensor, got an Array$/],
      [() => o.gumbelSoftmax(new Float32Array(3) as never), TypeError, /^tfjs\.gumbelSoftmax: logits must be a tf\.Tensor, got a Float32Array$/],
      [() => o.gumbelSoftmax(t.int), TypeError, /^tfjs\.gumbelSoftmax: logits must be a float32 tensor, got int32/],
      [() => o.gumbelSoftmax(disposed), TypeError, /^tfjs\.gumbelSoftmax: logits is disposed$/],
      [() => o.gumbelSoftmax(t.scalar), RangeError, /^tfjs\.gumbelSoftmax: logits is a scalar/],
      [() => o.gumbelSoftmax(t.empty), RangeError, /^tfjs\.gumbelSoftmax: logits has shape \[3, 0\]: its last axis \(the classes\) is empty$/],
      [() => o.gumbelSoftmax(nan, { tau: 0.5 }), RangeError, /^tfjs\.gumbelSoftmax: logits\[1, 0, 1\] is NaN$/],
      [() => o.gumbelSoftmax(t.inf), RangeError, /^tfjs\.gumbelSoftmax: logits\[0, 1\] is \+Inf/],
      [() => o.gumbelSoftmax(t.masked), RangeError, /^tfjs\.gumbelSoftmax: row \[0, 1\] of logits is all -Inf/],
      [() => o.gumbelSoftmax(l, { tau: 0 }), RangeError, /^tfjs\.gumbelSoftmax: tau must be positive and finite in float32, got 0$/],
      [() => o.gumbelSoftmax(l, { tau: t.nanTau }), RangeError, /^tfjs\.gumbelSoftmax: tau must be positive and finite in float32, got NaN$/],
      [() => o.gumbelSoftmax(l, { tau: t.badTau }), RangeError, /^tfjs\.gumbelSoftmax: tau\[1\] must be positive and finite/],
      [() => o.gumbelSoftmax(l, { tau: t.ones3 }), RangeError, /^tfjs\.gumbelSoftmax: tau has shape \[3\]: give a scalar, or one per row \(shape \[2\]\)$/],
      [() => o.gumbelSoftmax(l, { tau: "hot" as never }), TypeError, /^tfjs\.gumbelSoftmax: tau must be a number or a tf\.Tensor/],
      [() => o.gumbelSoftmax(l, { hard: 1 as never }), TypeError, /^tfjs\.gumbelSoftmax: hard must be a boolean, got number 1$/],
      [() => o.gumbelSoftmax(l, { seed: -1 }), RangeError, /^tfjs\.gumbelSoftmax: seed must be an integer from 0 to 2\^64-1/],
      [() => o.gumbelSoftmax(l, { offset: 5 }), TypeError, /^tfjs\.gumbelSoftmax: offset needs a seed$/],
      [() => o.gumbelRao(l, { offset: 5 }), TypeError, /^tfjs\.gumbelRao: offset needs a seed$/],
      [() => o.gumbelRao(l, { tau: t.half as never }), TypeError, /^tfjs\.gumbelRao: tau must be a number \(there is no gradient w\.r\.t\. tau here\), got a tf\.Tensor$/],
      [() => o.gumbelRao(l, { samples: 0 }), RangeError, /^tfjs\.gumbelRao: samples must be an integer from 1/],
      [() => o.gappedST(l, { kappa: -1 }), RangeError, /^tfjs\.gappedST: kappa must be non-negative/],
      [() => o.gappedST(nan), RangeError, /^tfjs\.gappedST: logits\[1, 0, 1\] is NaN$/],
      [() => o.relaxedCategoricalLogProb(l, y, undefined as never), TypeError, /^tfjs\.relaxedCategoricalLogProb: temperature is required/],
      [() => o.relaxedCategoricalLogProb(l, t.ones25, 1), RangeError, /^tfjs\.relaxedCategoricalLogProb: value has shape \[2, 5\] but logits has \[2, 6\]/],
      [() => o.relaxedCategoricalLogProb(l, t.y2, 1), RangeError, /^tfjs\.relaxedCategoricalLogProb: row 0 of value sums to [12]\.\d*, not 1 \(within 7e-6\): not on the simplex$/],
      [() => o.relaxedCategoricalLogProb(t.masked, t.halves2, 1), RangeError, /^tfjs\.relaxedCategoricalLogProb: row \[0, 1\] of logits is all -Inf/],
      [() => o.relaxedCategoricalLogProb(nan, t.halves, 1), RangeError, /^tfjs\.relaxedCategoricalLogProb: logits\[1, 0, 1\] is NaN$/],
      [() => o.relaxedBernoulliLogProb(l, t.big, 1), RangeError, /^tfjs\.relaxedBernoulliLogProb: value\[0, 0\] must be in \[0, 1\], got 1\.5$/],
      [() => o.relaxedBernoulliLogProb(nan, t.halves, 1), RangeError, /^tfjs\.relaxedBernoulliLogProb: logits\[1, 0, 1\] is NaN$/],
      [() => o.relaxedBernoulliLogProb(l, y, t.ones6), RangeError, /^tfjs\.relaxedBernoulliLogProb: temperature has shape \[6\]: give a scalar, or one per element \(shape \[2, 6\]\)$/],
      // Inside tf.grad: the tape unwinds, nothing kept.
      [() => tf.grad((x: tf.Tensor) => tf.sum(o.gumbelSoftmax(x, { tau: 0.5 })))(nan), RangeError, /^tfjs\.gumbelSoftmax: logits\[1, 0, 1\] is NaN$/],
      [() => tf.grad((x: tf.Tensor) => tf.sum(o.gumbelRao(x)))(nan), RangeError, /^tfjs\.gumbelRao: logits\[1, 0, 1\] is NaN$/],
    ];
    for (const [call, Err, message] of cases) {
      const before = tf.memory().numTensors;
      let thrown: unknown = null;
      try {
        call();
      } catch (e) {
        thrown = e;
      }
      expect(thrown, String(message)).toBeInstanceOf(Err);
      expect((thrown as Error).message).toMatch(message);
      expect(tf.memory().numTensors, `${message}: no tensor left behind`).toBe(before);
    }
    expect(() => tfOps({} as never)).toThrow(/^tfOps: gw must be a GumbelWasm instance \(from init\(\)\), got an object \(Object\)$/);
    // Nothing drawn: the instance's stream is where a fresh one's is.
    const data = l.dataSync() as Float32Array;
    expect(bits(o.gumbelSoftmax(l, { tau: 0.5 }))).toEqual(bits(b.gumbelSoftmax(data, { cols: 6, tau: 0.5 })));
    expect(bits(o.gumbelRao(l, { tau: 0.5 }))).toEqual(bits(b.gumbelRao(data, { cols: 6, tau: 0.5 })));
  });
});
