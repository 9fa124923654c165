// The relaxed distributions: log-densities against the float64 reference (and integrating to 1
// over the simplex), samples (the same bits as gumbelSoftmax; KS against the cdf; means against
// the density), the boundary limits, gradients against finite differences, per-row
// temperatures, errors, and the same bits from the scalar binary.
import { describe, expect, test } from "vitest";
import { init, RelaxedBernoulli, RelaxedOneHotCategorical } from "../src/node.js";
import { argmaxRef, chiSquareTest, gumbelOfBits, ksPValue, softmaxRef, streamBitsRef, testRandom } from "./reference.js";
import {
  centralDiff1, ksStatisticTies, relaxedBernoulliCdfRef, relaxedBernoulliLogProbRef, relaxedBoundaryGradRef, relaxedLogProbRef, roundedCdf,
} from "./reference-relaxed.js";

const gw = await init({ backend: "simd" });

/** |got - want| <= tol * max(1, |want|), with infinities equal. */
function close(got: number, want: number, tol: number): void {
  if (!Number.isFinite(want)) expect(got).toBe(want);
  else expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

/** A random point of the simplex in float32, some coordinates tiny; rows sum to 1 within 1e-7. */
function simplexPoint(rand: () => number, cols: number, spread: number): Float32Array {
  const w = Array.from({ length: cols }, () => Math.exp(spread * (rand() - 0.5)));
  const s = w.reduce((a, b) => a + b, 0);
  const y = Float32Array.from(w, (v) => v / s);
  return y;
}

const row = (a: ArrayLike<number>, r: number, cols: number) => Array.from(a).slice(r * cols, (r + 1) * cols);

describe("RelaxedOneHotCategorical", () => {
  test("logProb against the float64 reference: random logits (with masks), points and temperatures", () => {
    const rand = testRandom(11);
    for (const cols of [1, 2, 3, 5, 17, 40]) {
      for (const tau of [0.05, 0.5, 1, 2, 10]) {
        const rows = 6;
        const logits = Float32Array.from({ length: rows * cols }, () => 6 * rand() - 3);
        if (cols > 2) logits[cols + 1] = -Infinity; // row 1 masks class 1
        const d = new RelaxedOneHotCategorical(gw, { logits, cols, temperature: tau });
        const y = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) y.set(simplexPoint(rand, cols, r < 3 ? 4 : 40), r * cols);
        if (cols > 2) {
          // Move the masked class's mass to class 0 (in float32 the row still sums to 1 within 1e-7).
          y[cols] = y[cols]! + y[cols + 1]!;
          y[cols + 1] = 0;
        }
        const lp = d.logProb(y);
        for (let r = 0; r < rows; r++) {
          const want = relaxedLogProbRef(row(logits, r, cols), row(y, r, cols), Math.fround(tau));
          close(lp[r]!, want, 4e-7);
        }
      }
    }
  });

  test("exp(logProb) integrates to 1 over the simplex (2 and 3 classes, tau 0.5, 1, 2); a wrong density fails", () => {
    // y = softmax(z_1, .., z_{K-1}, 0): the density of z is p(y) prod_k y_k.
    const cases: Array<[number[], number]> = [];
    for (const tau of [0.5, 1, 2]) cases.push([[0.7, -0.4], tau], [[1, -0.5, 0.2], tau]);
    for (const [logits, tau] of cases) {
      const K = logits.length;
      const R = 14 / tau + 3;
      const h = 0.06 / tau;
      const n = Math.floor((2 * R) / h) + 1;
      const pts = K === 2 ? n : n * n;
      const y = new Float32Array(pts * K);
      const jac = new Float64Array(pts);
      for (let p = 0; p < pts; p++) {
        const z = K === 2 ? [-R + p * h, 0] : [-R + (p % n) * h, -R + Math.floor(p / n) * h, 0];
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const s = e.reduce((a, b) => a + b, 0);
        let j = 1;
        for (let k = 0; k < K; k++) {
          y[p * K + k] = e[k]! / s;
          j *= e[k]! / s;
        }
        jac[p] = j;
      }
      const batch = new Float32Array(pts * K);
      for (let p = 0; p < pts; p++) batch.set(logits, p * K);
      const d = new RelaxedOneHotCategorical(gw, { logits: batch, cols: K, temperature: tau });
      const lp = d.logProb(y);
      let integral = 0;
      for (let p = 0; p < pts; p++) integral += Math.exp(lp[p]!) * jac[p]!;
      integral *= h ** (K - 1);
      expect(Math.abs(integral - 1)).toBeLessThan(2e-3);
      // Sanity of the test: the density without its (K-1) log tau term does not integrate to 1.
      if (tau !== 1) expect(Math.abs(integral * tau ** -(K - 1) - 1)).toBeGreaterThan(0.2);
    }
  });

  test("rsample and sample are gumbelSoftmax's bits; sampleHard is its straight-through pair", () => {
    const logits = [2, 1, 0.5, -Infinity, -1, 0, 3, 0.25, 1, 1, 1, 1];
    for (const temperature of [0.7, [0.5, 1, 3]]) {
      const d = new RelaxedOneHotCategorical(gw, { logits, cols: 4, temperature });
      const want = gw.gumbelSoftmax(logits, { cols: 4, tau: temperature, seed: 9, offset: 5 });
      expect(d.rsample({ seed: 9, offset: 5 })).toEqual(want);
      expect(d.sample({ seed: 9, offset: 5 })).toEqual(want);
      const { hard, soft } = d.sampleHard({ seed: 9, offset: 5 });
      expect(soft).toEqual(want);
      expect(hard).toEqual(gw.gumbelSoftmax(logits, { cols: 4, tau: temperature, hard: true, seed: 9, offset: 5 }));
      for (let r = 0; r < 3; r++) {
        const y = row(soft, r, 4);
        expect(row(hard, r, 4)).toEqual(y.map((_, k) => (k === y.indexOf(Math.max(...y)) ? 1 : 0)));
      }
    }
    expect(d0().temperature).toEqual(Float32Array.from([0.5, 2]));
  });

  test("samples: the mean of each class against the density's mean (integrated), argmax frequencies against probs", () => {
    const logits = [1, -0.5, 0.2];
    const tau = 0.8;
    const n = 60000;
    const batch = new Float32Array(3 * n);
    for (let r = 0; r < n; r++) batch.set(logits, 3 * r);
    const d = new RelaxedOneHotCategorical(gw, { logits: batch, cols: 3, temperature: tau });
    const { hard, soft } = d.sampleHard({ seed: 21 });
    const mean = new Float64Array(3);
    const sq = new Float64Array(3);
    const counts = new Float64Array(3);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < 3; k++) {
        mean[k]! += soft[3 * r + k]! / n;
        sq[k]! += soft[3 * r + k]! ** 2 / n;
        counts[k]! += hard[3 * r + k]!;
      }
    }
    // E[y] by integrating y exp(logProb) in softmax coordinates.
    const R = 14 / tau + 3;
    const h = 0.06 / tau;
    const m = Math.floor((2 * R) / h) + 1;
    const y = new Float32Array(m * m * 3);
    const jac = new Float64Array(m * m);
    for (let p = 0; p < m * m; p++) {
      const z = [-R + (p % m) * h, -R + Math.floor(p / m) * h, 0];
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const s = e[0]! + e[1]! + e[2]!;
      for (let k = 0; k < 3; k++) y[3 * p + k] = e[k]! / s;
      jac[p] = (e[0]! * e[1]! * e[2]!) / s ** 3;
    }
    const grid = new Float32Array(m * m * 3);
    for (let p = 0; p < m * m; p++) grid.set(logits, 3 * p);
    const lp = new RelaxedOneHotCategorical(gw, { logits: grid, cols: 3, temperature: tau }).logProb(y);
    const want = new Float64Array(3);
    for (let p = 0; p < m * m; p++) for (let k = 0; k < 3; k++) want[k]! += y[3 * p + k]! * Math.exp(lp[p]!) * jac[p]! * h * h;
    for (let k = 0; k < 3; k++) {
      const se = Math.sqrt((sq[k]! - mean[k]! ** 2) / n);
      expect(Math.abs(mean[k]! - want[k]!)).toBeLessThan(4 * se + 1e-3);
    }
    const p = d.probs.slice(0, 3);
    expect(chiSquareTest(counts, p).p).toBeGreaterThan(1e-3);
    expect(Math.abs(p[0]! - Math.exp(1) / (Math.exp(1) + Math.exp(-0.5) + Math.exp(0.2)))).toBeLessThan(1e-6);
  });

  test("boundary: exact zeros give the limits along the zeros shrinking together (+Inf, -Inf or finite), never NaN", () => {
    const logits = [0.3, -1.2, 2, 0.5];
    const cases: Array<[number[], number]> = [
      [[0, 0.5, 0.5, 0], 1], // m = 2, K = 4: 2*2 - 4 = 0, finite
      [[0, 0.5, 0.5, 0], 0.5], // 2*1.5 - 2 > 0: +Inf
      [[0, 0.5, 0.5, 0], 2], // 6 - 8 < 0: -Inf
      [[0, 0.25, 0.25, 0.5], 0.25], // m = 1: 1.25 - 1 > 0: +Inf
      [[0, 0.25, 0.25, 0.5], 1 / 3], // m = 1: 4/3 - 4/3 = 0 in float32? (compare with the reference either way)
      [[0, 0.25, 0.25, 0.5], 0.5], // m = 1: 1.5 - 2 < 0: -Inf
      [[0, 0, 0, 1], 3], // m = 3: 12 - 12 = 0, finite
      [[0, 0, 0, 1], 4], // 15 - 16 < 0
    ];
    for (const [y, tau] of cases) {
      const d = new RelaxedOneHotCategorical(gw, { logits, cols: 4, temperature: tau });
      const lp = d.logProb(y)[0]!;
      expect(Number.isNaN(lp)).toBe(false);
      close(lp, relaxedLogProbRef(logits.map(Math.fround), y.map(Math.fround), Math.fround(tau)), 4e-7);
      const g = d.logProbGrad(y);
      const want = relaxedBoundaryGradRef(logits.map(Math.fround), y);
      g.dlogits.forEach((v, k) => expect(Math.abs(v - want.dlogits[k]!)).toBeLessThan(2e-7));
      expect(g.dtemperature[0]).toBe(-Infinity);
      expect(g.logProb[0]).toBe(lp);
    }
    expect(new RelaxedOneHotCategorical(gw, { logits, cols: 4, temperature: 1 }).logProb([0, 0.5, 0.5, 0])[0]).toBeGreaterThan(-Infinity);
    expect(new RelaxedOneHotCategorical(gw, { logits, cols: 4, temperature: 0.5 }).logProb([0, 0.5, 0.5, 0])[0]).toBe(Infinity);
    expect(new RelaxedOneHotCategorical(gw, { logits, cols: 4, temperature: 2 }).logProb([0, 0.5, 0.5, 0])[0]).toBe(-Infinity);
    // The finite case is the limit: y_Z = eps -> 0 approaches it (K = 2, tau = 1: m(tau+1) - K tau = 0).
    const two = new RelaxedOneHotCategorical(gw, { logits: [0.4, -0.3], temperature: 1 });
    const limit = two.logProb([0, 1])[0]!;
    close(limit, relaxedLogProbRef([0.4, -0.3].map(Math.fround), [0, 1], 1), 4e-7);
    const near = two.logProb([1e-30, 1])[0]!;
    expect(Math.abs(near - limit)).toBeLessThan(1e-6);
    // And the infinite ones grow like L (m(tau+1) - K tau): two points on the path, the slope.
    const three = new RelaxedOneHotCategorical(gw, { logits: [0.4, -0.3, 1], cols: 3, temperature: 0.5 });
    const a = three.logProb([1e-20, 1e-20, 1 - 2e-20])[0]!;
    const b = three.logProb([1e-30, 1e-30, 1])[0]!;
    expect(Math.abs((b - a) / (10 * Math.log(10)) - (2 * 1.5 - 3 * 0.5))).toBeLessThan(1e-4);
  });

  test("masked classes: K counts the unmasked ones; y must be 0 there (else -Inf); the rest as without the column", () => {
    const masked = new RelaxedOneHotCategorical(gw, { logits: [0.5, -Infinity, -1, 2], cols: 4, temperature: 0.7 });
    const plain = new RelaxedOneHotCategorical(gw, { logits: [0.5, -1, 2], cols: 3, temperature: 0.7 });
    const y3 = [0.2, 0.3, 0.5];
    const y4 = [0.2, 0, 0.3, 0.5];
    expect(masked.logProb(y4)).toEqual(plain.logProb(y3));
    const gm = masked.logProbGrad(y4);
    const gp = plain.logProbGrad(y3);
    expect(Array.from(gm.dlogits)).toEqual([gp.dlogits[0], 0, gp.dlogits[1], gp.dlogits[2]]);
    expect(gm.dtemperature).toEqual(gp.dtemperature);
    expect(masked.logProb([0.2, 0.1, 0.2, 0.5])[0]).toBe(-Infinity);
    const out = masked.logProbGrad([0.2, 0.1, 0.2, 0.5]);
    expect(Array.from(out.dlogits)).toEqual([0, 0, 0, 0]);
    expect(out.dtemperature[0]).toBe(0);
    // Zeros among the unmasked classes with a mask: K = 3, m = 1, tau = 0.5: 1.5 - 1.5 = 0, finite.
    const edge = new RelaxedOneHotCategorical(gw, { logits: [0.5, -Infinity, -1, 2], cols: 4, temperature: 0.5 });
    close(edge.logProb([0, 0, 0.5, 0.5])[0]!, relaxedLogProbRef([0.5, -Infinity, -1, 2], [0, 0, 0.5, 0.5], 0.5), 4e-7);
    // A single unmasked class: the point mass at its vertex (density 1 on a 0-dimensional face).
    const single = new RelaxedOneHotCategorical(gw, { logits: [-Infinity, 3], temperature: 2 });
    expect(Array.from(single.logProb([0, 1]))).toEqual([0]);
    // probs with zeros are masks too.
    const fromProbs = new RelaxedOneHotCategorical(gw, { probs: [0.3, 0, 0.7], temperature: 1 });
    expect(fromProbs.logits[1]).toBe(-Infinity);
    close(fromProbs.logProb([0.4, 0, 0.6])[0]!, relaxedLogProbRef([Math.log(0.3), -Infinity, Math.log(0.7)], [0.4, 0, 0.6].map(Math.fround), 1), 1e-6);
  });

  test("gradients against central differences of the float64 reference and of logProb itself", () => {
    const rand = testRandom(5);
    for (const [cols, tau] of [[2, 0.5], [3, 1], [5, 2.5], [8, 0.3]] as const) {
      const logits = Float32Array.from({ length: cols }, () => 4 * rand() - 2);
      const y = simplexPoint(rand, cols, 3);
      const d = new RelaxedOneHotCategorical(gw, { logits, temperature: tau });
      const g = d.logProbGrad(y);
      const l64 = Array.from(logits);
      const t = Math.fround(tau);
      for (let k = 0; k < cols; k++) {
        const f = (x: number) => relaxedLogProbRef(l64.map((v, j) => (j === k ? x : v)), y, t);
        const want = centralDiff1(f, l64[k]!, 1e-5);
        expect(Math.abs(g.dlogits[k]! - want)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want)) + 1e-6);
        // logProb itself (float32 output): a coarser step.
        const fd = (x: number) =>
          new RelaxedOneHotCategorical(gw, { logits: l64.map((v, j) => (j === k ? x : v)), temperature: tau }).logProb(y)[0]!;
        expect(Math.abs(g.dlogits[k]! - centralDiff1(fd, l64[k]!, 1 / 64))).toBeLessThan(2e-3);
      }
      const wantT = centralDiff1((x) => relaxedLogProbRef(l64, y, x), t, 1e-6 * t);
      expect(Math.abs(g.dtemperature[0]! - wantT)).toBeLessThan(1e-6 * Math.max(1, Math.abs(wantT)) + 1e-6);
      const s = g.dlogits.reduce((a, b) => a + b, 0);
      expect(Math.abs(s)).toBeLessThan(1e-5); // shift invariance: the logits' gradient sums to 0
    }
  });

  test("per-row temperature: row r is what a call on row r alone with temperature[r] gives (logProb, gradients, samples)", () => {
    const logits = [0.5, 1, -1, 2, 0, 0, 1.5, -0.5, 0.25];
    const temperature = [0.3, 1, 4];
    const d = new RelaxedOneHotCategorical(gw, { logits, cols: 3, temperature });
    const y = d.rsample({ seed: 2 });
    const lp = d.logProbGrad(y);
    for (let r = 0; r < 3; r++) {
      const one = new RelaxedOneHotCategorical(gw, { logits: row(logits, r, 3), temperature: temperature[r]! });
      const g = one.logProbGrad(row(y, r, 3));
      expect(lp.logProb[r]).toBe(g.logProb[0]);
      expect(lp.dtemperature[r]).toBe(g.dtemperature[0]);
      expect(row(lp.dlogits, r, 3)).toEqual(Array.from(g.dlogits));
      expect(row(y, r, 3)).toEqual(Array.from(one.rsample({ seed: 2, offset: 3 * r })));
      close(lp.logProb[r]!, relaxedLogProbRef(row(logits, r, 3), row(y, r, 3), Math.fround(temperature[r]!)), 4e-7);
    }
    // Not PyTorch's broadcast (temperature along the classes): that would differ.
    const wrong = relaxedLogProbRef(row(logits, 0, 3), row(y, 0, 3), 1);
    expect(Math.abs(lp.logProb[0]! - wrong)).toBeGreaterThan(1e-3);
  });

  test("errors name the call, the argument and the place; inputs stay untouched", () => {
    const R = "RelaxedOneHotCategorical";
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [1, 2] } as never)).toThrow(new RegExp(`^${R}: temperature is required`));
    for (const t of [0, -1, Number.NaN, Infinity, 1e-50]) {
      expect(() => new RelaxedOneHotCategorical(gw, { logits: [1, 2], temperature: t })).toThrow(new RegExp(`^${R}: temperature must be positive and finite in float32`));
    }
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [1, 2], temperature: "1" as never })).toThrow(new RegExp(`^${R}: temperature must be a number or one number per row, got the string`));
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [1, 2, 3, 4], cols: 2, temperature: [1, 2, 3] })).toThrow(new RegExp(`^${R}: temperature has 3 values, expected one per row \\(2\\)$`));
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [1, 2, 3, 4], cols: 2, temperature: [1, 0] })).toThrow(new RegExp(`^${R}: temperature\\[1\\] must be positive`));
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [1, 2, 3], cols: 2, temperature: 1 })).toThrow(new RegExp(`^${R}: cols = 2 does not divide the length of logits \\(3\\)$`));
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [1, Number.NaN], temperature: 1 })).toThrow(new RegExp(`^${R}: logits\\[0, 1\\] is NaN$`));
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [1, 2, -Infinity, -Infinity], cols: 2, temperature: 1 })).toThrow(new RegExp(`^${R}: row 1 of logits is all -Inf`));
    expect(() => new RelaxedOneHotCategorical(gw, { probs: [0.5, 0.6], temperature: 1 })).toThrow(new RegExp(`^${R}: row 0 of probs sums to 1.1\\d*, not 1`));
    expect(() => new RelaxedOneHotCategorical(gw, { probs: [-0.5, 1.5], temperature: 1 })).toThrow(new RegExp(`^${R}: probs\\[0, 0\\] must be a finite probability >= 0, got -0.5$`));
    expect(() => new RelaxedOneHotCategorical(gw, { temperature: 1 } as never)).toThrow(new RegExp(`^${R}: give exactly one of logits and probs$`));
    const probs = [2, 6];
    expect(new RelaxedOneHotCategorical(gw, { probs, normalize: true, temperature: 1 }).probs[1]).toBeCloseTo(0.75, 6);
    expect(probs).toEqual([2, 6]);
    const d = new RelaxedOneHotCategorical(gw, { logits: [1, 2, 3, 0, 0, 0], cols: 3, temperature: 1 });
    const L = `${R}.logProb`;
    expect(() => d.logProb([0.5, 0.5, 0])).toThrow(new RegExp(`^${L}: value has 3 elements, not a multiple of rows x cols = 2 x 3$`));
    expect(() => d.logProb("x" as never)).toThrow(new RegExp(`^${L}: value must be a Float32Array`));
    const bad = Float32Array.from([0.5, 0.5, 0, 0.5, 0.7, -0.2]);
    const copy = bad.slice();
    expect(() => d.logProb(bad)).toThrow(new RegExp(`^${L}: value\\[1, 2\\] must be in \\[0, 1\\], got -0.2`));
    expect(bad).toEqual(copy);
    expect(() => d.logProb([0.5, 0.5, 0, 1.5, 0, 0])).toThrow(new RegExp(`^${L}: value\\[1, 0\\] must be in \\[0, 1\\], got 1.5$`));
    expect(() => d.logProb([0.5, 0.5, 0, Number.NaN, 0, 1])).toThrow(new RegExp(`^${L}: value\\[1, 0\\] must be in \\[0, 1\\], got NaN$`));
    expect(() => d.logProb([0.5, 0.5, 0, 0.5, 0.5, 0.01])).toThrow(new RegExp(`^${L}: row 1 of value sums to 1.0\\d*, not 1 \\(within 4e-6\\): not on the simplex$`));
    expect(() => d.logProbGrad([0.5, 0.4, 0, 0.5, 0.5, 0])).toThrow(new RegExp(`^${R}.logProbGrad: row 0 of value sums to 0.9`));
    expect(() => d.rsample(null as never)).toThrow(new RegExp(`^${R}.rsample: options must be a plain object .*, got null$`));
    expect(() => d.rsample({ offset: 1 })).toThrow(new RegExp(`^${R}.rsample: offset needs a seed$`));
    expect(() => d.rsample({ seed: -1 })).toThrow(new RegExp(`^${R}.rsample: seed must be`));
    // Within the tolerance is accepted as it is (not renormalised).
    expect(Number.isFinite(d.logProb([0.2, 0.3, 0.5 + 2e-6, 1 / 3, 1 / 3, 1 / 3])[0])).toBe(true);
  });
});

