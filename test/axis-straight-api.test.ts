// gumbelRao, gappedST and their backward calls with `shape` and `axis`: the classes last give
// the `cols` calls' bits; a non-last axis agrees with the float64 references line by line (the
// one-hot at argmax(x + g), g gumbelNoise at each element's flat index); async on 2 threads
// gives the synchronous bits; tensors keep their shapes; errors name the line, nothing written.
// Tolerances as test/straight.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { init, Tensor, type GumbelWasm } from "../src/node.js";
// The pool's workers run the built package (dist/worker-node.js): the threaded instance comes from dist/.
import { init as initBuilt, type GumbelWasm as BuiltGumbelWasm } from "../dist/node.js";
import { expectSameBits } from "./kernels.js";
import { oneHotIndex } from "./reference-axis.js";
import {
  drawsRef, flat, gradRef, layoutOf, lineOf, lines, randomArray, randomLogits, sampledRef, size, softRef, type Layout,
} from "./reference-axis-straight.js";
import { backends, load } from "./setup.js";

function close(got: Float32Array, want: Float64Array, tol: (e: number) => number, what: string): void {
  for (let e = 0; e < want.length; e++) {
    if (!(Math.abs(got[e]! - want[e]!) <= tol(e))) throw new Error(`${what}: element ${e} is ${got[e]}, expected ${want[e]}`);
  }
}

/** Per line: 1e-5 of the line's largest |reference| plus 2^-20 max|dy| / tau. */
function gradTolerance(want: Float64Array, v: Float32Array, L: Layout, tau: number): (e: number) => number {
  const tol = new Float64Array(want.length);
  for (const [o, j] of lines(L)) {
    const t = 1e-5 * Math.max(...lineOf(want, L, o, j).map(Math.abs)) + (2 ** -20 * Math.max(...lineOf(v, L, o, j).map(Math.abs))) / tau;
    for (let c = 0; c < L.classes; c++) tol[flat(L, o, c, j)] = t;
  }
  return (e) => tol[e]!;
}

type Options = { shape?: number[]; axis?: number; cols?: number; tau?: number; seed?: number | bigint; offset?: number | bigint };

