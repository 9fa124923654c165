// The strided softmax kernels (softmax_axis, log_softmax_axis, log_sum_exp_axis,
// softmax_grad_axis), called on pointers: per line, the bits of the row kernel on the input
// with the class axis moved last (a JS transpose), on both binaries; a bad line reported by
// its index, nothing written; agreement with the float64 reference. Then the calls
// (softmax, logSoftmax, logSumExp, softmaxBackward, softmaxJvp) with `shape` / `axis` /
// `keepDims`: the transposed `cols` call's bits, shapes kept or reduced, options and bad
// lines named, and the async forms split across two workers giving the same bits.
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { init as initDist, type GumbelWasm as DistGumbelWasm } from "../dist/node.js";
import { Pool } from "../dist/pool.js";
import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF } from "../src/abi.js";
import type { GumbelWasm, Tensor } from "../src/node.js";
import { checkSoftmaxBounds } from "./bounds.js";
import { firstBitDifference } from "./kernels.js";
import { logSoftmaxRef, logSumExpRef, softmaxDtauRef, softmaxRef, softmaxVjpRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";
import { fromRows, layoutOf, toRows, type Layout } from "./reference-axis.js";

const SENTINEL = 12345.5;

/**
 * Runs `f` with the arrays copied into wasm memory (one block each, `null`: none, pointer 0);
 * `outs` more blocks of the given lengths are filled with SENTINEL. Returns f's result and
 * every block's contents afterwards (inputs first).
 */
function run(gw: GumbelWasm, ins: readonly Float32Array[], outs: readonly number[], f: (ptrs: number[]) => number | void) {
  const all = [...ins.map((a) => a.length), ...outs];
  const ts = all.map((n) => gw.tensor(1, Math.max(1, n)));
  try {
    const view = (i: number) => new Float32Array(gw.memory.buffer, ts[i]!.byteOffset, all[i]!);
    ins.forEach((a, i) => view(i).set(a));
    for (let i = ins.length; i < all.length; i++) view(i).fill(SENTINEL);
    const result = f(ts.map((t) => t.byteOffset));
    return { result, blocks: all.map((_, i) => view(i).slice()) };
  } finally {
    for (const t of ts) t.free();
  }
}

/** Logits of scale `scale`, with some -Inf masks (never a whole line) and, if asked, huge values. */
function logits(seed: number, L: Layout, scale: number, extremes: boolean): Float32Array {
  const rnd = testRandom(seed);
  const x = Float32Array.from({ length: L.outer * L.classes * L.inner }, () => (rnd() * 2 - 1) * scale);
  if (L.classes > 1) {
    for (let i = 0; i < x.length; i++) if (rnd() < 0.15) x[i] = -Infinity;
    // Line 0 keeps class 0: it may be masked everywhere else.
    for (let o = 0; o < L.outer; o++) {
      for (let j = 0; j < L.inner; j++) x[(o * L.classes) * L.inner + j] = (rnd() * 2 - 1) * scale;
    }
  }
  if (extremes) {
    const big = [3e38, -3e38, 1e30, -1e30, 3e38, 0, -0];
    for (let i = 0; i < x.length; i += 3) x[i] = big[i % big.length]!;
  }
  return x;
}

/** Class axis first, middle, last; inner not a multiple of 4, of 4, 1; classes 1, < 4, >= 16. */
const SHAPES: [readonly number[], number][] = [
  [[5, 3, 7], 0], [[5, 3, 7], 1], [[5, 3, 7], 2], [[17, 6], 0], [[2, 33, 9], 1], [[3, 20, 8], 1], [[4, 1, 5], 1],
  [[2, 2, 13], 1], [[40, 3], 0], [[1, 64, 4], 1], [[6, 2, 1, 3], 1], [[2, 5, 2], 1],
];
const TAUS = [1, 0.37, 3, 1e-30];

type Op = "softmax" | "log_softmax" | "log_sum_exp";
const OPS: Op[] = ["softmax", "log_softmax", "log_sum_exp"];

/** The strided kernel on x, and the row kernel on x transposed (its result transposed back). */
function both(gw: GumbelWasm, op: Op, x: Float32Array, L: Layout, tau: number) {
  const n = x.length;
  const lines = L.outer * L.inner;
  const outN = op === "log_sum_exp" ? lines : n;
  const k = gw.kernels;
  const axisFn = op === "softmax" ? k.softmax_axis : op === "log_softmax" ? k.log_softmax_axis : k.log_sum_exp_axis;
  const rowFn = op === "softmax" ? k.softmax : op === "log_softmax" ? k.log_softmax : k.log_sum_exp;
  const a = run(gw, [x], [outN], ([xp, dp]) => axisFn(xp!, dp!, L.outer, L.classes * L.inner, L.inner, tau));
  const r = run(gw, [toRows(x, L)], [outN], ([xp, dp]) => rowFn(xp!, dp!, lines, L.classes, tau));
  const row = op === "log_sum_exp" ? r.blocks[1]! : fromRows(r.blocks[1]!, L);
  return { axis: a.blocks[1]!, row, axisResult: a.result, rowResult: r.result, input: a.blocks[0]! };
}

describe.each(backends)("%s binary", (backend) => {
  test.each(SHAPES)("softmax, logSoftmax, logSumExp along an axis: the row kernel's bits, shape %j axis %i", async (shape, axis) => {
    const gw = await load(backend);
    const L = layoutOf(shape, axis);
    let seed = 1;
    for (const op of OPS) {
      for (const tau of TAUS) {
        for (const [scale, extremes] of [[1, false], [30, false], [5, true]] as const) {
          const x = logits(seed++, L, scale, extremes);
          const got = both(gw, op, x, L, tau);
          expect(got.axisResult).toBe(-1);
          expect(got.rowResult).toBe(-1);
          const at = firstBitDifference(got.axis, got.row);
          if (at !== -1) throw new Error(`${op} tau ${tau} scale ${scale}: bits differ at ${at}: ${got.axis[at]} vs ${got.row[at]}`);
          expect(firstBitDifference(got.input, x)).toBe(-1); // the input untouched
        }
      }
    }
  });

  test("softmax_axis and log_softmax_axis in place (dst = x) give the same bits", async () => {
    const gw = await load(backend);
    const L = layoutOf([3, 11, 6], 1);
    const x = logits(5, L, 4, false);
    for (const op of ["softmax", "log_softmax"] as const) {
      const fn = op === "softmax" ? gw.kernels.softmax_axis : gw.kernels.log_softmax_axis;
      const inPlace = run(gw, [x], [], ([p]) => fn(p!, p!, L.outer, L.classes * L.inner, L.inner, 0.8));
      expect(inPlace.result).toBe(-1);
      expect(firstBitDifference(inPlace.blocks[0]!, both(gw, op, x, L, 0.8).row)).toBe(-1);
    }
  });

  test("a zero maximum counts as +0, as in rowMax: log_softmax of [-0, -Inf] is -0 - +0 - log 1 = -0", async () => {
    const gw = await load(backend);
    // Lines of two classes, inner 5: class 0 is -0 everywhere, class 1 masked.
    const L = { outer: 2, classes: 2, inner: 5 };
    const x = new Float32Array(20);
    for (let o = 0; o < 2; o++) for (let j = 0; j < 5; j++) [x[o * 10 + j], x[o * 10 + 5 + j]] = [-0, -Infinity];
    const got = both(gw, "log_softmax", x, L, 1);
    expect(firstBitDifference(got.axis, got.row)).toBe(-1);
    for (let o = 0; o < 2; o++) for (let j = 0; j < 5; j++) expect(Object.is(got.axis[o * 10 + j], -0)).toBe(true);
  });

  test.each(SHAPES)("a bad line (NaN, +Inf, all -Inf) is returned by its index, nothing written, shape %j axis %i", async (shape, axis) => {
    const gw = await load(backend);
    const L = layoutOf(shape, axis);
    const lines = L.outer * L.inner;
    const cases: [number, number][] = [[Number.NaN, FAULT_NAN], [Infinity, FAULT_POS_INF], [-Infinity, FAULT_ALL_NEG_INF]];
    // A line in a group of four, the last line (left over when inner % 4 != 0), the first.
    const picks = [...new Set([0, Math.min(lines - 1, 5), lines - 1, Math.floor(lines / 2)])];
    for (const op of OPS) {
      for (const line of picks) {
        for (const [bad, fault] of cases) {
          const x = logits(line + 3, L, 2, false);
          const o = Math.floor(line / L.inner);
          const j = line % L.inner;
          const c = L.classes - 1;
          if (bad === -Infinity) for (let k = 0; k < L.classes; k++) x[(o * L.classes + k) * L.inner + j] = -Infinity;
          else x[(o * L.classes + c) * L.inner + j] = bad;
          // A later line bad too: the first one is reported.
          if (line + 1 < lines) x[Math.floor((line + 1) / L.inner) * L.classes * L.inner + ((line + 1) % L.inner)] = Number.NaN;
          const got = both(gw, op, x, L, 1);
          expect(got.axisResult).toBe(line);
          expect(got.rowResult).toBe(line);
          expect(gw.kernels.check_fault()).toBe(fault);
          expect(got.axis.every((v) => v === SENTINEL)).toBe(true);
        }
      }
    }
  });

  test("the strided kernels agree with the float64 reference (the row kernels' stated accuracy)", async () => {
    const gw = await load(backend);
    for (const [shape, axis] of [[[7, 10, 6], 1], [[33, 5], 0], [[3, 67, 3], 1], [[1000, 5], 0]] as const) {
      const L = layoutOf(shape, axis);
      for (const tau of [0.1, 1, 3]) {
        const x = logits(shape[0] + axis, L, 10, false);
        const xr = toRows(x, L);
        const sm = both(gw, "softmax", x, L, tau).axis;
        checkSoftmaxBounds(xr, toRows(sm, L), L.classes, tau);
        const ls = toRows(both(gw, "log_softmax", x, L, tau).axis, L);
        const lsRef = logSoftmaxRef(xr, L.classes, tau);
        for (let i = 0; i < ls.length; i++) {
          if (ls[i] === -Infinity && lsRef[i] === -Infinity) continue;
          if (!(Math.abs(ls[i]! - lsRef[i]!) <= 5e-7 * Math.max(1, Math.abs(lsRef[i]!)))) throw new Error(`logSoftmax at ${i}: ${ls[i]} vs ${lsRef[i]}`);
        }
        const lse = both(gw, "log_sum_exp", x, L, tau).axis;
        const lseRef = logSumExpRef(xr, L.classes, tau);
        for (let l = 0; l < lse.length; l++) {
          if (!(Math.abs(lse[l]! - lseRef[l]!) <= 5e-7 * Math.max(1, Math.abs(lseRef[l]!)))) throw new Error(`logSumExp line ${l}: ${lse[l]} vs ${lseRef[l]}`);
        }
      }
    }
  });
});

// ---------------------------------------------------------------- softmax_grad_axis

/** softmax_grad_axis on (y, v), and softmax_grad on them transposed (results transposed back). */
function gradBoth(gw: GumbelWasm, y: Float32Array, v: Float32Array, L: Layout, tau: number, withDtau: boolean) {
  const n = y.length;
  const lines = L.outer * L.inner;
  const k = gw.kernels;
  const a = run(gw, [y, v], [n, lines], ([yp, vp, dp, tp]) => k.softmax_grad_axis(yp!, vp!, dp!, withDtau ? tp! : 0, L.outer, L.classes * L.inner, L.inner, tau));
  const r = run(gw, [toRows(y, L), toRows(v, L)], [n, lines], ([yp, vp, dp, tp]) => k.softmax_grad(yp!, vp!, dp!, withDtau ? tp! : 0, lines, L.classes, tau));
  return { dx: a.blocks[2]!, dtau: a.blocks[3]!, rowDx: fromRows(r.blocks[2]!, L), rowDtau: r.blocks[3]! };
}

/** A softmax output along the axis (exact zeros where x is masked), from the row kernel. */
function softmaxAlong(gw: GumbelWasm, x: Float32Array, L: Layout, tau: number): Float32Array {
  const lines = L.outer * L.inner;
  const r = run(gw, [toRows(x, L)], [x.length], ([xp, dp]) => gw.kernels.softmax(xp!, dp!, lines, L.classes, tau));
  return fromRows(r.blocks[1]!, L);
}

function upstream(seed: number, n: number, scale: number): Float32Array {
  const rnd = testRandom(seed);
  return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
}

describe.each(backends)("%s binary: softmax_grad_axis", (backend) => {
  test.each(SHAPES)("dlogits and dtau: the row kernel's bits, shape %j axis %i", async (shape, axis) => {
    const gw = await load(backend);
    const L = layoutOf(shape, axis);
    let seed = 100;
    for (const tau of [1, 0.3, 2.5]) {
      for (const scale of [1, 20]) {
        const x = logits(seed++, L, scale, false);
        const y = softmaxAlong(gw, x, L, tau);
        const v = upstream(seed++, x.length, 3);
        for (const withDtau of [true, false]) {
          const got = gradBoth(gw, y, v, L, tau, withDtau);
          const at = firstBitDifference(got.dx, got.rowDx);
          if (at !== -1) throw new Error(`tau ${tau} dtau ${withDtau}: dlogits bits differ at ${at}: ${got.dx[at]} vs ${got.rowDx[at]}`);
          if (withDtau) expect(firstBitDifference(got.dtau, got.rowDtau)).toBe(-1);
          else expect(got.dtau.every((t) => t === SENTINEL)).toBe(true); // dtau pointer 0: not written
        }
      }
    }
  });

  test("the JVP form (any tangent, y with zeros) and in place (dst = v): the row kernel's bits", async () => {
    const gw = await load(backend);
    const L = layoutOf([4, 9, 10], 1);
    const y = softmaxAlong(gw, logits(7, L, 6, false), L, 0.5);
    const t = upstream(8, y.length, 100);
    const got = gradBoth(gw, y, t, L, 0.5, true);
    expect(firstBitDifference(got.dx, got.rowDx)).toBe(-1);
    expect(firstBitDifference(got.dtau, got.rowDtau)).toBe(-1);
    const lines = L.outer * L.inner;
    const inPlace = run(gw, [y, t], [lines], ([yp, vp, tp]) => gw.kernels.softmax_grad_axis(yp!, vp!, vp!, tp!, L.outer, L.classes * L.inner, L.inner, 0.5));
    expect(firstBitDifference(inPlace.blocks[1]!, got.rowDx)).toBe(-1);
    expect(firstBitDifference(inPlace.blocks[2]!, got.rowDtau)).toBe(-1);
  });

  test("dlogits and dtau agree with the float64 reference", async () => {
    const gw = await load(backend);
    for (const [shape, axis] of [[[5, 10, 7], 1], [[33, 6], 0], [[2, 40, 3], 1]] as const) {
      const L = layoutOf(shape, axis);
      for (const tau of [0.3, 1, 2.5]) {
        const x = logits(shape[1] + axis, L, 2, false);
        const y = softmaxAlong(gw, x, L, tau);
        const v = upstream(shape[0], x.length, 1);
        const got = gradBoth(gw, y, v, L, tau, true);
        const xr = toRows(x, L);
        const vr = toRows(v, L);
        const dx = toRows(got.dx, L);
        // dlogits from the float32 y: within 1e-5 of the line's largest |ref| plus v - <v, y>'s cancellation.
        const want = softmaxVjpRef(toRows(y, L), vr, L.classes, tau);
        const lines = L.outer * L.inner;
        for (let l = 0; l < lines; l++) {
          let scale = 0;
          let vmax = 0;
          let err = 0;
          for (let c = 0; c < L.classes; c++) {
            const i = l * L.classes + c;
            scale = Math.max(scale, Math.abs(want[i]!));
            vmax = Math.max(vmax, Math.abs(vr[i]!));
            err = Math.max(err, Math.abs(dx[i]! - want[i]!));
          }
          if (!(err <= 1e-5 * scale + (2 ** -20 * vmax) / tau)) throw new Error(`line ${l}: dlogits off by ${err}`);
        }
        // dtau from the logits: the README's bound (test/grad.test.ts).
        const dtRef = softmaxDtauRef(xr, vr, L.classes, tau);
        const dxRef = softmaxVjpRef(softmaxRef(xr, L.classes, tau), vr, L.classes, tau);
        for (let l = 0; l < lines; l++) {
          let m = -Infinity;
          for (let c = 0; c < L.classes; c++) m = Math.max(m, xr[l * L.classes + c]!);
          let bound = 0;
          let big = 0;
          let vmax = 0;
          for (let c = 0; c < L.classes; c++) {
            const i = l * L.classes + c;
            if (xr[i] === -Infinity) continue;
            bound += Math.abs(dxRef[i]!) * (1 + Math.abs(xr[i]! - m) / tau);
            big = Math.max(big, Math.abs(dxRef[i]!));
            vmax = Math.max(vmax, Math.abs(vr[i]!));
          }
          const tol = 2 ** -17 * bound + (1e-5 * big + (2 ** -20 * vmax) / tau) * (1 + Math.log(L.classes)) + 1e-7;
          if (!(Math.abs(got.dtau[l]! - dtRef[l]!) <= tol)) throw new Error(`line ${l}: dtau ${got.dtau[l]} vs ${dtRef[l]} (tolerance ${tol})`);
        }
      }
    }
  });
});

// ---------------------------------------------------------------- the calls: shape, axis, keepDims

/** [shape, axis] for the calls: the axis first, middle, last (also negative), 4-d, a class axis of 1. */
const CALL_SHAPES: [number[], number][] = [
  [[5, 3, 7], 0], [[5, 3, 7], 1], [[5, 3, 7], -2], [[5, 3, 7], 2], [[2, 33, 9], 1], [[17, 6], 0], [[2, 3, 4, 5], 1],
  [[2, 3, 4, 5], -3], [[2, 3, 4, 5], 2], [[4, 1, 5], 1], [[3, 18, 2], 1],
];

const norm = (shape: readonly number[], axis: number) => (axis < 0 ? axis + shape.length : axis);
const bitsEqual = (a: ArrayLike<number> & ArrayBufferView, b: ArrayLike<number> & ArrayBufferView, what: string) => {
  const at = firstBitDifference(a as Float32Array, b as Float32Array);
  if (at !== -1) throw new Error(`${what}: bits differ at ${at}: ${(a as Float32Array)[at]} vs ${(b as Float32Array)[at]}`);
};

/** Every call along `axis` of `shape` (arrays in and out), and the transposed cols call's bits. */
function callsBoth(gw: GumbelWasm, shape: number[], axis: number, seed: number) {
  const L = layoutOf(shape, norm(shape, axis));
  const x = logits(seed, L, 4, false);
  const dy = upstream(seed + 1, x.length, 2);
  const cols = L.classes;
  const xr = toRows(x, L);
  const dyr = toRows(dy, L);
  const o = { shape, axis, tau: 0.7 };
  const y = gw.softmax(x, o);
  const yr = gw.softmax(xr, { cols, tau: 0.7 });
  const back = gw.softmaxBackward(y, dy, { ...o, dtau: true });
  const backR = gw.softmaxBackward(yr, dyr, { cols, tau: 0.7, dtau: true });
  return {
    got: {
      softmax: y,
      logSoftmax: gw.logSoftmax(x, o),
      logSumExp: gw.logSumExp(x, o),
      logSumExpKept: gw.logSumExp(x, { ...o, keepDims: true }),
      dlogits: back.dlogits,
      dtau: back.dtau,
      dlogitsOnly: gw.softmaxBackward(y, dy, o).dlogits,
      jvp: gw.softmaxJvp(y, dy, o),
    },
    want: {
      softmax: fromRows(yr, L),
      logSoftmax: fromRows(gw.logSoftmax(xr, { cols, tau: 0.7 }), L),
      logSumExp: gw.logSumExp(xr, { cols, tau: 0.7 }),
      logSumExpKept: gw.logSumExp(xr, { cols, tau: 0.7 }),
      dlogits: fromRows(backR.dlogits, L),
      dtau: backR.dtau,
      dlogitsOnly: fromRows(backR.dlogits, L),
      jvp: fromRows(gw.softmaxJvp(yr, dyr, { cols, tau: 0.7 }), L),
    },
    x, dy, L,
  };
}

describe.each(backends)("%s: softmax and its gradients along any axis", (backend) => {
  test.each(CALL_SHAPES)("every call = the transposed cols call's bits, shape %j axis %i", async (shape, axis) => {
    const gw = await load(backend);
    const { got, want } = callsBoth(gw, shape, axis, shape.length * 10 + axis);
    for (const k of Object.keys(want) as Array<keyof typeof want>) bitsEqual(got[k], want[k], k);
  });

  test("cols with an axis: [length / cols, cols] along axis 0 is the transposed matrix", async () => {
    const gw = await load(backend);
    const L = { outer: 1, classes: 9, inner: 4 };
    const x = logits(41, L, 3, false);
    bitsEqual(gw.softmax(x, { cols: 4, axis: 0 }), fromRows(gw.softmax(toRows(x, L), { cols: 9 }), L), "softmax");
    bitsEqual(gw.logSumExp(x, { cols: 4, axis: -2 }), gw.logSumExp(toRows(x, L), { cols: 9 }), "logSumExp");
  });

  test("tensors carry the shape: outputs keep it, reductions drop the axis or keep it as 1", async () => {
    const gw = await load(backend);
    const shape = [2, 3, 4, 5];
    const { want, x, dy } = callsBoth(gw, shape, 1, 21);
    const tx = gw.tensorFrom(x, shape);
    const tdy = gw.tensorFrom(dy, shape);
    const made: Tensor[] = [tx, tdy];
    const keep = <T extends Tensor>(t: T) => (made.push(t), t);
    const y = keep(gw.softmax(tx, { axis: 1, tau: 0.7 }));
    expect(y.shape).toEqual(shape);
    bitsEqual(y.data, want.softmax, "softmax");
    const ls = keep(gw.logSoftmax(tx, { axis: -3, tau: 0.7 }));
    expect(ls.shape).toEqual(shape);
    bitsEqual(ls.data, want.logSoftmax, "logSoftmax");
    const lse = keep(gw.logSumExp(tx, { axis: 1, tau: 0.7 }));
    expect(lse.shape).toEqual([2, 4, 5]);
    bitsEqual(lse.data, want.logSumExp, "logSumExp");
    const kept = keep(gw.logSumExp(tx, { axis: 1, tau: 0.7, keepDims: true }));
    expect(kept.shape).toEqual([2, 1, 4, 5]);
    bitsEqual(kept.data, want.logSumExp, "logSumExp keepDims");
    const b = gw.softmaxBackward(y, tdy, { axis: 1, tau: 0.7, dtau: true });
    keep(b.dlogits);
    keep(b.dtau);
    expect(b.dlogits.shape).toEqual(shape);
    expect(b.dtau.shape).toEqual([2, 4, 5]);
    bitsEqual(b.dlogits.data, want.dlogits, "dlogits");
    bitsEqual(b.dtau.data, want.dtau, "dtau");
    const bk = gw.softmaxBackward(y, tdy, { axis: 1, tau: 0.7, keepDims: true, dtau: true });
    keep(bk.dlogits);
    keep(bk.dtau);
    expect(bk.dtau.shape).toEqual([2, 1, 4, 5]);
    bitsEqual(bk.dtau.data, want.dtau, "dtau keepDims");
    const j = keep(gw.softmaxJvp(y, tdy, { axis: 1, tau: 0.7 }));
    expect(j.shape).toEqual(shape);
    bitsEqual(j.data, want.jvp, "jvp");
    // Written in place into out tensors (and dtauOut), the same bits.
    const out = keep(gw.tensor(shape));
    const dtOut = keep(gw.tensor([2, 4, 5]));
    expect(gw.softmax(tx, { axis: 1, tau: 0.7, out })).toBe(out);
    bitsEqual(out.data, want.softmax, "softmax out");
    const r = gw.softmaxBackward(y, tdy, { axis: 1, tau: 0.7, out, dtauOut: dtOut });
    expect(r.dlogits).toBe(out);
    expect(r.dtau).toBe(dtOut);
    bitsEqual(dtOut.data, want.dtau, "dtauOut");
    for (const t of made) t.free();
  });

  test("options refused by name on every call, nothing written", async () => {
    const gw = await load(backend);
    const x = upstream(3, 24, 2);
    const out = new Float32Array(24).fill(SENTINEL);
    const dtauOut = new Float32Array(8).fill(SENTINEL);
    const calls: Array<[string, (o: object) => unknown]> = [
      ["softmax", (o) => gw.softmax(x, { ...o, out } as never)],
      ["logSoftmax", (o) => gw.logSoftmax(x, { ...o, out } as never)],
      ["logSumExp", (o) => gw.logSumExp(x, { ...o, out: new Float32Array(out.buffer, 0, 8) } as never)],
      ["softmaxBackward", (o) => gw.softmaxBackward(x, x, { ...o, out, dtauOut } as never)],
      ["softmaxJvp", (o) => gw.softmaxJvp(x, x, { ...o, out } as never)],
    ];
    for (const [fn, f] of calls) {
      const bad: Array<[object, RegExp]> = [
        [{ shape: [2, 3, 4], axis: 3 }, new RegExp(`^${fn}: axis must be an integer from -3 to 2 for a shape of 3 dimensions, got 3$`)],
        [{ shape: [2, 3, 4], axis: -4 }, new RegExp(`^${fn}: axis must be an integer from -3 to 2`)],
        [{ shape: [2, 3, 5], axis: 1 }, new RegExp(`^${fn}: shape \\[2, 3, 5\\] holds 30 elements but (x|y) has 24$`)],
        [{ shape: [2, 3.5, 4], axis: 1 }, new RegExp(`^${fn}: shape\\[1\\] must be an integer from 0 to 2147483647, got 3.5$`)],
        [{ shape: [2, 3, 4], cols: 4, axis: 1 }, new RegExp(`^${fn}: give cols or shape, not both$`)],
        [{ shape: [2, 3, 4], axis: 1, tau: [1, 1, 1, 1, 1, 1, 1, 1] }, new RegExp(`^${fn}: tau as one temperature per row needs the classes on the last axis; got axis 1 of shape \\[2, 3, 4\\]: give one number$`)],
        [{ shape: [2, 3, 4], axis: 1, tau: [1, 2] }, new RegExp(`^${fn}: tau as one temperature per row needs the classes on the last axis`)],
        [{ shape: [2, 3, 4], axis: 1, tau: 0 }, new RegExp(`^${fn}: tau must be`)],
      ];
      for (const [o, re] of bad) expect(() => f(o), `${fn} ${JSON.stringify(o)}`).toThrow(re);
    }
    expect(out.every((v) => v === SENTINEL)).toBe(true);
    expect(dtauOut.every((v) => v === SENTINEL)).toBe(true);
    // A per-row tau still works with the classes last (axis -1 of a shape): the row kernels.
    const taus = [0.5, 1, 2, 3, 0.7, 1.5];
    bitsEqual(gw.softmax(x, { shape: [2, 3, 4], axis: -1, tau: taus }), gw.softmax(x, { cols: 4, tau: taus }), "per-row tau");
  });

  test("a bad line is named by its index in the shape, nothing written", async () => {
    const gw = await load(backend);
    const shape = [2, 3, 4];
    const L = layoutOf(shape, 1);
    const calls: Array<[string, (x: Float32Array, out: Float32Array) => unknown]> = [
      ["softmax", (x, out) => gw.softmax(x, { shape, axis: 1, out })],
      ["logSoftmax", (x, out) => gw.logSoftmax(x, { shape, axis: 1, out })],
      ["logSumExp", (x, out) => gw.logSumExp(x, { shape, axis: 1, out: out.subarray(0, 8) })],
    ];
    const at = (o: number, c: number, j: number) => (o * L.classes + c) * L.inner + j;
    const cases: Array<[(x: Float32Array) => void, string]> = [
      [(x) => (x[at(1, 2, 3)] = NaN), "x\\[1, 2, 3\\] is NaN"],
      [(x) => (x[at(0, 1, 2)] = Infinity), "x\\[0, 1, 2\\] is \\+Inf \\(only -Inf, a mask, is allowed\\)"],
      [(x) => [0, 1, 2].forEach((c) => (x[at(1, c, 0)] = -Infinity)), "x\\[1, :, 0\\] is all -Inf: at least one class must be unmasked"],
    ];
    for (const [fn, f] of calls) {
      for (const [plant, msg] of cases) {
        const x = logits(9, L, 2, false);
        plant(x);
        const out = new Float32Array(24).fill(SENTINEL);
        expect(() => f(x, out), fn).toThrow(new RegExp(`^${fn}: ${msg}$`));
        expect(out.every((v) => v === SENTINEL)).toBe(true);
        // A tensor input: the fresh output is not handed out; the error names the same element.
        const t = gw.tensorFrom(x, shape);
        expect(() => (fn === "softmax" ? gw.softmax(t, { axis: 1 }) : fn === "logSoftmax" ? gw.logSoftmax(t, { axis: 1 }) : gw.logSumExp(t, { axis: 1 }))).toThrow(new RegExp(`^${fn}: ${msg}$`));
        t.free();
      }
    }
  });
});

// ---------------------------------------------------------------- async: two workers, the same bits

describe("async along an axis on 2 threads: the sync bits, rows split across the workers", () => {
  let pool: DistGumbelWasm;
  let single: DistGumbelWasm;
  beforeAll(async () => {
    single = await initDist({ backend: "simd" });
    pool = await initDist({ backend: "simd", threads: 2, threadThreshold: 0 });
  });
  afterAll(async () => {
    await pool.close();
  });

  test.each([[[6, 5, 7], 1], [[9, 40, 33], 1], [[4, 3, 1000], -2], [[3, 7, 2, 6], 2], [[37, 11], 0]] as [number[], number][])(
    "shape %j axis %i",
    async (shape, axis) => {
      const L = layoutOf(shape, norm(shape, axis));
      const x = logits(shape[0]! + shape.length, L, 5, false);
      const dy = upstream(7, x.length, 2);
      const o = { shape, axis, tau: 0.8 };
      const y = single.softmax(x, o);
      const sync = {
        softmax: single.softmax(x, o),
        logSoftmax: single.logSoftmax(x, o),
        backward: single.softmaxBackward(y, dy, { ...o, dtau: true }),
        jvp: single.softmaxJvp(y, dy, o),
      };
      const calls = vi.spyOn(Pool.prototype, "call");
      const got = {
        softmax: await pool.softmaxAsync(x, o),
        logSoftmax: await pool.logSoftmaxAsync(x, o),
        backward: await pool.softmaxBackwardAsync(y, dy, { ...o, dtau: true }),
        jvp: await pool.softmaxJvpAsync(y, dy, o),
      };
      // Split across both workers whenever there are two slices (outer >= 2).
      if (L.outer >= 2) expect(calls.mock.calls.length).toBeGreaterThanOrEqual(8);
      calls.mockRestore();
      bitsEqual(got.softmax, sync.softmax, "softmax");
      bitsEqual(got.logSoftmax, sync.logSoftmax, "logSoftmax");
      bitsEqual(got.backward.dlogits, sync.backward.dlogits, "dlogits");
      bitsEqual(got.backward.dtau, sync.backward.dtau, "dtau");
      bitsEqual(got.jvp, sync.jvp, "jvp");
      // And the sync call on the pool's instance: the same bits again.
      bitsEqual(pool.softmax(x, o), sync.softmax, "pool sync softmax");
    },
  );

  test("a bad line rejects with its index in the shape, nothing written, the pool still usable", async () => {
    const shape = [8, 5, 6];
    const L = layoutOf(shape, 1);
    const x = logits(3, L, 2, false);
    x[(6 * 5 + 4) * 6 + 5] = NaN;
    const out = new Float32Array(x.length).fill(SENTINEL);
    await expect(pool.softmaxAsync(x, { shape, axis: 1, out })).rejects.toThrow(/^softmax: x\[6, 4, 5\] is NaN$/);
    expect(out.every((v) => v === SENTINEL)).toBe(true);
    x[(6 * 5 + 4) * 6 + 5] = 0;
    bitsEqual(await pool.softmaxAsync(x, { shape, axis: 1 }), single.softmax(x, { shape, axis: 1 }), "after the error");
  });
});
