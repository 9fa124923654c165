// gumbelSoftmax and gumbelMax on probabilities (`probs: true`): the log the kernels take of them
// (log_probs) against float64 in ULPs; the draws against p / sum(p) by chi-square with fixed
// seeds (zero classes never drawn; the probabilities taken as logits must fail the same test);
// the result equal bit for bit to the logits call on our wasm log p (on both binaries: SIMD ==
// scalar is in backends.test.ts, the worker pool in threads.test.ts) and close to the float64
// reference; refused rows named, nothing written or drawn; tensors and arrays alike.
import { beforeAll, describe, expect, test } from "vitest";
import { FAULT_ALL_ZERO, FAULT_NOT_PROB } from "../src/abi.js";
import { Categorical, init, Tensor, type GumbelWasm } from "../src/node.js";
import { applyKernel, expectSameBits as same } from "./kernels.js";
import { chiSquareTest, gumbelOfBits, gumbelSoftmaxRef, streamBitsRef, testRandom, ulpError } from "./reference.js";
import { backends, load } from "./setup.js";

/** Our wasm log of p through another kernel (log_f32, the same logf), 0 -> -Inf: the logits a probs call must match. */
function wasmLog(gw: GumbelWasm, p: Float32Array): Float32Array {
  const l = applyKernel(gw, "log_f32", p.map((v) => (v > 0 ? v : 1)));
  return l.map((v, i) => (p[i]! > 0 ? v : -Infinity));
}

/** Random weights in (0, 4), every `zeroEvery`-th one 0 (or -0), no row all zeros. */
function weights(seed: number, rows: number, cols: number, zeroEvery = 5): Float32Array {
  const rnd = testRandom(seed);
  const p = Float32Array.from({ length: rows * cols }, () => rnd() * 4);
  for (let i = 0; i < p.length; i++) if (rnd() * zeroEvery < 1) p[i] = i % 2 ? 0 : -0;
  for (let r = 0; r < rows; r++) p[r * cols + (r % cols)] = 0.25 + r; // one positive class per row
  return p;
}

