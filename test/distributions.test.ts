// Categorical over the kernels: probabilities and normalised logits against float64, samples
// against the probabilities (chi-square), validation of probs, and the masks.
import { describe, expect, test } from "vitest";
import { Categorical, Gumbel, init } from "../src/node.js";
import { argmaxRef, chiSquareTest, gumbelOfBits, ksPValue, ksStatistic, logSoftmaxRef, softmaxRef, streamBitsRef } from "./reference.js";

const gw = await init();

/** Counts of the pairs (x[2j], x[2j+1]) of classes 0 .. K-1, cell a * K + b. */
function pairCounts(x: ArrayLike<number>, K: number): Float64Array {
  const counts = new Float64Array(K * K);
  for (let j = 0; j + 1 < x.length; j += 2) counts[x[j]! * K + x[j + 1]!]!++;
  return counts;
}

/** p x p: the law of a pair of independent draws from p. */
function outer(p: number[]): number[] {
  return p.flatMap((a) => p.map((b) => a * b));
}

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
    const two = new Categorical(gw, { logits: [1, 2, 0, 0], cols: 2 });
    expect(() => two.logProb([0, 1, 1])).toThrow(/^Categorical.logProb: value has 3 entries, not a multiple of the rows \(2\): one class per row, for each draw$/);
  });
});

