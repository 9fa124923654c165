// The straight-through kernels along a non-last axis (assembly/straight_axis.ts), called on
// byte offsets: the one-hot at argmax(x + g) with g the noise at each element's flat index,
// the surrogate and the gradients against the float64 references of test/reference-straight.ts
// applied line by line (the noise mapped by flat index), inner = 1 against the row kernels bit
// for bit, SIMD == scalar, chunks of lines, the workspace's bounds, and bad lines refused with
// nothing written.
//
// Tolerances as test/straight.test.ts: soft within 1e-6 + 1e-6 / tau, gradients within 1e-5 of
// the line's largest |reference| plus 2^-20 max|dy| / tau.
import { beforeAll, describe, expect, test } from "vitest";
import type { GumbelWasm } from "../src/node.js";
import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF, STRAIGHT_AXIS_LINES } from "../src/abi.js";
import { expectSameBits, firstBitDifference } from "./kernels.js";
import { oneHotIndex } from "./reference-axis.js";
import {
  drawsRef, flat, gradRef, layoutOf, lineOf, lines, randomArray, randomLogits, sampledRef, size, softRef, type Layout, type Op, type RefOpts,
} from "./reference-axis-straight.js";
import { backends, load } from "./setup.js";

const MASK32 = 0xffffffffn;
const SENTINEL = 7.5;

interface Opts extends RefOpts {
  /** Forward: also the surrogate. */
  soft?: boolean;
}

interface Result {
  bad: number;
  fault: number;
  dst: Float32Array;
  aux: Float32Array | null;
}

/** Workspace floats of gumbel_rao_axis's backward. */
const workFloats = (L: Layout) => L.classes * Math.min(L.inner, STRAIGHT_AXIS_LINES);
const GUARD = 8;

/**
 * One call of gumbel_rao_axis / gapped_st_axis (or with `rows`, the row kernel on rows = outer,
 * cols = classes, for inner = 1) on fresh tensors: dst and soft start as SENTINEL, and the
 * backward's workspace is exactly its size, followed by a guard that must stay untouched.
 */
function run(gw: GumbelWasm, op: Op, x: Float32Array, dy: Float32Array | null, L: Layout, o: Opts, rows = false): Result {
  const n = x.length;
  const backward = dy !== null;
  const lt = gw.tensorFrom(x);
  const vt = dy ? gw.tensorFrom(dy) : null;
  const dst = gw.tensor(1, n);
  dst.data.fill(SENTINEL);
  const auxN = backward ? (op === "rao" ? (rows ? L.classes : workFloats(L)) + GUARD : 0) : o.soft ? n : 0;
  const aux = auxN ? gw.tensor(1, auxN) : null;
  aux?.data.fill(SENTINEL);
  try {
    const k = gw.kernels;
    const key = [Number(o.seed & MASK32), Number(o.seed >> 32n)] as const;
    const ctr = [Number(o.offset & MASK32), Number(o.offset >> 32n)] as const;
    const ptrs = [lt.byteOffset, vt ? vt.byteOffset : 0, dst.byteOffset, aux ? aux.byteOffset : 0] as const;
    const cols = L.classes * L.inner;
    let bad: number;
    if (rows) {
      if (L.inner !== 1) throw new Error("the row kernels need inner = 1");
      const f = op === "rao" ? k.gumbel_rao : k.gapped_st;
      bad = f(...ptrs, L.outer, cols, o.tau, o.param, ...key, ...ctr);
    } else {
      const f = op === "rao" ? k.gumbel_rao_axis : k.gapped_st_axis;
      bad = f(...ptrs, L.outer, cols, L.inner, o.tau, o.param, ...key, ...ctr);
    }
    const out = aux ? aux.data.slice() : null;
    if (backward && out) {
      // The workspace's guard: nothing past its size is touched.
      expect(Array.from(out.subarray(auxN - GUARD))).toEqual(new Array(GUARD).fill(SENTINEL));
    }
    return { bad, fault: k.check_fault(), dst: dst.data.slice(), aux: backward ? null : out };
  } finally {
    for (const t of [lt, vt, dst, aux]) t?.free();
  }
}

function expectSoftClose(got: Float32Array, want: Float64Array, tau: number, what: string): void {
  const tol = 1e-6 + 1e-6 / tau;
  for (let e = 0; e < want.length; e++) {
    if (!(Math.abs(got[e]! - want[e]!) <= tol)) throw new Error(`${what}: element ${e} is ${got[e]}, expected ${want[e]}`);
  }
}

function expectGradClose(got: Float32Array, want: Float64Array, v: Float32Array, L: Layout, tau: number, what: string): void {
  for (const [o, j] of lines(L)) {
    const w = lineOf(want, L, o, j);
    const scale = Math.max(...w.map(Math.abs));
    const vmax = Math.max(...lineOf(v, L, o, j).map(Math.abs));
    const tol = 1e-5 * scale + (2 ** -20 * vmax) / tau;
    for (let c = 0; c < L.classes; c++) {
      const e = flat(L, o, c, j);
      if (!(Math.abs(got[e]! - want[e]!) <= tol)) throw new Error(`${what}: element ${e} (line ${o}, ${j}) is ${got[e]}, expected ${want[e]}`);
    }
  }
}

