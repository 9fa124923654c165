// The straight-through estimators, Gumbel-Rao and Gapped ST: forward and backward against the
// float64 references of test/reference-straight.ts, the sampled index against gumbelMax, the
// conditional draws against their distribution, replay and row splits, SIMD == scalar, errors.
//
// Tolerances: soft samples within 1e-6 + 1e-6 / tau of the reference (the float32 rounding of
// l + g, |l + g| < 32, is 2^-19 ~ 2e-6 and the softmax scales it by 1/tau; exp < 1.5 ULP and
// log < 1 ULP add ~1e-7); gradients within 1e-5 of the row's largest |reference| plus
// 2^-20 max|dy| / tau (the cancellation in dy - <dy, y>), as in test/grad.test.ts.
import { beforeAll, describe, expect, test } from "vitest";
import { init, Tensor, type GumbelWasm } from "../src/node.js";
import { firstBitDifference } from "./kernels.js";
import { centralDiff, ksPValue, ksStatistic, softmaxRef, testRandom } from "./reference.js";
import { gappedSTSoftRef, gumbelMaxRef, gumbelRaoDrawsRef, gumbelRaoGradRef, meanOfDraws } from "./reference-straight.js";
import { backends, load } from "./setup.js";

function randomArray(seed: number, n: number, scale: number, masked = 0): Float32Array {
  const rnd = testRandom(seed);
  const x = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  // Masks, never the first class of a row (so every row keeps one).
  for (let i = 0; i < n; i++) if (rnd() < masked && i % 5 !== 0) x[i] = -Infinity;
  return x;
}

function softTolerance(tau: number): number {
  return 1e-6 + 1e-6 / tau;
}

function expectSoftClose(got: ArrayLike<number>, want: ArrayLike<number>, tau: number, what: string): void {
  expect(got.length).toBe(want.length);
  const tol = softTolerance(tau);
  for (let j = 0; j < want.length; j++) {
    if (!(Math.abs(got[j]! - want[j]!) <= tol)) throw new Error(`${what}: element ${j} is ${got[j]}, expected ${want[j]}`);
  }
}

function expectGradClose(got: ArrayLike<number>, want: ArrayLike<number>, v: ArrayLike<number>, tau: number, cols: number, what: string): void {
  for (let r = 0; r * cols < want.length; r++) {
    let scale = 0;
    let vmax = 0;
    for (let k = r * cols; k < (r + 1) * cols; k++) {
      scale = Math.max(scale, Math.abs(want[k]!));
      vmax = Math.max(vmax, Math.abs(v[k]!));
    }
    const tol = 1e-5 * scale + (2 ** -20 * vmax) / tau;
    for (let k = r * cols; k < (r + 1) * cols; k++) {
      if (!(Math.abs(got[k]! - want[k]!) <= tol)) throw new Error(`${what}: element ${k} is ${got[k]}, expected ${want[k]}`);
    }
  }
}

function rowOf(x: ArrayLike<number>, r: number, cols: number): number[] {
  return Array.from({ length: cols }, (_, k) => x[r * cols + k]!);
}

function expectSameBits(a: Float32Array | Int32Array, b: Float32Array | Int32Array, what: string): void {
  const d = firstBitDifference(a, b);
  if (d !== -1) throw new Error(`${what}: differs at element ${d}: ${a[d]} vs ${b[d]}`);
}