/** The four calls: forward hard and soft of both estimators, then both backward. */
function all(gw: GumbelWasm, x: Float32Array, v: Float32Array, o: Options): Float32Array[] {
  const s1 = new Float32Array(x.length);
  const s2 = new Float32Array(x.length);
  return [
    gw.gumbelRao(x, { ...o, samples: 3, soft: s1 }), s1,
    gw.gappedST(x, { ...o, kappa: "adaptive", soft: s2 }), s2,
    gw.gumbelRaoBackward(x, v, { ...o, samples: 3 }),
    gw.gappedSTBackward(x, v, { ...o, kappa: 0.5 }),
  ];
}

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test("the classes last (axis -1, its positive form, trailing 1s): the cols calls' bits, forward soft and backward", () => {
    const x = randomLogits(3, { outer: 12, classes: 5, inner: 1 }, 3, 0.2);
    const v = randomArray(4, x.length);
    const base = { tau: 0.6, seed: 2n ** 40n + 3n, offset: 17 };
    const want = all(gw, x, v, { ...base, cols: 5 });
    for (const o of [{ shape: [3, 4, 5] }, { shape: [3, 4, 5], axis: 2 }, { shape: [12, 5, 1], axis: 1 }, { shape: [3, 4, 5, 1, 1], axis: -3 }]) {
      all(gw, x, v, { ...base, ...o }).forEach((r, i) => expectSameBits(r, want[i]!, `${JSON.stringify(o)} output ${i}`));
    }
  });

  test.each([
    [[5, 3, 7], 0],
    [[5, 3, 7], 1],
    [[17, 6], 0],
    [[2, 33, 9], 1],
    [[2, 4, 70], 1],
  ] as const)("shape %j, axis %i: one-hot at argmax(x + g) with g the noise at the flat index; soft and gradients against the reference", (shape, axis) => {
    const L = layoutOf(shape, axis);
    const x = randomLogits(shape[axis]! * 10 + axis, L, 4, 0.15);
    const v = randomArray(shape[axis]! * 10 + axis + 1, size(L));
    const seed = 2n ** 64n - 5n;
    const offset = 2n ** 32n - 30n;
    const g = gw.gumbelNoise(size(L), { seed, offset }) as Float32Array;
    const index = sampledRef(x, g, L);
    for (const tau of [0.4, 2]) {
      const o = { shape: [...shape], axis, tau, seed, offset };
      const soft = new Float32Array(x.length);
      expect(oneHotIndex(gw.gumbelRao(x, { ...o, samples: 2, soft }), L)).toEqual(index);
      const rao = drawsRef("rao", x, L, { tau, param: 2, seed, offset }, index);
      close(soft, softRef(rao), () => 1e-6 + 1e-6 / tau, `Gumbel-Rao soft tau=${tau}`);
      const dRao = gradRef(rao, v, L, tau);
      close(gw.gumbelRaoBackward(x, v, { ...o, samples: 2 }), dRao, gradTolerance(dRao, v, L, tau), `Gumbel-Rao backward tau=${tau}`);
      for (const kappa of [1, "adaptive"] as const) {
        const soft2 = new Float32Array(x.length);
        expect(oneHotIndex(gw.gappedST(x, { ...o, kappa, soft: soft2 }), L)).toEqual(index);
        const gst = drawsRef("gst", x, L, { tau, param: kappa === "adaptive" ? -1 : kappa, seed, offset }, index);
        close(soft2, gst[0]!, () => 1e-6 + 1e-6 / tau, `GST soft tau=${tau} kappa=${kappa}`);
        const dGst = gradRef(gst, v, L, tau);
        close(gw.gappedSTBackward(x, v, { ...o, kappa }), dGst, gradTolerance(dGst, v, L, tau), `GST backward tau=${tau} kappa=${kappa}`);
      }
    }
  });

  test("tensors keep their shape (their own, or given by shape); axis alone applies to a tensor's shape or to [length / cols, cols]", () => {
    const L = layoutOf([2, 3, 4], 1);
    const data = randomLogits(8, L, 2);
    const dyData = randomArray(9, data.length);
    const x = gw.tensorFrom(data, [2, 3, 4]);
    const dy = gw.tensorFrom(dyData, [2, 3, 4]);
    const o = { axis: 1, tau: 0.7, seed: 12 };
    const outs = [gw.gumbelRao(x, o), gw.gappedST(x, o), gw.gumbelRaoBackward(x, dy, o), gw.gappedSTBackward(x, dy, o)];
    const arrays = [gw.gumbelRao(data, { ...o, shape: [2, 3, 4] }), gw.gappedST(data, { ...o, shape: [2, 3, 4] })];
    arrays.push(gw.gumbelRaoBackward(data, dyData, { ...o, shape: [2, 3, 4] }), gw.gappedSTBackward(data, dyData, { ...o, shape: [2, 3, 4] }));
    outs.forEach((t, i) => {
      expect(t).toBeInstanceOf(Tensor);
      expect((t as Tensor).shape).toEqual([2, 3, 4]);
      expectSameBits((t as Tensor).data, arrays[i]!, `tensor vs array, output ${i}`);
    });
    // A matrix: axis 0 of [length / cols, cols].
    const m = randomLogits(10, layoutOf([6, 4], 0), 2);
    expectSameBits(gw.gappedST(m, { cols: 4, axis: 0, seed: 3 }), gw.gappedST(m, { shape: [6, 4], axis: 0, seed: 3 }), "cols with axis 0");
    for (const t of [x, dy, ...outs]) (t as Tensor).free();
  });

  test("without a seed the forward draws length elements of the instance stream (the noise by flat index)", async () => {
    const own = await init({ backend, seed: 31 });
    const L = layoutOf([3, 6, 5], 1);
    const x = randomLogits(12, L, 2);
    const o = { shape: [3, 6, 5], axis: 1 };
    const a = own.gumbelRao(x, { ...o, samples: 2 });
    const b = own.gappedST(x, o);
    expectSameBits(a, own.gumbelRao(x, { ...o, samples: 2, seed: 31, offset: 0 }), "first call");
    expectSameBits(b, own.gappedST(x, { ...o, seed: 31, offset: size(L) }), "second call");
  });
});

describe("async on 2 and 3 threads: the synchronous bits", () => {
  let pool: BuiltGumbelWasm;
  let pool3: BuiltGumbelWasm;
  let one: GumbelWasm;
  beforeAll(async () => {
    // threadThreshold 0: every batch of two slices or more is split.
    [pool, pool3, one] = await Promise.all([
      initBuilt({ backend: "simd", threads: 2, threadThreshold: 0 }), initBuilt({ backend: "simd", threads: 3, threadThreshold: 0 }), load("simd"),
    ]);
  });
  afterAll(async () => {
    await Promise.all([pool.close(), pool3.close()]);
  });

  test("the pools have their threads", () => {
    expect(pool.threads, pool.threadNote).toBe(2);
    expect(pool3.threads, pool3.threadNote).toBe(3);
  });

  test.each([
    [[6, 5, 70], 1],
    [[3, 9, 4, 3], 1],
    [[4, 7, 5], 0],
    [[5, 33, 9], 1],
    [[6, 200, 64], 1],
  ] as const)("shape %j axis %i: forward (one-hot, soft) and backward of both, a workspace per part", async (shape, axis) => {
    const L = layoutOf(shape, axis);
    const x = randomLogits(21, L, 3, 0.1);
    const v = randomArray(22, size(L));
    const o = { shape: [...shape], axis, tau: 0.5, seed: 7, offset: 3 };
    const want = all(one, x, v, o);
    for (const p of [pool, pool3]) {
      const s1 = new Float32Array(x.length);
      const s2 = new Float32Array(x.length);
      const got = [
        await p.gumbelRaoAsync(x, { ...o, samples: 3, soft: s1 }), s1,
        await p.gappedSTAsync(x, { ...o, kappa: "adaptive", soft: s2 }), s2,
        await p.gumbelRaoBackwardAsync(x, v, { ...o, samples: 3 }),
        await p.gappedSTBackwardAsync(x, v, { ...o, kappa: 0.5 }),
      ];
      got.forEach((r, i) => expectSameBits(r as Float32Array, want[i]!, `${p.threads} threads, output ${i}`));
    }
  });

  test("a bad line rejects, named, nothing written", async () => {
    const x = randomLogits(23, layoutOf([4, 3, 5], 1), 2);
    x[flat(layoutOf([4, 3, 5], 1), 2, 1, 3)] = Number.NaN;
    const out = new Float32Array(x.length).fill(7.5);
    await expect(pool.gappedSTAsync(x, { shape: [4, 3, 5], axis: 1, seed: 1, out })).rejects.toThrow("gappedST: logits[2, 1, 3] is NaN");
    expect(out.every((y) => y === 7.5)).toBe(true);
  });
});

