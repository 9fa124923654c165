// The strided kernels of the calls with noise (gumbel_softmax_axis, gumbel_max_axis,
// log_probs_axis), called on tensors through gw.kernels. The contract: element (o, c, j) of an
// outer x classes x inner input gets the noise of its row-major index (gumbelNoise's value at
// o * classes * inner + c * inner + j), so the axis never changes which noise an element gets.
// Checked against JS on that noise: Gumbel-Max's index is the first argmax of float32(x + g)
// along the line, exactly; the hard sample its one-hot; the soft sample is, bit for bit, the
// softmax kernel's on the line's float32 sums (the same arithmetic as the row kernels), and
// within the stated accuracy of the float64 softmax((x + g) / tau). SIMD == scalar; a stream
// counter crossing 2^32 (the noise then from an independent Philox reference); bad lines named
// with nothing written; log_probs_axis < 1 ULP (log_f32's bits), refusals naming the line.
import { beforeAll, describe, expect, test } from "vitest";
import { FAULT_ALL_NEG_INF, FAULT_ALL_ZERO, FAULT_NAN, FAULT_NOT_PROB, FAULT_POS_INF } from "../src/abi.js";
import type { GumbelWasm } from "../src/node.js";
import { checkSoftmaxBounds } from "./bounds.js";
import { applyKernel, expectSameBits as same } from "./kernels.js";
import { streamBitsRef, testRandom, ulpError } from "./reference.js";
import { backends, load } from "./setup.js";
import { layoutOf, lineArgmax, toRows, type Layout } from "./reference-axis.js";

/** outer x classes x inner, from a shape and the classes' axis. */
/** The shapes and axes of the contract tests: classes first, in the middle, last; inner not a multiple of 4. */
const CASES: Array<[number[], number]> = [
  [[5, 3, 7], 0],
  [[5, 3, 7], 1],
  [[5, 3, 7], 2],
  [[17, 6], 0],
  [[2, 33, 9], 1],
  [[4, 1, 5], 1], // one class
  [[3, 2, 10], 1], // two classes
  [[2, 40, 13], 1], // 16+ classes, inner % 4 = 1
  [[2, 19, 4], -2],
  [[60, 3, 4], 1], // short slices, many per noise draw
  [[2, 300, 5], 1], // slices longer than a noise tile (gumbel_max_axis: blocks of classes)
  [[1, 600, 7], 1], // many blocks of classes
  [[2, 3, 1100], 1], // lines wider than a tile (gumbel_max_axis: tiles of lines, one class at a time)
  [[3, 70, 2, 3], 1], // inner 6
];

/** Random logits, about `masked` of them -Inf, never a whole line. */
function logits(seed: number, L: Layout, masked = 0.15, scale = 3): Float32Array {
  const rnd = testRandom(seed);
  const n = L.outer * L.classes * L.inner;
  const x = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  for (let i = 0; i < n; i++) if (rnd() < masked) x[i] = -Infinity;
  for (let o = 0; o < L.outer; o++) {
    for (let j = 0; j < L.inner; j++) x[(o * L.classes + ((o + j) % L.classes)) * L.inner + j] = (rnd() * 2 - 1) * scale; // one live class
  }
  return x;
}

/** The stream's key and counter words, as the kernels take them. */
function words(seed: bigint, offset: bigint): [number, number, number, number] {
  const m = 0xffffffffn;
  return [Number(seed & m), Number(seed >> 32n), Number(offset & m), Number(offset >> 32n)];
}

const SENTINEL = 12345.5;

interface SoftmaxRun {
  bad: number;
  fault: number;
  y: Float32Array;
  soft: Float32Array | null;
}