const COLS = [1, 2, 3, 5, 17, 64, 100, 300];

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test.each(COLS)("Gumbel-Rao forward: gumbelMax's index, one-hot, and the reference surrogate, cols = %i", (cols) => {
    const rows = 4;
    for (const [tau, samples] of [[0.3, 1], [1, 4], [2.5, 2]] as const) {
      const l = randomArray(cols, rows * cols, 4, 0.2);
      const seed = 2n ** 64n - 3n;
      const offset = 2n ** 32n - 7n; // the rows straddle 2^32
      const soft = new Float32Array(rows * cols);
      const hard = gw.gumbelRao(l, { cols, tau, samples, seed, offset, soft });
      const index = gw.gumbelMax(l, { cols, seed, offset });
      const ref = gumbelMaxRef(l, cols, seed, offset);
      for (let r = 0; r < rows; r++) {
        expect(rowOf(hard, r, cols)).toEqual(rowOf(hard, r, cols).map((_, k) => (k === index[r] ? 1 : 0)));
        // The reference noise is float64: a near-tie may round either way in float32.
        if (ref.margin[r]! > 1e-4) expect(index[r]).toBe(ref.index[r]);
        // z_i is the maximum of every draw, so also of their mean.
        const sr = rowOf(soft, r, cols);
        expect(sr.indexOf(Math.max(...sr))).toBe(index[r]);
      }
      expectSoftClose(soft, meanOfDraws(gumbelRaoDrawsRef(l, cols, tau, samples, seed, offset, index)), tau, `soft tau=${tau}`);
    }
  });

  test.each(COLS)("Gapped ST forward: gumbelMax's index, one-hot, and the reference surrogate (kappa 1, 0.25, adaptive), cols = %i", (cols) => {
    const rows = 4;
    for (const [tau, kappa] of [[0.3, undefined], [1, 0.25], [2.5, "adaptive"], [0.5, "adaptive"]] as const) {
      const l = randomArray(cols + 50, rows * cols, 4, 0.2);
      const seed = 77;
      const soft = new Float32Array(rows * cols);
      const hard = gw.gappedST(l, { cols, tau, kappa, seed, offset: cols, soft });
      const index = gw.gumbelMax(l, { cols, seed, offset: cols });
      for (let r = 0; r < rows; r++) expect(rowOf(hard, r, cols).indexOf(1)).toBe(index[r]);
      expectSoftClose(soft, gappedSTSoftRef(l, cols, tau, kappa ?? 1, index), tau, `soft tau=${tau} kappa=${kappa}`);
      // The sampled class leads every other by at least the gap: y_k / y_i <= exp(-kappa / tau).
      if (typeof kappa !== "string") {
        for (let r = 0; r < rows; r++) {
          const yi = soft[r * cols + index[r]!]!;
          for (let k = 0; k < cols; k++) {
            if (k !== index[r]) expect(soft[r * cols + k]!).toBeLessThanOrEqual(yi * Math.exp(-(kappa ?? 1) / tau) * (1 + 1e-5));
          }
        }
      }
    }
  });

  test.each(COLS)("backward of both against the reference; with S = 1 it is softmaxBackward of the soft sample, bit for bit, cols = %i", (cols) => {
    const rows = 3;
    for (const tau of [0.2, 1, 3]) {
      const l = randomArray(cols + 7, rows * cols, 3, 0.15);
      const v = randomArray(cols + 8, rows * cols, 1);
      const seed = 123;
      const offset = 40;
      const index = gw.gumbelMax(l, { cols, seed, offset });
      for (const samples of [1, 3]) {
        const o = { cols, tau, samples, seed, offset };
        const d = gw.gumbelRaoBackward(l, v, o);
        const draws = gumbelRaoDrawsRef(l, cols, tau, samples, BigInt(seed), BigInt(offset), index);
        expectGradClose(d, gumbelRaoGradRef(draws, v, cols, tau), v, tau, cols, `Gumbel-Rao S=${samples} tau=${tau}`);
        if (samples === 1) {
          const soft = new Float32Array(rows * cols);
          gw.gumbelRao(l, { ...o, soft });
          expectSameBits(d, gw.softmaxBackward(soft, v, { cols, tau }).dlogits, "Gumbel-Rao S=1 vs softmaxBackward");
        }
      }
      for (const kappa of [1, 0.5, "adaptive"] as const) {
        const o = { cols, tau, kappa, seed, offset };
        const d = gw.gappedSTBackward(l, v, o);
        const y = gappedSTSoftRef(l, cols, tau, kappa, index);
        expectGradClose(d, gumbelRaoGradRef([y], v, cols, tau), v, tau, cols, `GST kappa=${kappa} tau=${tau}`);
        const soft = new Float32Array(rows * cols);
        gw.gappedST(l, { ...o, soft });
        expectSameBits(d, gw.softmaxBackward(soft, v, { cols, tau }).dlogits, "GST vs softmaxBackward");
      }
    }
  });

  test("the backward is the gradient of the surrogate with the draws held fixed (central differences)", () => {
    const cols = 6;
    const tau = 0.8;
    const samples = 3;
    const l = randomArray(11, cols, 1.5);
    const v = randomArray(12, cols, 1);
    const seed = 4n;
    const index = gw.gumbelMax(l, { cols, seed });
    const l0 = Float64Array.from(l);
    // The reference code's shifts, held constant: Gumbel-Rao z_s - l, GST l' - l (recovered
    // from the reference soft samples: tau * log y = z - logsumexp, an additive constant).
    const draws = gumbelRaoDrawsRef(l0, cols, tau, samples, seed, 0n, index);
    const raoShift = draws.map((y) => y.map((p, k) => tau * Math.log(p) - l0[k]!));
    const gst = gappedSTSoftRef(l0, cols, tau, 1, index);
    const gstShift = gst.map((p, k) => tau * Math.log(p) - l0[k]!);
    const dot = (y: Float64Array) => y.reduce((a, p, k) => a + p * v[k]!, 0);
    const raoLoss = (x: Float64Array) => raoShift.reduce((a, c) => a + dot(softmaxRef(x.map((xi, k) => xi + c[k]!), cols, tau)), 0) / samples;
    const gstLoss = (x: Float64Array) => dot(softmaxRef(x.map((xi, k) => xi + gstShift[k]!), cols, tau));
    const unit = (k: number) => Float64Array.from({ length: cols }, (_, j) => (j === k ? 1 : 0));
    const raoFd = Array.from({ length: cols }, (_, k) => centralDiff(raoLoss, l0, unit(k), 1e-5));
    const gstFd = Array.from({ length: cols }, (_, k) => centralDiff(gstLoss, l0, unit(k), 1e-5));
    expectGradClose(gw.gumbelRaoBackward(l, v, { cols, tau, samples, seed }), raoFd, v, tau, cols, "Gumbel-Rao vs finite differences");
    expectGradClose(gw.gappedSTBackward(l, v, { cols, tau, seed }), gstFd, v, tau, cols, "GST vs finite differences");
  });

  test("masked classes: never sampled, soft exactly 0, gradient exactly 0", () => {
    const cols = 70;
    const rows = 20;
    const l = randomArray(5, rows * cols, 2, 0.5);
    const v = randomArray(6, rows * cols, 1);
    const o = { cols, tau: 0.5, seed: 9 };
    const soft = new Float32Array(rows * cols);
    const soft2 = new Float32Array(rows * cols);
    const hard = gw.gumbelRao(l, { ...o, samples: 3, soft });
    gw.gappedST(l, { ...o, soft: soft2, kappa: "adaptive" });
    const d1 = gw.gumbelRaoBackward(l, v, { ...o, samples: 3 });
    const d2 = gw.gappedSTBackward(l, v, { ...o, kappa: "adaptive" });
    let masked = 0;
    for (let j = 0; j < l.length; j++) {
      if (l[j] !== -Infinity) continue;
      masked++;
      expect(hard[j]).toBe(0);
      expect(soft[j]).toBe(0);
      expect(soft2[j]).toBe(0);
      expect(d1[j] === 0 && d2[j] === 0).toBe(true); // +0 or -0
    }
    expect(masked).toBeGreaterThan(rows * cols * 0.3);
    for (const x of [...soft, ...soft2, ...d1, ...d2]) expect(Number.isFinite(x)).toBe(true);
  });

  test("exact replay, row splits and per-row tau: the same bits", () => {
    const cols = 37;
    const rows = 5;
    const l = randomArray(21, rows * cols, 3, 0.1);
    const v = randomArray(22, rows * cols, 1);
    const taus = Float32Array.from([0.3, 0.3, 1, 2, 0.7]);
    const seed = 2n ** 40n + 1n;
    const offset = 1000;
    for (const op of ["rao", "gst"] as const) {
      const forward = (x: Float32Array, tau: number | Float32Array, off: number) => {
        const soft = new Float32Array(x.length);
        const o = { cols, tau, seed, offset: off, soft };
        const hard = op === "rao" ? gw.gumbelRao(x, { ...o, samples: 4 }) : gw.gappedST(x, { ...o, kappa: "adaptive" });
        return [hard, soft];
      };
      const backward = (x: Float32Array, dy: Float32Array, tau: number | Float32Array, off: number) => {
        const o = { cols, tau, seed, offset: off };
        return op === "rao" ? gw.gumbelRaoBackward(x, dy, { ...o, samples: 4 }) : gw.gappedSTBackward(x, dy, { ...o, kappa: "adaptive" });
      };
      const [hard, soft] = forward(l, taus, offset);
      const d = backward(l, v, taus, offset);
      const [hard2, soft2] = forward(l, taus, offset);
      expectSameBits(hard!, hard2!, `${op} replay hard`);
      expectSameBits(soft!, soft2!, `${op} replay soft`);
      expectSameBits(d, backward(l, v, taus, offset), `${op} replay backward`);
      // Row r alone, at offset + r*cols, with its own tau.
      for (let r = 0; r < rows; r++) {
        const lr = l.subarray(r * cols, (r + 1) * cols);
        const [h, s] = forward(lr, taus[r]!, offset + r * cols);
        expectSameBits(h!, hard!.subarray(r * cols, (r + 1) * cols), `${op} row ${r} hard`);
        expectSameBits(s!, soft!.subarray(r * cols, (r + 1) * cols), `${op} row ${r} soft`);
        const dr = backward(lr, v.subarray(r * cols, (r + 1) * cols), taus[r]!, offset + r * cols);
        expectSameBits(dr, d.subarray(r * cols, (r + 1) * cols), `${op} row ${r} backward`);
      }
      // Another offset draws other noise.
      const [, other] = forward(l, taus, offset + 1);
      expect(firstBitDifference(other!, soft!)).not.toBe(-1);
    }
  });

  test("tensors in, tensors out, zero-copy; out arrays are filled and returned", () => {
    const cols = 8;
    const x = gw.tensorFrom(randomArray(31, 3 * cols, 2), cols);
    const dy = gw.tensorFrom(randomArray(32, 3 * cols, 1), cols);
    const soft = gw.tensor(3, cols);
    const o = { tau: 0.6, seed: 3, samples: 2 };
    const hard = gw.gumbelRao(x, { ...o, soft });
    const d = gw.gumbelRaoBackward(x, dy, o);
    expect(hard).toBeInstanceOf(Tensor);
    expect(d).toBeInstanceOf(Tensor);
    const softArr = new Float32Array(3 * cols);
    gw.gumbelRao(x.data.slice(), { ...o, cols, soft: softArr });
    expectSameBits(soft.data, softArr, "tensor vs array soft");
    const out = new Float32Array(3 * cols);
    const g = { tau: o.tau, seed: o.seed };
    expect(gw.gappedSTBackward(x.data.slice(), dy.data.slice(), { ...g, cols, out })).toBe(out);
    expectSameBits(out, (gw.gappedSTBackward(x, dy, g) as Tensor).data, "tensor vs array GST backward");
    for (const t of [x, dy, soft, hard as Tensor, d as Tensor]) t.free();
  });
});

