// softmax, logSoftmax and logSumExp against the float64 reference, with the accuracy the
// README states; masks, extreme temperatures and magnitudes.
import { describe, expect, test } from "vitest";
import { checkSoftmaxBounds } from "./bounds.js";
import { logSoftmaxRef, logSumExpRef, softmaxRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

function randomLogits(seed: number, n: number, scale: number): Float32Array {
  const rnd = testRandom(seed);
  return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
}

describe.each(backends)("%s binary", (backend) => {
  test.each([1, 2, 3, 4, 5, 7, 10, 16, 33, 67, 1000, 32000])("softmax within the stated bounds, cols = %i", async (cols) => {
    const gw = await load(backend);
    for (const tau of [0.1, 0.5, 1, 3]) {
      for (const scale of [1, 10, 100]) {
        const rows = Math.max(2, Math.floor(60_000 / cols));
        const x = randomLogits(cols * 31 + scale, rows * cols, scale);
        checkSoftmaxBounds(x, gw.softmax(x, { cols, tau }), cols, tau);
      }
    }
  });

  test("logSoftmax and logSumExp within 5e-7 (cols <= 1000) and 2e-6 (32000) of the reference, relative to max(1, |ref|)", async () => {
    const gw = await load(backend);
    for (const cols of [1, 3, 10, 67, 1000, 32000]) {
      for (const tau of [0.1, 1, 3]) {
        const rows = Math.max(2, Math.floor(60_000 / cols));
        const x = randomLogits(cols + 7, rows * cols, 10);
        const tol = cols <= 1000 ? 5e-7 : 2e-6;
        const ls = gw.logSoftmax(x, { cols, tau });
        const lsRef = logSoftmaxRef(x, cols, tau);
        for (let i = 0; i < ls.length; i++) {
          if (Math.abs(ls[i]! - lsRef[i]!) > tol * Math.max(1, Math.abs(lsRef[i]!))) throw new Error(`logSoftmax at ${i}`);
        }
        const lse = gw.logSumExp(x, { cols, tau });
        const lseRef = logSumExpRef(x, cols, tau);
        expect(lse.length).toBe(rows);
        for (let r = 0; r < rows; r++) {
          if (Math.abs(lse[r]! - lseRef[r]!) > tol * Math.max(1, Math.abs(lseRef[r]!))) throw new Error(`logSumExp row ${r}`);
        }
      }
    }
  });

  test("-Inf logits are masks: probability exactly 0, log-probability -Inf, the rest renormalised", async () => {
    const gw = await load(backend);
    const x = Float32Array.from([-Infinity, 1, 2, -Infinity, 3, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 0.5, -Infinity]);
    const cols = 6;
    const y = gw.softmax(x, { cols, tau: 0.7 });
    const ref = softmaxRef(x, cols, 0.7);
    for (let i = 0; i < x.length; i++) {
      if (x[i] === -Infinity) expect(Object.is(y[i], 0)).toBe(true);
      else expect(Math.abs(y[i]! - ref[i]!)).toBeLessThan(4e-7);
    }
    expect(y[10]).toBe(1); // the one unmasked class of row 2
    const ls = gw.logSoftmax(x, { cols });
    for (let i = 0; i < x.length; i++) if (x[i] === -Infinity) expect(ls[i]).toBe(-Infinity);
    expect(gw.logSumExp(x, { cols })[1]).toBeCloseTo(0.5, 6);
  });

  test("extreme but valid inputs: huge logits do not overflow, tiny tau is one-hot, huge tau uniform", async () => {
    const gw = await load(backend);
    const big = Float32Array.from([3e38, -3e38, 1e30, 3e38]);
    expect(Array.from(gw.softmax(big, { cols: 4 }))).toEqual([0.5, 0, 0, 0.5]);
    expect(gw.logSumExp(big, { cols: 4 })[0]).toBeCloseTo(3e38, -32);
    const x = Float32Array.from([0.1, 0.3, 0.2, 0.25]);
    expect(Array.from(gw.softmax(x, { cols: 4, tau: 1e-30 }))).toEqual([0, 1, 0, 0]);
    expect(Array.from(gw.softmax(x, { cols: 4, tau: 1e30 }))).toEqual([0.25, 0.25, 0.25, 0.25]);
    // Subnormal tau: 1/tau is capped at the largest float instead of overflowing.
    expect(Array.from(gw.softmax(x, { cols: 4, tau: 1e-40 }))).toEqual([0, 1, 0, 0]);
  });

  test("softmax(x, tau) equals softmax(x / tau) and logSoftmax = log(softmax)", async () => {
    const gw = await load(backend);
    const x = randomLogits(77, 400, 4);
    const a = gw.softmax(x, { cols: 40, tau: 2 });
    const b = gw.softmax(x.map((v) => v / 2), { cols: 40 });
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(3e-7);
    const ls = gw.logSoftmax(x, { cols: 40, tau: 2 });
    for (let i = 0; i < a.length; i++) expect(Math.abs(Math.exp(ls[i]!) - a[i]!)).toBeLessThan(3e-7);
  });
});