/** gumbel_softmax_axis on tensor copies of x (outputs prefilled with a sentinel). */
function softmaxAxis(gw: GumbelWasm, x: Float32Array, L: Layout, tau: number, hard: boolean, withSoft: boolean, seed: bigint, offset: bigint): SoftmaxRun {
  const cols = L.classes * L.inner;
  const src = gw.tensorFrom(x, cols);
  const dst = gw.tensor(L.outer, cols);
  const soft = withSoft ? gw.tensor(L.outer, cols) : null;
  try {
    dst.data.fill(SENTINEL);
    soft?.data.fill(SENTINEL);
    const bad = gw.kernels.gumbel_softmax_axis(src.byteOffset, dst.byteOffset, soft ? soft.byteOffset : 0, L.outer, cols, L.inner, tau, hard ? 1 : 0, ...words(seed, offset));
    return { bad, fault: gw.kernels.check_fault(), y: dst.data.slice(), soft: soft ? soft.data.slice() : null };
  } finally {
    src.free();
    dst.free();
    soft?.free();
  }
}

/** gumbel_max_axis on a tensor copy of x (output prefilled with -7). */
function maxAxis(gw: GumbelWasm, x: Float32Array, L: Layout, seed: bigint, offset: bigint): { bad: number; fault: number; idx: Int32Array } {
  const cols = L.classes * L.inner;
  const src = gw.tensorFrom(x, cols);
  const dst = gw.tensor(L.outer, L.inner, "int32");
  try {
    dst.data.fill(-7);
    const bad = gw.kernels.gumbel_max_axis(src.byteOffset, dst.byteOffset, L.outer, cols, L.inner, ...words(seed, offset));
    return { bad, fault: gw.kernels.check_fault(), idx: dst.data.slice() };
  } finally {
    src.free();
    dst.free();
  }
}

/** log_probs_axis on a tensor copy of p. */
function logProbsAxis(gw: GumbelWasm, p: Float32Array, L: Layout): { bad: number; fault: number; logs: Float32Array } {
  const cols = L.classes * L.inner;
  const src = gw.tensorFrom(p, cols);
  const dst = gw.tensor(L.outer, cols);
  try {
    const bad = gw.kernels.log_probs_axis(src.byteOffset, dst.byteOffset, L.outer, cols, L.inner);
    return { bad, fault: gw.kernels.check_fault(), logs: dst.data.slice() };
  } finally {
    src.free();
    dst.free();
  }
}

