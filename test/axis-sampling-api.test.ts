// gumbelSoftmax and gumbelMax (and their probs, rng and async forms) with `shape` and `axis`:
// the classes last give the `cols` call's bits; any other axis gives the strided kernels'
// contract, checked against JS on gumbelNoise's values: element (o, c, j) gets the noise of its
// row-major index, Gumbel-Max's index is the first argmax of float32(x + g) along the line, the
// hard sample its one-hot, the soft sample the softmax kernel's bits on the line's sums. The law
// of the draws along axis 0 and along a middle axis by chi-square with fixed seeds (a wrong axis
// fails it; noise reused across lines or slices would too; a permuted assignment of noise is
// caught by the exact tests). Tensors keep their shapes; reductions drop the axis or keep it;
// replay and splits along the outer axes; errors named by the line's index in the shape, with
// nothing written or drawn.
import { beforeAll, describe, expect, test } from "vitest";
import { init, type GumbelWasm } from "../src/node.js";
import { expectSameBits as same } from "./kernels.js";
import { chiSquareTest, softmaxRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";
import { layoutOf, lineArgmax, lineOneHot, toRows, type Layout } from "./reference-axis.js";

/** Random logits, some -Inf, never a whole line. */
function logits(seed: number, L: Layout, masked = 0.1): Float32Array {
  const rnd = testRandom(seed);
  const n = L.outer * L.classes * L.inner;
  const x = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * 3);
  for (let i = 0; i < n; i++) if (rnd() < masked) x[i] = -Infinity;
  for (let o = 0; o < L.outer; o++) for (let j = 0; j < L.inner; j++) x[(o * L.classes + ((o + j) % L.classes)) * L.inner + j] = rnd();
  return x;
}

