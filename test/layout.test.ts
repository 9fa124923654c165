// Where the classes are (issue 16, part 1): `shape`, `axis` and `keepDims` read by every call
// that takes `cols`; tensors that carry a shape, and results that keep it (reductions drop the
// class axis, or keep it as 1); the options refused by name; the validation pass along a
// non-last axis (check_lines) against a plain reference. The strided kernels themselves are
// tested in test/axis-*.test.ts.
import { beforeAll, describe, expect, test } from "vitest";
import type { GumbelWasm } from "../src/node.js";
import { firstBitDifference } from "./kernels.js";
import { testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

function values(seed: number, n: number): Float32Array {
  const r = testRandom(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * 3);
}

describe("tensors of any shape", () => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load("simd");
  });

  test("gw.tensor(shape) and tensorFrom(data, shape): shape, rows (the other axes) and cols (the last)", () => {
    const t = gw.tensor([2, 3, 4]);
    expect(t.shape).toEqual([2, 3, 4]);
    expect([t.rows, t.cols, t.length, t.data.length]).toEqual([6, 4, 24, 24]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    const i = gw.tensor([5], "int32");
    expect([i.dtype, i.rows, i.cols, i.length]).toEqual(["int32", 1, 5, 5]);
    const s = gw.tensor([]);
    expect([s.rows, s.cols, s.length]).toEqual([1, 1, 1]);
    const m = gw.tensor(3, 7);
    expect(m.shape).toEqual([3, 7]);
    const x = values(1, 24);
    const f = gw.tensorFrom(x, [4, 3, 2]);
    expect(f.shape).toEqual([4, 3, 2]);
    expect(firstBitDifference(f.data, x)).toBe(-1);
    for (const u of [t, i, s, m, f]) u.free();
  });

  test("bad shapes are named", () => {
    expect(() => gw.tensor([2, -1])).toThrow(/^tensor: shape\[1\] must be an integer from 0 to 2147483647, got -1$/);
    expect(() => gw.tensor([2, 1.5])).toThrow(/^tensor: shape\[1\] must be an integer/);
    expect(() => gw.tensor(["2"] as unknown as number[])).toThrow(/^tensor: shape\[0\] must be an integer from 0 to 2147483647, got the string "2"$/);
    expect(() => gw.tensorFrom([1, 2, 3], [2, 2])).toThrow(/^tensorFrom: shape \[2, 2\] holds 4 elements but data.length = 3$/);
  });

  test("results keep the input's shape; reductions drop the class axis or keep it with keepDims", () => {
    const x = gw.tensorFrom(values(2, 24), [2, 3, 4]);
    const y = gw.softmax(x);
    expect(y.shape).toEqual([2, 3, 4]);
    const lse = gw.logSumExp(x);
    expect(lse.shape).toEqual([2, 3]);
    const kept = gw.logSumExp(x, { keepDims: true });
    expect(kept.shape).toEqual([2, 3, 1]);
    expect(firstBitDifference(kept.data, lse.data)).toBe(-1);
    const g = gw.gumbelMax(x, { seed: 1 });
    expect(g.shape).toEqual([2, 3]);
    expect(gw.gumbelMax(x, { seed: 1, keepDims: true }).shape).toEqual([2, 3, 1]);
    expect(gw.gumbelSoftmax(x, { seed: 1, hard: true }).shape).toEqual([2, 3, 4]);
    expect(gw.sampleTokens(x, { seed: 1 }).shape).toEqual([2, 3]);
    expect(gw.topK(x, 2, { seed: 1 }).shape).toEqual([2, 3, 2]);
    const b = gw.softmaxBackward(y, x, { dtau: true });
    expect(b.dlogits.shape).toEqual([2, 3, 4]);
    expect(b.dtau.shape).toEqual([2, 3]);
    expect(gw.softmaxBackward(y, x, { dtau: true, keepDims: true }).dtau.shape).toEqual([2, 3, 1]);
    expect(gw.gumbelRao(x, { seed: 1 }).shape).toEqual([2, 3, 4]);
    // A matrix tensor's reduction is one value per row, shape [rows] (0.6.0; [rows, 1] before).
    const m = gw.tensorFrom(values(3, 12), 4);
    expect(gw.logSumExp(m).shape).toEqual([3]);
    expect(gw.logSumExp(m, { keepDims: true }).shape).toEqual([3, 1]);
  });
});