describe("the conditional draws of Gumbel-Rao", () => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load("simd");
  });

  test("two classes: z_D - z_other given D follows the truncated logistic (KS p > 1e-3); the unconditioned one fails", () => {
    // z_0 - z_1 = (l_0 + g_0) - (l_1 + g_1) ~ Logistic(mu = l_0 - l_1) without conditioning;
    // given D = 0 it is that law truncated to (0, Inf). With tau = 1 and S = 1,
    // log(y_0 / y_1) = z_0 - z_1 recovers it from the soft sample.
    const N = 40_000;
    const mu = 0.4;
    const l = new Float32Array(2 * N);
    for (let r = 0; r < N; r++) l[2 * r] = mu;
    const soft = new Float32Array(2 * N);
    const hard = gw.gumbelRao(l, { cols: 2, tau: 1, samples: 1, seed: 2024, soft });
    const sigma = (x: number) => 1 / (1 + Math.exp(-x));
    for (const D of [0, 1]) {
      const m = D === 0 ? mu : -mu; // the law of z_D - z_other
      const x: number[] = [];
      for (let r = 0; r < N; r++) {
        if (hard[2 * r + D] !== 1) continue;
        x.push(Math.log(soft[2 * r + D]!) - Math.log(soft[2 * r + 1 - D]!));
      }
      // D is drawn with probability sigma(m).
      expect(Math.abs(x.length / N - sigma(m))).toBeLessThan(4 * Math.sqrt(sigma(m) * (1 - sigma(m)) / N));
      const truncated = (t: number) => (t <= 0 ? 0 : (sigma(t - m) - sigma(-m)) / (1 - sigma(-m)));
      expect(ksPValue(ksStatistic(x, truncated), x.length)).toBeGreaterThan(1e-3);
      // Fresh noise without the conditioning would follow the plain logistic: rejected.
      expect(ksPValue(ksStatistic(x, (t) => sigma(t - m)), x.length)).toBeLessThan(1e-3);
    }
  });

  test("per sampled class, the mean soft sample equals that of Gumbel-Softmax rows with the same argmax (Rao-Blackwell)", () => {
    // E[softmax((l + g) / tau) | argmax = i] is what Gumbel-Rao's surrogate estimates: compare
    // its class-conditional means with those of plain Gumbel-Softmax samples, within 5 standard errors.
    const cols = 4;
    const N = 30_000;
    const tau = 0.7;
    const row = [1, 0.5, -0.5, 0];
    const l = Float32Array.from({ length: N * cols }, (_, j) => row[j % cols]!);
    const rao = new Float32Array(N * cols);
    const raoHard = gw.gumbelRao(l, { cols, tau, samples: 1, seed: 1, soft: rao });
    const gsSoft = new Float32Array(N * cols);
    const gsHard = gw.gumbelSoftmax(l, { cols, tau, seed: 2, hard: true, soft: gsSoft });
    const stats = (hard: Float32Array, soft: Float32Array, i: number, k: number) => {
      let n = 0;
      let s = 0;
      let ss = 0;
      for (let r = 0; r < N; r++) {
        if (hard[r * cols + i] !== 1) continue;
        const y = soft[r * cols + k]!;
        n++;
        s += y;
        ss += y * y;
      }
      const mean = s / n;
      return { mean, se2: (ss / n - mean * mean) / n };
    };
    let worst = 0;
    for (let i = 0; i < cols; i++) {
      for (let k = 0; k < cols; k++) {
        const a = stats(raoHard, rao, i, k);
        const b = stats(gsHard, gsSoft, i, k);
        worst = Math.max(worst, Math.abs(a.mean - b.mean) / Math.sqrt(a.se2 + b.se2));
      }
    }
    expect(worst).toBeLessThan(5);
  });
});

