// The async forms of gumbelSoftmax and gumbelMax with `shape`/`axis` on the worker pool: the
// strided launch split by slices (the outer axes) across 2 and 3 workers gives the synchronous
// call's bits, probs included; a bad line rejects, naming it, with nothing written.
//
// The workers run the built package (dist/worker-node.js), so these tests import dist/.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { init, type GumbelWasm } from "../dist/node.js";
import { testRandom } from "./reference.js";

let single: GumbelWasm;
const pools: GumbelWasm[] = [];

beforeAll(async () => {
  single = await init({ backend: "simd" });
  // threadThreshold 0: every batch of two slices or more is split, however small.
  for (const threads of [2, 3]) pools.push(await init({ backend: "simd", threads, threadThreshold: 0 }));
});
afterAll(async () => {
  for (const gw of pools) await gw.close();
});

/** Random logits of a shape, about 10% masked (-Inf), never a whole line along `axis`. */
function logits(seed: number, shape: number[], axis: number): Float32Array {
  const rnd = testRandom(seed);
  const a = axis < 0 ? shape.length + axis : axis;
  const n = shape.reduce((p, d) => p * d, 1);
  const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const x = Float32Array.from({ length: n }, () => (rnd() < 0.1 ? -Infinity : (rnd() * 2 - 1) * 4));
  // Class 0 of every line (the first `inner` elements of each slice) stays finite.
  for (let i = 0; i < n; i += shape[a]! * inner) for (let j = 0; j < inner; j++) x[i + j] = rnd();
  return x;
}

function bits(a: Float32Array | Int32Array): number[] {
  return Array.from(new Uint32Array(a.slice().buffer));
}

// Slices that split unevenly: [outer, classes, inner] with the classes on axis 1 (and axis 0 of a 2-D shape).
const SHAPES: Array<[number[], number]> = [[[7, 9, 33], 1], [[5, 300, 5], 1], [[3, 3, 1100], 1], [[11, 2, 4, 3], 1], [[64, 10, 12], -2]];

describe("async with shape/axis on 2 and 3 threads = the synchronous call's bits", () => {
  for (const [shape, axis] of SHAPES) {
    test(`${shape} axis ${axis}`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = logits(n, shape, axis);
      const p = x.map((v) => (v === -Infinity ? 0 : Math.exp(v)));
      const o = { shape, axis, seed: 0xabcdef12345n, offset: 2 ** 32 - 100 };
      const want = {
        soft: bits(single.gumbelSoftmax(x, { ...o, tau: 0.6 })),
        hard: bits(single.gumbelSoftmax(x, { ...o, hard: true })),
        max: bits(single.gumbelMax(x, o)),
        probsSoft: bits(single.gumbelSoftmax(p, { ...o, probs: true })),
        probsMax: bits(single.gumbelMax(p, { ...o, probs: true })),
      };
      const softSync = new Float32Array(n);
      single.gumbelSoftmax(x, { ...o, hard: true, soft: softSync });
      for (const gw of pools) {
        expect(bits(await gw.gumbelSoftmaxAsync(x, { ...o, tau: 0.6 })), `${gw.threads} threads`).toEqual(want.soft);
        expect(bits(await gw.gumbelSoftmaxAsync(x, { ...o, hard: true }))).toEqual(want.hard);
        expect(bits(await gw.gumbelMaxAsync(x, o))).toEqual(want.max);
        expect(bits(await gw.gumbelSoftmaxAsync(p, { ...o, probs: true }))).toEqual(want.probsSoft);
        expect(bits(await gw.gumbelMaxAsync(p, { ...o, probs: true }))).toEqual(want.probsMax);
        const soft = new Float32Array(n);
        await gw.gumbelSoftmaxAsync(x, { ...o, hard: true, soft });
        expect(bits(soft)).toEqual(bits(softSync));
        // Tensors on the pool's shared memory: written in place, shapes kept.
        const t = gw.tensorFrom(x, shape);
        try {
          const y = await gw.gumbelSoftmaxAsync(t, { axis, seed: o.seed, offset: o.offset, tau: 0.6 });
          expect(y.shape).toEqual(shape);
          expect(bits(y.data)).toEqual(want.soft);
          const i = await gw.gumbelMaxAsync(t, { axis, seed: o.seed, offset: o.offset, keepDims: true });
          const a = axis < 0 ? shape.length + axis : axis;
          expect(i.shape).toEqual(shape.map((d, k) => (k === a ? 1 : d)));
          expect(bits(i.data)).toEqual(want.max);
          y.free();
          i.free();
        } finally {
          t.free();
        }
      }
    });
  }

  test("a bad line in a later slice rejects on the pool, named by its index in the shape; nothing written", async () => {
    const shape = [6, 5, 40];
    const x = logits(3, shape, 1);
    x[(4 * 5 + 2) * 40 + 17] = Number.NaN;
    for (const gw of pools) {
      const out = new Float32Array(1200).fill(3);
      const idx = new Int32Array(240).fill(3);
      await expect(gw.gumbelSoftmaxAsync(x, { shape, axis: 1, seed: 1, out })).rejects.toThrow(/^gumbelSoftmax: logits\[4, 2, 17\] is NaN$/);
      await expect(gw.gumbelMaxAsync(x, { shape, axis: 1, seed: 1, out: idx })).rejects.toThrow(/^gumbelMax: logits\[4, 2, 17\] is NaN$/);
      expect(out.every((v) => v === 3) && idx.every((v) => v === 3)).toBe(true);
      // The pool still works.
      expect(bits(await gw.gumbelMaxAsync(x.map((v) => (Number.isNaN(v) ? 0 : v)), { shape, axis: 1, seed: 1 }))).toEqual(
        bits(single.gumbelMax(x.map((v) => (Number.isNaN(v) ? 0 : v)), { shape, axis: 1, seed: 1 })),
      );
    }
  });
});
