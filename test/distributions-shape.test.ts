// The categorical distribution classes with `shape` and `axis` (issue 16 part 1): the classes
// last give the `cols` bits; a non-last axis gives what the same distribution built on the
// JavaScript-transposed logits gives (probs, logits, logProb, logProbGrad, entropy, mode:
// exactly, transposed back), its samples take the noise of each element's row-major index in
// the input as given (draw i from offset + i * batchElements), a chi-square along axis 0 that a
// wrong axis fails; the strided density kernel gives the row kernel's bits on both binaries;
// the async forms give the synchronous bits on 1 to 4 threads; errors are named and draw nothing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as built from "../dist/node.js";
import { Categorical, init, RelaxedOneHotCategorical, type Tensor } from "../src/node.js";
import { firstBitDifference } from "./kernels.js";
import { argmaxRef, chiSquareTest, gumbelSoftmaxRef, testRandom } from "./reference.js";
import { relaxedLogProbRef } from "./reference-relaxed.js";
import { backends, load } from "./setup.js";

const gw = await init();

/** outer x classes x inner of `shape` with the classes along `axis`. */
function lay(shape: readonly number[], axis: number): { outer: number; classes: number; inner: number } {
  const a = axis < 0 ? axis + shape.length : axis;
  const prod = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
  return { outer: prod(shape.slice(0, a)), classes: shape[a]!, inner: prod(shape.slice(a + 1)) };
}

/** The axis moved last: lines x classes, line o * inner + j (row-major in the shape without the axis). */
function toLines(x: ArrayLike<number>, shape: readonly number[], axis: number): Float32Array {
  const { outer, classes, inner } = lay(shape, axis);
  const out = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) for (let c = 0; c < classes; c++) for (let j = 0; j < inner; j++) out[(o * inner + j) * classes + c] = x[(o * classes + c) * inner + j]!;
  return out;
}

/** toLines' inverse: lines x classes back to the shape with the classes along `axis`. */
function fromLines(y: ArrayLike<number>, shape: readonly number[], axis: number): Float32Array {
  const { outer, classes, inner } = lay(shape, axis);
  const out = new Float32Array(y.length);
  for (let o = 0; o < outer; o++) for (let c = 0; c < classes; c++) for (let j = 0; j < inner; j++) out[(o * classes + c) * inner + j] = y[(o * inner + j) * classes + c]!;
  return out;
}

/** n draws of a shape: [n, ...shape], the classes along axis + 1. */
function drawsOf(n: number, shape: readonly number[], axis: number): [number[], number] {
  return [[n, ...shape], (axis < 0 ? axis + shape.length : axis) + 1];
}

function tile(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * x.length);
  for (let i = 0; i < n; i++) out.set(x, i * x.length);
  return out;
}