/** The shapes of the brief, and two whose lines run over more than one chunk. */
const CASES: Array<[readonly number[], number]> = [
  [[5, 3, 7], 0],
  [[5, 3, 7], 1],
  [[17, 6], 0],
  [[2, 33, 9], 1],
  [[2, 5, 70], 1],
  [[3, 130], 0],
];
const name = ([shape, axis]: [readonly number[], number]) => `[${shape.join(", ")}] axis ${axis}`;

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test.each(CASES.map((c) => [name(c), c] as const))("forward: one-hot at argmax(x + g), g the noise at each flat index; %s", (_, [shape, axis]) => {
    const L = layoutOf(shape, axis);
    const x = randomLogits(shape.length * 100 + axis, L, 3, 0.2);
    const seed = 2n ** 64n - 3n;
    const offset = 2n ** 32n - 50n; // the tensor straddles 2^32
    const g = gw.gumbelNoise(size(L), { seed, offset }) as Float32Array;
    const want = sampledRef(x, g, L);
    for (const op of ["rao", "gst"] as const) {
      for (const soft of [false, true]) {
        const r = run(gw, op, x, null, L, { tau: 0.5, param: op === "rao" ? 2 : 1, seed, offset, soft });
        expect(r.bad).toBe(-1);
        expect(oneHotIndex(r.dst, L)).toEqual(want);
      }
    }
    // Another offset samples other classes.
    const other = run(gw, "rao", x, null, L, { tau: 0.5, param: 1, seed, offset: offset + 1n });
    expect(firstBitDifference(other.dst, run(gw, "rao", x, null, L, { tau: 0.5, param: 1, seed, offset }).dst)).not.toBe(-1);
  });

  test.each(CASES.map((c) => [name(c), c] as const))("Gumbel-Rao forward soft and backward against the reference, line by line; %s", (_, [shape, axis]) => {
    const L = layoutOf(shape, axis);
    const x = randomLogits(shape.length * 200 + axis, L, 4, 0.15);
    const v = randomArray(shape.length * 300 + axis, size(L));
    for (const [tau, samples] of [[0.3, 1], [1, 3], [2.5, 2]] as const) {
      const o = { tau, param: samples, seed: 123n, offset: 40n, soft: true };
      const f = run(gw, "rao", x, null, L, o);
      const index = oneHotIndex(f.dst, L);
      const draws = drawsRef("rao", x, L, o, index);
      expectSoftClose(f.aux!, softRef(draws), tau, `soft tau=${tau} S=${samples}`);
      // z_i is the largest of every draw, so also of their mean.
      lines(L).forEach(([oo, j], line) => {
        const s = lineOf(f.aux!, L, oo, j);
        expect(s.indexOf(Math.max(...s))).toBe(index[line]);
      });
      const b = run(gw, "rao", x, v, L, o);
      expect(b.bad).toBe(-1);
      expectGradClose(b.dst, gradRef(draws, v, L, tau), v, L, tau, `backward tau=${tau} S=${samples}`);
    }
  });

  test.each(CASES.map((c) => [name(c), c] as const))("Gapped ST forward soft and backward against the reference (kappa 1, 0.25, adaptive); %s", (_, [shape, axis]) => {
    const L = layoutOf(shape, axis);
    const x = randomLogits(shape.length * 400 + axis, L, 4, 0.15);
    const v = randomArray(shape.length * 500 + axis, size(L));
    for (const [tau, kappa] of [[0.3, 1], [1, 0.25], [2.5, -1], [0.5, -1]] as const) {
      const o = { tau, param: kappa, seed: 77n, offset: 9n, soft: true };
      const f = run(gw, "gst", x, null, L, o);
      const index = oneHotIndex(f.dst, L);
      const draws = drawsRef("gst", x, L, o, index);
      expectSoftClose(f.aux!, draws[0]!, tau, `soft tau=${tau} kappa=${kappa}`);
      const b = run(gw, "gst", x, v, L, o);
      expect(b.bad).toBe(-1);
      expectGradClose(b.dst, gradRef(draws, v, L, tau), v, L, tau, `backward tau=${tau} kappa=${kappa}`);
    }
  });

  test("masked classes: never sampled, soft exactly 0, gradient exactly 0", () => {
    const L = layoutOf([4, 9, 11], 1);
    const x = randomLogits(5, L, 2, 0.5);
    const v = randomArray(6, size(L));
    const o = { tau: 0.5, seed: 9n, offset: 0n, soft: true };
    const outs = [
      run(gw, "rao", x, null, L, { ...o, param: 3 }),
      run(gw, "gst", x, null, L, { ...o, param: -1 }),
    ];
    const grads = [run(gw, "rao", x, v, L, { ...o, param: 3 }).dst, run(gw, "gst", x, v, L, { ...o, param: -1 }).dst];
    let masked = 0;
    for (let e = 0; e < x.length; e++) {
      if (x[e] !== -Infinity) continue;
      masked++;
      for (const r of outs) expect([r.dst[e], r.aux![e]]).toEqual([0, 0]);
      for (const d of grads) expect(d[e] === 0).toBe(true); // +0 or -0
    }
    expect(masked).toBeGreaterThan(size(L) * 0.3);
    for (const a of [...outs.flatMap((r) => [r.dst, r.aux!]), ...grads]) for (const y of a) expect(Number.isFinite(y)).toBe(true);
  });

  test("inner = 1: the row kernels' bits (forward one-hot and soft, backward), cols 1..20, 33, 63..65, 100, 300", () => {
    for (const cols of [...Array.from({ length: 20 }, (_, i) => i + 1), 33, 63, 64, 65, 100, 300]) {
      const L = { outer: 3, classes: cols, inner: 1 };
      const x = randomLogits(cols + 7, L, 4, 0.2);
      const v = randomArray(cols + 8, size(L));
      for (const [op, param] of [["rao", 1], ["rao", 3], ["gst", 1], ["gst", -1]] as const) {
        const o = { tau: 0.45, param, seed: 2n ** 63n + 5n, offset: BigInt(cols), soft: true };
        const a = run(gw, op, x, null, L, o);
        const b = run(gw, op, x, null, L, o, true);
        expectSameBits(a.dst, b.dst, `${op} ${param} cols ${cols} hard`);
        expectSameBits(a.aux!, b.aux!, `${op} ${param} cols ${cols} soft`);
        expectSameBits(run(gw, op, x, v, L, o).dst, run(gw, op, x, v, L, o, true).dst, `${op} ${param} cols ${cols} backward`);
      }
    }
  });

  test.each([
    ["NaN", FAULT_NAN, 1, 2, 3, Number.NaN],
    ["+Inf", FAULT_POS_INF, 0, 1, 5, Infinity],
  ] as const)("a %s: the first bad line (o * inner + j) and its fault, nothing written", (_, fault, o, c, j, value) => {
    const L = layoutOf([2, 4, 6], 1);
    const base = randomLogits(31, L, 2);
    const v = randomArray(32, size(L));
    const x = base.slice();
    x[flat(L, o, c, j)] = value;
    // A later line, all -Inf: not the first.
    for (let k = 0; k < L.classes; k++) x[flat(L, 1, k, 4)] = -Infinity;
    for (const op of ["rao", "gst"] as const) {
      for (const dy of [null, v]) {
        const r = run(gw, op, x, dy, L, { tau: 1, param: op === "rao" ? 2 : -1, seed: 5n, offset: 0n, soft: true });
        expect([r.bad, r.fault]).toEqual([o * L.inner + j, fault]);
        expect(r.dst.every((y) => y === SENTINEL)).toBe(true);
        if (r.aux) expect(r.aux.every((y) => y === SENTINEL)).toBe(true);
      }
    }
  });

  test("a line all -Inf (in the SIMD lanes and in the lines left over) is refused, nothing written", () => {
    const L = layoutOf([3, 5, 7], 1);
    for (const j of [2, 5]) {
      const x = randomLogits(41, L, 2);
      for (let c = 0; c < L.classes; c++) x[flat(L, 2, c, j)] = -Infinity;
      for (const op of ["rao", "gst"] as const) {
        const r = run(gw, op, x, null, L, { tau: 1, param: 1, seed: 5n, offset: 0n, soft: true });
        expect([r.bad, r.fault]).toEqual([2 * L.inner + j, FAULT_ALL_NEG_INF]);
        expect(r.dst.every((y) => y === SENTINEL) && r.aux!.every((y) => y === SENTINEL)).toBe(true);
      }
    }
  });
});