describe("Categorical: n draws of the batch, logProb over them, mode", () => {
  const logits = [2, 1, 0.5, -Infinity, -1, 0, 3, 0.25, 1, 1, 1, 1];
  const d = new Categorical(gw, { logits, cols: 4 });
  const B = 12; // stream elements per draw of the batch: rows * cols

  test("sample({ n }): draw-major, draw i the float64 reference's argmax of logits + noise at offset + i * rows * cols", () => {
    const n = 5;
    const got = d.sample({ seed: 9, offset: 3, n });
    expect(got).toBeInstanceOf(Int32Array);
    expect(got.length).toBe(n * 3);
    const bits = streamBitsRef(9n, 3n, n * B);
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < 3; r++) {
        // float32(l + g), g from the reference generator in float64 (a near-tie may round either way)
        const sum = Array.from({ length: 4 }, (_, k) => Math.fround(logits[r * 4 + k]! + gumbelOfBits(bits[i * B + r * 4 + k]!)));
        const want = argmaxRef(sum, 4)[0]!;
        const k = got[i * 3 + r]!;
        expect(logits[r * 4 + k]).not.toBe(-Infinity);
        if (k !== want) expect(Math.abs(sum[k]! - sum[want]!)).toBeLessThanOrEqual(4e-6 * Math.max(1, Math.abs(sum[want]!)));
      }
    }
    // n omitted: the call of earlier versions, bit for bit (gumbelMax's), and the same as n = 1.
    const one = d.sample({ seed: 9, offset: 3 });
    expect(one).toEqual(gw.gumbelMax(logits, { cols: 4, seed: 9, offset: 3 }));
    expect(d.sample({ seed: 9, offset: 3, n: 1 })).toEqual(one);
    expect(Array.from(got.subarray(0, 3))).toEqual(Array.from(one));
  });

  test("draws split across calls replay bit for bit; the stream's end; the instance's stream moves by n * rows * cols", async () => {
    const five = d.sample({ seed: 9, offset: 3, n: 5 });
    const ones = [0, 1, 2, 3, 4].flatMap((i) => Array.from(d.sample({ seed: 9, offset: 3 + i * B })));
    expect(Array.from(five)).toEqual(ones);
    const split = [...d.sample({ seed: 9, offset: 3, n: 2 }), ...d.sample({ seed: 9, offset: 3 + 2 * B, n: 3 })];
    expect(Array.from(five)).toEqual(split);
    // The same as gumbelMax on the batch repeated n times (its row r draws offset + r * cols on).
    const tiled = Array.from({ length: 5 }, () => logits).flat();
    expect(five).toEqual(gw.gumbelMax(tiled, { cols: 4, seed: 9, offset: 3 }));
    // Across the calls the draws are split into (1 MiB of stream elements each): 1 x 1000, 600 draws.
    const wide = Float32Array.from({ length: 1000 }, (_, k) => Math.sin(k));
    const w = new Categorical(gw, { logits: wide });
    const many = w.sample({ seed: 4n, offset: 2n ** 40n, n: 600 });
    expect(many).toEqual(gw.gumbelMax(Array.from({ length: 600 }, () => Array.from(wide)).flat(), { cols: 1000, seed: 4n, offset: 2n ** 40n }));
    // Up to the last element of the stream (2^64 - 1), not past it; a refused call draws nothing.
    const end = 2n ** 64n - 5n * BigInt(B);
    expect(Array.from(d.sample({ seed: 9, offset: end, n: 5 }).subarray(12))).toEqual(Array.from(d.sample({ seed: 9, offset: end + 4n * BigInt(B) })));
    expect(() => d.sample({ seed: 9, offset: end, n: 6 })).toThrow(/^Categorical\.sample: offset \+ 72 elements runs past the end of the stream \(2\^64\)$/);
    // Without a seed: the instance's stream from where it is, moving past all n draws.
    const [a, b] = [await init({ seed: 77 }), await init({ seed: 77 })];
    const [da, db] = [new Categorical(a, { logits, cols: 4 }), new Categorical(b, { logits, cols: 4 })];
    const first = da.sample({ n: 5 });
    expect(Array.from(first)).toEqual([0, 1, 2, 3, 4].flatMap(() => Array.from(db.sample())));
    expect(first).toEqual(d.sample({ seed: a.defaultSeed, n: 5 }));
    expect(da.sample({ n: 2 })).toEqual(d.sample({ seed: 77, offset: 5 * B, n: 2 }));
    expect(a.randomBits(2)).toEqual(b.randomBits(2, { seed: 77, offset: 7 * B }));
  });

  test("the n draws are independent draws of the law: counts and pairs of consecutive draws (chi-square); copies or overlapping streams fail", () => {
    const probs = [0.5, 0.3, 0.2];
    const one = new Categorical(gw, { probs });
    const n = 30000;
    const x = one.sample({ seed: 31, n });
    const counts = [0, 0, 0];
    for (const k of x) counts[k]!++;
    expect(chiSquareTest(counts, probs).p).toBeGreaterThan(1e-3);
    expect(chiSquareTest(counts, [0.45, 0.35, 0.2]).p).toBeLessThan(1e-6);
    expect(chiSquareTest(pairCounts(x, 3), outer(probs)).p).toBeGreaterThan(1e-3);
    // What the test catches: n copies of one draw, or draw i at offset + i (streams overlapping).
    const copies = new Int32Array(n).fill(x[0]!);
    expect(chiSquareTest(pairCounts(copies, 3), outer(probs)).p).toBeLessThan(1e-6);
    const overlapping = Int32Array.from({ length: 6000 }, (_, i) => one.sample({ seed: 31, offset: i })[0]!);
    expect(chiSquareTest(pairCounts(overlapping, 3), outer(probs)).p).toBeLessThan(1e-6);
    // Several rows: row r's draws follow row r's probabilities.
    const two = new Categorical(gw, { probs: [0.1, 0.9, 0.6, 0.4], cols: 2 });
    const y = two.sample({ seed: 8, n: 20000 });
    for (let r = 0; r < 2; r++) {
      let ones = 0;
      for (let i = r; i < y.length; i += 2) ones += y[i]!;
      expect(chiSquareTest([20000 - ones, ones], [two.probs[2 * r]!, two.probs[2 * r + 1]!]).p).toBeGreaterThan(1e-3);
    }
  });

  test("logProb over a sample dimension: n x rows log-probabilities, draw-major, against float64", () => {
    const lp = logSoftmaxRef(logits, 4);
    const x = d.sample({ seed: 2, n: 4 });
    const got = d.logProb(x);
    expect(got.length).toBe(12);
    x.forEach((k, i) => expect(Math.abs(got[i]! - lp[(i % 3) * 4 + k]!)).toBeLessThan(1e-6));
    expect(Array.from(d.logProb(x.subarray(6, 9)))).toEqual(Array.from(got.subarray(6, 9)));
    expect(d.logProb([3, 0, 0, 0, 0, 3])).toEqual(Float32Array.from([-Infinity, d.logits[4]!, d.logits[8]!, d.logits[0]!, d.logits[4]!, d.logits[11]!]));
    expect(d.logProb([]).length).toBe(0);
    expect(() => d.logProb([0, 0, 0, 0])).toThrow(/^Categorical\.logProb: value has 4 entries, not a multiple of the rows \(3\): one class per row, for each draw$/);
    expect(() => d.logProb([0, 0, 0, 0, 4, 0])).toThrow(/^Categorical\.logProb: value\[4\] must be a class index from 0 to 3, got 4$/);
  });

  test("mode(): the first largest logit per row (ties to the first, masks never), as indices or one-hot; from probs, the largest probability", () => {
    const rows = [[1, 3, 3, 0], [-Infinity, -Infinity, -5, -Infinity], [2, 2, 2, 2], [-Infinity, 0, 0, -1], [-0, 0, -1, -2], [1e30, 1e30, -1e30, 3]];
    const flat = rows.flat();
    const m = new Categorical(gw, { logits: flat, cols: 4 });
    const idx = m.mode();
    expect(idx).toBeInstanceOf(Int32Array);
    expect(Array.from(idx)).toEqual(Array.from(argmaxRef(flat, 4)));
    expect(Array.from(idx)).toEqual([1, 2, 0, 1, 0, 0]);
    const hot = m.mode({ oneHot: true });
    expect(hot).toBeInstanceOf(Float32Array);
    expect(Array.from(hot)).toEqual(Array.from(idx).flatMap((k) => [0, 1, 2, 3].map((j) => (j === k ? 1 : 0))));
    expect(m.mode({ oneHot: false })).toEqual(idx);
    expect(m.mode({})).toEqual(idx);
    // From probs: the class of largest probability, even where log(probs) cannot tell two apart.
    const p1 = Math.fround(0.45);
    const p2 = p1 + 2 ** -25; // the next float32 up
    const q = new Categorical(gw, { probs: [p1, p2, 1 - p1 - p2, 0.2, 0, 0.8], cols: 3 });
    expect(Array.from(q.mode())).toEqual([1, 2]);
    // The mode is the most frequent draw.
    const c = new Categorical(gw, { probs: [0.2, 0.45, 0.35] });
    const counts = [0, 0, 0];
    for (const k of c.sample({ seed: 6, n: 5000 })) counts[k]!++;
    expect(counts.indexOf(Math.max(...counts))).toBe(c.mode()[0]);
    // A row all -Inf has no mode: refused when the distribution is made.
    expect(() => new Categorical(gw, { logits: [0, 1, -Infinity, -Infinity], cols: 2 })).toThrow(/row 1 of .* is all -Inf/);
    expect(() => m.mode({ oneHot: 1 } as never)).toThrow(/^Categorical\.mode: oneHot must be a boolean, got number 1$/);
    expect(() => m.mode({ one_hot: true } as never)).toThrow(/^Categorical\.mode: unknown option "one_hot" \(did you mean "oneHot"\?\)$/);
  });

  test("n is a positive integer: a named RangeError or TypeError, nothing drawn", async () => {
    const [a, b] = [await init({ seed: 5 }), await init({ seed: 5 })];
    const da = new Categorical(a, { logits, cols: 4 });
    const max = Math.floor((2 ** 29 - 1) / B);
    for (const n of [0, -1, 1.5, Number.NaN, Infinity, max + 1]) {
      expect(() => da.sample({ n })).toThrow(new RegExp(`^Categorical\\.sample: n must be an integer from 1 to ${max}, got ${n}$`));
      expect(() => da.sample({ seed: 1, n })).toThrow(RangeError);
    }
    for (const n of ["2", null, 2n]) expect(() => da.sample({ n: n as never })).toThrow(/^Categorical\.sample: n must be a number, got /);
    expect(() => da.sample({ offset: 1, n: 2 })).toThrow(/^Categorical\.sample: offset needs a seed$/);
    expect(() => da.sample({ seed: -1, n: 2 })).toThrow(/^Categorical\.sample: seed must be/);
    expect(a.randomBits(4)).toEqual(b.randomBits(4)); // the instance's stream has not moved
  });
});