describe("SIMD == scalar, bit for bit", () => {
  let simd: GumbelWasm;
  let scalar: GumbelWasm;
  beforeAll(async () => {
    [simd, scalar] = await Promise.all([load("simd"), load("scalar")]);
  });

  test("every cols in 1..67 and 300 (3 rows, masks), forward soft and backward of both", () => {
    for (const cols of [...Array.from({ length: 67 }, (_, i) => i + 1), 300]) {
      const l = randomArray(cols + 1000, 3 * cols, 4, 0.2);
      const v = randomArray(cols + 2000, 3 * cols, 1);
      const o = { cols, tau: 0.45, seed: 2n ** 64n - 1n, offset: cols };
      const rao = { ...o, samples: 3 };
      const run = (gw: GumbelWasm) => {
        const s1 = new Float32Array(3 * cols);
        const s2 = new Float32Array(3 * cols);
        return [gw.gumbelRao(l, { ...rao, soft: s1 }), s1, gw.gappedST(l, { ...o, kappa: "adaptive", soft: s2 }), s2, gw.gumbelRaoBackward(l, v, rao), gw.gappedSTBackward(l, v, { ...o, kappa: 1 })];
      };
      const a = run(simd);
      const b = run(scalar);
      a.forEach((x, i) => expectSameBits(x as Float32Array, b[i] as Float32Array, `cols ${cols} output ${i}`));
    }
  });
});