/** log_probs on a copy of p (rows x cols): its result, and the logs it wrote. */
function logProbs(gw: GumbelWasm, p: Float32Array, cols: number): { bad: number; fault: number; logs: Float32Array } {
  const src = gw.tensorFrom(p, cols);
  const dst = gw.tensor(src.rows, cols);
  try {
    const bad = gw.kernels.log_probs(src.byteOffset, dst.byteOffset, src.rows, cols);
    return { bad, fault: gw.kernels.check_fault(), logs: dst.data.slice() };
  } finally {
    src.free();
    dst.free();
  }
}

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test("log_probs: < 1 ULP of float64 log over [2^-149, 3.4e38] (10^6 bit patterns) and near 1; 0 and -0 give -Inf; log_f32's bits", () => {
    const N = 1_000_000;
    const bits = new Uint32Array(N);
    for (let i = 0; i < N; i++) bits[i] = 1 + Math.floor(i * (0x7f7fffff / N));
    const wide = new Float32Array(bits.buffer);
    const near1 = Float32Array.from({ length: 200_000 }, (_, i) => 0.5 + i / 200_000);
    for (const [x, cols] of [[wide, 1000], [near1, 40], [wide.subarray(0, 999), 9]] as const) {
      const { bad, logs } = logProbs(gw, x, cols);
      expect(bad).toBe(-1);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, ulpError(logs[i]!, Math.log(x[i]!)));
      expect(worst).toBeLessThan(1);
      same(logs, applyKernel(gw, "log_f32", x), `log_f32 cols ${cols}`);
    }
    const edges = logProbs(gw, Float32Array.from([0, -0, 1, 2 ** -149, 3.4028234663852886e38, 0.5, -0]), 7).logs;
    expect(Array.from(edges.subarray(0, 3))).toEqual([-Infinity, -Infinity, 0]);
    expect(Array.from(edges.subarray(3, 6), (v, i) => ulpError(v, Math.log([2 ** -149, 3.4028234663852886e38, 0.5][i]!)) < 1)).toEqual([true, true, true]);
  });

  test("log_probs refuses the first bad row: a value that is not a finite probability >= 0, or a row of zeros", () => {
    for (const cols of [1, 3, 4, 5, 16, 17, 40]) {
      for (const [v, fault] of [[Number.NaN, FAULT_NOT_PROB], [-1e-30, FAULT_NOT_PROB], [-Infinity, FAULT_NOT_PROB], [Infinity, FAULT_NOT_PROB]] as const) {
        for (const k of new Set([0, cols >> 1, cols - 1])) {
          const p = weights(cols, 6, cols);
          p[4 * cols + k] = v;
          expect(logProbs(gw, p, cols), `${v} at [4, ${k}], cols ${cols}`).toMatchObject({ bad: 4, fault });
          p.fill(0, 2 * cols, 3 * cols); // an earlier row of zeros comes first
          expect(logProbs(gw, p, cols)).toMatchObject({ bad: 2, fault: FAULT_ALL_ZERO });
          p.fill(-0, 2 * cols, 3 * cols);
          expect(logProbs(gw, p, cols)).toMatchObject({ bad: 2, fault: FAULT_ALL_ZERO });
        }
      }
      const p = weights(cols, 6, cols);
      p.fill(0, 5 * cols);
      expect(logProbs(gw, p, cols)).toMatchObject({ bad: 5, fault: FAULT_ALL_ZERO });
      expect(logProbs(gw, weights(cols, 6, cols), cols)).toMatchObject({ bad: -1, fault: 0 });
    }
  });

  test("the bits of the logits call on our wasm log p: every cols in 1..67, short rows across lanes, long rows (screened), per-row tau", () => {
    const cases: Array<[number, number]> = [];
    for (let cols = 1; cols <= 67; cols++) cases.push([3, cols]);
    for (let cols = 1; cols <= 17; cols++) cases.push([9, cols]);
    cases.push([4, 40_000], [64, 1003]);
    for (const [rows, cols] of cases) {
      const p = weights(rows * 100 + cols, rows, cols);
      const l = wasmLog(gw, p);
      const s = { cols, tau: 0.45, seed: 2n ** 64n - 1n, offset: cols };
      same(gw.gumbelSoftmax(p, { ...s, probs: true }), gw.gumbelSoftmax(l, s), `soft ${rows}x${cols}`);
      same(gw.gumbelSoftmax(p, { ...s, probs: true, hard: true }), gw.gumbelSoftmax(l, { ...s, hard: true }), `hard ${rows}x${cols}`);
      const soft = [new Float32Array(rows * cols), new Float32Array(rows * cols)];
      same(gw.gumbelSoftmax(p, { ...s, probs: true, hard: true, soft: soft[0] }), gw.gumbelSoftmax(l, { ...s, hard: true, soft: soft[1] }), `hard+soft ${rows}x${cols}`);
      same(soft[0]!, soft[1]!, `soft of hard ${rows}x${cols}`);
      same(gw.gumbelMax(p, { cols, seed: s.seed, offset: s.offset, probs: true }), gw.gumbelMax(l, { cols, seed: s.seed, offset: s.offset }), `max ${rows}x${cols}`);
      const taus = Float32Array.from({ length: rows }, (_, r) => [0.5, 0.5, 2][r % 3]!);
      same(gw.gumbelSoftmax(p, { ...s, tau: taus, probs: true }), gw.gumbelSoftmax(l, { ...s, tau: taus }), `per-row tau ${rows}x${cols}`);
    }
  });
});

