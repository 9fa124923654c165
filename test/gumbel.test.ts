// Gumbel-Softmax and Gumbel-Max: they add exactly gumbelNoise's values, agree with the float64
// reference fed that noise, sample softmax(logits) (chi-square), never draw masked classes,
// and give the same rows however a batch is split.
import { describe, expect, test } from "vitest";
import type { GumbelWasm } from "../src/node.js";
import { checkSoftmaxBounds } from "./bounds.js";
import { firstBitDifference } from "./kernels.js";
import { argmaxRef, chiSquareTest, softmaxRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

function randomLogits(seed: number, n: number, scale: number): Float32Array {
  const rnd = testRandom(seed);
  return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
}

/** rows, cols, and the logit of class k in row r. */
type RowCase = [number, number, (r: number, k: number) => number];

/** gumbelMax equals argmax(float32(logits + gumbelNoise)) of the same stream, for each case and offset. */
function expectFullComputation(gw: GumbelWasm, cases: RowCase[], seed: number, offsets: Array<number | bigint>): void {
  for (const [rows, cols, f] of cases) {
    const logits = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) logits[r * cols + k] = f(r, k);
    for (const offset of offsets) {
      const g = gw.gumbelNoise(rows * cols, { seed, offset });
      const want = argmaxRef(logits.map((l, i) => l + g[i]!), cols);
      expect(gw.gumbelMax(logits, { cols, seed, offset })).toEqual(want);
    }
  }
}