/** The noise of elements offset .. offset+n-1 from an independent reference: our Philox in JS, the kernels' transform of its words. */
function referenceNoise(gw: GumbelWasm, seed: bigint, offset: bigint, n: number): Float32Array {
  return applyKernel(gw, "gumbel_from_bits", streamBitsRef(seed, offset, n));
}

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test("gumbel_max_axis = first argmax of float32(x + noise[row-major index]) along each line; hard gumbel_softmax_axis its one-hot", () => {
    for (const [shape, axis] of CASES) {
      const L = layoutOf(shape, axis);
      const n = L.outer * L.classes * L.inner;
      const x = logits(n + L.classes, L);
      const seed = 0x1234_5678_9abcn + BigInt(n);
      const offset = BigInt(n % 13);
      const g = gw.gumbelNoise(n, { seed, offset: Number(offset) }) as Float32Array;
      const want = lineArgmax(x.map((v, i) => v + g[i]!), L);
      const got = maxAxis(gw, x, L, seed, offset);
      expect(got.bad, `${shape} axis ${axis}`).toBe(-1);
      expect(got.idx, `${shape} axis ${axis}`).toEqual(want);
      for (const withSoft of [false, true]) {
        const h = softmaxAxis(gw, x, L, 0.5, true, withSoft, seed, offset);
        expect(h.bad).toBe(-1);
        const hot = new Float32Array(n);
        for (let o = 0; o < L.outer; o++) for (let j = 0; j < L.inner; j++) hot[(o * L.classes + want[o * L.inner + j]!) * L.inner + j] = 1;
        same(h.y, hot, `hard ${shape} axis ${axis} soft ${withSoft}`);
      }
    }
  });

  test("gumbel_softmax_axis: the softmax kernel's bits on each line's float32 (x + noise), within the stated accuracy of float64; masks give 0", () => {
    for (const [shape, axis] of CASES) {
      const L = layoutOf(shape, axis);
      const n = L.outer * L.classes * L.inner;
      for (const tau of [0.1, 0.5, 1, 2]) {
        const x = logits(n * 7 + Math.round(tau * 10), L);
        const seed = 99n + BigInt(n);
        const offset = 1000n + BigInt(n);
        const g = gw.gumbelNoise(n, { seed, offset: Number(offset) }) as Float32Array;
        const t = x.map((v, i) => v + g[i]!); // float32 sums, as the kernels form them
        const rows = toRows(t, L);
        const want = gw.softmax(rows, { cols: L.classes, tau });
        const soft = softmaxAxis(gw, x, L, tau, false, false, seed, offset);
        expect(soft.bad).toBe(-1);
        const got = toRows(soft.y, L);
        same(got, want, `${shape} axis ${axis} tau ${tau}`);
        checkSoftmaxBounds(rows, got, L.classes, tau);
        for (let i = 0; i < n; i++) if (x[i] === -Infinity) expect(soft.y[i]).toBe(0);
        // The straight-through form's soft output is the same sample.
        const st = softmaxAxis(gw, x, L, tau, true, true, seed, offset);
        same(st.soft!, soft.y, `soft of hard ${shape} axis ${axis} tau ${tau}`);
      }
    }
  });

  test("ties: logits near 1e8 (float32 spacing 8), so that the sums collide: the lowest class wins, as in JS", () => {
    for (const [shape, axis] of [[[5, 3, 7], 0], [[2, 33, 9], 1], [[2, 300, 5], 1], [[2, 3, 1100], 1], [[40, 6, 3], 1]] as Array<[number[], number]>) {
      const L = layoutOf(shape, axis);
      const n = L.outer * L.classes * L.inner;
      const rnd = testRandom(n);
      const x = Float32Array.from({ length: n }, () => 1e8 + 8 * Math.floor(rnd() * 3));
      const g = gw.gumbelNoise(n, { seed: 8, offset: 3 }) as Float32Array;
      const t = x.map((v, i) => v + g[i]!);
      const want = lineArgmax(t, L);
      // The test means something only if many lines tie: count lines whose maximum is repeated.
      let ties = 0;
      for (let o = 0; o < L.outer; o++) {
        for (let j = 0; j < L.inner; j++) {
          const m = t[(o * L.classes + want[o * L.inner + j]!) * L.inner + j]!;
          let k = 0;
          for (let c = 0; c < L.classes; c++) if (t[(o * L.classes + c) * L.inner + j] === m) k++;
          if (k > 1) ties++;
        }
      }
      if (L.classes > 2) expect(ties, `${shape}`).toBeGreaterThan(L.outer * L.inner / 10);
      expect(maxAxis(gw, x, L, 8n, 3n).idx, `${shape} axis ${axis}`).toEqual(want);
      const h = softmaxAxis(gw, x, L, 1, true, false, 8n, 3n);
      for (let l = 0; l < want.length; l++) {
        const o = Math.floor(l / L.inner);
        const j = l % L.inner;
        expect(h.y[(o * L.classes + want[l]!) * L.inner + j], `${shape} line ${l}`).toBe(1);
      }
    }
  });

  test("classes last (inner = 1): exactly gumbel_softmax's and gumbel_max's output", () => {
    for (const [outer, classes] of [[7, 1], [9, 3], [5, 10], [6, 17], [3, 64], [2, 1500], [300, 5]] as const) {
      const L = { outer, classes, inner: 1 };
      const x = logits(outer * classes, L);
      const seed = 5n;
      const offset = 17n;
      const src = gw.tensorFrom(x, classes);
      const a = gw.tensor(outer, classes);
      const s = gw.tensor(outer, classes);
      const i = gw.tensor(outer, 1, "int32");
      try {
        for (const [hard, withSoft] of [[false, false], [true, false], [true, true]] as const) {
          gw.kernels.gumbel_softmax(src.byteOffset, a.byteOffset, withSoft ? s.byteOffset : 0, outer, classes, 0.7, hard ? 1 : 0, ...words(seed, offset));
          const ours = softmaxAxis(gw, x, L, 0.7, hard, withSoft, seed, offset);
          same(ours.y, a.data, `${outer}x${classes} hard ${hard}`);
          if (withSoft) same(ours.soft!, s.data, `${outer}x${classes} soft`);
        }
        gw.kernels.gumbel_max(src.byteOffset, i.byteOffset, outer, classes, ...words(seed, offset));
        expect(maxAxis(gw, x, L, seed, offset).idx).toEqual(i.data.slice());
      } finally {
        for (const t of [src, a, s, i]) t.free();
      }
    }
  });

  test("a stream counter crossing 2^32 (and 2^33 + 2^63): the noise of the 64-bit index, from an independent Philox", () => {
    for (const [shape, axis] of [[[3, 9, 11], 1], [[2, 300, 5], 1], [[2, 3, 1100], 1], [[30, 4, 5], 0]] as Array<[number[], number]>) {
      const L = layoutOf(shape, axis);
      const n = L.outer * L.classes * L.inner;
      for (const offset of [2n ** 32n - BigInt(n >> 1) - 3n, 2n ** 63n + 2n ** 33n - 5n]) {
        const seed = 0xfeed_beef_0000_0001n;
        const x = logits(n + 3, L, 0.1);
        const g = referenceNoise(gw, seed, offset, n);
        const t = x.map((v, i) => v + g[i]!);
        expect(maxAxis(gw, x, L, seed, offset).idx, `${shape} at ${offset}`).toEqual(lineArgmax(t, L));
        same(toRows(softmaxAxis(gw, x, L, 0.9, false, false, seed, offset).y, L), gw.softmax(toRows(t, L), { cols: L.classes, tau: 0.9 }), `${shape} at ${offset}`);
      }
    }
  });

  test("bad lines (NaN, +Inf, all -Inf) named as o * inner + j, the first one, nothing written", () => {
    for (const [shape, axis] of [[[5, 3, 7], 0], [[5, 3, 7], 1], [[2, 33, 9], 1], [[2, 3, 1100], 1], [[4, 1, 6], 1]] as Array<[number[], number]>) {
      const L = layoutOf(shape, axis);
      const lines = L.outer * L.inner;
      for (const [v, fault] of [[Number.NaN, FAULT_NAN], [Infinity, FAULT_POS_INF], [-Infinity, FAULT_ALL_NEG_INF]] as const) {
        for (const line of new Set([0, 3, lines - 1, lines >> 1])) {
          const x = logits(line + 11, L, 0);
          const o = Math.floor(line / L.inner);
          const j = line % L.inner;
          if (v === -Infinity) for (let c = 0; c < L.classes; c++) x[(o * L.classes + c) * L.inner + j] = -Infinity;
          else x[(o * L.classes + (line % L.classes)) * L.inner + j] = v;
          const what = `${shape} axis ${axis} line ${line} ${v}`;
          for (const [hard, withSoft] of [[false, false], [true, true]] as const) {
            const r = softmaxAxis(gw, x, L, 1, hard, withSoft, 3n, 0n);
            expect(r, what).toMatchObject({ bad: line, fault });
            expect(r.y.every((y) => y === SENTINEL), what).toBe(true);
            if (r.soft) expect(r.soft.every((y) => y === SENTINEL), what).toBe(true);
          }
          const m = maxAxis(gw, x, L, 3n, 0n);
          expect(m, what).toMatchObject({ bad: line, fault });
          expect(m.idx.every((i) => i === -7), what).toBe(true);
          // An earlier bad line comes first.
          if (line > 0) {
            x[(0 * L.classes) * L.inner + 0] = Number.NaN;
            expect(maxAxis(gw, x, L, 3n, 0n), what).toMatchObject({ bad: 0, fault: FAULT_NAN });
          }
        }
      }
    }
  });

  test("log_probs_axis: log_f32's bits (< 1 ULP of float64 log), 0 and -0 -> -Inf; refusals name the first bad line", () => {
    for (const [shape, axis] of [[[5, 3, 7], 0], [[5, 3, 7], 1], [[17, 6], 0], [[2, 33, 9], 1], [[3, 2, 10], 1], [[4, 1, 5], 1]] as Array<[number[], number]>) {
      const L = layoutOf(shape, axis);
      const n = L.outer * L.classes * L.inner;
      const rnd = testRandom(n);
      const p = Float32Array.from({ length: n }, (_, i) => (rnd() < 0.2 ? (i % 2 ? 0 : -0) : rnd() * 3 * 10 ** Math.floor(rnd() * 20 - 15)));
      for (let o = 0; o < L.outer; o++) for (let j = 0; j < L.inner; j++) p[(o * L.classes) * L.inner + j] = 0.5 + j; // a positive class per line
      const r = logProbsAxis(gw, p, L);
      expect(r.bad, `${shape} axis ${axis}`).toBe(-1);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        if (p[i]! > 0) worst = Math.max(worst, ulpError(r.logs[i]!, Math.log(p[i]!)));
        else expect(r.logs[i]).toBe(-Infinity);
      }
      expect(worst).toBeLessThan(1);
      same(r.logs.map((v, i) => (p[i]! > 0 ? v : 0)), applyKernel(gw, "log_f32", p.map((v) => (v > 0 ? v : 1))).map((v, i) => (p[i]! > 0 ? v : 0)), `${shape}`);
      const lines = L.outer * L.inner;
      for (const line of new Set([0, 2, lines - 1, lines >> 1])) {
        const o = Math.floor(line / L.inner);
        const j = line % L.inner;
        const at = (c: number) => (o * L.classes + c) * L.inner + j;
        for (const [v, fault] of [[Number.NaN, FAULT_NOT_PROB], [-1e-30, FAULT_NOT_PROB], [-Infinity, FAULT_NOT_PROB], [Infinity, FAULT_NOT_PROB]] as const) {
          const q = p.slice();
          q[at(L.classes - 1)] = v;
          expect(logProbsAxis(gw, q, L), `${shape} axis ${axis} line ${line} ${v}`).toMatchObject({ bad: line, fault });
        }
        const z = p.slice();
        for (let c = 0; c < L.classes; c++) z[at(c)] = c % 2 ? 0 : -0;
        expect(logProbsAxis(gw, z, L), `${shape} axis ${axis} zero line ${line}`).toMatchObject({ bad: line, fault: FAULT_ALL_ZERO });
        if (line < lines - 1) {
          // A later value that is not a probability: the line of zeros still comes first.
          const w = z.slice();
          w[n - 1] = Number.NaN;
          expect(logProbsAxis(gw, w, L), `${shape} axis ${axis} zero line ${line}, NaN after`).toMatchObject({ bad: line, fault: FAULT_ALL_ZERO });
        }
        if (line > 0) {
          z[0] = -1; // an earlier value that is not a probability comes first
          expect(logProbsAxis(gw, z, L)).toMatchObject({ bad: 0, fault: FAULT_NOT_PROB });
        }
      }
    }
  });
});