describe.each(backends)("%s: shape and axis with the classes last", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test("shape [..., C] (axis -1 or its positive form) gives the bits of cols = C, for every call", () => {
    const x = values(4, 2 * 3 * 5);
    const dy = values(5, x.length);
    const forms = [{ shape: [2, 3, 5] }, { shape: [2, 3, 5], axis: -1 }, { shape: [2, 3, 5], axis: 2 }, { shape: [6, 5], axis: 1 }, { cols: 5, axis: -1 }];
    const y = gw.softmax(x, { cols: 5 });
    const want: Array<[string, (o: { cols?: number; shape?: number[]; axis?: number }) => Float32Array | Int32Array]> = [
      ["softmax", (o) => gw.softmax(x, { ...o, tau: 0.7 })],
      ["logSoftmax", (o) => gw.logSoftmax(x, o)],
      ["logSumExp", (o) => gw.logSumExp(x, o)],
      ["softmaxBackward", (o) => gw.softmaxBackward(y, dy, o).dlogits],
      ["softmaxJvp", (o) => gw.softmaxJvp(y, dy, o)],
      ["gumbelSoftmax", (o) => gw.gumbelSoftmax(x, { ...o, seed: 9, offset: 5 })],
      ["gumbelMax", (o) => gw.gumbelMax(x, { ...o, seed: 9 })],
      ["gumbelRao", (o) => gw.gumbelRao(x, { ...o, seed: 9 })],
      ["gappedST", (o) => gw.gappedST(x, { ...o, seed: 9 })],
      ["sampleTokens", (o) => gw.sampleTokens(x, { ...o, seed: 9, topK: 3 })],
      ["topK", (o) => gw.topK(x, 2, { ...o, seed: 9 })],
    ];
    for (const [name, f] of want) {
      const ref = f({ cols: 5 });
      for (const o of forms) expect(firstBitDifference(f(o), ref), `${name} ${JSON.stringify(o)}`).toBe(-1);
    }
  });

  test("trailing axes of size 1 leave the classes contiguous: the row kernels, same bits", () => {
    const x = values(6, 4 * 7);
    const want = gw.logSoftmax(x, { cols: 7 });
    expect(firstBitDifference(gw.logSoftmax(x, { shape: [4, 7, 1, 1], axis: 1 }), want)).toBe(-1);
    expect(firstBitDifference(gw.gumbelMax(x, { shape: [4, 7, 1], axis: -2, seed: 3 }), gw.gumbelMax(x, { cols: 7, seed: 3 }))).toBe(-1);
  });

  test("an empty batch: a zero dimension outside the class axis", () => {
    expect(gw.softmax(new Float32Array(0), { shape: [0, 3] }).length).toBe(0);
    expect(gw.logSumExp(new Float32Array(0), { shape: [2, 3, 0], axis: 1 }).length).toBe(0);
  });
});