describe("SIMD == scalar, bit for bit", () => {
  let simd: GumbelWasm;
  let scalar: GumbelWasm;
  beforeAll(async () => {
    [simd, scalar] = await Promise.all([load("simd"), load("scalar")]);
  });

  test("inner 1..13, 63..66, 129; classes 1, 2, 5, 17 (masks): forward hard and soft, backward of both", () => {
    const inners = [...Array.from({ length: 13 }, (_, i) => i + 1), 63, 64, 65, 66, 129];
    for (const inner of inners) {
      for (const classes of [1, 2, 5, 17]) {
        const L = { outer: 2, classes, inner };
        const x = randomLogits(inner * 31 + classes, L, 4, 0.2);
        const v = randomArray(inner * 37 + classes, size(L));
        for (const [op, param] of [["rao", 3], ["gst", -1], ["gst", 1]] as const) {
          const o = { tau: 0.45, param, seed: 2n ** 64n - 1n, offset: BigInt(inner), soft: true };
          const a = run(simd, op, x, null, L, o);
          const b = run(scalar, op, x, null, L, o);
          const what = `${op} ${param} inner ${inner} classes ${classes}`;
          expectSameBits(a.dst, b.dst, `${what} hard`);
          expectSameBits(a.aux!, b.aux!, `${what} soft`);
          expectSameBits(run(simd, op, x, v, L, o).dst, run(scalar, op, x, v, L, o).dst, `${what} backward`);
        }
      }
    }
  });
});