describe("Gumbel(loc, scale)", () => {
  const loc = 1.5;
  const scale = 2;
  const g = new Gumbel(gw, { loc, scale });
  const z = (x: number) => (x - loc) / scale;
  const refLogPdf = (x: number) => -(z(x) + Math.exp(-z(x))) - Math.log(scale);
  const refCdf = (x: number) => Math.exp(-Math.exp(-z(x)));

  test("pdf, logPdf, cdf, logCdf against float64, with exact limits at +/-Inf and NaN kept", () => {
    const xs = [-6, -2, 0, 1.5, 3, 8, 20, 40];
    const lp = g.logPdf(xs);
    const pd = g.pdf(xs);
    const cd = g.cdf(xs);
    const lc = g.logCdf(xs);
    xs.forEach((x, i) => {
      expect(Math.abs(lp[i]! - refLogPdf(x))).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(refLogPdf(x))));
      expect(Math.abs(pd[i]! - Math.exp(refLogPdf(x)))).toBeLessThanOrEqual(1e-7 + 3e-6 * Math.exp(refLogPdf(x)));
      expect(Math.abs(cd[i]! - refCdf(x))).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(lc[i]! + Math.exp(-z(x)))).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.exp(-z(x))));
    });
    expect(Array.from(g.pdf([-Infinity, Infinity, -1e4]))).toEqual([0, 0, 0]);
    expect(Array.from(g.logPdf([-Infinity, Infinity]))).toEqual([-Infinity, -Infinity]);
    expect(Array.from(g.cdf([-Infinity, Infinity, -1e4, 1e4]))).toEqual([0, 1, 0, 1]);
    expect(Array.from(g.logCdf([-Infinity, Infinity]))).toEqual([-Infinity, -0]);
    expect(Number.isNaN(g.cdf([Number.NaN])[0])).toBe(true);
  });

  test("quantile inverts cdf; its ends are -Inf and +Inf; p outside [0, 1] is refused", () => {
    const xs = [-2, 0, 1.5, 4, 9, 15];
    const back = g.quantile(g.cdf(xs));
    xs.forEach((x, i) => expect(Math.abs(back[i]! - x)).toBeLessThan(2e-5 * Math.max(1, Math.abs(x)) * Math.exp(Math.max(0, z(x)))));
    expect(Array.from(g.quantile([0, 1]))).toEqual([-Infinity, Infinity]);
    expect(Math.abs(g.quantile([Math.exp(-1)])[0]! - loc)).toBeLessThan(1e-5); // the median of z is -log(log 2); cdf(loc) = e^-1
    expect(() => g.quantile([0.5, 1.5])).toThrow(/^Gumbel.quantile: p\[1\] must be a probability in \[0, 1\], got 1.5$/);
    expect(() => g.quantile([Number.NaN])).toThrow(/^Gumbel.quantile: p\[0\] must be a probability/);
  });

  test("samples: loc + scale * gumbelNoise in float32; KS against the cdf, and the moments", () => {
    const n = 100_000;
    const s = g.sample(n, { seed: 12 });
    const noise = gw.gumbelNoise(n, { seed: 12 });
    for (let i = 0; i < 1000; i++) expect(s[i]).toBe(Math.fround(loc + Math.fround(scale * noise[i]!)));
    expect(ksPValue(ksStatistic(s, refCdf), n)).toBeGreaterThan(1e-3);
    const shifted = Float32Array.from(s, (v) => v + 0.05);
    expect(ksPValue(ksStatistic(shifted, refCdf), n)).toBeLessThan(1e-3);
    let m = 0;
    for (const v of s) m += v;
    m /= n;
    let v2 = 0;
    for (const v of s) v2 += (v - m) ** 2;
    v2 /= n - 1;
    expect(Math.abs(m - g.mean)).toBeLessThan(4 * Math.sqrt(g.variance / n));
    expect(Math.abs(v2 / g.variance - 1)).toBeLessThan(0.03);
  });

  test("mean, mode, variance, stddev, entropy in closed form; parameters validated", () => {
    expect(g.mean).toBeCloseTo(loc + scale * 0.5772156649015329, 12);
    expect(g.mode).toBe(loc);
    expect(g.variance).toBeCloseTo((Math.PI ** 2 / 6) * scale * scale, 12);
    expect(g.stddev).toBeCloseTo(Math.sqrt(g.variance), 12);
    expect(Math.abs(g.entropy - (Math.log(scale) + 0.5772156649015329 + 1))).toBeLessThan(1e-6);
    const std = new Gumbel(gw);
    expect([std.loc, std.scale]).toEqual([0, 1]);
    expect(Math.abs(std.entropy - 1.5772156649015329)).toBeLessThan(1e-6);
    for (const scale of [0, -1, Number.NaN, Infinity, 1e-50]) {
      expect(() => new Gumbel(gw, { scale })).toThrow(/^Gumbel: scale must be positive and finite in float32/);
    }
    expect(() => new Gumbel(gw, { scale: "2" as never })).toThrow(/^Gumbel: scale must be a number, got the string "2"$/);
    expect(() => new Gumbel(gw, { loc: Infinity })).toThrow(/^Gumbel: loc must be finite in float32, got Infinity$/);
    expect(() => new Gumbel(gw, { loc: 1e39 })).toThrow(/^Gumbel: loc must be finite in float32/);
    expect(() => g.cdf("x" as never)).toThrow(/^Gumbel.cdf: x must be a Float32Array or an array of numbers/);
  });

  test("the scalar binary gives the same bits", async () => {
    const scalar = await init({ backend: "scalar" });
    const gs = new Gumbel(scalar, { loc, scale });
    const xs = Float32Array.from({ length: 200 }, (_, i) => i / 10 - 5);
    xs.set([-Infinity, Infinity, Number.NaN, -1e4, 1e4, -1e38, 1e38, -0, 0, -200, 200, 3e-39], 100); // inside f32x4 groups
    for (const f of ["pdf", "logPdf", "cdf", "logCdf"] as const) expect(gs[f](xs)).toEqual(g[f](xs));
    // The exact limits hold in the vector loop too (groups of four).
    const ends = [-Infinity, Infinity, -1e4, 1e4];
    expect(Array.from(g.pdf(ends))).toEqual([0, 0, 0, 0]);
    const lpe = g.logPdf(ends);
    expect(Array.from(lpe.subarray(0, 3))).toEqual([-Infinity, -Infinity, -Infinity]);
    expect(Math.abs(lpe[3]! - (-(1e4 - loc) / scale - Math.log(scale)))).toBeLessThan(1e-3); // far right: -z - log(scale)
    expect(Array.from(g.cdf(ends))).toEqual([0, 1, 0, 1]);
    expect(Array.from(g.logCdf(ends)).slice(0, 2)).toEqual([-Infinity, -0]);
    expect(g.cdf([Number.NaN, 1, 2, 3]).map(Number.isNaN as never)[0]).toBe(1);
    const ps = Float32Array.from({ length: 99 }, (_, i) => (i + 1) / 100);
    expect(gs.quantile(ps)).toEqual(g.quantile(ps));
    expect(gs.sample(100, { seed: 3 })).toEqual(g.sample(100, { seed: 3 }));
  });
});