describe("RelaxedOneHotCategorical: n draws of the batch, logProb over them, mode", () => {
  const logits = [2, 1, 0.5, -Infinity, -1, 0, 3, 0.25, 1, 1, 1, 1];
  const B = 12; // stream elements per draw of the batch: rows * cols
  const temperatures = [0.7, [0.5, 1, 3]];

  test("rsample, sample and sampleHard({ n }): draw-major, draw i the float64 reference's softmax((logits + g) / tau) at offset + i * rows * cols", () => {
    for (const temperature of temperatures) {
      const d = new RelaxedOneHotCategorical(gw, { logits, cols: 4, temperature });
      const tau = (r: number) => Math.fround(typeof temperature === "number" ? temperature : temperature[r]!);
      const n = 4;
      const y = d.rsample({ seed: 9, offset: 5, n });
      expect(y.length).toBe(n * B);
      expect(d.sample({ seed: 9, offset: 5, n })).toEqual(y);
      const bits = streamBitsRef(9n, 5n, n * B);
      for (let i = 0; i < n; i++) {
        for (let r = 0; r < 3; r++) {
          // The sum formed in float32 (the sample's definition), the softmax in float64.
          const sum = Array.from({ length: 4 }, (_, k) => Math.fround(logits[r * 4 + k]! + gumbelOfBits(bits[i * B + r * 4 + k]!)));
          const want = softmaxRef(sum, 4, tau(r));
          want.forEach((v, k) => expect(Math.abs(y[i * B + r * 4 + k]! - v)).toBeLessThanOrEqual(2e-6));
        }
      }
      const { hard, soft } = d.sampleHard({ seed: 9, offset: 5, n });
      expect(soft).toEqual(y);
      for (let i = 0; i < n; i++) {
        const at = { seed: 9, offset: 5 + i * B };
        expect(Array.from(y.subarray(i * B, (i + 1) * B))).toEqual(Array.from(gw.gumbelSoftmax(logits, { cols: 4, tau: temperature, ...at })));
        expect(Array.from(hard.subarray(i * B, (i + 1) * B))).toEqual(Array.from(gw.gumbelSoftmax(logits, { cols: 4, tau: temperature, hard: true, ...at })));
      }
      // n omitted: the call of earlier versions, bit for bit and length for length.
      expect(d.rsample({ seed: 9, offset: 5 })).toEqual(gw.gumbelSoftmax(logits, { cols: 4, tau: temperature, seed: 9, offset: 5 }));
      expect(d.rsample({ seed: 9, offset: 5, n: 1 })).toEqual(y.slice(0, B));
      expect(d.sampleHard({ seed: 9, offset: 5 })).toEqual({ hard: hard.slice(0, B), soft: y.slice(0, B) });
    }
  });

  test("draws split across calls replay bit for bit (and across the calls the draws are split into); the instance's stream moves by n * rows * cols", async () => {
    const d = new RelaxedOneHotCategorical(gw, { logits, cols: 4, temperature: [0.5, 1, 3] });
    const five = d.rsample({ seed: 3n, offset: 2n ** 50n, n: 5 });
    const at = (i: number) => ({ seed: 3n, offset: 2n ** 50n + BigInt(i * B) });
    expect(Array.from(five)).toEqual([0, 1, 2, 3, 4].flatMap((i) => Array.from(d.rsample(at(i)))));
    expect(Array.from(five)).toEqual([...d.rsample({ ...at(0), n: 2 }), ...d.rsample({ ...at(2), n: 3 })]);
    const hard = d.sampleHard({ ...at(0), n: 5 }).hard;
    expect(Array.from(hard)).toEqual([...d.sampleHard({ ...at(0), n: 3 }).hard, ...d.sampleHard({ ...at(3), n: 2 }).hard]);
    // 2 x 1000 with per-row temperatures, 140 draws: two kernel calls (131 draws of 2000 stream
    // elements fill the first), the same bits as one gumbelSoftmax call on the batch repeated 140 times.
    const wide = Float32Array.from({ length: 2000 }, (_, k) => 3 * Math.sin(k));
    const w = new RelaxedOneHotCategorical(gw, { logits: wide, cols: 1000, temperature: [0.5, 2] });
    const tiled = new Float32Array(140 * 2000).map((_, i) => wide[i % 2000]!);
    const taus = new Float32Array(140 * 2).map((_, i) => [0.5, 2][i % 2]!);
    const many = w.sampleHard({ seed: 4, offset: 7, n: 140 });
    const firstDifference = (u: Float32Array, v: Float32Array) => (u.length !== v.length ? -2 : u.findIndex((x, i) => !Object.is(x, v[i])));
    expect(firstDifference(many.soft, gw.gumbelSoftmax(tiled, { cols: 1000, tau: taus, seed: 4, offset: 7 }))).toBe(-1);
    expect(firstDifference(many.hard, gw.gumbelSoftmax(tiled, { cols: 1000, tau: taus, hard: true, seed: 4, offset: 7 }))).toBe(-1);
    // Without a seed: the instance's stream from where it is, moving past all n draws.
    const [a, b] = [await init({ seed: 78 }), await init({ seed: 78 })];
    const make = (g: typeof gw) => new RelaxedOneHotCategorical(g, { logits, cols: 4, temperature: 0.5 });
    const [da, db] = [make(a), make(b)];
    const first = da.sampleHard({ n: 3 });
    expect(Array.from(first.soft)).toEqual([0, 1, 2].flatMap(() => Array.from(db.rsample())));
    expect(first.soft).toEqual(make(gw).rsample({ seed: a.defaultSeed, n: 3 }));
    expect(da.rsample({ n: 2 })).toEqual(make(gw).rsample({ seed: 78, offset: 3 * B, n: 2 }));
    expect(a.randomBits(2)).toEqual(b.randomBits(2, { seed: 78, offset: 5 * B }));
  });

  test("the n draws are independent draws of the law: KS of a coordinate across draws, correlation of consecutive draws; copies or overlapping streams fail", () => {
    // Two classes [l, 0]: y_0 is RelaxedBernoulli(l, tau), whose cdf the reference has.
    const cases: Array<[number, number]> = [[0.8, 0.6], [-1.5, 2]];
    const d = new RelaxedOneHotCategorical(gw, { logits: cases.flatMap(([l]) => [l, 0]), cols: 2, temperature: cases.map(([, t]) => t) });
    const n = 20000;
    const y = d.rsample({ seed: 12, n });
    /** Pearson correlation of coordinate 0 of row r in draws 2j and 2j + 1. */
    const lagCorrelation = (v: Float32Array, r: number) => {
      const a: number[] = [];
      const b: number[] = [];
      for (let j = 0; 4 * j + 2 * r + 4 < v.length; j += 2) {
        a.push(v[4 * j + 2 * r]!);
        b.push(v[4 * (j + 1) + 2 * r]!);
      }
      const mean = (x: number[]) => x.reduce((s, t) => s + t, 0) / x.length;
      const [ma, mb] = [mean(a), mean(b)];
      let [sab, saa, sbb] = [0, 0, 0];
      a.forEach((_, i) => ((sab += (a[i]! - ma) * (b[i]! - mb)), (saa += (a[i]! - ma) ** 2), (sbb += (b[i]! - mb) ** 2)));
      return { rho: sab / Math.sqrt(saa * sbb), pairs: a.length };
    };
    cases.forEach(([l, tau], r) => {
      const t = Math.fround(tau);
      const xs = Float64Array.from({ length: n }, (_, i) => y[i * 4 + 2 * r]!);
      expect(ksPValue(ksStatisticTies(xs, roundedCdf((v) => relaxedBernoulliCdfRef(Math.fround(l), t, v))), n)).toBeGreaterThan(1e-3);
      expect(ksPValue(ksStatisticTies(xs, roundedCdf((v) => relaxedBernoulliCdfRef(Math.fround(l), t * 1.1, v))), n)).toBeLessThan(1e-3);
      const { rho, pairs } = lagCorrelation(y, r);
      expect(Math.abs(rho)).toBeLessThan(4 / Math.sqrt(pairs));
    });
    // What the test catches: draw i at offset + i (streams overlapping; a copy would have rho = 1).
    const overlapping = new Float32Array(4 * 4000);
    for (let i = 0; i < 4000; i++) overlapping.set(d.rsample({ seed: 12, offset: i }), 4 * i);
    const { rho, pairs } = lagCorrelation(overlapping, 0);
    expect(Math.abs(rho)).toBeGreaterThan(8 / Math.sqrt(pairs));
    // sampleHard's n draws: the argmax frequencies follow probs, pairs of draws independent.
    const one = new RelaxedOneHotCategorical(gw, { probs: [0.5, 0.3, 0.2], temperature: 0.4 });
    const hard = one.sampleHard({ seed: 13, n: 30000 }).hard;
    const idx = argmaxRef(hard, 3);
    const counts = [0, 0, 0];
    const pairCounts = new Array<number>(9).fill(0);
    idx.forEach((k, i) => {
      counts[k]!++;
      if (i % 2 === 1) pairCounts[idx[i - 1]! * 3 + k]!++;
    });
    expect(chiSquareTest(counts, [0.5, 0.3, 0.2]).p).toBeGreaterThan(1e-3);
    expect(chiSquareTest(pairCounts, [0.5, 0.3, 0.2].flatMap((p) => [0.5, 0.3, 0.2].map((q) => p * q))).p).toBeGreaterThan(1e-3);
  });

  test("logProb and logProbGrad over a sample dimension: n x rows results, draw-major, each draw's own (against float64)", () => {
    const temperature = [0.5, 1, 3];
    const d = new RelaxedOneHotCategorical(gw, { logits, cols: 4, temperature });
    const y = d.rsample({ seed: 2, n: 3 });
    const lp = d.logProb(y);
    expect(lp.length).toBe(9);
    for (let i = 0; i < 9; i++) {
      const r = i % 3;
      close(lp[i]!, relaxedLogProbRef(row(logits, r, 4), y.subarray(i * 4, (i + 1) * 4), Math.fround(temperature[r]!)), 4e-7);
    }
    const g = d.logProbGrad(y);
    expect([g.logProb.length, g.dlogits.length, g.dtemperature.length]).toEqual([9, 36, 9]);
    expect(g.logProb).toEqual(lp);
    for (let i = 0; i < 3; i++) {
      const one = d.logProbGrad(y.subarray(i * B, (i + 1) * B));
      expect(one.logProb).toEqual(lp.slice(i * 3, (i + 1) * 3));
      expect(one.dlogits).toEqual(g.dlogits.slice(i * B, (i + 1) * B));
      expect(one.dtemperature).toEqual(g.dtemperature.slice(i * 3, (i + 1) * 3));
    }
    // A tensor of draws is read in place.
    const t = gw.tensorFrom(y, 4);
    expect(d.logProb(t)).toEqual(lp);
    t.free();
    const L = "RelaxedOneHotCategorical.logProb";
    expect(() => d.logProb(y.subarray(0, 18))).toThrow(new RegExp(`^${L}: value has 18 elements, not a multiple of rows x cols = 3 x 4$`));
    const bad = y.slice();
    bad[5 * 4 + 2] = -0.5; // draw 1, row 2: row 5 of the value
    expect(() => d.logProb(bad)).toThrow(new RegExp(`^${L}: value\\[5, 2\\] must be in \\[0, 1\\], got -0.5$`));
    expect(d.logProb([]).length).toBe(0);
  });

  test("mode(): one-hot of the first largest logit per row (ties to the first, masks never); from probs, the largest probability", () => {
    const rows = [[1, 3, 3, 0], [-Infinity, -Infinity, -5, -Infinity], [2, 2, 2, 2], [-Infinity, 0, 0, -1]];
    const d = new RelaxedOneHotCategorical(gw, { logits: rows.flat(), cols: 4, temperature: [0.5, 1, 2, 0.1] });
    const m = d.mode();
    expect(m).toBeInstanceOf(Float32Array);
    expect(Array.from(m)).toEqual(Array.from(argmaxRef(rows.flat(), 4)).flatMap((k) => [0, 1, 2, 3].map((j) => (j === k ? 1 : 0))));
    expect(Array.from(argmaxRef(m, 4))).toEqual([1, 2, 0, 1]);
    const p1 = Math.fround(0.45);
    const q = new RelaxedOneHotCategorical(gw, { probs: [p1, p1 + 2 ** -25, 1 - 2 * p1 - 2 ** -25], temperature: 1 });
    expect(Array.from(q.mode())).toEqual([0, 1, 0]);
    // At a small temperature the samples gather at one-hot vectors, the mode's the most often.
    const c = new RelaxedOneHotCategorical(gw, { logits: [0.2, 1, 0.5], temperature: 0.05 });
    const counts = [0, 0, 0];
    for (const k of argmaxRef(c.sampleHard({ seed: 5, n: 5000 }).hard, 3)) counts[k]!++;
    expect(argmaxRef(c.mode(), 3)[0]).toBe(counts.indexOf(Math.max(...counts)));
  });

  test("n is a positive integer: a named RangeError or TypeError, nothing drawn", async () => {
    const [a, b] = [await init({ seed: 6 }), await init({ seed: 6 })];
    const d = new RelaxedOneHotCategorical(a, { logits, cols: 4, temperature: 1 });
    const R = "RelaxedOneHotCategorical";
    const max = Math.floor((2 ** 29 - 1) / B);
    for (const fn of ["rsample", "sample", "sampleHard"] as const) {
      for (const n of [0, -2, 2.5, Number.NaN, -Infinity, max + 1]) {
        expect(() => d[fn]({ n })).toThrow(new RegExp(`^${R}\\.${fn}: n must be an integer from 1 to ${max}, got ${n}$`));
      }
      expect(() => d[fn]({ seed: 1, n: "3" as never })).toThrow(new RegExp(`^${R}\\.${fn}: n must be a number, got the string "3"$`));
      expect(() => d[fn]({ offset: 3, n: 2 })).toThrow(new RegExp(`^${R}\\.${fn}: offset needs a seed$`));
    }
    expect(a.randomBits(4)).toEqual(b.randomBits(4)); // the instance's stream has not moved
  });
});