describe("SIMD == scalar", () => {
  let simd: GumbelWasm;
  let scalar: GumbelWasm;
  beforeAll(async () => {
    [simd, scalar] = await Promise.all([load("simd"), load("scalar")]);
  });

  test("every kernel, every shape of the contract tests and inner 1..9 with classes 1..20", () => {
    const shapes: Array<[number[], number]> = [...CASES];
    for (let inner = 1; inner <= 9; inner++) for (const classes of [1, 2, 3, 4, 5, 7, 16, 20]) shapes.push([[2, classes, inner], 1]);
    for (const [shape, axis] of shapes) {
      const L = layoutOf(shape, axis);
      const n = L.outer * L.classes * L.inner;
      const x = logits(n + 1, L);
      const p = x.map((v) => (v === -Infinity ? 0 : Math.exp(v)));
      const what = `${shape} axis ${axis}`;
      for (const [hard, withSoft] of [[false, false], [true, false], [true, true]] as const) {
        const a = softmaxAxis(simd, x, L, 0.6, hard, withSoft, 21n, 5n);
        const b = softmaxAxis(scalar, x, L, 0.6, hard, withSoft, 21n, 5n);
        same(a.y, b.y, `${what} hard ${hard}`);
        if (withSoft) same(a.soft!, b.soft!, `${what} soft`);
      }
      expect(maxAxis(simd, x, L, 21n, 5n).idx, what).toEqual(maxAxis(scalar, x, L, 21n, 5n).idx);
      same(logProbsAxis(simd, p, L).logs, logProbsAxis(scalar, p, L).logs, what);
    }
  });
});