/** Random logits of `shape`, about one in eight masked, each line keeping a class. */
function logitsOf(seed: number, shape: readonly number[], axis: number): Float32Array {
  const rnd = testRandom(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  const x = Float32Array.from({ length: n }, () => (rnd() < 0.12 ? -Infinity : (rnd() * 2 - 1) * 4));
  const { classes } = lay(shape, axis);
  const lines = toLines(x, shape, axis);
  for (let l = 0; l * classes < n; l++) if (lines.subarray(l * classes, (l + 1) * classes).every((v) => v === -Infinity)) lines[l * classes] = 0.5;
  return fromLines(lines, shape, axis);
}

function same(a: ArrayLike<number> & ArrayBufferView, b: ArrayLike<number> & ArrayBufferView, what: string): void {
  expect(a.length, what).toBe(b.length);
  expect(firstBitDifference(a, b), what).toBe(-1);
}

/** Shapes with the classes not last: first, in the middle, negative, a trailing 1, inner % 4 != 0. */
const NOT_LAST: Array<[number[], number]> = [[[3, 4, 5], 0], [[3, 4, 5], 1], [[4, 6], -2], [[2, 3, 1, 5], 1], [[5, 2, 3], 0], [[2, 7, 9], 1]];

describe("the classes last: the cols bits", () => {
  const x = logitsOf(1, [2, 3, 4], -1);
  const layouts: Array<[string, () => Float32Array | Tensor, object]> = [
    ["shape, axis -1", () => x, { shape: [2, 3, 4] }],
    ["shape, axis 2", () => x, { shape: [2, 3, 4], axis: 2 }],
    ["a trailing 1 (inner = 1)", () => x, { shape: [2, 3, 4, 1], axis: 2 }],
    ["a tensor's own shape", () => gw.tensorFrom(x, [2, 3, 4]), {}],
  ];
  test.each(layouts)("Categorical: %s", (_, input, where) => {
    const d = new Categorical(gw, { logits: input(), ...where });
    const c = new Categorical(gw, { logits: x, cols: 4 });
    expect([d.rows, d.cols, d.batchShape.join()]).toEqual([6, 4, (where as { shape?: number[] }).shape?.length === 4 ? "2,3,1" : "2,3"]);
    same(d.probs, c.probs, "probs");
    same(d.logits, c.logits, "logits");
    same(d.entropy(), c.entropy(), "entropy");
    expect(d.mode()).toEqual(c.mode());
    same(d.mode({ oneHot: true }), c.mode({ oneHot: true }), "mode one-hot");
    const k = d.sample({ seed: 3, offset: 5, n: 3 });
    expect(k).toEqual(c.sample({ seed: 3, offset: 5, n: 3 }));
    same(d.logProb(k), c.logProb(k), "logProb");
  });
  test.each(layouts)("RelaxedOneHotCategorical: %s, a temperature per line", (_, input, where) => {
    const temperature = [0.5, 1, 2, 0.7, 1.3, 3];
    const d = new RelaxedOneHotCategorical(gw, { logits: input(), ...where, temperature });
    const c = new RelaxedOneHotCategorical(gw, { logits: x, cols: 4, temperature });
    same(d.probs, c.probs, "probs");
    same(d.mode(), c.mode(), "mode");
    const y = d.rsample({ seed: 7, offset: 2, n: 2 });
    same(y, c.rsample({ seed: 7, offset: 2, n: 2 }), "rsample");
    const h = d.sampleHard({ seed: 7, n: 2 });
    const hc = c.sampleHard({ seed: 7, n: 2 });
    same(h.hard, hc.hard, "hard");
    same(h.soft, hc.soft, "soft");
    same(d.logProb(y), c.logProb(y), "logProb");
    const g = d.logProbGrad(y);
    const gc = c.logProbGrad(y);
    for (const key of ["logProb", "dlogits", "dtemperature"] as const) same(g[key], gc[key], key);
  });
  test("shape, axis and batchShape: [rows, cols] for cols", () => {
    const c = new Categorical(gw, { logits: x, cols: 4 });
    expect([c.shape, c.axis, c.batchShape]).toEqual([[6, 4], 1, [6]]);
    const d = new RelaxedOneHotCategorical(gw, { logits: x, shape: [2, 3, 4], axis: -2, temperature: 1 });
    expect([d.shape, d.axis, d.batchShape, d.rows, d.cols]).toEqual([[2, 3, 4], 1, [2, 4], 8, 3]);
  });
});

describe("a non-last axis: the distribution on the transposed logits, transposed back", () => {
  test.each(NOT_LAST)("Categorical %j, axis %i: probs, logits, entropy, mode, logProb", (shape, axis) => {
    const x = logitsOf(2, shape, axis);
    const { classes } = lay(shape, axis);
    const d = new Categorical(gw, { logits: x, shape, axis });
    const r = new Categorical(gw, { logits: toLines(x, shape, axis), cols: classes });
    expect([d.rows, d.cols]).toEqual([r.rows, r.cols]);
    same(d.probs, fromLines(r.probs, shape, axis), "probs");
    same(d.logits, fromLines(r.logits, shape, axis), "logits");
    same(d.entropy(), r.entropy(), "entropy");
    expect(d.mode()).toEqual(r.mode());
    same(d.mode({ oneHot: true }), fromLines(r.mode({ oneHot: true }), shape, axis), "mode one-hot");
    const k = r.sample({ seed: 1, n: 3 });
    same(d.logProb(k), r.logProb(k), "logProb");
    // From probs (as given, and normalised): the same per line.
    const p = r.probs;
    for (const normalize of [false, true]) {
      const q = normalize ? p.map((v) => 3 * v) : p;
      const dp = new Categorical(gw, { probs: fromLines(q, shape, axis), shape, axis, normalize });
      const rp = new Categorical(gw, { probs: q, cols: classes, normalize });
      same(dp.logits, fromLines(rp.logits, shape, axis), `logits from probs (normalize ${normalize})`);
      same(dp.entropy(), rp.entropy(), "entropy from probs");
      expect(dp.mode()).toEqual(rp.mode());
    }
  });

  test.each(NOT_LAST)("RelaxedOneHotCategorical %j, axis %i: probs, mode, logProb, logProbGrad (also at one-hot values)", (shape, axis) => {
    const x = logitsOf(3, shape, axis);
    const { classes } = lay(shape, axis);
    const d = new RelaxedOneHotCategorical(gw, { logits: x, shape, axis, temperature: 0.7 });
    const r = new RelaxedOneHotCategorical(gw, { logits: toLines(x, shape, axis), cols: classes, temperature: 0.7 });
    same(d.probs, fromLines(r.probs, shape, axis), "probs");
    same(d.logits, fromLines(r.logits, shape, axis), "logits");
    same(d.mode(), fromLines(r.mode(), shape, axis), "mode");
    const [vs, va] = drawsOf(3, shape, axis);
    const y = d.rsample({ seed: 2, n: 3 });
    // Zeros: the one-hot modes as values (the density's limits), after the draws.
    const hot = tile(d.mode(), 2);
    const [hs, ha] = drawsOf(2, shape, axis);
    for (const [v, s, a] of [[y, vs, va], [hot, hs, ha]] as const) {
      const vt = toLines(v, s, a);
      same(d.logProb(v), r.logProb(vt), "logProb");
      const g = d.logProbGrad(v);
      const gr = r.logProbGrad(vt);
      same(g.logProb, gr.logProb, "logProbGrad's logProb");
      same(g.dtemperature, gr.dtemperature, "dtemperature");
      same(g.dlogits, fromLines(gr.dlogits, s, a), "dlogits");
    }
  });
});

describe("a non-last axis: samples", () => {
  test.each(NOT_LAST)("%j, axis %i: element e of draw i gets stream element offset + i * batchElements + e", (shape, axis) => {
    const x = logitsOf(4, shape, axis);
    const B = x.length;
    const { classes } = lay(shape, axis);
    const [s, a] = drawsOf(3, shape, axis);
    const seed = 11n;
    const offset = 2 ** 32 - 7; // the counter's low word wraps inside the draws
    const g = gw.gumbelNoise(3 * B, { seed, offset }) as Float32Array;
    const z = tile(x, 3).map((l, i) => l + g[i]!);
    const d = new Categorical(gw, { logits: x, shape, axis });
    const k = d.sample({ seed, offset, n: 3 });
    expect(k).toEqual(argmaxRef(toLines(z, s, a), classes));
    expect(k).toEqual(gw.gumbelMax(tile(x, 3), { shape: s, axis: a, seed, offset }));
    // Draws split across calls replay bit for bit.
    const split = [0, 1, 2].flatMap((i) => Array.from(d.sample({ seed, offset: offset + i * B })));
    expect(Array.from(k)).toEqual(split);

    const tau = 0.6;
    const rd = new RelaxedOneHotCategorical(gw, { logits: x, shape, axis, temperature: tau });
    const y = rd.rsample({ seed, offset, n: 3 });
    same(y, gw.gumbelSoftmax(tile(x, 3), { shape: s, axis: a, tau, seed, offset }) as Float32Array, "rsample = gumbelSoftmax");
    const want = gumbelSoftmaxRef(toLines(tile(x, 3), s, a), toLines(g, s, a), classes, tau);
    const yt = toLines(y, s, a);
    let worst = 0;
    for (let i = 0; i < yt.length; i++) worst = Math.max(worst, Math.abs(yt[i]! - want[i]!));
    expect(worst).toBeLessThan(2e-6);
    const h = rd.sampleHard({ seed, offset, n: 3 });
    same(h.soft, y, "sampleHard's soft");
    same(h.hard, fromLines(Float32Array.from(toLines(y, s, a), (_, i) => (argmaxRef(yt, classes)[Math.floor(i / classes)] === i % classes ? 1 : 0)), s, a), "sampleHard's hard");
  });

  test("chi-square of Categorical.sample along axis 0 against the probabilities (a wrong axis fails)", () => {
    // Shape [3, M], the classes along axis 0: column j has probabilities p (j even) or q (j odd).
    const p = [0.6, 0.3, 0.1];
    const q = [0.15, 0.25, 0.6];
    const M = 20000;
    const probs = new Float32Array(3 * M);
    for (let c = 0; c < 3; c++) for (let j = 0; j < M; j++) probs[c * M + j] = (j % 2 === 0 ? p : q)[c]!;
    const d = new Categorical(gw, { probs, shape: [3, M], axis: 0 });
    const k = d.sample({ seed: 21, n: 2 });
    const counts = [[0, 0, 0], [0, 0, 0]];
    k.forEach((v, i) => counts[(i % M) % 2]![v]!++);
    expect(chiSquareTest(counts[0]!, p).p).toBeGreaterThan(1e-3);
    expect(chiSquareTest(counts[1]!, q).p).toBeGreaterThan(1e-3);
    // The test can fail: the lines swapped, or the classes read along the last axis.
    expect(chiSquareTest(counts[0]!, q).p).toBeLessThan(1e-6);
    const wrong = new Categorical(gw, { probs, cols: 3, normalize: true }).sample({ seed: 21 });
    const wc = [[0, 0, 0], [0, 0, 0]];
    wrong.forEach((v, i) => wc[i % 2]![v]!++);
    expect(Math.min(chiSquareTest(wc[0]!, p).p, chiSquareTest(wc[1]!, q).p)).toBeLessThan(1e-6);
  });
});

describe("errors: named, nothing drawn", () => {
  const C = "Categorical";
  const R = "RelaxedOneHotCategorical";
  test("the layout: as the gw calls say it", () => {
    const x = new Float32Array(6);
    expect(() => new Categorical(gw, { logits: x, cols: 3, shape: [2, 3] })).toThrow(new RegExp(`^${C}: give cols or shape, not both$`));
    expect(() => new RelaxedOneHotCategorical(gw, { logits: x, cols: 3, shape: [2, 3], temperature: 1 })).toThrow(new RegExp(`^${R}: give cols or shape, not both$`));
    expect(() => new Categorical(gw, { logits: x, shape: [2, 2] })).toThrow(new RegExp(`^${C}: shape \\[2, 2\\] holds 4 elements but logits has 6$`));
    expect(() => new Categorical(gw, { probs: x, shape: [2, 3], axis: 2 })).toThrow(new RegExp(`^${C}: axis must be an integer from -2 to 1 for a shape of 2 dimensions, got 2$`));
    expect(() => new Categorical(gw, { logits: x, shape: [2, 3], axis: 0.5 })).toThrow(/axis must be an integer/);
    expect(() => new Categorical(gw, { logits: [], shape: [0, 3], axis: 0 })).toThrow(new RegExp(`^${C}: axis 0 of shape \\[0, 3\\] is empty`));
    expect(() => new Categorical(gw, { logits: x, shape: "2,3" as never })).toThrow(new RegExp(`^${C}: shape must be an array of dimensions`));
    expect(() => new Categorical(gw, { logits: x, shape: [2, 3], keepDims: true } as never)).toThrow(new RegExp(`^${C}: unknown parameter "keepDims"`));
  });

  test("a temperature per line needs the classes last", () => {
    const x = logitsOf(5, [3, 4], 0);
    expect(() => new RelaxedOneHotCategorical(gw, { logits: x, shape: [3, 4], axis: 0, temperature: [1, 2, 3, 4] })).toThrow(
      new RegExp(`^${R}: temperature as one per row needs the classes on the last axis; got axis 0 of shape \\[3, 4\\]: give one number$`),
    );
    expect(() => new RelaxedOneHotCategorical(gw, { logits: x, shape: [3, 4], axis: 0, temperature: [1, 2, 3] })).toThrow(/temperature has 3 values, expected one per row \(4\)/);
    expect(() => new RelaxedOneHotCategorical(gw, { logits: x, shape: [3, 4], axis: 0, temperature: [2, 2, 2, 2] })).toThrow(TypeError);
    expect(new RelaxedOneHotCategorical(gw, { logits: x, shape: [3, 4], temperature: [1, 2, 3] }).rows).toBe(3);
  });

  test("bad probs, logits and values named by their index in the shape", () => {
    const probs = [0.5, 0.2, 0.3, 0.5, 0.8, 0.2]; // shape [2, 3], axis 0: lines (0.5, 0.5), (0.2, 0.8), (0.3, 0.2)
    expect(() => new Categorical(gw, { probs, shape: [2, 3], axis: 0 })).toThrow(new RegExp(`^${C}: probs\\[:, 2\\] sums to 0.5\\d*, not 1 \\(within 3e-6\\); pass normalize: true to rescale$`));
    expect(() => new Categorical(gw, { probs: [0.5, 0.2, 0.3, 0.5, -0.8, 0.7], shape: [2, 3], axis: 0 })).toThrow(new RegExp(`^${C}: probs\\[1, 1\\] must be a finite probability >= 0, got -0.8`));
    expect(() => new Categorical(gw, { probs: [0, 0.2, 0.3, 0, 0.8, 0.7], shape: [2, 3], axis: 0, normalize: true })).toThrow(new RegExp(`^${C}: probs\\[:, 0\\] sums to 0: nothing to normalize$`));
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [0, 1, 2, 3, Number.NaN, 5], shape: [2, 3], axis: 0, temperature: 1 })).toThrow(new RegExp(`^${R}: logits\\[1, 1\\] is NaN$`));
    expect(() => new RelaxedOneHotCategorical(gw, { logits: [0, -Infinity, 2, 3, -Infinity, 5], shape: [2, 3], axis: 0, temperature: 1 })).toThrow(new RegExp(`^${R}: logits\\[:, 1\\] is all -Inf`));
    const d = new RelaxedOneHotCategorical(gw, { logits: [0, 1, 2, 3, 4, 5], shape: [2, 3], axis: 0, temperature: 1 });
    const L = `${R}.logProb`;
    expect(d.logProb([0.5, 0.5, 1, 0.5, 0.5, 0])).toHaveLength(3);
    expect(() => d.logProb([0.5, 0.5, 1, 0.5, 0.5, 0.5])).toThrow(new RegExp(`^${L}: value\\[0, :, 2\\] sums to 1.5, not 1 .*not on the simplex$`));
    expect(() => d.logProb([0.5, 0.5, 1, 0.5, 0.5, 0, 0.5, 2, 1, 0.5, -1, 0])).toThrow(new RegExp(`^${L}: value\\[1, 0, 1\\] must be in \\[0, 1\\], got 2$`));
    expect(() => d.logProb([0.5, 0.5])).toThrow(new RegExp(`^${L}: value has 2 elements, not a multiple of rows x cols = 3 x 2$`));
    const c = new Categorical(gw, { logits: [0, 1, 2, 3, 4, 5], shape: [2, 3], axis: 0 });
    expect(() => c.logProb([0, 1])).toThrow(new RegExp(`^${C}.logProb: value has 2 entries, not a multiple of the lines \\(3\\): one class per line, for each draw$`));
    expect(() => c.logProb([0, 1, 2])).toThrow(new RegExp(`^${C}.logProb: value\\[2\\] must be a class index from 0 to 1, got 2$`));
  });

  test("nothing drawn on error: the instance's stream where it was", async () => {
    const a = await init({ seed: 99 });
    const b = await init({ seed: 99 });
    const x = logitsOf(6, [3, 4], 0);
    const d = new Categorical(a, { logits: x, shape: [3, 4], axis: 0 });
    const r = new RelaxedOneHotCategorical(a, { logits: x, shape: [3, 4], axis: 0, temperature: 1 });
    expect(() => d.sample({ n: 0 })).toThrow(/n must be an integer/);
    expect(() => r.rsample({ n: 1.5 })).toThrow(/n must be an integer/);
    expect(() => r.sampleHard({ offset: 3 })).toThrow(/offset/);
    await expect(d.sampleAsync({ n: -1 })).rejects.toThrow(/n must be an integer/);
    await expect(r.logProbAsync([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).rejects.toThrow(/value\[0, 0, 0\] must be in \[0, 1\]/);
    expect(() => new RelaxedOneHotCategorical(a, { logits: x, shape: [3, 4], axis: 0, temperature: [1, 1, 1, 1] })).toThrow(TypeError);
    // The stream untouched: the next draws are those at offset 0; they move it by n * batchElements.
    expect(d.sample({ n: 2 })).toEqual(new Categorical(b, { logits: x, shape: [3, 4], axis: 0 }).sample({ seed: 99, n: 2 }));
    expect(a.randomBits(2)).toEqual(b.randomBits(2, { seed: 99, offset: 24 }));
  });
});

