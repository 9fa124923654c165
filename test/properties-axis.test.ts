// Property tests (fast-check) of `shape` and `axis` over the public calls: random shapes (1 to 4
// dimensions, sizes 1 to 6, so the classes land first, in the middle and last, with strides that
// are and are not multiples of 4), random axes (some out of range), values with masks and the
// odd NaN or +Inf, arrays and tensors. The oracle here: an axis out of range is a RangeError
// naming `axis`; a categorical with a NaN, a +Inf or every class masked is a RangeError naming it
// by its place in the shape; otherwise the calls without noise give the bits of the same call
// with the classes moved last (`cols`), moved back, and the calls with noise draw, along each
// line, the first argmax of float32(x + noise) with the noise of each element's row-major index;
// sampleTokens (exact draws, not noise) the token of each line's moved-last row with the
// stream element of its class 0 (its row-major index), an unmasked class.
// Results of tensor inputs keep the input's shape (reductions without the axis, or with it as 1).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { init, Tensor, type GumbelWasm } from "../src/node.js";
import { firstBitDifference } from "./kernels.js";
import { fromRows, toRows } from "./reference-axis.js";

const gw: GumbelWasm = await init({ seed: 5 });
const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const SEED = Number(process.env.PROPERTY_SEED ?? 0);

const CALLS = ["softmax", "logSoftmax", "logSumExp", "softmaxJvp", "softmaxBackward", "gumbelSoftmax", "gumbelMax", "sampleTokens", "topK", "gumbelRao"] as const;
type CallName = (typeof CALLS)[number];
const NO_NOISE = new Set<CallName>(["softmax", "logSoftmax", "logSumExp", "softmaxJvp", "softmaxBackward"]);
const REDUCES = new Set<CallName>(["logSumExp", "gumbelMax", "sampleTokens"]);

const value = fc.oneof(
  { weight: 30, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }) },
  { weight: 4, arbitrary: fc.constant(-Infinity) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity) },
);
const caseArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    axisPick: fc.integer({ min: -6, max: 5 }),
    call: fc.constantFrom(...CALLS),
    tensor: fc.boolean(),
    keepDims: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain((c) => fc.record({ c: fc.constant(c), values: fc.array(value, { minLength: size(c.shape), maxLength: size(c.shape) }) }));

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** outer x classes x inner around `axis`. */
function split(shape: number[], axis: number): [number, number, number] {
  return [size(shape.slice(0, axis)), shape[axis]!, size(shape.slice(axis + 1))];
}

/** The call `name` on x with `o` (y and dy for the gradients: x's softmax and x itself). */
function run(name: CallName, x: Float32Array | Tensor, o: Record<string, unknown>): Float32Array | Int32Array | Tensor | Tensor<"int32"> {
  const any = gw as unknown as Record<string, (...a: unknown[]) => unknown>;
  if (name === "softmaxJvp" || name === "softmaxBackward") {
    const y = gw.softmax(x as Float32Array, o as never) as Float32Array | Tensor;
    const r = any[name]!.call(gw, y, x, o);
    if (y instanceof Tensor) y.free();
    return (name === "softmaxBackward" ? (r as { dlogits: unknown }).dlogits : r) as Float32Array | Tensor;
  }
  if (name === "topK") return any.topK!.call(gw, x, 1, o) as Int32Array;
  return any[name]!.call(gw, x, o) as Float32Array | Int32Array;
}

function options(name: CallName, extra: Record<string, unknown>, seed: number, keepDims: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = { ...extra };
  if (!NO_NOISE.has(name)) o.seed = seed;
  if (name === "gumbelSoftmax") o.hard = true;
  if (name === "gumbelRao") o.samples = 2;
  if (REDUCES.has(name) && keepDims) o.keepDims = true;
  return o;
}