describe("errors along a non-last axis: named, nothing written", () => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load("simd");
  });

  const shape = [2, 3, 4];
  const L = layoutOf(shape, 1);
  const bad = (e: number, value: number) => {
    const x = randomLogits(30, L, 2);
    x[e] = value;
    return x;
  };
  const masked = () => {
    const x = randomLogits(31, L, 2);
    for (let c = 0; c < 3; c++) x[flat(L, 1, c, 2)] = -Infinity;
    return x;
  };
  const dy = randomArray(32, size(L));
  const o = { shape, axis: 1, seed: 5 };

  test.each([
    ["gumbelRao", () => gw.gumbelRao(bad(flat(L, 1, 2, 3), Number.NaN), o), RangeError, "gumbelRao: logits[1, 2, 3] is NaN"],
    ["gappedST", () => gw.gappedST(bad(flat(L, 0, 1, 0), Infinity), o), RangeError, "gappedST: logits[0, 1, 0] is +Inf"],
    ["gumbelRaoBackward", () => gw.gumbelRaoBackward(masked(), dy, o), RangeError, "gumbelRaoBackward: logits[1, :, 2] is all -Inf"],
    ["gappedSTBackward", () => gw.gappedSTBackward(masked(), dy, o), RangeError, "gappedSTBackward: logits[1, :, 2] is all -Inf"],
    ["gumbelRao", () => gw.gumbelRao(randomLogits(33, L, 2), { ...o, tau: [1, 2] }), TypeError, "gumbelRao: tau as one temperature per row needs the classes on the last axis; got axis 1 of shape [2, 3, 4]"],
    ["gappedST", () => gw.gappedST(randomLogits(33, L, 2), { ...o, tau: new Float32Array(8).fill(1) }), TypeError, "gappedST: tau as one temperature per row needs the classes on the last axis"],
    ["gappedSTBackward", () => gw.gappedSTBackward(randomLogits(33, L, 2), dy.subarray(1), o), RangeError, "gappedSTBackward: dy has 23 elements but logits has 24"],
    ["gumbelRao", () => gw.gumbelRao(randomLogits(33, L, 2), { ...o, axis: 3 }), RangeError, "gumbelRao: axis must be an integer from -3 to 2"],
  ] as const)("%s: %s", (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  test("a bad line leaves out, soft and the instance stream untouched", async () => {
    const own = await init({ backend: "simd", seed: 4 });
    const x = bad(flat(L, 1, 0, 1), Number.NaN);
    for (const op of ["gumbelRao", "gappedST", "gumbelRaoBackward", "gappedSTBackward"] as const) {
      const out = new Float32Array(size(L)).fill(7.5);
      const soft = new Float32Array(size(L)).fill(7.5);
      const t = own.tensor([2, 3, 4]);
      t.data.fill(7.5);
      const p = { shape, axis: 1, out: op.endsWith("Backward") ? t : out };
      expect(() => {
        if (op === "gumbelRao") own.gumbelRao(x, { ...p, soft });
        else if (op === "gappedST") own.gappedST(x, { ...p, soft });
        else if (op === "gumbelRaoBackward") own.gumbelRaoBackward(x, dy, { ...p, seed: 1 });
        else own.gappedSTBackward(x, dy, { ...p, seed: 1 });
      }).toThrow(`${op}: logits[1, 0, 1] is NaN`);
      expect(out.every((y) => y === 7.5) && soft.every((y) => y === 7.5) && t.data.every((y) => y === 7.5)).toBe(true);
      t.free();
    }
    // The failed forward calls drew nothing: the next call starts at offset 0.
    const good = randomLogits(34, L, 2);
    expectSameBits(own.gumbelRao(good, { shape, axis: 1 }), own.gumbelRao(good, { shape, axis: 1, seed: 4, offset: 0 }), "stream untouched");
  });
});
