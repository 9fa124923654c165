// Categorical over the kernels: probabilities and normalised logits against float64, samples
// against the probabilities (chi-square), validation of probs, and the masks.
import { describe, expect, test } from "vitest";
import { Categorical, init } from "../src/node.js";
import { chiSquareTest, logSoftmaxRef, softmaxRef } from "./reference.js";

const gw = await init();

describe("Categorical", () => {
  test("from logits: probs, normalised logits, logProb and entropy against float64; samples are gumbelMax's", () => {
    const logits = [2, 1, 0.5, -Infinity, -1, 0, 3, 0.25, 1, 1, 1, 1];
    const d = new Categorical(gw, { logits, cols: 4 });
    expect([d.rows, d.cols]).toEqual([3, 4]);
    const p = softmaxRef(logits, 4);
    const lp = logSoftmaxRef(logits, 4);
    d.probs.forEach((v, i) => expect(Math.abs(v - p[i]!)).toBeLessThan(1e-6));
    d.logits.forEach((v, i) => (lp[i] === -Infinity ? expect(v).toBe(-Infinity) : expect(Math.abs(v - lp[i]!)).toBeLessThan(1e-6)));
    expect(Array.from(d.logProb([0, 1, 3]))).toEqual([d.logits[0], d.logits[5], d.logits[11]]);
    expect(d.logProb([3, 0, 0])[0]).toBe(-Infinity); // a masked class
    const h = d.entropy();
    for (let r = 0; r < 3; r++) {
      let want = 0;
      for (let k = 0; k < 4; k++) if (p[r * 4 + k]! > 0) want -= p[r * 4 + k]! * lp[r * 4 + k]!;
      expect(Math.abs(h[r]! - want)).toBeLessThan(2e-6);
    }
    expect(Math.abs(h[2]! - Math.log(4))).toBeLessThan(2e-6);
    expect(d.sample({ seed: 9, offset: 3 })).toEqual(gw.gumbelMax(logits, { cols: 4, seed: 9, offset: 3 }));
  });

  test("from probs: samples follow the probabilities (chi-square), zeros are never drawn; a wrong model fails", () => {
    const probs = [0.5, 0.3, 0.2, 0];
    const n = 30000;
    const batch = new Float32Array(4 * n);
    for (let r = 0; r < n; r++) batch.set(probs, 4 * r);
    const d = new Categorical(gw, { probs: batch, cols: 4 });
    const counts = [0, 0, 0, 0];
    for (const k of d.sample({ seed: 4 })) counts[k]!++;
    expect(counts[3]).toBe(0);
    expect(chiSquareTest(counts.slice(0, 3), [0.5, 0.3, 0.2]).p).toBeGreaterThan(1e-3);
    expect(chiSquareTest(counts.slice(0, 3), [0.45, 0.35, 0.2]).p).toBeLessThan(1e-6);
    expect(d.logits[3]).toBe(-Infinity);
    expect(Math.abs(d.logits[0]! - Math.log(0.5))).toBeLessThan(1e-6);
    expect(Math.abs(d.entropy()[0]! + (0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.2 * Math.log(0.2)))).toBeLessThan(2e-6);
  });

  test("probs are validated (or normalised on request); bad arguments are named", () => {
    expect(() => new Categorical(gw, { probs: [0.5, 0.6], cols: 2 })).toThrow(/^Categorical: row 0 of probs sums to 1.1\d*, not 1 \(within 3e-6\); pass normalize: true to rescale$/);
    expect(() => new Categorical(gw, { probs: [0.5, -0.5, 1], cols: 3 })).toThrow(/^Categorical: probs\[0, 1\] must be a finite probability >= 0, got -0.5$/);
    expect(() => new Categorical(gw, { probs: [Number.NaN, 1], cols: 2 })).toThrow(/^Categorical: probs\[0, 0\] must be a finite probability/);
    expect(() => new Categorical(gw, { probs: [Infinity, 1], cols: 2 })).toThrow(/^Categorical: probs\[0, 0\] must be a finite probability/);
    expect(() => new Categorical(gw, { probs: [0, 0], cols: 2, normalize: true })).toThrow(/^Categorical: row 0 of probs sums to 0: nothing to normalize$/);
    const d = new Categorical(gw, { probs: [2, 6], cols: 2, normalize: true });
    expect(Math.abs(d.probs[1]! - 0.75)).toBeLessThan(1e-7);
    expect(() => new Categorical(gw, { cols: 2 })).toThrow(/^Categorical: give exactly one of logits and probs$/);
    expect(() => new Categorical(gw, { logits: [1], probs: [1] })).toThrow(/^Categorical: give exactly one of logits and probs$/);
    expect(() => new Categorical(gw, { logits: "x" as never })).toThrow(/^Categorical: logits must be a Float32Array/);
    expect(() => new Categorical(gw, { logits: [1, 2, 3], cols: 2 })).toThrow(/^Categorical: cols = 2 does not divide the length of logits \(3\)$/);
    expect(() => new Categorical(gw, { logits: [1, Number.NaN] })).toThrow(/^logSoftmax: x\[0, 1\] is NaN$/);
    const ok = new Categorical(gw, { logits: [1, 2] });
    expect(() => ok.logProb([2])).toThrow(/^Categorical.logProb: value\[0\] must be a class index from 0 to 1, got 2$/);
    expect(() => ok.logProb([0, 1])).toThrow(/^Categorical.logProb: value has 2 entries, expected one per row \(1\)$/);
  });
});