describe("errors: named, and nothing written", () => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load("simd");
  });

  const cols = 3;
  const good = [0, 1, 2, 1, 1, 1];
  const dy = [1, 0, 0, 0, 1, 0];

  test.each([
    ["gumbelRao", () => gw.gumbelRao([0, 1, 2, 1, Number.NaN, 1], { cols, seed: 1 }), RangeError, "gumbelRao: logits[1, 1] is NaN"],
    ["gappedST", () => gw.gappedST([0, 1, 2, -Infinity, -Infinity, -Infinity], { cols, seed: 1 }), RangeError, "gappedST: row 1 of logits is all -Inf"],
    ["gumbelRao", () => gw.gumbelRao(good, { cols, samples: 0 }), RangeError, "gumbelRao: samples must be an integer from 1"],
    ["gumbelRao", () => gw.gumbelRao(good, { cols, samples: "3" as never }), TypeError, "gumbelRao: samples must be a number"],
    ["gappedST", () => gw.gappedST(good, { cols, kappa: -1 }), RangeError, "gappedST: kappa must be non-negative"],
    ["gappedST", () => gw.gappedST(good, { cols, kappa: "p" as never }), TypeError, 'gappedST: kappa must be a number or "adaptive"'],
    ["gappedST", () => gw.gappedST(good, { cols, tau: [1] }), RangeError, "gappedST: tau has 1 values, expected one per row (2)"],
    ["gumbelRaoBackward", () => gw.gumbelRaoBackward(good, dy, { cols }), TypeError, "gumbelRaoBackward: seed is required"],
    ["gappedSTBackward", () => gw.gappedSTBackward(good, dy.slice(1), { cols, seed: 1 }), RangeError, "gappedSTBackward: dy has 5 elements but logits has 6"],
    ["gappedSTBackward", () => gw.gappedSTBackward(good, dy, { cols, seed: 1, offset: 2n ** 64n - 2n }), RangeError, "gappedSTBackward: offset + 6 elements runs past"],
    ["gumbelRaoBackward", () => gw.gumbelRaoBackward(good, dy, { cols: 4, seed: 1 }), RangeError, "gumbelRaoBackward: cols = 4 does not divide"],
  ] as const)("%s: %s", (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  test("a bad row leaves out, soft and the instance stream untouched", () => {
    const fresh = [7.5, 7.5, 7.5, 7.5, 7.5, 7.5];
    for (const op of ["gumbelRao", "gappedST", "gumbelRaoBackward", "gappedSTBackward"] as const) {
      const out = new Float32Array(fresh);
      const soft = new Float32Array(fresh);
      const t = gw.tensor(2, cols);
      t.data.set(fresh);
      const bad = [0, 1, 2, Infinity, 0, 0];
      const o = { cols, seed: 5, out: op.endsWith("Backward") ? t : out };
      expect(() => {
        if (op === "gumbelRao") gw.gumbelRao(bad, { ...o, soft });
        else if (op === "gappedST") gw.gappedST(bad, { ...o, soft });
        else if (op === "gumbelRaoBackward") gw.gumbelRaoBackward(bad, dy, o);
        else gw.gappedSTBackward(bad, dy, o);
      }).toThrow(`${op}: logits[1, 0] is +Inf`);
      expect(Array.from(out)).toEqual(fresh);
      expect(Array.from(soft)).toEqual(fresh);
      expect(Array.from(t.data)).toEqual(fresh);
      t.free();
    }
  });

  test("without a seed the forward draws rows*cols elements of the instance stream (and a failed call none)", async () => {
    const own = await init({ backend: "simd", seed: 11 });
    const l = randomArray(40, 4 * 9, 2);
    const soft = [new Float32Array(36), new Float32Array(36)];
    expect(() => own.gumbelRao([Number.NaN], { cols: 1 })).toThrow(RangeError);
    const a = own.gumbelRao(l, { cols: 9, samples: 2, soft: soft[0] });
    const b = own.gappedST(l, { cols: 9, soft: soft[1] });
    const softA = new Float32Array(36);
    const softB = new Float32Array(36);
    expectSameBits(a, own.gumbelRao(l, { cols: 9, samples: 2, seed: 11, offset: 0, soft: softA }), "first call");
    expectSameBits(soft[0]!, softA, "first call soft");
    expectSameBits(b, own.gappedST(l, { cols: 9, seed: 11, offset: 36, soft: softB }), "second call");
    expectSameBits(soft[1]!, softB, "second call soft");
  });
});
