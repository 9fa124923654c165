// sampleTokens' law, path by path: every way the sampler can take (read off the token_paths()
// probe, so that a path that stops being taken fails the test) against the exact filtered
// softmax of the float64 reference (chi-square, bins of small expectation pooled), and tokens
// of probability 1e-6 and 1e-9 drawn at their rates, masked tokens never.
import { describe, expect, test } from "vitest";
import type { GumbelWasm } from "../src/node.js";
import { chiSquareTest, testRandom } from "./reference.js";
import { filteredProbs, llmLogits, type Filters } from "./reference-tokens.js";
import { load } from "./setup.js";

/** The paths of assembly/inline/tokens.ts (PATH_*) and draw.ts. */
const P = {
  rowList: 2, reject: 4, minpList: 8, topK: 16, hot: 32, ambiguous: 64, redraw: 128, exact: 256, refined: 2048, band: 4096,
} as const;

/** Pearson's test with the bins sorted by probability and pooled up to an expectation of 20 each. */
function pooledChiSquare(counts: ArrayLike<number>, probs: ArrayLike<number>, n: number): number {
  const order = Array.from({ length: probs.length }, (_, k) => k).filter((k) => probs[k]! > 0).sort((a, b) => probs[a]! - probs[b]!);
  const c: number[] = [];
  const p: number[] = [];
  let cc = 0;
  let pp = 0;
  for (const k of order) {
    cc += counts[k]!;
    pp += probs[k]!;
    if (pp * n >= 20) {
      c.push(cc);
      p.push(pp);
      cc = pp = 0;
    }
  }
  if (pp > 0) {
    c[c.length - 1]! += cc;
    p[p.length - 1]! += pp;
  }
  return chiSquareTest(c, p).p;
}

/**
 * n draws of one row (a tensor; each call one draw at a new offset, so the row stays in cache),
 * their counts and the paths they took (how many draws took each bit).
 */
function draws(gw: GumbelWasm, x: Float32Array, f: Filters, n: number, seed: number) {
  const cols = x.length;
  const t = gw.tensorFrom(x, cols);
  const out = new Int32Array(1);
  const counts = new Float64Array(cols);
  const paths = new Map<number, number>();
  gw.kernels.token_paths();
  for (let i = 0; i < n; i++) {
    gw.sampleTokens(t, { ...f, seed, offset: i * cols, out });
    counts[out[0]!]!++;
    const p = gw.kernels.token_paths();
    for (let b = 1; b <= p; b <<= 1) if (p & b) paths.set(b, (paths.get(b) ?? 0) + 1);
  }
  t.free();
  return { counts, took: (bit: number) => paths.get(bit) ?? 0 };
}

const gwP = load("simd");

describe("every path draws the exact filtered softmax", () => {
  const cases: [string, () => Float32Array, Filters, number, number[]][] = [
    ["a short row, no filter: the inverse CDF", () => llmLogits(200, 1, 0.1), { temperature: 1.3 }, 40000, [P.rowList]],
    ["no filter: rejection from the block maxima", () => llmLogits(5000, 2, 0.05), { temperature: 0.8 }, 40000, [P.reject]],
    ["a flat row, no filter: rejection, low acceptance", () => flat(3000, 3, 4), {}, 40000, [P.reject]],
    ["min-p, few blocks: a list", () => llmLogits(5000, 4), { minP: 0.05 }, 40000, [P.minpList]],
    ["min-p, many blocks: rejection with a floor", () => flat(4000, 5, 6), { minP: 0.02 }, 40000, [P.reject]],
    ["top-k", () => llmLogits(5000, 6), { topK: 40, temperature: 1.5 }, 40000, [P.topK]],
    ["top-k, then top-p and min-p on its list", () => llmLogits(5000, 7), { topK: 300, topP: 0.95, minP: 0.001, temperature: 2 }, 40000, [P.topK]],
    ["top-p from bounds of Z", () => llmLogits(20000, 8), { topP: 0.9 }, 40000, [P.hot]],
    ["top-p from bounds refined by the cold pass", () => llmLogits(32000, 9), { topP: 0.9, temperature: 1.2 }, 20000, [P.hot, P.refined]],
    ["top-p, min-p's floor above H's", () => llmLogits(20000, 10), { topP: 0.8, minP: 0.01, temperature: 1.5 }, 30000, [P.hot]],
    ["top-p, a flat row: the exact mass, listed candidates", () => flat(3000, 11, 3), { topP: 0.5 }, 30000, [P.exact]],
    ["top-p, a flat row: the exact mass, the cut in its bucket of weights, rejection", () => flat(12000, 12, 3), { topP: 0.7, minP: 0.2 }, 20000, [P.exact, P.band]],
    ["top-p on LLM logits at T 3: the exact mass, the cut in its bucket of weights", () => llmLogits(32000, 13), { topP: 0.9, temperature: 3 }, 10000, [P.exact, P.band]],
  ];
  test.each(cases)("%s", async (_, make, f, n, must) => {
    const gw = await gwP;
    const x = make();
    const { counts, took } = draws(gw, x, f, n, 77);
    for (const bit of must) expect([bit, took(bit)]).toEqual([bit, n]);
    const probs = filteredProbs(x, f);
    for (let k = 0; k < x.length; k++) if (probs[k] === 0) expect([k, counts[k]]).toEqual([k, 0]);
    expect(pooledChiSquare(counts, probs, n)).toBeGreaterThan(1e-4);
    // The unfiltered softmax is refused where a filter drops mass.
    const full = filteredProbs(x, { temperature: f.temperature });
    if (full.some((p, k) => p > 1e-3 && probs[k] === 0)) expect(pooledChiSquare(counts, full, n)).toBeLessThan(1e-6);
  });

  test.each([
    ["out of the true nucleus: drawn again", 0.098, false],
    ["in the true nucleus: kept", 0.102, true],
  ] as [string, number, boolean][])("top-p's ambiguous draws, decided by the exact mass: %s", async (_, cold, kept) => {
    // t0 (weight 1) and t1 (0.9) in blocks of their own; cold tokens (every other token of
    // the remaining blocks, the others masked) of total weight `cold`, below H's floor. At
    // topP 0.5, t1 stays iff 1 < (1.9 + cold) / 2, i.e. cold > 0.1: the block bounds (twice
    // the cold mass: half the tokens are masked) and the cold pass (within 7 %) leave t1
    // between the narrow and the wide nucleus, so every draw of t1 asks the exact mass.
    const gw = await gwP;
    const V = 65536;
    const x = new Float32Array(V).fill(-Infinity);
    x[0] = 0;
    x[64] = Math.fround(Math.log(0.9));
    const m = (V - 128) / 2;
    for (let k = 128; k < V; k += 2) x[k] = Math.fround(Math.log(cold / m));
    const f: Filters = { topP: 0.5 };
    const n = 6000;
    const { counts, took } = draws(gw, x, f, n, 5);
    expect(took(P.hot)).toBe(n);
    expect(took(P.ambiguous)).toBeGreaterThan(n / 5);
    if (kept) expect(took(P.redraw)).toBe(0);
    else expect(took(P.redraw)).toBe(took(P.ambiguous));
    const probs = filteredProbs(x, f);
    expect(probs[64]! > 0).toBe(kept);
    for (let k = 0; k < V; k++) if (probs[k] === 0) expect([k, counts[k]]).toEqual([k, 0]);
    expect(chiSquareTest([counts[0]!, counts[64]!], [probs[0]!, probs[64]!]).p).toBeGreaterThan(1e-4);
  });
});