describe("the layout options refused by name, nothing written", () => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load("simd");
  });

  test("shape, axis, keepDims, cols", () => {
    const x = values(7, 24);
    const out = new Float32Array(24).fill(7);
    const sm = (o: object) => () => gw.softmax(x, { ...o, out } as never);
    expect(sm({ shape: [2, 3, 4], cols: 4 })).toThrow(/^softmax: give cols or shape, not both$/);
    expect(sm({ shape: [2, 3, 5] })).toThrow(/^softmax: shape \[2, 3, 5\] holds 30 elements but x has 24$/);
    expect(sm({ shape: "2x3x4" })).toThrow(/^softmax: shape must be an array of dimensions, got the string "2x3x4"$/);
    expect(sm({ shape: [2, 3, 4.5] })).toThrow(/^softmax: shape\[2\] must be an integer from 0 to 2147483647, got 4.5$/);
    expect(sm({ shape: [] })).toThrow(/^softmax: shape \[\] holds 1 elements but x has 24$/);
    expect(sm({ shape: [2, 3, 4], axis: 3 })).toThrow(/^softmax: axis must be an integer from -3 to 2 for a shape of 3 dimensions, got 3$/);
    expect(sm({ shape: [2, 3, 4], axis: -4 })).toThrow(/^softmax: axis must be an integer from -3 to 2/);
    expect(sm({ shape: [2, 3, 4], axis: 0.5 })).toThrow(/^softmax: axis must be an integer/);
    expect(sm({ shape: [2, 3, 4], axis: "1" })).toThrow(/^softmax: axis must be an integer from -3 to 2 for a shape of 3 dimensions, got the string "1"$/);
    expect(sm({ cols: 4, axis: 2 })).toThrow(/^softmax: axis must be an integer from -2 to 1 for a shape of 2 dimensions, got 2$/);
    expect(sm({})).toThrow(/^softmax: cols or shape is required: the number of classes per row of x, or its shape$/);
    expect(() => gw.logSumExp(new Float32Array(0), { shape: [2, 0, 3], axis: 1 })).toThrow(/^logSumExp: axis 1 of shape \[2, 0, 3\] is empty: a categorical needs at least one class$/);
    expect(() => gw.logSumExp(x, { cols: 4, keepDims: 1 } as never)).toThrow(/^logSumExp: keepDims must be a boolean, got number 1$/);
    // keepDims belongs to the reductions only; torch's and numpy's words are pointed to ours.
    expect(sm({ cols: 4, keepDims: true })).toThrow(/^softmax: unknown option "keepDims"/);
    expect(sm({ cols: 4, dim: 0 })).toThrow(/^softmax: unknown option "dim" \(did you mean "axis"\?\)$/);
    expect(() => gw.logSumExp(x, { cols: 4, keepdim: true } as never)).toThrow(/^logSumExp: unknown option "keepdim" \(did you mean "keepDims"\?\)$/);
    expect(() => gw.gumbelMax(x, { cols: 4, keep_dims: true } as never)).toThrow(/^gumbelMax: unknown option "keep_dims" \(did you mean "keepDims"\?\)$/);
    expect(out.every((v) => v === 7)).toBe(true);
  });

  test("a tensor's own shape, overridden by cols or shape", () => {
    const t = gw.tensorFrom(values(8, 24), [2, 3, 4]);
    expect(firstBitDifference(gw.softmax(t, { cols: 6 }).data, gw.softmax(t.data, { cols: 6 }))).toBe(-1);
    expect(gw.softmax(t, { cols: 6 }).shape).toEqual([4, 6]);
    expect(gw.softmax(t, { shape: [6, 4] }).shape).toEqual([6, 4]);
    expect(() => gw.softmax(t, { shape: [5, 5] })).toThrow(/^softmax: shape \[5, 5\] holds 25 elements but x has 24$/);
    t.free();
  });
});

/** check_lines' reference: the first line (o * inner + j) with a NaN, a +Inf or nothing above -Inf. */
function firstBadLine(x: Float32Array, outer: number, classes: number, inner: number): [number, number] {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let nan = false;
      let inf = false;
      let finite = false;
      for (let c = 0; c < classes; c++) {
        const v = x[(o * classes + c) * inner + j]!;
        if (Number.isNaN(v)) nan = true;
        else if (v === Infinity) inf = true;
        else if (v !== -Infinity) finite = true;
      }
      if (nan) return [o * inner + j, 1];
      if (inf) return [o * inner + j, 2];
      if (!finite) return [o * inner + j, 3];
    }
  }
  return [-1, 0];
}

describe.each(backends)("%s: check_lines, the validation pass along a non-last axis", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test("the first bad line and its fault, as a plain loop finds them", () => {
    const r = testRandom(11);
    const shapes: Array<[number, number, number]> = [[1, 1, 1], [3, 5, 7], [2, 9, 4], [4, 3, 13], [1, 17, 2], [5, 1, 9]];
    let trials = 0;
    let faults = 0;
    for (const [outer, classes, inner] of shapes) {
      for (let t = 0; t < 60; t++) {
        const n = outer * classes * inner;
        const x = Float32Array.from({ length: n }, () => (r() < 0.3 ? -Infinity : r() * 4 - 2));
        const plant = Math.floor(r() * 4);
        if (plant === 1) x[Math.floor(r() * n)] = NaN;
        if (plant === 2) x[Math.floor(r() * n)] = Infinity;
        if (plant === 3) {
          const o = Math.floor(r() * outer);
          const j = Math.floor(r() * inner);
          for (let c = 0; c < classes; c++) x[(o * classes + c) * inner + j] = -Infinity;
        }
        const tx = gw.tensorFrom(x);
        const got = gw.kernels.check_lines(tx.byteOffset, outer, classes * inner, inner);
        const [line, fault] = firstBadLine(x, outer, classes, inner);
        expect(got, `shape ${outer}x${classes}x${inner}, trial ${t}`).toBe(line);
        if (line >= 0) expect(gw.kernels.check_fault()).toBe(fault);
        tx.free();
        trials++;
        if (line >= 0) faults++;
      }
    }
    // Both outcomes were exercised.
    expect(faults).toBeGreaterThan(trials / 5);
    expect(trials - faults).toBeGreaterThan(trials / 10);
  });
});