describe("statistics and accuracy", () => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load("simd");
  });

  // The noise is within 4e-6 of the float64 noise; an error e in a sum moves y_k by at most
  // y_k (1 - y_k) 2e / tau <= e / (2 tau); plus 1e-6 for float32's roundings.
  test("gumbelSoftmax(probs) is within 1e-6 + 2e-6 / tau of the float64 softmax((log p + g) / tau) (p in [1e-4, 10], tau 0.5 and 1)", () => {
    const rows = 200, cols = 37;
    const rnd = testRandom(5);
    const p = Float32Array.from({ length: rows * cols }, () => 10 ** (rnd() * 5 - 4));
    for (const tau of [0.5, 1]) {
      const y = gw.gumbelSoftmax(p, { cols, tau, probs: true, seed: 9, offset: 3 });
      const noise = Array.from(streamBitsRef(9n, 3n, rows * cols), gumbelOfBits);
      const want = gumbelSoftmaxRef(Float64Array.from(p, Math.log), noise, cols, tau);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(y[i]! - want[i]!));
      expect(worst).toBeLessThan(1e-6 + 2e-6 / tau); // 1.8e-6 measured (2.6e-7 before 0.8.0's noise)
    }
  });

  // 7 classes, two of probability 0, one small; unnormalised (sum 5.004).
  const P = [0.5, 0, 0.2, 3, 0, 1.3, 0.004];
  const SUM = P.reduce((a, b) => a + b, 0);
  const LAW = P.map((v) => v / SUM);
  const ROWS = 100_000;
  const batch = (p: number[]) => Float32Array.from({ length: ROWS * p.length }, (_, i) => p[i % p.length]!);
  const counts = (idx: Int32Array) => {
    const c = new Array<number>(P.length).fill(0);
    for (const k of idx) c[k]!++;
    return c;
  };

  test("gumbelMax(probs) draws class k with probability p_k / sum(p) (chi-square, 10^5 draws, 3 seeds); zero classes never", () => {
    const x = batch(P);
    for (const seed of [1, 2, 3]) {
      const c = counts(gw.gumbelMax(x, { cols: P.length, probs: true, seed }));
      expect(c[1]).toBe(0);
      expect(c[4]).toBe(0);
      expect(chiSquareTest(c, LAW).p, `seed ${seed}: ${c}`).toBeGreaterThan(1e-3);
    }
    // Normalised probabilities: the same law.
    const c = counts(gw.gumbelMax(batch(LAW), { cols: P.length, probs: true, seed: 4 }));
    expect(chiSquareTest(c, LAW).p).toBeGreaterThan(1e-3);
    // gumbelSoftmax's hard sample sits at the same index.
    const hard = gw.gumbelSoftmax(x.subarray(0, 700), { cols: P.length, probs: true, hard: true, seed: 5 });
    const idx = gw.gumbelMax(x.subarray(0, 700), { cols: P.length, probs: true, seed: 5 });
    idx.forEach((k, r) => expect(hard[r * P.length + k]).toBe(1));
  });

  test("the test has power: the probabilities taken as logits, or a tempered log, fail it", () => {
    const x = batch(P);
    const asLogits = counts(gw.gumbelMax(x, { cols: P.length, seed: 1 }));
    expect(asLogits[1]).toBeGreaterThan(0); // a zero probability drawn: exp(0) = 1
    expect(chiSquareTest(asLogits, LAW).p).toBeLessThan(1e-12);
    const tempered = wasmLog(gw, x).map((v) => v / 1.2);
    expect(chiSquareTest(counts(gw.gumbelMax(tempered, { cols: P.length, seed: 1 })), LAW).p).toBeLessThan(1e-6);
  });
});