function d0() {
  return new RelaxedOneHotCategorical(gw, { logits: [1, 2, 3, 4], cols: 2, temperature: [0.5, 2] });
}

describe("RelaxedBernoulli", () => {
  const logits = [-1.5, 0, 0.8, 3];

  test("logProb and cdf against the float64 reference; the same as the two-class categorical [l, 0]", () => {
    const rand = testRandom(3);
    for (const tau of [0.1, 0.5, 1, 2, 7]) {
      const b = new RelaxedBernoulli(gw, { logits, temperature: tau });
      const ys = Float32Array.from({ length: 400 }, (_, i) => (i < 4 ? [1e-30, 1e-7, 1 - 1e-7, 0.5][i]! : rand()));
      const lp = b.logProb(ys);
      const cd = b.cdf(ys);
      const t = Math.fround(tau);
      ys.forEach((y, i) => {
        const l = Math.fround(logits[i % 4]!);
        close(lp[i]!, relaxedBernoulliLogProbRef(l, t, y), 4e-7);
        expect(Math.abs(cd[i]! - relaxedBernoulliCdfRef(l, t, y))).toBeLessThan(1e-7);
      });
      const cat = new RelaxedOneHotCategorical(gw, { logits: logits.flatMap((l) => [l, 0]), cols: 2, temperature: tau });
      const two = cat.logProb(Array.from(ys.subarray(4, 8)).flatMap((y) => [y, 1 - y]));
      two.forEach((v, i) => close(lp[4 + i]!, v, 1e-6));
    }
    const p = new RelaxedBernoulli(gw, { probs: [0.1, 0.5, 0.9, 0, 1], temperature: 1 });
    [Math.log(0.1 / 0.9), 0, Math.log(9), -Infinity, Infinity].forEach((v, i) => close(p.logits[i]!, v, 1e-6));
    expect(Array.from(p.probs)).toEqual(Array.from(Float32Array.from([0.1, 0.5, 0.9, 0, 1])));
    const q = new RelaxedBernoulli(gw, { logits: [0, 2], temperature: 1 });
    close(q.probs[1]!, 1 / (1 + Math.exp(-2)), 1e-7);
  });

  test("exp(logProb) integrates to 1 over (0, 1) (in logit coordinates); with a wrong tau it does not", () => {
    for (const tau of [0.5, 1, 2]) {
      for (const l of [-1, 0.7]) {
        const R = 40 / tau + 5;
        const h = 0.01;
        const n = Math.floor((2 * R) / h) + 1;
        const ys = new Float32Array(n);
        const jac = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const s = 1 / (1 + Math.exp(-(-R + i * h)));
          ys[i] = s;
          jac[i] = s * (1 - s);
        }
        const lp = new RelaxedBernoulli(gw, { logits: [l], temperature: tau }).logProb(ys);
        let integral = 0;
        for (let i = 0; i < n; i++) if (ys[i]! > 0 && ys[i]! < 1) integral += Math.exp(lp[i]!) * jac[i]! * h;
        expect(Math.abs(integral - 1)).toBeLessThan(2e-3);
      }
    }
  });

  test("samples: sigmoid((l + g[2i] - g[2i+1]) / tau) from the noise stream; KS against the cdf; hard draws are Bernoulli(probs)", () => {
    const n = 20000;
    const b = new RelaxedBernoulli(gw, { logits, temperature: [0.5, 1, 2, 0.25] });
    const s = b.sample({ seed: 8, offset: 6, n });
    expect(s.length).toBe(4 * n);
    const g = gw.gumbelNoise(8 * n, { seed: 8, offset: 6 });
    const taus = [0.5, 1, 2, 0.25];
    for (let q = 0; q < 400; q++) {
      // float64 throughout, rounded once to float32: within one float32 spacing (2^-23 relative),
      // as float64 results a few units apart can round to neighbouring float32 values.
      const want = 1 / (1 + Math.exp(-(logits[q % 4]! + (g[2 * q]! - g[2 * q + 1]!)) / taus[q % 4]!));
      expect(Math.abs(s[q]! - want)).toBeLessThanOrEqual(2 ** -23 * Math.max(want, 1e-30) + 1e-45);
    }
    // Draw d of n equals one draw at offset + 2 d size.
    expect(b.rsample({ seed: 8, offset: 6 + 2 * 4 * 7 })).toEqual(s.slice(4 * 7, 4 * 8));
    for (let i = 0; i < 4; i++) {
      const xs = Float64Array.from({ length: n }, (_, d) => s[4 * d + i]!);
      const cdf = roundedCdf((y) => relaxedBernoulliCdfRef(logits[i]!, taus[i]!, y));
      expect(ksPValue(ksStatisticTies(xs, cdf), n)).toBeGreaterThan(1e-3);
      const wrong = roundedCdf((y) => relaxedBernoulliCdfRef(logits[i]!, taus[i]! * 1.1, y));
      expect(ksPValue(ksStatisticTies(xs, wrong), n)).toBeLessThan(1e-3);
    }
    // The cdf as the class computes it matches the empirical one at a few points.
    const one = new RelaxedBernoulli(gw, { logits: [0.8], temperature: 0.6 });
    const draws = one.sample({ seed: 1, n: 50000 });
    const sorted = Float32Array.from(draws).sort();
    const probes = [0.05, 0.3, 0.5, 0.7, 0.95];
    const cdfs = one.cdf(probes);
    probes.forEach((y, i) => {
      let below = 0;
      while (below < sorted.length && sorted[below]! <= y) below++;
      expect(Math.abs(below / sorted.length - cdfs[i]!)).toBeLessThan(0.01);
    });
    const { hard, soft } = b.sampleHard({ seed: 8, offset: 6, n });
    expect(soft).toEqual(s);
    const ones = new Float64Array(4);
    hard.forEach((v, q) => {
      expect(v === 0 || v === 1).toBe(true);
      if (soft[q]! > 0.5) expect(v).toBe(1);
      if (soft[q]! < 0.5) expect(v).toBe(0);
      ones[q % 4]! += v;
    });
    b.probs.forEach((p, i) => expect(chiSquareTest([ones[i]!, n - ones[i]!], [p, 1 - p]).p).toBeGreaterThan(1e-4));
    // Point masses: probs 0 and 1.
    const pm = new RelaxedBernoulli(gw, { probs: [0, 1], temperature: 0.5 });
    expect(Array.from(pm.sample({ seed: 1 }))).toEqual([0, 1]);
    expect(Array.from(pm.logProb([0, 1]))).toEqual([0, 0]);
    expect(Array.from(pm.logProb([0.5, 0.5]))).toEqual([-Infinity, -Infinity]);
    expect(Array.from(pm.cdf([0, 0.5, 1, 0, 0.5, 1]))).toEqual([1, 0, 1, 0, 1, 1]); // element q: probs[q % 2]
  });

  test("n draws split across calls replay bit for bit; the instance's stream moves by 2 n size", async () => {
    const b = new RelaxedBernoulli(gw, { logits, temperature: 0.5 });
    const five = b.sampleHard({ seed: 2, offset: 9, n: 5 });
    const parts = [0, 1, 2, 3, 4].map((i) => b.sampleHard({ seed: 2, offset: 9 + 8 * i }));
    expect(Array.from(five.soft)).toEqual(parts.flatMap((p) => Array.from(p.soft)));
    expect(Array.from(five.hard)).toEqual(parts.flatMap((p) => Array.from(p.hard)));
    expect(Array.from(five.soft)).toEqual([...b.rsample({ seed: 2, offset: 9, n: 2 }), ...b.rsample({ seed: 2, offset: 9 + 16, n: 3 })]);
    const [x, y] = [await init({ seed: 79 }), await init({ seed: 79 })];
    const [bx, by] = [new RelaxedBernoulli(x, { logits, temperature: 0.5 }), new RelaxedBernoulli(y, { logits, temperature: 0.5 })];
    expect(Array.from(bx.rsample({ n: 3 }))).toEqual([0, 1, 2].flatMap(() => Array.from(by.rsample())));
    expect(x.randomBits(2)).toEqual(y.randomBits(2, { seed: 79, offset: 24 }));
  });

  test("boundary y = 0 and 1: +Inf below tau 1, -Inf above, -l and +l at tau 1; dlogits -1 / +1, dtemperature -Inf", () => {
    for (const tau of [0.5, 1, 2]) {
      const b = new RelaxedBernoulli(gw, { logits: [0.7], temperature: tau });
      const g = b.logProbGrad([0, 1]);
      const want = [relaxedBernoulliLogProbRef(Math.fround(0.7), tau, 0), relaxedBernoulliLogProbRef(Math.fround(0.7), tau, 1)];
      expect(Array.from(g.logProb)).toEqual(want.map(Math.fround));
      expect(Array.from(g.dlogits)).toEqual([-1, 1]);
      expect(Array.from(g.dtemperature)).toEqual([-Infinity, -Infinity]);
    }
    // At tau = 1 the finite value is the limit.
    const b = new RelaxedBernoulli(gw, { logits: [0.7], temperature: 1 });
    close(b.logProb([1e-30])[0]!, b.logProb([0])[0]!, 1e-6);
    close(b.logProb([1 - 2 ** -24])[0]!, b.logProb([1])[0]!, 1e-6);
  });

  test("gradients against central differences of the reference and of logProb itself", () => {
    for (const tau of [0.3, 1, 2.5]) {
      for (const y of [0.02, 0.4, 0.93]) {
        for (const l of [-2, 0.5]) {
          const g = new RelaxedBernoulli(gw, { logits: [l], temperature: tau }).logProbGrad([y]);
          const yf = Math.fround(y);
          const t = Math.fround(tau);
          const dl = centralDiff1((x) => relaxedBernoulliLogProbRef(x, t, yf), l, 1e-5);
          const dt = centralDiff1((x) => relaxedBernoulliLogProbRef(l, x, yf), t, 1e-6);
          expect(Math.abs(g.dlogits[0]! - dl)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dl)));
          expect(Math.abs(g.dtemperature[0]! - dt)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dt)));
          const fd = (x: number) => new RelaxedBernoulli(gw, { logits: [x], temperature: tau }).logProb([y])[0]!;
          expect(Math.abs(g.dlogits[0]! - centralDiff1(fd, l, 1 / 64))).toBeLessThan(2e-3);
        }
      }
    }
  });

  test("per-element temperature: element i is what a distribution of that element alone gives", () => {
    const temperature = [0.3, 1, 4, 0.9];
    const b = new RelaxedBernoulli(gw, { logits, temperature });
    const ys = [0.1, 0.5, 0.99, 0.3, 0.2, 0.6, 0.7, 0.01];
    const g = b.logProbGrad(ys);
    const c = b.cdf(ys);
    for (let q = 0; q < 8; q++) {
      const one = new RelaxedBernoulli(gw, { logits: [logits[q % 4]!], temperature: temperature[q % 4]! });
      const h = one.logProbGrad([ys[q]!]);
      expect([g.logProb[q], g.dlogits[q], g.dtemperature[q], c[q]]).toEqual([h.logProb[0], h.dlogits[0], h.dtemperature[0], one.cdf([ys[q]!])[0]]);
    }
  });

  test("errors name the call, the argument and the place; inputs stay untouched", () => {
    const B = "RelaxedBernoulli";
    expect(() => new RelaxedBernoulli(gw, { logits: [1] } as never)).toThrow(new RegExp(`^${B}: temperature is required`));
    expect(() => new RelaxedBernoulli(gw, { logits: [1, 2], temperature: [1] })).toThrow(new RegExp(`^${B}: temperature has 1 values, expected one per element \\(2\\)$`));
    expect(() => new RelaxedBernoulli(gw, { logits: [1], temperature: 0 })).toThrow(new RegExp(`^${B}: temperature must be positive and finite`));
    expect(() => new RelaxedBernoulli(gw, { logits: [1, Number.NaN], temperature: 1 })).toThrow(new RegExp(`^${B}: logits\\[1\\] must be a number \\(not NaN\\), got NaN$`));
    expect(() => new RelaxedBernoulli(gw, { probs: [0.5, 1.5], temperature: 1 })).toThrow(new RegExp(`^${B}: probs\\[1\\] must be a probability in \\[0, 1\\], got 1.5$`));
    expect(() => new RelaxedBernoulli(gw, { probs: [], temperature: 1 })).toThrow(new RegExp(`^${B}: probs is empty$`));
    expect(() => new RelaxedBernoulli(gw, { logits: [1], probs: [0.5], temperature: 1 })).toThrow(new RegExp(`^${B}: give exactly one of logits and probs$`));
    expect(() => new RelaxedBernoulli(gw, { logits: {} as never, temperature: 1 })).toThrow(new RegExp(`^${B}: logits must be a Float32Array`));
    const b = new RelaxedBernoulli(gw, { logits: [0, 1], temperature: 1 });
    const y = Float32Array.from([0.5, -0.1]);
    expect(() => b.logProb(y)).toThrow(new RegExp(`^${B}.logProb: value\\[1\\] must be in \\[0, 1\\], got -0.1`));
    expect(Array.from(y)).toEqual(Array.from(Float32Array.from([0.5, -0.1])));
    expect(() => b.cdf([0.5, 0.5, 0.5])).toThrow(new RegExp(`^${B}.cdf: value has 3 elements, not a multiple of the batch size 2$`));
    expect(() => b.logProbGrad([Number.NaN, 0])).toThrow(new RegExp(`^${B}.logProbGrad: value\\[0\\] must be in \\[0, 1\\], got NaN$`));
    expect(() => b.sample({ n: 1.5 })).toThrow(new RegExp(`^${B}.sample: n must be an integer`));
    expect(() => b.sampleHard({ n: "2" as never })).toThrow(new RegExp(`^${B}.sampleHard: n must be a number`));
    expect(b.sample({ seed: 1, n: 0 }).length).toBe(0);
  });
});

test("the scalar binary gives the same bits", async () => {
  const scalar = await init({ backend: "scalar" });
  const logits = [0.3, -1.2, 2, 0.5, -Infinity, 1, 0, 0];
  for (const g of [gw, scalar]) expect(g.backend).toBe(g === gw ? "simd" : "scalar");
  const make = (g: typeof gw) => new RelaxedOneHotCategorical(g, { logits, cols: 4, temperature: [0.4, 1.7] });
  const y = make(gw).rsample({ seed: 4 });
  expect(make(scalar).rsample({ seed: 4 })).toEqual(y);
  const a = make(gw).logProbGrad(y);
  const b = make(scalar).logProbGrad(y);
  expect(b).toEqual(a);
  const bern = (g: typeof gw) => new RelaxedBernoulli(g, { logits: [0.3, -2, Infinity], temperature: 0.7 });
  const s = bern(gw).sampleHard({ seed: 3, n: 50 });
  expect(bern(scalar).sampleHard({ seed: 3, n: 50 })).toEqual(s);
  expect(bern(scalar).logProbGrad(s.soft)).toEqual(bern(gw).logProbGrad(s.soft));
  expect(bern(scalar).cdf(s.soft)).toEqual(bern(gw).cdf(s.soft));
});
