// Gumbel-top-k: k classes per row without replacement, in sampled order. Checked against the
// definition (the k largest float32(logits + noise) from the reference generator), against
// gumbelMax, and statistically against the exact Plackett-Luce probabilities of ordered pairs.
import { describe, expect, test } from "vitest";
import { init } from "../src/node.js";
import { chiSquareTest, gumbelOfBits, streamBitsRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

describe.each(backends)("%s", (backend) => {
  test("the k largest float32(logits + noise) in order, the first one gumbelMax's index", async () => {
    const gw = await load(backend);
    const rows = 40, cols = 57, k = 6;
    const rnd = testRandom(4);
    const x = Float32Array.from({ length: rows * cols }, (_, i) => (i % 11 === 3 ? -Infinity : rnd() * 6 - 3));
    const seed = 2n ** 40n + 9n, offset = 1234n;
    const got = gw.topK(x, k, { cols, seed, offset });
    expect(got.length).toBe(rows * k);
    const bits = streamBitsRef(seed, offset, rows * cols);
    const max = gw.gumbelMax(x, { cols, seed, offset });
    for (let r = 0; r < rows; r++) {
      const order = Array.from({ length: cols }, (_, j) => j)
        .filter((j) => x[r * cols + j] !== -Infinity)
        .map((j) => ({ j, s: Math.fround(x[r * cols + j]! + gumbelOfBits(bits[r * cols + j]!)) }))
        .sort((a, b) => b.s - a.s || a.j - b.j);
      const row = Array.from(got.subarray(r * k, (r + 1) * k));
      // The reference noise is float64 (ours float32, within 4e-6): compare by the sums.
      for (let i = 0; i < k; i++) expect(Math.abs(order[i]!.s - Math.fround(x[r * cols + row[i]!]! + gumbelOfBits(bits[r * cols + row[i]!]!)))).toBeLessThan(1e-5);
      expect(new Set(row).size).toBe(k);
      expect(row[0]).toBe(max[r]);
    }
  });

  test("ordered pairs follow Plackett-Luce: P(i, j) = p_i p_j / (1 - p_i); drawing with replacement would fail", async () => {
    const gw = await load(backend);
    const logits = [1.2, 0.3, -0.4, 0.0];
    const p = logits.map(Math.exp);
    const z = p.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 4; i++) p[i]! /= z;
    const n = 40000;
    const x = new Float32Array(4 * n);
    for (let r = 0; r < n; r++) x.set(logits, 4 * r);
    const got = gw.topK(x, 2, { cols: 4, seed: 77 });
    const counts = new Array(16).fill(0);
    for (let r = 0; r < n; r++) counts[got[2 * r]! * 4 + got[2 * r + 1]!]++;
    const pairs: number[] = [];
    const exact: number[] = [];
    const withReplacement: number[] = [];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        if (i === j) {
          expect(counts[i * 4 + j]).toBe(0); // never the same class twice
          continue;
        }
        pairs.push(counts[i * 4 + j]);
        exact.push((p[i]! * p[j]!) / (1 - p[i]!));
        withReplacement.push(p[i]! * p[j]!);
      }
    }
    expect(chiSquareTest(pairs, exact).p).toBeGreaterThan(1e-3);
    const s = withReplacement.reduce((a, b) => a + b, 0);
    expect(chiSquareTest(pairs, withReplacement.map((v) => v / s)).p).toBeLessThan(1e-6);
  });
});

test("tensors, masks, k at its limits, errors naming the argument", async () => {
  const gw = await init();
  const t = gw.tensorFrom([0, 1, 2, 3, 3, 2, 1, 0], 4);
  const r = gw.topK(t, 4, { seed: 1 });
  expect(r.rows).toBe(2);
  expect(r.cols).toBe(4);
  expect(Array.from(r.data.subarray(0, 4)).sort()).toEqual([0, 1, 2, 3]);
  expect(gw.topK([1, 2, 3], 0, { cols: 3, seed: 1 }).length).toBe(0);
  // -Inf classes never drawn; a row needs k unmasked ones.
  expect(Array.from(gw.topK([0, -Infinity, 5, -Infinity], 2, { cols: 4, seed: 3 })).sort()).toEqual([0, 2]);
  expect(() => gw.topK([0, -Infinity, 5, -Infinity], 3, { cols: 4, seed: 3 })).toThrow(/^topK: row 0 of logits has 2 unmasked classes, fewer than k = 3$/);
  expect(() => gw.topK([1, 2, 3], 4, { cols: 3 })).toThrow(/^topK: k must be an integer from 0 to 3, got 4$/);
  expect(() => gw.topK([1, 2, 3], 1.5, { cols: 3 })).toThrow(/^topK: k must be an integer/);
  expect(() => gw.topK([1, 2, 3], "2" as never, { cols: 3 })).toThrow(/^topK: k must be a number/);
  expect(() => gw.topK([1, Number.NaN, 3], 1, { cols: 3 })).toThrow(/^topK: logits\[0, 1\] is NaN$/);
  expect(() => gw.topK([1, 2, 3], 1, { cols: 2 })).toThrow(/^topK: cols = 2 does not divide/);
  // The instance's own stream advances only on success, as for every call.
  const a = await init({ seed: 5 });
  const b = await init({ seed: 5 });
  expect(() => a.topK([1, 2], 3, { cols: 2 })).toThrow();
  expect(a.topK([1, 2, 3], 2, { cols: 3 })).toEqual(b.topK([1, 2, 3], 2, { cols: 3 }));
  t.free();
  r.free();
});