describe("inputs, outputs and refusals", () => {
  let gw: GumbelWasm;
  let twin: GumbelWasm;
  beforeAll(async () => {
    [gw, twin] = await Promise.all([init({ seed: 21 }), init({ seed: 21 })]);
  });
  const cols = 5;
  const P = weights(8, 4, cols);

  test("tensors, Float32Array, number arrays, Float64Array, views on wasm memory and out tensors give the same bits", () => {
    const o = { cols, tau: 0.7, probs: true, seed: 3 } as const;
    const want = gw.gumbelSoftmax(P, o);
    const wantIdx = gw.gumbelMax(P, { cols, probs: true, seed: 3 });
    const t = gw.tensorFrom(P, cols);
    const before = t.data.slice();
    const y = gw.gumbelSoftmax(t, { tau: 0.7, probs: true, seed: 3 });
    expect(y).toBeInstanceOf(Tensor);
    same((y as Tensor).data, want, "tensor");
    same(t.data, before, "the input tensor is not written");
    const idx = gw.gumbelMax(t, { probs: true, seed: 3 });
    expect(idx.dtype).toBe("int32");
    expect(Array.from(idx.data)).toEqual(Array.from(wantIdx));
    same(gw.gumbelSoftmax(Array.from(P), o), want, "number[]");
    same(gw.gumbelSoftmax(Float64Array.from(P), o), want, "Float64Array");
    same(gw.gumbelSoftmax(t.data, o), want, "a view on wasm memory");
    const out = gw.tensor(4, cols);
    expect(gw.gumbelSoftmax(t, { tau: 0.7, probs: true, seed: 3, out })).toBe(out);
    same(out.data, want, "out tensor");
    // Steady state: calls on tensors allocate nothing more.
    const live = gw.heap.liveBytes();
    for (let i = 0; i < 5; i++) gw.gumbelSoftmax(t, { tau: 0.7, probs: true, seed: 3, out });
    expect(gw.heap.liveBytes()).toBe(live);
    for (const x of [t, y as Tensor, idx, out]) x.free();
  });

  test("rng and Categorical: the same draws as gumbelMax on the probabilities", () => {
    const rng = gw.rng(7);
    const first = rng.gumbelMax(P, { cols, probs: true });
    expect(Array.from(first)).toEqual(Array.from(gw.gumbelMax(P, { cols, probs: true, seed: 7 })));
    expect(rng.offset).toBe(BigInt(P.length));
    const norm = P.slice();
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < cols; k++) s += norm[r * cols + k]!;
      for (let k = 0; k < cols; k++) norm[r * cols + k]! /= s;
    }
    const cat = new Categorical(gw, { probs: norm, cols });
    expect(Array.from(cat.sample({ seed: 11 }))).toEqual(Array.from(gw.gumbelMax(norm, { cols, probs: true, seed: 11 })));
  });

  const BAD: Array<[string, (p: Float32Array | number[]) => void, RegExp]> = [
    ["a negative probability", (p) => (p[2 * cols + 3] = -0.5), /probs\[2, 3\] must be a finite probability >= 0, got -0.5$/],
    ["NaN", (p) => (p[1 * cols + 0] = Number.NaN), /probs\[1, 0\] must be a finite probability >= 0, got NaN$/],
    ["+Inf", (p) => (p[3 * cols + 4] = Infinity), /probs\[3, 4\] must be a finite probability >= 0, got Infinity$/],
    ["-Inf", (p) => (p[0 * cols + 1] = -Infinity), /probs\[0, 1\] must be a finite probability >= 0, got -Infinity$/],
    ["a row of zeros", (p) => p.fill(0, 2 * cols, 3 * cols), /row 2 of probs is all zeros: at least one class needs a positive probability$/],
    ["a row of -0", (p) => p.fill(-0, 1 * cols, 2 * cols), /row 1 of probs is all zeros: at least one class needs a positive probability$/],
    ["the first bad row: zeros before a NaN", (p) => (p.fill(0, cols, 2 * cols), (p[3 * cols] = Number.NaN)), /row 1 of probs is all zeros/],
    ["the first bad row: a NaN before zeros", (p) => (p.fill(0, 3 * cols, 4 * cols), (p[cols + 2] = Number.NaN)), /probs\[1, 2\] must be a finite/],
  ];

  /** The stream of gw has not moved: its next draw equals twin's (which drew the same successful calls). */
  const inStep = () => expect(Array.from(gw.randomBits(2))).toEqual(Array.from(twin.randomBits(2)));

  test.each(BAD)("%s: a RangeError naming the row (and column); nothing written or drawn; tensors, arrays, async", async (_, spoil, message) => {
    for (const fn of ["gumbelSoftmax", "gumbelMax"] as const) {
      const re = new RegExp(`^${fn}: ${message.source}`);
      const p = P.slice();
      spoil(p);
      const n = fn === "gumbelMax" ? 4 : 4 * cols;
      const out = fn === "gumbelMax" ? new Int32Array(n).fill(77) : new Float32Array(n).fill(7.5);
      const call = (x: unknown, o: object) => (fn === "gumbelMax" ? gw.gumbelMax(x as Float32Array, o) : gw.gumbelSoftmax(x as Float32Array, o));
      expect(() => call(p, { cols, probs: true, out })).toThrow(re);
      expect(() => call(Array.from(p), { cols, probs: true, out })).toThrow(re);
      expect(Array.from(out).every((v) => v === (fn === "gumbelMax" ? 77 : 7.5))).toBe(true);
      const t = gw.tensorFrom(p, cols);
      const outT = gw.tensor(4, fn === "gumbelMax" ? 1 : cols, fn === "gumbelMax" ? "int32" : "float32");
      outT.data.fill(3);
      const live = gw.heap.liveBytes();
      expect(() => call(t, { probs: true })).toThrow(re); // its fresh output is freed
      expect(gw.heap.liveBytes()).toBe(live);
      expect(() => call(t, { probs: true, out: outT, ...(fn === "gumbelSoftmax" ? { hard: true } : {}) })).toThrow(re);
      expect(Array.from(outT.data).every((v) => v === 3)).toBe(true);
      const async = fn === "gumbelMax" ? gw.gumbelMaxAsync(t, { probs: true }) : gw.gumbelSoftmaxAsync(t, { probs: true });
      await expect(async).rejects.toThrow(re);
      expect(() => gw.rng(1).gumbelMax(p, { cols, probs: true })).toThrow(/^gumbelMax: /);
      t.free();
      outT.free();
      inStep();
    }
  });

  test("the option itself: a boolean (the probabilities are the first argument); names in messages say probs", () => {
    expect(() => gw.gumbelMax(P, { cols, probs: Array.from(P) as never })).toThrow(/^gumbelMax: probs must be a boolean \(true: the first argument holds probabilities\), got an Array$/);
    expect(() => gw.gumbelSoftmax(P, { cols, probs: 1 as never })).toThrow(/^gumbelSoftmax: probs must be a boolean .*, got number 1$/);
    expect(() => gw.gumbelSoftmax(P, { cols, probabilities: true } as never)).toThrow(/^gumbelSoftmax: unknown option "probabilities" \(did you mean "probs"\?\)$/);
    expect(() => gw.gumbelMax(P, { probs: true })).toThrow(/^gumbelMax: cols or shape is required: the number of classes per row of probs, or its shape$/);
    expect(() => gw.gumbelMax(P, { cols: 3, probs: true })).toThrow(/^gumbelMax: cols = 3 does not divide the length of probs \(20\)$/);
    expect(() => gw.gumbelMax(new Float32Array(3).fill(Number.NaN), { cols: 3, probs: false })).toThrow(/^gumbelMax: logits\[0, 0\] is NaN$/);
    inStep();
    // probs: false is the logits call; an empty batch is fine.
    same(gw.gumbelMax(P, { cols, probs: false, seed: 2 }), gw.gumbelMax(P, { cols, seed: 2 }), "probs: false");
    expect(gw.gumbelMax(new Float32Array(0), { cols, probs: true, seed: 2 })).toEqual(new Int32Array(0));
    expect(gw.gumbelSoftmax([], { cols, probs: true, seed: 2 })).toEqual(new Float32Array(0));
  });
});