describe.each(backends)("%s binary: relaxed_categorical_log_prob_axis", (backend) => {
  test("the row kernel's bits on each line (zeros, masks, outside the support, a temperature per line), against float64", async () => {
    const w = await load(backend);
    const k = w.kernels;
    for (const [outer, classes, inner] of [[3, 5, 1], [2, 4, 2], [3, 3, 3], [2, 6, 4], [1, 7, 7], [2, 2, 9]] as const) {
      const shape = [outer, classes, inner];
      const n = outer * classes * inner;
      const lines = outer * inner;
      const rnd = testRandom(outer * 100 + classes * 10 + inner);
      const lt = Float32Array.from({ length: n }, () => (rnd() < 0.1 ? -Infinity : (rnd() * 2 - 1) * 3));
      for (let l = 0; l < lines; l++) if (lt[l * classes] === -Infinity && lt[l * classes + 1] === -Infinity) lt[l * classes + 1] = 0;
      // Values by line: on the simplex, some with zeros (a one-hot), one outside the support.
      const yt = new Float32Array(n);
      for (let l = 0; l < lines; l++) {
        const row = yt.subarray(l * classes, (l + 1) * classes);
        if (l % 3 === 1) row[l % classes] = 1;
        else {
          let s = 0;
          for (let c = 0; c < classes; c++) s += row[c] = lt[l * classes + c] === -Infinity && l % 5 !== 4 ? 0 : 0.1 + rnd();
          for (let c = 0; c < classes; c++) row[c] = row[c]! / s;
        }
      }
      const taus = Float32Array.from({ length: lines }, (_, l) => [0.4, 1, 2.5][l % 3]!);
      const run = (axis: boolean, l: Float32Array, y: Float32Array, grads: boolean) => {
        const t = [w.tensorFrom(l, [n]), w.tensorFrom(y, [n]), w.tensorFrom(taus, [lines]), w.tensor([lines]), w.tensor([n]), w.tensor([lines])];
        const [pl, py, pt, pd, pg, pdt] = t.map((x) => x.byteOffset);
        if (axis) k.relaxed_categorical_log_prob_axis(pl!, py!, pt!, pd!, grads ? pg! : 0, grads ? pdt! : 0, outer, classes * inner, inner);
        else k.relaxed_categorical_log_prob(pl!, py!, pt!, pd!, grads ? pg! : 0, grads ? pdt! : 0, lines, classes);
        const out = [t[3]!.data.slice(), t[4]!.data.slice(), t[5]!.data.slice()];
        for (const x of t) x.free();
        return out;
      };
      const x = fromLines(lt, shape, 1);
      const y = fromLines(yt, shape, 1);
      for (const grads of [true, false]) {
        const [d, g, dt] = run(true, x, y, grads);
        const [dr, gr, dtr] = run(false, lt, yt, grads);
        const what = `${backend} [${shape}] grads ${grads}`;
        same(d!, dr!, `${what}: log p`);
        if (grads) {
          same(fromLines(gr!, shape, 1), g!, `${what}: dlogits`);
          same(dt!, dtr!, `${what}: dtau`);
        }
      }
      const [d] = run(true, x, y, false);
      for (let l = 0; l < lines; l++) {
        const want = relaxedLogProbRef(lt.subarray(l * classes, (l + 1) * classes), yt.subarray(l * classes, (l + 1) * classes), taus[l]!);
        if (!Number.isFinite(want)) expect(d![l]).toBe(want);
        else expect(Math.abs(d![l]! - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
      }
    }
  });
});

describe("async: the synchronous bits on 1 to 4 threads", () => {
  let single: built.GumbelWasm;
  const pools: built.GumbelWasm[] = [];
  beforeAll(async () => {
    single = await built.init({ backend: "simd" });
    for (const threads of [1, 2, 3, 4]) pools.push(await built.init({ backend: "simd", threads, threadThreshold: 0 }));
  });
  afterAll(async () => {
    for (const p of pools) await p.close();
  });

  test.each([[[2, 3, 4], -1], [[5, 6, 7], 0], [[4, 9, 5], 1], [[3, 64, 33], 1]] as Array<[number[], number]>)("%j, axis %i", async (shape, axis) => {
    const x = logitsOf(7, shape, axis);
    const o = { seed: 2n ** 63n + 5n, offset: 2 ** 32 - 1000, n: 3 };
    const make = (w: built.GumbelWasm) => ({
      c: new built.Categorical(w, { logits: x, shape, axis }),
      r: new built.RelaxedOneHotCategorical(w, { logits: x, shape, axis, temperature: 0.6 }),
    });
    const s = make(single);
    const k = s.c.sample(o);
    const y = s.r.rsample(o);
    const want = [k, s.c.logProb(k), y, s.r.sampleHard(o).hard, s.r.logProb(y), ...Object.values(s.r.logProbGrad(y))];
    for (const w of pools) {
      const d = make(w);
      const got = [
        await d.c.sampleAsync(o), await d.c.logProbAsync(k), await d.r.rsampleAsync(o), (await d.r.sampleHardAsync(o)).hard,
        await d.r.logProbAsync(y), ...Object.values(await d.r.logProbGradAsync(y)),
      ];
      got.forEach((g, i) => same(g, want[i]!, `${w.threads} threads, result ${i}`));
    }
  });
});