/** Uniform logits in [0, spread): flat rows whose nucleus holds most of the vocabulary. */
function flat(n: number, seed: number, spread: number): Float32Array {
  const rnd = testRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * spread);
}

describe("tiny probabilities and masks", () => {
  // Token 0 at logit 0; A: 5000 tokens of probability about 1e-6; B: 50000 tokens of about
  // 1e-9 (5e-5 together); the rest masked.
  const V = 65536;
  const x = new Float32Array(V).fill(-Infinity);
  x[0] = 0;
  const A = [1, 5001];
  const B = [5001, 55001];
  x.fill(Math.fround(Math.log(1e-6)), A[0], A[1]);
  x.fill(Math.fround(Math.log(1e-9)), B[0], B[1]);
  const groups = (counts: Float64Array) => {
    let a = 0, b = 0, masked = 0;
    for (let k = 1; k < V; k++) {
      if (k < A[1]!) a += counts[k]!;
      else if (k < B[1]!) b += counts[k]!;
      else masked += counts[k]!;
    }
    return { a, b, masked };
  };
  const mass = (lo: number, hi: number, f: Filters = {}) => {
    const p = filteredProbs(x, f);
    let s = 0;
    for (let k = lo; k < hi; k++) s += p[k]!;
    return s;
  };
  const N = 160000;

  test("no filter: both tails at their rates, masked tokens never", async () => {
    const gw = await gwP;
    const { counts, took } = draws(gw, x, {}, N, 2026);
    expect(took(P.reject)).toBe(N);
    const g = groups(counts);
    expect(g.masked).toBe(0);
    const ea = N * mass(A[0]!, A[1]!), eb = N * mass(B[0]!, B[1]!); // about 795 and 8
    expect(Math.abs(g.a - ea)).toBeLessThan(5 * Math.sqrt(ea));
    // B: Poisson(8): 1 .. 22 holds with probability 1 - 4e-4; a sampler that drops the 1e-9
    // tokens draws none, one that draws them at 1e-6 draws thousands.
    expect(g.b).toBeGreaterThanOrEqual(1);
    expect(g.b).toBeLessThanOrEqual(22);
    // Within A, uniform (ten bins).
    const bins = new Array(10).fill(0);
    for (let k = A[0]!; k < A[1]!; k++) bins[Math.floor(((k - A[0]!) * 10) / 5000)] += counts[k]!;
    expect(chiSquareTest(bins, new Array(10).fill(0.1)).p).toBeGreaterThan(1e-4);
  });

  test("min-p between the tails keeps A, drops B", async () => {
    const gw = await gwP;
    const f = { minP: 1e-7 };
    const { counts } = draws(gw, x, f, N, 7);
    const g = groups(counts);
    expect(g.b + g.masked).toBe(0);
    const ea = N * mass(A[0]!, A[1]!, f);
    expect(Math.abs(g.a - ea)).toBeLessThan(5 * Math.sqrt(ea));
  });

  test("top-p: the nucleus ends after A (0.998), or after B (1 - 1e-6)", async () => {
    // The exact path on this row (Z's bounds cannot place the cut): fewer draws.
    const gw = await gwP;
    const n = 6000;
    for (const [topP, keepsB] of [[0.998, false], [Math.fround(1 - 1e-6), true]] as [number, boolean][]) {
      const f = { topP };
      const { counts } = draws(gw, x, f, n, 11);
      const g = groups(counts);
      expect(g.masked).toBe(0);
      const ea = n * mass(A[0]!, A[1]!, f);
      expect(Math.abs(g.a - ea)).toBeLessThan(5 * Math.sqrt(ea));
      // B kept: Poisson(0.3) draws at most 6 (1 - 1e-6); B dropped: none.
      if (keepsB) expect(g.b).toBeLessThanOrEqual(6);
      else expect(g.b).toBe(0);
      expect(mass(B[0]!, B[1]!, f) > 0).toBe(keepsB);
    }
  });
});