describe("shape and axis, every call (fast-check)", () => {
  test("the moved-last bits, or the row-major noise's argmax (sampleTokens: the moved-last rows' draws from their class 0's stream element), or a named error; shapes kept", () => {
    fc.assert(
      fc.property(caseArb, ({ c, values }) => {
        const { shape, axisPick, call, tensor, keepDims, seed } = c;
        const nd = shape.length;
        const x = Float32Array.from(values);
        const input = tensor ? gw.tensorFrom(x, shape) : x.slice();
        const o = options(call, tensor ? { axis: axisPick } : { shape, axis: axisPick }, seed, keepDims);
        try {
          // softmaxJvp and softmaxBackward get y from softmax first, which refuses first.
          const name = call === "softmaxJvp" || call === "softmaxBackward" ? "softmax" : call;
          if (axisPick < -nd || axisPick >= nd) {
            expect(() => run(call, input, o)).toThrow(new RegExp(`^${name}: axis must be an integer from ${-nd} to ${nd - 1} `));
            return;
          }
          const axis = axisPick < 0 ? axisPick + nd : axisPick;
          const [outer, classes, inner] = split(shape, axis);
          // The lines that a call must refuse: a NaN, a +Inf, or every class masked.
          let bad = -1;
          for (let l = 0; l < outer * inner && bad < 0; l++) {
            const a = Math.floor(l / inner);
            const j = l % inner;
            const line = Array.from({ length: classes }, (_, k) => x[(a * classes + k) * inner + j]!);
            if (line.some((v) => Number.isNaN(v) || v === Infinity) || line.every((v) => v === -Infinity)) bad = l;
          }
          if (bad >= 0) {
            const where = inner === 1 ? "row \\d+ of|\\[\\d+, \\d+\\]|\\[[\\d, ]*\\]" : "\\[[\\d:, ]*\\]";
            expect(() => run(call, input, o)).toThrow(new RegExp(`^${name}: .*(${where})`));
            return;
          }
          const got = run(call, input, o);
          const data = got instanceof Tensor ? got.data : got;
          if (got instanceof Tensor) {
            const want = REDUCES.has(call) ? (keepDims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis)) : call === "topK" ? shape.map((d, i) => (i === axis ? 1 : d)) : shape;
            expect(got.shape).toEqual(want);
          }
          if (NO_NOISE.has(call)) {
            const moved = toRows(x, { outer, classes, inner });
            const last = run(call, moved, options(call, { cols: classes }, seed, false)) as Float32Array;
            const want = call === "logSumExp" ? last : fromRows(last, { outer, classes, inner });
            expect(firstBitDifference(data as Float32Array, want)).toBe(-1);
          } else if (call === "sampleTokens") {
            // Line l = a * inner + j: the token of its moved-last row drawn alone with the
            // stream element of its class 0 (its flat index), an unmasked class.
            const moved = toRows(x, { outer, classes, inner });
            const lines = outer * inner;
            const offsets = Array.from({ length: lines }, (_, l) => Math.floor(l / inner) * classes * inner + (l % inner));
            const want = gw.sampleTokens(moved, { cols: classes, seeds: offsets.map(() => seed), offsets });
            expect(Array.from(data)).toEqual(Array.from(want));
            for (let l = 0; l < lines; l++) expect(moved[l * classes + data[l]!]).not.toBe(-Infinity);
          } else {
            const noise = gw.gumbelNoise(x.length, { seed });
            for (let l = 0; l < outer * inner; l++) {
              const a = Math.floor(l / inner);
              const j = l % inner;
              let best = -1;
              let bestV = -Infinity;
              for (let k = 0; k < classes; k++) {
                const e = (a * classes + k) * inner + j;
                const v = Math.fround(x[e]! + noise[e]!);
                if (v > bestV) [best, bestV] = [k, v];
              }
              if (call === "gumbelMax" || call === "topK") expect(data[l]).toBe(best);
              else for (let k = 0; k < classes; k++) expect(data[(a * classes + k) * inner + j]).toBe(k === best ? 1 : 0);
            }
          }
          if (got instanceof Tensor) got.free();
        } finally {
          if (input instanceof Tensor) input.free();
        }
      }),
      { numRuns: RUNS, seed: SEED + 11 },
    );
  });
});