describe.each(backends)("%s binary", (backend) => {
  test("gumbelSoftmax = float64 softmax((logits + gumbelNoise) / tau), the sum formed in float32; rows sum to 1", async () => {
    const gw = await load(backend);
    for (const cols of [1, 2, 5, 10, 67, 1000]) {
      for (const tau of [0.1, 0.5, 1, 2]) {
        const rows = Math.max(2, Math.floor(20_000 / cols));
        const logits = randomLogits(cols, rows * cols, 3);
        const opts = { cols, tau, seed: 1234n + BigInt(cols), offset: 99 };
        const y = gw.gumbelSoftmax(logits, opts);
        const g = gw.gumbelNoise(rows * cols, { seed: opts.seed, offset: opts.offset }) as Float32Array;
        // The kernels add the noise in float32 (that sum is the sample's definition), then
        // compute the softmax to the stated accuracy: compare with float64 from that sum.
        checkSoftmaxBounds(logits.map((l, i) => l + g[i]!), y, cols, tau);
      }
    }
  });

  test("gumbelMax = argmax(float32(logits + noise)), and hard gumbelSoftmax is one-hot at that index", async () => {
    const gw = await load(backend);
    for (const cols of [1, 3, 4, 10, 33, 1000, 2500]) {
      const rows = Math.max(3, Math.floor(20_000 / cols));
      const logits = randomLogits(cols + 1, rows * cols, 2);
      const seed = 77;
      const offset = 2n ** 40n + 3n;
      const g = gw.gumbelNoise(rows * cols, { seed, offset }) as Float32Array;
      const sum = logits.map((l, i) => l + g[i]!); // float32 sums, as the kernels form them
      const want = argmaxRef(sum, cols);
      const idx = gw.gumbelMax(logits, { cols, seed, offset });
      expect(idx).toEqual(want);
      const hard = gw.gumbelSoftmax(logits, { cols, seed, offset, hard: true, tau: 0.3 });
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < cols; k++) expect(hard[r * cols + k]).toBe(k === want[r] ? 1 : 0);
      }
    }
  });

  test("gumbelMax's exact pruning (long rows, logits spread wider than the noise) returns the full computation's index", async () => {
    const gw = await load(backend);
    const rnd = testRandom(42);
    // LLM-like rows: a few plausible tokens, a long tail far below, some masks, repeated maxima.
    const cases: RowCase[] = [
      [6, 5000, () => (rnd() < 0.01 ? 10 + rnd() * 3 : -30 + rnd() * 20)],
      [3, 40_000, (_, k) => (k % 997 === 5 ? 12 : k % 13 === 0 ? -Infinity : -20 - rnd() * 10)],
      [4, 2000, (r, k) => (k === 7 || k === 1500 ? 5 : k % 3 === 0 ? -Infinity : 5 - 27 * rnd() - r)],
      [2, 3000, () => 1e6 + Math.floor(rnd() * 4) * 40], // large magnitudes: rounding at ulp 0.0625
      [3, 1100, (_, k) => (k < 3 ? 0 : -40)], // three equal leaders: ties go to the lowest sum's index
    ];
    expectFullComputation(gw, cases, 9, [0, 5, 2n ** 33n + 11n]);
  });

  test("gumbelMax's exact screen (rows of 64+ classes) returns the full computation's index, ties included", async () => {
    const gw = await load(backend);
    const rnd = testRandom(7);
    const cases: RowCase[] = [
      [40, 64, () => rnd() * 4 - 2], // the smallest screened rows
      [30, 67, () => 0], // flat rows: the noise alone decides
      [20, 1000, () => 3 * (rnd() - 0.5)],
      [10, 1000, (_, k) => (k % 5 === 0 ? -Infinity : rnd())],
      [10, 2500, () => 1e8 + 8 * Math.floor(rnd() * 4)], // ulp 8: the sums collide, ties decide
      [10, 3000, () => 1e7 + Math.floor(rnd() * 3)], // ulp 1
      [3, 40_000, () => rnd() * 0.001], // nearly flat, several chunks
    ];
    expectFullComputation(gw, cases, 123, [0, 3, 2n ** 40n + 1n]);
  });

  test("hard mode writes the soft sample to `soft` when asked (for the straight-through gradient)", async () => {
    const gw = await load(backend);
    const logits = randomLogits(5, 60, 1);
    const opts = { cols: 6, tau: 0.5, seed: 3 };
    const soft = new Float32Array(60);
    const hard = gw.gumbelSoftmax(logits, { ...opts, hard: true, soft });
    expect(soft).toEqual(gw.gumbelSoftmax(logits, opts));
    for (let r = 0; r < 10; r++) {
      const row = Array.from(soft.subarray(r * 6, r * 6 + 6));
      expect(hard[r * 6 + row.indexOf(Math.max(...row))]).toBe(1);
    }
  });

  test("gumbelSoftmax is softmax of the float32 sums logits + gumbelNoise, bit for bit (long rows add their noise in the noise pass)", async () => {
    const gw = await load(backend);
    // cols below 1024 share a draw across rows, from 1024 up each row draws alone and adds its
    // logits as the noise is written; offsets not a multiple of 4 start mid-block.
    for (const [rows, cols] of [[5, 1000], [3, 1024], [4, 1025], [2, 4099], [3, 600]] as const) {
      for (const offset of [0, 3, 2n ** 35n + 30n]) {
        const logits = randomLogits(cols, rows * cols, 1);
        const opts = { cols, tau: 0.7, seed: 99, offset };
        const g = gw.gumbelNoise(rows * cols, { seed: 99, offset }) as Float32Array;
        const want = gw.softmax(logits.map((l, i) => l + g[i]!), { cols, tau: 0.7 });
        expect(gw.gumbelSoftmax(logits, opts)).toEqual(want);
        const soft = new Float32Array(rows * cols);
        const hard = gw.gumbelSoftmax(logits, { ...opts, hard: true, soft });
        expect(soft).toEqual(want);
        const idx = argmaxRef(logits.map((l, i) => l + g[i]!), cols);
        for (let r = 0; r < rows; r++) expect(hard.subarray(r * cols, (r + 1) * cols).indexOf(1)).toBe(idx[r]);
      }
    }
  });

  test("long rows: the cheaper exp (all of (x - m) / tau in [-87, 0]) and the full one (wider rows, masks, subnormal results) give softmax's bits", async () => {
    const gw = await load(backend);
    const cols = 2048;
    const base = randomLogits(cols, 6 * cols, 5);
    // Row 0: narrow (the cheaper exp at tau 0.7); row 1: one logit 60 below the rest (-87 is
    // crossed at tau 0.7); row 2: a masked class; rows 3-5: the same logits at tau 0.05, where
    // most results are subnormal or 0 (the full exp).
    base[cols + 17] = base[cols + 17]! - 60;
    base[2 * cols + 5] = -Infinity;
    for (const tau of [0.7, 0.05, 3]) {
      const g = gw.gumbelNoise(6 * cols, { seed: 4, offset: 8 }) as Float32Array;
      const want = gw.softmax(base.map((l, i) => l + g[i]!), { cols, tau });
      expect(firstBitDifference(gw.gumbelSoftmax(base, { cols, tau, seed: 4, offset: 8 }) as Float32Array, want)).toBe(-1);
    }
  });

  test("gumbelMax samples softmax(logits): chi-square p > 1e-4, and rejects a 10% sharper distribution", async () => {
    const gw = await load(backend);
    const probe = Float32Array.from([0.5, -1, 2, 0, 1.2, -0.3]);
    const cols = probe.length;
    const rows = 300_000;
    const logits = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) logits.set(probe, r * cols);
    const idx = gw.gumbelMax(logits, { cols, seed: 2024 });
    const counts = new Array(cols).fill(0);
    for (const i of idx) counts[i]++;
    const p = softmaxRef(probe, cols);
    expect(chiSquareTest(counts, p).p).toBeGreaterThan(1e-4);
    expect(chiSquareTest(counts, softmaxRef(probe.map((v) => v * 1.1), cols)).p).toBeLessThan(1e-4);
  });

  test("a rare class is drawn at its rate (p = 1e-4), and masked classes are never drawn", async () => {
    const gw = await load(backend);
    const cols = 4;
    const rows = 400_000;
    // Class 3 has probability 1e-4; class 1 is masked.
    const rare = Math.log(1e-4 / (1 - 1e-4));
    const probe = Float32Array.from([Math.log(0.5), -Infinity, Math.log(0.5), rare]);
    const logits = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) logits.set(probe, r * cols);
    const idx = gw.gumbelMax(logits, { cols, seed: 31337 });
    const counts = [0, 0, 0, 0];
    for (const i of idx) counts[i]!++;
    expect(counts[1]).toBe(0);
    expect(chiSquareTest(counts, softmaxRef(probe, cols)).p).toBeGreaterThan(1e-4);
    const soft = gw.gumbelSoftmax(logits.subarray(0, 4000), { cols, seed: 1, tau: 0.5 });
    for (let r = 0; r < 1000; r++) expect(soft[r * cols + 1]).toBe(0);
  });

  test("splitting a batch (rows 5..9 with offset + 5 * cols) gives the same rows", async () => {
    const gw = await load(backend);
    const cols = 37;
    const logits = randomLogits(8, 10 * cols, 2);
    const opts = { cols, tau: 0.7, seed: 5n, offset: 1000 };
    const whole = gw.gumbelSoftmax(logits, opts);
    const tail = gw.gumbelSoftmax(logits.subarray(5 * cols), { ...opts, offset: 1000 + 5 * cols });
    expect(tail).toEqual(whole.subarray(5 * cols));
    const maxOpts = { cols, seed: 5n, offset: 1000 }; // gumbelMax takes no tau
    const wholeIdx = gw.gumbelMax(logits, maxOpts);
    const tailIdx = gw.gumbelMax(logits.subarray(5 * cols), { ...maxOpts, offset: 1000 + 5 * cols });
    expect(tailIdx).toEqual(wholeIdx.subarray(5));
  });

  test("small tau is nearly one-hot, large tau nearly uniform", async () => {
    const gw = await load(backend);
    const cols = 8;
    const rows = 2000;
    const logits = randomLogits(13, rows * cols, 1);
    const cold = gw.gumbelSoftmax(logits, { cols, tau: 0.01, seed: 4 });
    const idx = gw.gumbelMax(logits, { cols, seed: 4 });
    let nearlyOneHot = 0;
    for (let r = 0; r < rows; r++) if (cold[r * cols + idx[r]!]! > 0.99) nearlyOneHot++;
    expect(nearlyOneHot / rows).toBeGreaterThan(0.95);
    const hot = gw.gumbelSoftmax(logits, { cols, tau: 1e5, seed: 4 });
    for (const v of hot) expect(Math.abs(v - 1 / cols)).toBeLessThan(0.01 / cols);
  });
});