const CASES: Array<[number[], number]> = [
  [[5, 3, 7], 0],
  [[5, 3, 7], 1],
  [[5, 3, 7], -3],
  [[17, 6], 0],
  [[2, 33, 9], 1],
  [[3, 2, 10], -2],
  [[2, 40, 13], 1],
  [[4, 1, 5], 1],
  [[2, 300, 5], 1],
  [[2, 3, 1100], 1],
  [[2, 3, 4, 5], 1],
];

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test("classes last (axis -1, its positive index, trailing 1s): exactly the cols call's bits", () => {
    for (const [shape, axis, cols] of [[[4, 6, 9], -1, 9], [[4, 6, 9], 2, 9], [[12, 7, 1], 1, 7], [[5, 17, 1, 1], -3, 17]] as Array<[number[], number, number]>) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = logits(n, { outer: n / cols, classes: cols, inner: 1 });
      const p = x.map((v) => (v === -Infinity ? 0 : Math.exp(v)));
      const o = { seed: 9, offset: 44 };
      const what = `${shape} axis ${axis}`;
      same(gw.gumbelSoftmax(x, { shape, axis, tau: 0.7, ...o }), gw.gumbelSoftmax(x, { cols, tau: 0.7, ...o }), what);
      const s1 = new Float32Array(n);
      const s2 = new Float32Array(n);
      same(gw.gumbelSoftmax(x, { shape, axis, hard: true, soft: s1, ...o }), gw.gumbelSoftmax(x, { cols, hard: true, soft: s2, ...o }), what);
      same(s1, s2, `${what} soft`);
      same(gw.gumbelMax(x, { shape, axis, ...o }), gw.gumbelMax(x, { cols, ...o }), what);
      same(gw.gumbelMax(p, { shape, axis, probs: true, ...o }), gw.gumbelMax(p, { cols, probs: true, ...o }), `${what} probs`);
      same(gw.gumbelSoftmax(p, { shape, axis, probs: true, ...o }), gw.gumbelSoftmax(p, { cols, probs: true, ...o }), `${what} probs`);
    }
  });

  test("another axis: the noise of the row-major index; gumbelMax the first argmax of float32(x + g), hard its one-hot, soft the softmax kernel's bits on the lines", () => {
    for (const [shape, axis] of CASES) {
      const L = layoutOf(shape, axis);
      const n = L.outer * L.classes * L.inner;
      const x = logits(n + 5, L);
      const seed = 31n + BigInt(n);
      const offset = 2 ** 32 - 17; // the counter's high word changes inside the call
      const g = gw.gumbelNoise(n, { seed, offset }) as Float32Array;
      const t = x.map((v, i) => v + g[i]!);
      const idx = lineArgmax(t, L);
      const what = `${shape} axis ${axis}`;
      expect(gw.gumbelMax(x, { shape, axis, seed, offset }), what).toEqual(idx);
      same(gw.gumbelSoftmax(x, { shape, axis, seed, offset, hard: true }), lineOneHot(idx, L), `${what} hard`);
      const soft = new Float32Array(n);
      same(gw.gumbelSoftmax(x, { shape, axis, seed, offset, hard: true, soft }), lineOneHot(idx, L), `${what} hard with soft`);
      const y = gw.gumbelSoftmax(x, { shape, axis, seed, offset, tau: 0.4 });
      same(toRows(y, L), gw.softmax(toRows(t, L), { cols: L.classes, tau: 0.4 }), `${what} soft`);
      same(soft, gw.gumbelSoftmax(x, { shape, axis, seed, offset, tau: 1 }), `${what} soft of hard`);
    }
  });

  test("probs: true along another axis: exactly the logits call on our wasm log p", () => {
    for (const [shape, axis] of CASES) {
      const L = layoutOf(shape, axis);
      const n = L.outer * L.classes * L.inner;
      const rnd = testRandom(n);
      const p = Float32Array.from({ length: n }, () => (rnd() < 0.2 ? 0 : rnd() * 5));
      for (let o = 0; o < L.outer; o++) for (let j = 0; j < L.inner; j++) p[o * L.classes * L.inner + j] = 0.5; // class 0 positive
      const logs = gw.tensor(1, n);
      const src = gw.tensorFrom(p, n);
      try {
        expect(gw.kernels.log_probs(src.byteOffset, logs.byteOffset, 1, n)).toBe(-1); // the same elementwise logs
        const l = logs.data.slice();
        const o = { shape, axis, seed: 4, offset: 123 };
        const what = `${shape} axis ${axis}`;
        same(gw.gumbelMax(p, { ...o, probs: true }), gw.gumbelMax(l, o), what);
        same(gw.gumbelSoftmax(p, { ...o, probs: true, tau: 0.5 }), gw.gumbelSoftmax(l, { ...o, tau: 0.5 }), what);
        const s1 = new Float32Array(n);
        const s2 = new Float32Array(n);
        same(gw.gumbelSoftmax(p, { ...o, probs: true, hard: true, soft: s1 }), gw.gumbelSoftmax(l, { ...o, hard: true, soft: s2 }), what);
        same(s1, s2, `${what} soft`);
      } finally {
        logs.free();
        src.free();
      }
    }
  });

  test("the law along axis 0 and a middle axis: chi-square against softmax(logits) (a wrong axis fails)", () => {
    // Four laws, by j % 4: line j of class c has logit l[j % 4][c].
    const laws = [[0, 1, 2, -1, 0.5, -3], [2, 2, 2, 2, 2, 2], [-1, 3, 0, 0, 1, -Infinity], [5, 0, 0, 0, 0, 0]];
    for (const [shape, axis] of [[[6, 20000], 0], [[6, 4, 5000], 0], [[100, 6, 80], 1], [[10, 6, 400], 1]] as Array<[number[], number]>) {
      const L = layoutOf(shape, axis);
      const x = new Float32Array(L.outer * L.classes * L.inner);
      for (let o = 0; o < L.outer; o++) for (let c = 0; c < L.classes; c++) for (let j = 0; j < L.inner; j++) x[(o * L.classes + c) * L.inner + j] = laws[j % 4]![c]!;
      for (const seed of [1, 2]) {
        const idx = gw.gumbelMax(x, { shape, axis, seed, offset: 1000 * seed });
        for (let law = 0; law < 4; law++) {
          const counts = new Array<number>(L.classes).fill(0);
          for (let l = 0; l < idx.length; l++) if ((l % L.inner) % 4 === law) counts[idx[l]!]!++;
          const p = softmaxRef(laws[law]!, L.classes);
          expect(chiSquareTest(counts, p).p, `${shape} axis ${axis} seed ${seed} law ${law}`).toBeGreaterThan(1e-4);
          if (law !== 1) expect(chiSquareTest(counts, softmaxRef(laws[law]!.map((v) => v * 1.5), L.classes)).p).toBeLessThan(1e-4);
        }
      }
      if (shape.length === 3 && axis === 0) {
        // The same array with the classes read along the wrong axis (1): another law, which fails.
        const idx = gw.gumbelMax(x.map((v) => (v === -Infinity ? -2 : v)), { shape, axis: 1, seed: 1 });
        const counts = new Array<number>(L.classes).fill(0);
        for (let l = 0; l < idx.length; l++) if (l % 5000 % 4 === 0) counts[idx[l]!]!++;
        expect(chiSquareTest(counts.slice(0, 4), softmaxRef(laws[0]!.slice(0, 4), 4)).p).toBeLessThan(1e-4);
      }
    }
  });

  test("tensors keep their shapes: the sample the input's, gumbelMax the shape without the axis (keepDims: 1)", () => {
    const t = gw.tensorFrom(logits(1, { outer: 2, classes: 5, inner: 7 }), [2, 5, 7]);
    const out = gw.tensor([2, 5, 7]);
    const idxOut = gw.tensor([2, 7], "int32");
    try {
      const y = gw.gumbelSoftmax(t, { axis: 1, seed: 3 });
      expect(y.shape).toEqual([2, 5, 7]);
      const h = gw.gumbelSoftmax(t, { axis: -2, seed: 3, hard: true });
      expect(h.shape).toEqual([2, 5, 7]);
      const i = gw.gumbelMax(t, { axis: 1, seed: 3 });
      expect(i.shape).toEqual([2, 7]);
      const k = gw.gumbelMax(t, { axis: 1, seed: 3, keepDims: true });
      expect(k.shape).toEqual([2, 1, 7]);
      expect(gw.gumbelMax(t, { axis: 0, seed: 3 }).shape).toEqual([5, 7]);
      same(k.data, i.data, "keepDims: the same indices");
      same(h.data, lineOneHot(i.data, { outer: 2, classes: 5, inner: 7 }), "hard = one-hot of gumbelMax");
      // Into given tensors: written in place, the same values.
      expect(gw.gumbelSoftmax(t, { axis: 1, seed: 3, out })).toBe(out);
      same(out.data, y.data, "out");
      expect(gw.gumbelMax(t, { axis: 1, seed: 3, out: idxOut })).toBe(idxOut);
      same(idxOut.data, i.data, "out index");
      // The array form with the same shape gives the same values.
      same(gw.gumbelSoftmax(t.data.slice(), { shape: [2, 5, 7], axis: 1, seed: 3 }), y.data, "array");
      for (const r of [y, h, i, k]) r.free();
    } finally {
      t.free();
      out.free();
      idxOut.free();
    }
  });

  test("replay and splits along the outer axes: slices o0..o1 at offset + o0 * classes * inner", () => {
    const shape = [6, 9, 11];
    const L = layoutOf(shape, 1);
    const x = logits(77, L);
    const cols = L.classes * L.inner;
    const whole = gw.gumbelMax(x, { shape, axis: 1, seed: 5, offset: 10 });
    const wholeY = gw.gumbelSoftmax(x, { shape, axis: 1, seed: 5, offset: 10, tau: 0.3 });
    expect(gw.gumbelMax(x, { shape, axis: 1, seed: 5, offset: 10 })).toEqual(whole);
    for (const [o0, o1] of [[0, 2], [2, 5], [5, 6]] as Array<[number, number]>) {
      const part = x.subarray(o0 * cols, o1 * cols);
      const o = { shape: [o1 - o0, 9, 11], axis: 1, seed: 5, offset: 10 + o0 * cols };
      expect(gw.gumbelMax(part, o)).toEqual(whole.subarray(o0 * L.inner, o1 * L.inner));
      same(gw.gumbelSoftmax(part, { ...o, tau: 0.3 }), wholeY.subarray(o0 * cols, o1 * cols), `slices ${o0}..${o1}`);
    }
    // rng: the call at the stream's offset, which then moves on by the input's length.
    const r = gw.rng(5, 10);
    expect(r.gumbelMax(x, { shape, axis: 1 })).toEqual(whole);
    expect(r.offset).toBe(10n + BigInt(x.length));
    same(gw.rng(5, 10).gumbelSoftmax(x, { shape, axis: 1, tau: 0.3 }), wholeY, "rng.gumbelSoftmax");
  });

  test("errors name the line by its index in the shape; nothing written, nothing drawn", async () => {
    const shape = [2, 4, 5];
    const L = layoutOf(shape, 1);
    const n = 40;
    const cases: Array<[(x: Float32Array) => void, RegExp]> = [
      [(x) => (x[(1 * 4 + 2) * 5 + 3] = Number.NaN), /^gumbel\w+: logits\[1, 2, 3\] is NaN$/],
      [(x) => (x[(0 * 4 + 1) * 5 + 4] = Infinity), /^gumbel\w+: logits\[0, 1, 4\] is \+Inf/],
      [(x) => { for (let c = 0; c < 4; c++) x[(1 * 4 + c) * 5 + 0] = -Infinity; }, /^gumbel\w+: logits\[1, :, 0\] is all -Inf/],
    ];
    const own = await init({ backend, seed: 77 });
    const twin = await init({ backend, seed: 77 });
    for (const [spoil, message] of cases) {
      const x = logits(3, L, 0);
      spoil(x);
      const out = new Float32Array(n).fill(7);
      const idx = new Int32Array(10).fill(7);
      expect(() => own.gumbelSoftmax(x, { shape, axis: 1, out })).toThrow(message);
      expect(() => own.gumbelSoftmax(x, { shape, axis: 1, hard: true, soft: new Float32Array(n), out })).toThrow(message);
      expect(() => own.gumbelMax(x, { shape, axis: 1, out: idx })).toThrow(message);
      await expect(own.gumbelMaxAsync(x, { shape, axis: 1, out: idx })).rejects.toThrow(message);
      expect(out.every((v) => v === 7) && idx.every((v) => v === 7)).toBe(true);
      // Read along axis 0 the same NaN or +Inf is refused at the same element; the masked line is no line there.
      if (message.source.includes("all -Inf")) expect(() => own.gumbelMax(x, { shape, axis: 0, seed: 1 })).not.toThrow();
      else expect(() => own.gumbelMax(x, { shape, axis: 0, seed: 1 })).toThrow(message);
    }
    // probs: the line and the value named.
    const p = new Float32Array(n).fill(0.5);
    p[(1 * 4 + 3) * 5 + 2] = -1;
    expect(() => own.gumbelMax(p, { shape, axis: 1, probs: true })).toThrow(/^gumbelMax: probs\[1, 3, 2\] must be a finite probability >= 0, got -1$/);
    p[(1 * 4 + 3) * 5 + 2] = 0.5;
    for (let c = 0; c < 4; c++) p[(0 * 4 + c) * 5 + 4] = 0;
    expect(() => own.gumbelSoftmax(p, { shape, axis: 1, probs: true })).toThrow(/^gumbelSoftmax: probs\[0, :, 4\] is all zeros/);
    // One temperature per row needs the classes last.
    expect(() => own.gumbelSoftmax(logits(3, L), { shape, axis: 1, tau: new Float32Array(10).fill(1) })).toThrow(/^gumbelSoftmax: tau as one temperature per row needs the classes on the last axis/);
    expect(() => own.gumbelSoftmax(logits(3, L), { shape, axis: 1, tau: "1" as never })).toThrow(/^gumbelSoftmax: tau must be a number/);
    // Nothing was drawn from the instance's own stream by the failed calls.
    const x = logits(4, L);
    same(own.gumbelSoftmax(x, { shape, axis: 1 }), twin.gumbelSoftmax(x, { shape, axis: 1 }), "own stream");
  });
});

describe("SIMD == scalar through the façade", () => {
  test("every case, soft, hard, max, probs", async () => {
    const [a, b] = await Promise.all([load("simd"), load("scalar")]);
    for (const [shape, axis] of CASES) {
      const L = layoutOf(shape, axis);
      const x = logits(L.outer * 7 + L.inner, L);
      const p = x.map((v) => (v === -Infinity ? 0 : Math.exp(v)));
      const o = { shape, axis, seed: 12, offset: 3 };
      same(a.gumbelSoftmax(x, { ...o, tau: 0.3 }), b.gumbelSoftmax(x, { ...o, tau: 0.3 }), `${shape} soft`);
      same(a.gumbelSoftmax(x, { ...o, hard: true }), b.gumbelSoftmax(x, { ...o, hard: true }), `${shape} hard`);
      same(a.gumbelMax(p, { ...o, probs: true }), b.gumbelMax(p, { ...o, probs: true }), `${shape} max probs`);
    }
  });
});
