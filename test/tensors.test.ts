// Zero-copy tensors and the memory behind them: views on the wasm memory, calls that write
// into `out` in place (and agree bit for bit with the array calls), results of the right kind
// and shape, views that survive memory growth, an allocator that reuses what is freed, the
// stateful rng, and binaries that import nothing.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { init, Tensor, type GumbelWasm } from "../src/node.js";
import { firstBitDifference } from "./kernels.js";
import { softmaxRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

const SENTINEL = 12345;

/** The softmax family's call `op` (logSumExp's options, a superset, type all three). */
function run(gw: GumbelWasm, op: "softmax" | "logSoftmax" | "logSumExp"): GumbelWasm["logSumExp"] {
  return gw[op].bind(gw) as GumbelWasm["logSumExp"];
}
const MiB = 1 << 20;

/** rows x cols logits in [-4, 4), with some -Inf masks (never a whole row). */
function logits(seed: number, rows: number, cols: number): Float32Array {
  const r = testRandom(seed);
  const x = Float32Array.from({ length: rows * cols }, () => (r() * 2 - 1) * 4);
  for (let i = 0; i < x.length; i++) if (i % cols !== 0 && r() < 0.15) x[i] = -Infinity;
  return x;
}

/** Row-wise probabilities (softmax of random values, in float32). */
function probs(seed: number, rows: number, cols: number): Float32Array {
  const r = testRandom(seed);
  const y = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const e = Array.from({ length: cols }, () => Math.exp(r() * 3));
    const s = e.reduce((a, b) => a + b, 0);
    for (let k = 0; k < cols; k++) y[i * cols + k] = e[k]! / s;
  }
  return y;
}

/** The raw bits of a float32 / int32 array, for bit-for-bit comparisons (NaN- and -0-exact). */
function bits(a: Float32Array | Int32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (!(d <= tol)) throw new Error(`element ${i}: got ${got[i]}, want ${want[i]} (|diff| ${d} > ${tol})`);
  }
}

function filledTensor(gw: GumbelWasm, rows: number, cols: number): Tensor<"float32">;
function filledTensor(gw: GumbelWasm, rows: number, cols: number, dtype: "int32"): Tensor<"int32">;
function filledTensor(gw: GumbelWasm, rows: number, cols: number, dtype?: "int32"): Tensor<"float32"> | Tensor<"int32"> {
  const t = dtype === "int32" ? gw.tensor(rows, cols, "int32") : gw.tensor(rows, cols);
  t.data.fill(SENTINEL);
  return t;
}

function expectWritten(a: Float32Array | Int32Array): void {
  const want = a instanceof Int32Array ? SENTINEL : Math.fround(SENTINEL);
  expect(Array.from(a).some((v) => v === want), "an element still holds the sentinel").toBe(false);
}

const ROWS = 7;
const COLS = 13; // not a multiple of 4: f32x4 groups and a tail
const N = ROWS * COLS;
const TAU = 0.7;
const SEED = 0x1234_5678_9abcn;
const OFFSET = 1000;

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
    expect(gw.backend).toBe(backend);
  });

  // ------------------------------------------------------------------ views
  test("a tensor's data is a view on gw.memory.buffer at tensor.byteOffset (float32 and int32)", () => {
    const t = gw.tensor(3, 5);
    const u = gw.tensor(2, 3, "int32");
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(u.data).toBeInstanceOf(Int32Array);
    for (const x of [t, u]) {
      expect(x.data.buffer).toBe(gw.memory.buffer);
      expect(x.data.byteOffset).toBe(x.byteOffset);
      expect(x.data.length).toBe(x.rows * x.cols);
      expect(x.length).toBe(x.rows * x.cols);
      expect(x.byteLength).toBe(x.length * 4);
      expect(x.byteOffset % 16).toBe(0);
    }
    expect([t.rows, t.cols, t.dtype]).toEqual([3, 5, "float32"]);
    expect([u.rows, u.cols, u.dtype]).toEqual([2, 3, "int32"]);
    // Writing through data writes the memory itself, and the other way round.
    t.data.set(Array.from({ length: 15 }, (_, i) => i + 0.5));
    const raw = new Float32Array(gw.memory.buffer, t.byteOffset, 15);
    expect(Array.from(raw)).toEqual(Array.from({ length: 15 }, (_, i) => i + 0.5));
    raw[4] = -7;
    expect(t.data[4]).toBe(-7);
    // Two live tensors do not overlap.
    u.data.fill(-1);
    expect(t.data[4]).toBe(-7);
    expect(t.byteOffset + t.byteLength <= u.byteOffset || u.byteOffset + u.byteLength <= t.byteOffset).toBe(true);
    t.free();
    u.free();
  });

  // ------------------------------------------------------------------ tensor in, tensor out
  describe("tensor inputs and out tensors: the very same out is returned, written in place, equal bit for bit to the array call", () => {
    test("softmax, logSoftmax, logSumExp", () => {
      const xa = logits(1, ROWS, COLS);
      const x = gw.tensorFrom(xa, COLS);
      for (const op of ["softmax", "logSoftmax", "logSumExp"] as const) {
        const outCols = op === "logSumExp" ? 1 : COLS;
        const out = filledTensor(gw, ROWS, outCols);
        const before = out.data; // a view taken before the call sees the result: written in place
        const inUse = gw.heap.bytesInUse;
        const buffer = gw.memory.buffer;
        const r = run(gw, op)(x, { tau: TAU, out });
        expect(r).toBe(out);
        // nothing allocated, the memory did not move
        expect(gw.heap.bytesInUse).toBe(inUse);
        expect(gw.memory.buffer).toBe(buffer);
        expectWritten(before);
        const arr = run(gw, op)(xa, { cols: COLS, tau: TAU });
        expect(arr).toBeInstanceOf(Float32Array);
        expect(bits(before)).toEqual(bits(arr));
        out.free();
      }
      // an independent check of the values themselves
      const y = gw.softmax(x, { tau: TAU });
      expectClose(y.data, softmaxRef(xa, COLS, TAU), 2e-6);
      y.free();
      // the input was read in place, not modified
      expect(bits(x.data)).toEqual(bits(xa));
      x.free();
    });

    test("gumbelSoftmax: soft, hard, and hard with a soft tensor", () => {
      const xa = logits(2, ROWS, COLS);
      const x = gw.tensorFrom(xa, COLS);
      const opts = { tau: TAU, seed: SEED, offset: OFFSET };
      const out = filledTensor(gw, ROWS, COLS);
      expect(gw.gumbelSoftmax(x, { ...opts, out })).toBe(out);
      expectWritten(out.data);
      const softArr = gw.gumbelSoftmax(xa, { ...opts, cols: COLS });
      expect(bits(out.data)).toEqual(bits(softArr));
      // independent: softmax((logits + g) / tau) with g = gumbelNoise, summed in float32
      const g = gw.gumbelNoise(N, { seed: SEED, offset: OFFSET });
      const s = xa.map((v, i) => v + g[i]!);
      expectClose(out.data, softmaxRef(s, COLS, TAU), 2e-6);

      const hard = filledTensor(gw, ROWS, COLS);
      const soft = filledTensor(gw, ROWS, COLS);
      const inUse = gw.heap.bytesInUse;
      expect(gw.gumbelSoftmax(x, { ...opts, hard: true, soft, out: hard })).toBe(hard);
      expect(gw.heap.bytesInUse).toBe(inUse);
      expectWritten(hard.data);
      expectWritten(soft.data);
      const softArr2 = new Float32Array(N);
      const hardArr = gw.gumbelSoftmax(xa, { ...opts, cols: COLS, hard: true, soft: softArr2 });
      expect(bits(hard.data)).toEqual(bits(hardArr));
      expect(bits(soft.data)).toEqual(bits(softArr2));
      expect(bits(soft.data)).toEqual(bits(softArr));
      // hard is one-hot at argmax(float32(logits + g)), lowest index on ties
      for (let r = 0; r < ROWS; r++) {
        const row = Array.from(s.subarray(r * COLS, (r + 1) * COLS));
        const k = row.indexOf(Math.max(...row));
        for (let j = 0; j < COLS; j++) expect(hard.data[r * COLS + j]).toBe(j === k ? 1 : 0);
      }
      for (const t of [x, out, hard, soft]) t.free();
    });

    test("gumbelMax: an int32 out tensor", () => {
      const xa = logits(3, ROWS, COLS);
      const x = gw.tensorFrom(xa, COLS);
      const out = filledTensor(gw, ROWS, 1, "int32");
      const inUse = gw.heap.bytesInUse;
      expect(gw.gumbelMax(x, { seed: SEED, offset: OFFSET, out })).toBe(out);
      expect(gw.heap.bytesInUse).toBe(inUse);
      expectWritten(out.data);
      const arr = gw.gumbelMax(xa, { cols: COLS, seed: SEED, offset: OFFSET });
      expect(arr).toBeInstanceOf(Int32Array);
      expect(Array.from(out.data)).toEqual(Array.from(arr));
      const g = gw.gumbelNoise(N, { seed: SEED, offset: OFFSET });
      for (let r = 0; r < ROWS; r++) {
        const row = Array.from({ length: COLS }, (_, k) => Math.fround(xa[r * COLS + k]! + g[r * COLS + k]!));
        expect(out.data[r]).toBe(row.indexOf(Math.max(...row)));
      }
      x.free();
      out.free();
    });

    test("softmaxBackward (out and dtauOut tensors) and softmaxJvp", () => {
      const ya = probs(4, ROWS, COLS);
      const va = logits(5, ROWS, COLS).map((v) => (Number.isFinite(v) ? v : 0.5));
      const y = gw.tensorFrom(ya, COLS);
      const v = gw.tensorFrom(va, COLS);
      const out = filledTensor(gw, ROWS, COLS);
      const dtauOut = filledTensor(gw, ROWS, 1);
      const inUse = gw.heap.bytesInUse;
      const r = gw.softmaxBackward(y, v, { tau: TAU, out, dtauOut });
      expect(r.dlogits).toBe(out);
      expect(r.dtau).toBe(dtauOut);
      expect(gw.heap.bytesInUse).toBe(inUse);
      expectWritten(out.data);
      expectWritten(dtauOut.data);
      const arr = gw.softmaxBackward(ya, va, { cols: COLS, tau: TAU, dtau: true });
      expect(bits(out.data)).toEqual(bits(arr.dlogits));
      expect(bits(dtauOut.data)).toEqual(bits(arr.dtau));
      // independent: y * (v - <v, y>) / tau
      const want = new Float64Array(N);
      for (let i = 0; i < ROWS; i++) {
        let dot = 0;
        for (let k = 0; k < COLS; k++) dot += ya[i * COLS + k]! * va[i * COLS + k]!;
        for (let k = 0; k < COLS; k++) want[i * COLS + k] = (ya[i * COLS + k]! * (va[i * COLS + k]! - dot)) / TAU;
      }
      expectClose(out.data, want, 1e-5);
      // without dtau: only out is written, dtauOut keeps the values of the call above
      out.data.fill(SENTINEL);
      const keep = bits(dtauOut.data);
      const dx = gw.softmaxBackward(y, v, { tau: TAU, out });
      expect(dx.dlogits).toBe(out);
      expect(dx.dtau).toBe(undefined);
      expect(gw.heap.bytesInUse).toBe(inUse);
      expect(bits(out.data)).toEqual(bits(arr.dlogits));
      expect(bits(dtauOut.data)).toEqual(keep);

      const jout = filledTensor(gw, ROWS, COLS);
      expect(gw.softmaxJvp(y, v, { tau: TAU, out: jout })).toBe(jout);
      expectWritten(jout.data);
      expect(bits(jout.data)).toEqual(bits(gw.softmaxJvp(ya, va, { cols: COLS, tau: TAU })));
      expectClose(jout.data, want, 1e-5);
      for (const t of [y, v, out, dtauOut, jout]) t.free();
    });

    test("gumbelNoise and uniform into an out tensor", () => {
      for (const op of ["gumbelNoise", "uniform"] as const) {
        const out = filledTensor(gw, 1, 37);
        const r = gw[op](37, { seed: SEED, offset: 5, out });
        expect(r).toBe(out);
        expectWritten(out.data);
        expect(bits(out.data)).toEqual(bits(gw[op](37, { seed: SEED, offset: 5 })));
        // element i depends on (seed, offset + i) only
        expect(bits(out.data.subarray(10))).toEqual(bits(gw[op](27, { seed: SEED, offset: 15 })));
        out.free();
      }
    });
  });

  // ------------------------------------------------------------------ tensor in, fresh tensor out
  test("a tensor input without out returns a new Tensor of the right shape and dtype", () => {
    const xa = logits(6, ROWS, COLS);
    const x = gw.tensorFrom(xa, COLS);
    const ya = probs(7, ROWS, COLS);
    const y = gw.tensorFrom(ya, COLS);
    // Results keep the input's shape; reductions (one value per row) drop the class axis.
    const check = (t: unknown, shape: number[], dtype: "float32" | "int32", want: Float32Array | Int32Array) => {
      expect(t).toBeInstanceOf(Tensor);
      const r = t as Tensor<"float32" | "int32">;
      expect([r.shape, r.dtype, r.isFreed]).toEqual([shape, dtype, false]);
      expect(r).not.toBe(x);
      expect(r).not.toBe(y);
      expect(r.data.buffer).toBe(gw.memory.buffer);
      expect(r.data.byteOffset).toBe(r.byteOffset);
      expect(bits(r.data)).toEqual(bits(want));
      r.free();
    };
    const o = { cols: COLS, tau: TAU };
    check(gw.softmax(x, { tau: TAU }), [ROWS, COLS], "float32", gw.softmax(xa, o));
    check(gw.logSoftmax(x, { tau: TAU }), [ROWS, COLS], "float32", gw.logSoftmax(xa, o));
    check(gw.logSumExp(x, { tau: TAU }), [ROWS], "float32", gw.logSumExp(xa, o));
    const s = { seed: 99, offset: 7 };
    check(gw.gumbelSoftmax(x, { tau: TAU, ...s }), [ROWS, COLS], "float32", gw.gumbelSoftmax(xa, { ...o, ...s }));
    check(gw.gumbelSoftmax(x, { tau: TAU, ...s, hard: true }), [ROWS, COLS], "float32", gw.gumbelSoftmax(xa, { ...o, ...s, hard: true }));
    check(gw.gumbelMax(x, s), [ROWS], "int32", gw.gumbelMax(xa, { cols: COLS, ...s }));
    const b = gw.softmaxBackward(y, x.data.map((v) => (Number.isFinite(v) ? v : 0)), { tau: TAU, dtau: true });
    const ba = gw.softmaxBackward(ya, xa.map((v) => (Number.isFinite(v) ? v : 0)), { ...o, dtau: true });
    check(b.dlogits, [ROWS, COLS], "float32", ba.dlogits);
    check(b.dtau, [ROWS], "float32", ba.dtau);
    const bx = gw.softmaxBackward(y, x.data.map((v) => (Number.isFinite(v) ? v : 0)), { tau: TAU });
    expect(bx.dtau).toBe(undefined);
    check(bx.dlogits, [ROWS, COLS], "float32", ba.dlogits);
    check(gw.softmaxJvp(y, xa.map((v) => (Number.isFinite(v) ? v : 0)), { tau: TAU }), [ROWS, COLS], "float32",
      gw.softmaxJvp(ya, xa.map((v) => (Number.isFinite(v) ? v : 0)), o));
    // a tensor viewed with other cols: the result has the shape of that view
    check(gw.softmax(y, { cols: 1 }), [N, 1], "float32", new Float32Array(N).fill(1));
    x.free();
    y.free();
  });

  // ------------------------------------------------------------------ arrays in and out
  test("a plain Float32Array input returns a new Float32Array, not on wasm memory, that later calls do not change", () => {
    const xa = logits(8, ROWS, COLS);
    const copy = xa.slice();
    const r = gw.softmax(xa, { cols: COLS });
    expect(r).toBeInstanceOf(Float32Array);
    expect(r).not.toBe(xa);
    expect(r.buffer).not.toBe(gw.memory.buffer);
    expect(r.length).toBe(N);
    expectClose(r, softmaxRef(xa, COLS), 2e-6);
    const keep = bits(r);
    // the same op on other values (the staging area is reused) leaves the first result alone
    const r2 = gw.softmax(logits(9, ROWS, COLS), { cols: COLS });
    expect(bits(r)).toEqual(keep);
    expect(bits(r2)).not.toEqual(keep);
    expect(bits(xa)).toEqual(bits(copy)); // the input is not modified
    for (const res of [
      gw.logSoftmax(xa, { cols: COLS }), gw.logSumExp(xa, { cols: COLS }), gw.gumbelSoftmax(xa, { cols: COLS, seed: 1 }),
      gw.gumbelMax(xa, { cols: COLS, seed: 1 }), gw.gumbelNoise(5, { seed: 1 }), gw.uniform(5, { seed: 1 }), gw.randomBits(5, { seed: 1 }),
    ]) {
      expect(ArrayBuffer.isView(res)).toBe(true);
      expect((res as Float32Array).buffer).not.toBe(gw.memory.buffer);
    }
    const b = gw.softmaxBackward(probs(1, 2, 3), [1, 2, 3, 4, 5, 6], { cols: 3, dtau: true });
    expect(b.dlogits.buffer).not.toBe(gw.memory.buffer);
    expect(b.dtau.buffer).not.toBe(gw.memory.buffer);
    expect([b.dlogits.length, b.dtau.length]).toEqual([6, 2]);
  });

  test("a plain Float32Array / Int32Array out is filled and returned", () => {
    const xa = logits(10, ROWS, COLS);
    const o = { cols: COLS, tau: TAU };
    for (const op of ["softmax", "logSoftmax", "logSumExp"] as const) {
      const out = new Float32Array(op === "logSumExp" ? ROWS : N).fill(SENTINEL);
      expect(run(gw, op)(xa, { ...o, out })).toBe(out);
      expectWritten(out);
      expect(bits(out)).toEqual(bits(run(gw, op)(xa, o)));
    }
    const s = { seed: 4, offset: 2n ** 63n };
    const gs = new Float32Array(N).fill(SENTINEL);
    const soft = new Float32Array(N).fill(SENTINEL);
    expect(gw.gumbelSoftmax(xa, { ...o, ...s, hard: true, soft, out: gs })).toBe(gs);
    expectWritten(gs);
    expectWritten(soft);
    expect(bits(gs)).toEqual(bits(gw.gumbelSoftmax(xa, { ...o, ...s, hard: true })));
    expect(bits(soft)).toEqual(bits(gw.gumbelSoftmax(xa, { ...o, ...s })));
    const gm = new Int32Array(ROWS).fill(SENTINEL);
    expect(gw.gumbelMax(xa, { cols: COLS, ...s, out: gm })).toBe(gm);
    expectWritten(gm);
    expect(Array.from(gm)).toEqual(Array.from(gw.gumbelMax(xa, { cols: COLS, ...s })));
    const ya = probs(11, ROWS, COLS);
    const va = probs(12, ROWS, COLS);
    const out = new Float32Array(N).fill(SENTINEL);
    const dtauOut = new Float32Array(ROWS).fill(SENTINEL);
    const b = gw.softmaxBackward(ya, va, { ...o, out, dtauOut });
    expect(b.dlogits).toBe(out);
    expect(b.dtau).toBe(dtauOut);
    expectWritten(out);
    expectWritten(dtauOut);
    const b2 = gw.softmaxBackward(ya, va, { ...o, dtau: true });
    expect(bits(out)).toEqual(bits(b2.dlogits));
    expect(bits(dtauOut)).toEqual(bits(b2.dtau));
    const jo = new Float32Array(N).fill(SENTINEL);
    expect(gw.softmaxJvp(ya, va, { ...o, out: jo })).toBe(jo);
    expect(bits(jo)).toEqual(bits(gw.softmaxJvp(ya, va, o)));
    const no = new Float32Array(9).fill(SENTINEL);
    expect(gw.gumbelNoise(9, { seed: 3, out: no })).toBe(no);
    expect(bits(no)).toEqual(bits(gw.gumbelNoise(9, { seed: 3 })));
    // a tensor input with a plain array out: the array is returned, no tensor is allocated
    const x = gw.tensorFrom(xa, COLS);
    const inUse = gw.heap.bytesInUse;
    const sm = new Float32Array(N).fill(SENTINEL);
    expect(gw.softmax(x, { tau: TAU, out: sm })).toBe(sm);
    expect(gw.heap.bytesInUse).toBe(inUse);
    expect(bits(sm)).toEqual(bits(gw.softmax(xa, o)));
    x.free();
  });

  test("number[], Float64Array and other numeric typed arrays are accepted and give the Float32Array results", () => {
    const src = [0.1, -2.3, 1 / 3, 7, -Infinity, 0.2, 1e-8, 5.5, -0.75];
    const f32 = Float32Array.from(src);
    const o = { cols: 3, tau: 0.9 };
    for (const input of [src, Float64Array.from(src)]) {
      expect(bits(gw.softmax(input, o))).toEqual(bits(gw.softmax(f32, o)));
      expect(bits(gw.logSoftmax(input, o))).toEqual(bits(gw.logSoftmax(f32, o)));
      expect(bits(gw.logSumExp(input, o))).toEqual(bits(gw.logSumExp(f32, o)));
      expect(bits(gw.gumbelSoftmax(input, { ...o, seed: 8 }))).toEqual(bits(gw.gumbelSoftmax(f32, { ...o, seed: 8 })));
      expect(Array.from(gw.gumbelMax(input, { cols: 3, seed: 8 }))).toEqual(Array.from(gw.gumbelMax(f32, { cols: 3, seed: 8 })));
      const fin = input.map((v) => (Number.isFinite(v) ? v : 0));
      const finF = f32.map((v) => (Number.isFinite(v) ? v : 0));
      expect(bits(gw.softmaxJvp(fin, fin, o))).toEqual(bits(gw.softmaxJvp(finF, finF, o)));
      const b = gw.softmaxBackward(fin, fin, { ...o, dtau: true });
      const bf = gw.softmaxBackward(finF, finF, { ...o, dtau: true });
      expect(bits(b.dlogits)).toEqual(bits(bf.dlogits));
      expect(bits(b.dtau)).toEqual(bits(bf.dtau));
    }
    const ints = [1, 2, 3, -4, 0, 4];
    for (const input of [Int32Array.from(ints), Int8Array.from(ints), ints]) {
      expect(bits(gw.softmax(input, { cols: 2 }))).toEqual(bits(gw.softmax(Float32Array.from(ints), { cols: 2 })));
    }
    // independent: the float64 reference of the float32-rounded inputs
    expectClose(gw.softmax(src, o), softmaxRef(f32, 3, 0.9), 2e-6);
  });

  // ------------------------------------------------------------------ tensorFrom, dispose
  test("tensorFrom copies the data and the shape (both ways independent afterwards)", () => {
    const src = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5];
    const t = gw.tensorFrom(src, 3);
    expect([t.rows, t.cols, t.length, t.dtype]).toEqual([2, 3, 6, "float32"]);
    expect(Array.from(t.data)).toEqual(src);
    src[0] = 100;
    expect(t.data[0]).toBe(1.5);
    t.data[1] = -1;
    expect(src[1]).toBe(2.5);
    const f64 = Float64Array.from([0.1, 0.2, 0.3, 0.4]);
    const u = gw.tensorFrom(f64);
    expect([u.rows, u.cols]).toEqual([1, 4]);
    expect(Array.from(u.data)).toEqual(Array.from(f64, Math.fround));
    const f = Float32Array.from([9, 8, 7, 6]);
    const w = gw.tensorFrom(f, 1);
    expect([w.rows, w.cols]).toEqual([4, 1]);
    expect(w.data).not.toBe(f);
    expect(w.data.buffer).toBe(gw.memory.buffer);
    f[0] = 0;
    expect(w.data[0]).toBe(9);
    const e = gw.tensorFrom([]);
    expect([e.rows, e.cols, e.length]).toEqual([0, 0, 0]);
    for (const x of [t, u, w, e]) x.free();
  });

  test("[Symbol.dispose]() frees the tensor (isFreed, memory returned); its block can be reused", () => {
    const t = gw.tensor(10, 10);
    const inUse = gw.heap.bytesInUse;
    expect(t.isFreed).toBe(false);
    t[Symbol.dispose]();
    expect(t.isFreed).toBe(true);
    expect(gw.heap.bytesInUse).toBe(inUse - 400);
    expect(gw.heap.isLive(t.byteOffset)).toBe(false);
    expect(() => t.data).toThrow(TypeError);
    const u = gw.tensor(10, 10);
    expect(u.byteOffset).toBeLessThanOrEqual(t.byteOffset); // first fit: the freed block (or an earlier one)
    u.free();
  });

  // ------------------------------------------------------------------ rng
  describe("gw.rng(seed)", () => {
    test("consecutive gumbelNoise(3) calls equal gumbelNoise(6, { seed }) split; uniform likewise", () => {
      const r = gw.rng(SEED);
      expect(r.seed).toBe(SEED);
      expect(r.offset).toBe(0n);
      const a = r.gumbelNoise(3);
      expect(r.offset).toBe(3n);
      const b = r.gumbelNoise(3);
      expect(r.offset).toBe(6n);
      const all = gw.gumbelNoise(6, { seed: SEED });
      expect(bits(a)).toEqual(bits(all.subarray(0, 3)));
      expect(bits(b)).toEqual(bits(all.subarray(3)));
      expect(bits(a)).not.toEqual(bits(b));
      const u = gw.rng(SEED, 10);
      const u1 = u.uniform(4);
      const u2 = u.uniform(1);
      expect(u.offset).toBe(15n);
      expect(bits(Float32Array.from([...u1, ...u2]))).toEqual(bits(gw.uniform(5, { seed: SEED, offset: 10 })));
    });

    test("the offset advances by rows*cols after gumbelSoftmax / gumbelMax, each call drawing the next elements", () => {
      const xa = logits(13, 2, 3);
      const r = gw.rng(77n, 5n);
      const y = r.gumbelSoftmax(xa, { cols: 3, tau: 0.5 });
      expect(r.offset).toBe(11n);
      expect(bits(y)).toEqual(bits(gw.gumbelSoftmax(xa, { cols: 3, tau: 0.5, seed: 77n, offset: 5n })));
      const idx = r.gumbelMax(xa, { cols: 3 });
      expect(r.offset).toBe(17n);
      // independent: argmax(float32(logits + g)) with g = elements 11..16 of the stream
      const g = gw.gumbelNoise(6, { seed: 77n, offset: 11n });
      for (let i = 0; i < 2; i++) {
        const row = [0, 1, 2].map((k) => Math.fround(xa[i * 3 + k]! + g[i * 3 + k]!));
        expect(idx[i]).toBe(row.indexOf(Math.max(...row)));
      }
      // tensors: rows * cols of the tensor
      const t = gw.tensorFrom(logits(14, 4, 5), 5);
      const ty = r.gumbelSoftmax(t, { hard: true });
      expect(ty).toBeInstanceOf(Tensor);
      expect(r.offset).toBe(37n);
      const out = new Int32Array(4);
      expect(r.gumbelMax(t, { out })).toBe(out);
      expect(r.offset).toBe(57n);
      expect(Array.from(out)).toEqual(Array.from(gw.gumbelMax(t.data, { cols: 5, seed: 77n, offset: 37n })));
      ty.free();
      t.free();
    });

    test("the same seed replays the same sequence; another seed does not", () => {
      const xa = logits(15, 3, 4);
      const run = (seed: bigint | number) => {
        const r = gw.rng(seed);
        return [bits(r.gumbelNoise(5)), bits(r.gumbelSoftmax(xa, { cols: 4 })), Array.from(r.gumbelMax(xa, { cols: 4 })), bits(r.uniform(3))];
      };
      const first = run(2n ** 64n - 1n);
      expect(run(2n ** 64n - 1n)).toEqual(first);
      expect(run(2n ** 64n - 2n)[0]).not.toEqual(first[0]);
      expect(run(42)).toEqual(run(42n));
    });
  });

  // ------------------------------------------------------------------ the binaries
  test("the binary imports nothing and exports its memory", () => {
    const bytes = readFileSync(new URL(`../build/gumbel-${backend}.wasm`, import.meta.url));
    const mod = new WebAssembly.Module(bytes);
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
    expect(WebAssembly.Module.exports(mod)).toContainEqual({ name: "memory", kind: "memory" });
  });
});

// Growth and allocator tests use fresh instances, whose memory starts small: memory never
// shrinks, so the shared instances could already be large enough not to grow.
/**
 * What a view taken before a growth is afterwards: on a shared memory (the default in Node)
 * still a valid view on the same bytes; on an ordinary one (sharedMemory: false) detached,
 * length 0, as documented.
 */
function expectHeldView(gw: GumbelWasm, held: Float32Array, t: Tensor, values: Float32Array): void {
  if (gw.sharedMemory) {
    expect(held.length).toBe(values.length);
    expect(bits(held)).toEqual(bits(values));
    held[0] = 42; // writes through the held view land in the tensor
    expect(t.data[0]).toBe(42);
    t.data[0] = values[0]!;
  } else {
    expect(held.byteLength).toBe(0);
    expect(held.length).toBe(0);
  }
}

describe.each(backends.flatMap((b) => [[b, true], [b, false]] as const))("%s binary, shared memory %s, fresh instance: memory growth and reuse", (backend, sharedMemory) => {
  test("after memory.grow, a held tensor's data is re-derived on the NEW buffer with its contents and calls on it work; a view captured before the growth stays valid (shared) or is detached (ordinary memory)", async () => {
    const gw = await init({ backend, sharedMemory });
    expect(gw.sharedMemory).toBe(sharedMemory);
    const xa = logits(20, 3, 5);
    const t = gw.tensorFrom(xa, 5);
    const oldView = t.data;
    const oldBuffer = gw.memory.buffer;
    const oldBytes = oldBuffer.byteLength;
    // > 64 MiB of tensors
    const big = Array.from({ length: 5 }, () => gw.tensor(1, (16 * MiB) / 4));
    expect(gw.memory.buffer).not.toBe(oldBuffer);
    expect(gw.memory.buffer.byteLength).toBeGreaterThan(oldBytes + 64 * MiB);
    expectHeldView(gw, oldView, t, xa);
    const now = t.data;
    expect(now.buffer).toBe(gw.memory.buffer);
    expect(now.byteOffset).toBe(t.byteOffset);
    expect(now.length).toBe(15);
    expect(bits(now)).toEqual(bits(xa));
    // calls on it still work, and read its contents
    const y = gw.softmax(t);
    expectClose(y.data, softmaxRef(xa, 5), 2e-6);
    expect(bits(y.data)).toEqual(bits(gw.softmax(xa, { cols: 5 })));
    // the big tensors are usable at their ends
    for (const b of big) {
      b.data[b.length - 1] = 3.25;
      expect(new Float32Array(gw.memory.buffer, b.byteOffset + b.byteLength - 4, 1)[0]).toBe(3.25);
      b.free();
    }
    y.free();
    t.free();
  });

  test("growth inside a call (a large array input and a fresh result): held tensors and results stay valid", async () => {
    const gw = await init({ backend, sharedMemory });
    const xa = logits(21, 2, 4);
    const t = gw.tensorFrom(xa, 4);
    const before = t.data;
    const oldBuffer = gw.memory.buffer;
    const big = new Float32Array(20 * MiB / 4);
    for (let i = 0; i < big.length; i++) big[i] = (i % 17) / 4;
    const r = gw.softmax(big, { cols: 1024 }); // stages 20 MiB in and 20 MiB out: the memory grows
    expect(gw.memory.buffer).not.toBe(oldBuffer);
    expectHeldView(gw, before, t, xa);
    expect(r.length).toBe(big.length);
    expect(r.buffer).not.toBe(gw.memory.buffer);
    expectClose(r.subarray(0, 1024), softmaxRef(big.subarray(0, 1024), 1024), 2e-6);
    expect(t.data.buffer).toBe(gw.memory.buffer);
    expect(bits(t.data)).toEqual(bits(xa));
    // a fresh tensor result whose allocation grows the memory again
    const bigT = gw.tensorFrom(big, 1024);
    const mid = gw.memory.buffer;
    const y = gw.logSoftmax(bigT); // needs another 20 MiB for the result tensor
    expect(y.data.buffer).toBe(gw.memory.buffer);
    expect(y.data.length).toBe(big.length);
    expect(bigT.data.length).toBe(big.length);
    expect(bits(y.data.subarray(0, 4096))).toEqual(bits(gw.logSoftmax(big.subarray(0, 4096), { cols: 1024 })));
    expect(bits(t.data)).toEqual(bits(xa));
    void mid;
    y.free();
    bigT.free();
    t.free();
  });

  // A tensor's `data`, read just before the call, is a valid Float32Array and an accepted
  // "plain array" argument. When the call's own staging area has to grow the memory, that
  // view is detached by the call itself: the façade must still copy from / into it (by
  // re-deriving it), not fail with an engine error about a detached ArrayBuffer.
  describe("a tensor's data given as a plain array to a call that itself grows the memory", () => {
    const n = 1 << 20; // 4 MiB: staging n in + n out needs 8 MiB more than a fresh instance has
    const src = Float32Array.from({ length: n }, (_, i) => (i % 8) / 2 - 1);

    test("as the input: the call reads the values the view held", async () => {
      const gw = await init({ backend });
      const t = gw.tensorFrom(src, 8);
      const bytes = gw.memory.buffer.byteLength;
      let r: Float32Array | undefined;
      expect(() => {
        r = gw.softmax(t.data, { cols: 8 });
      }).not.toThrow();
      expect(gw.memory.buffer.byteLength).toBeGreaterThan(bytes); // the call did grow the memory
      expect(r!.length).toBe(n);
      expectClose(r!.subarray(0, 16), softmaxRef(src.subarray(0, 16), 8), 2e-6);
      expect(firstBitDifference(t.data, src)).toBe(-1); // compact: no million-element diff on failure
      t.free();
    });

    test("as out: the call writes into the memory the view covered", async () => {
      const gw = await init({ backend });
      const o = gw.tensor(n / 8, 8);
      o.data.fill(SENTINEL);
      expect(() => gw.softmax(src, { cols: 8, out: o.data })).not.toThrow();
      expect(bits(o.data.subarray(0, 16))).toEqual(bits(gw.softmax(src.subarray(0, 16), { cols: 8 })));
      expectWritten(o.data);
      o.free();
    });

    test("as gumbelNoise's out", async () => {
      const gw = await init({ backend });
      const o = gw.tensor(1, n);
      o.data.fill(SENTINEL);
      expect(() => gw.gumbelNoise(n, { seed: 5, out: o.data })).not.toThrow();
      expect(bits(o.data.subarray(0, 8))).toEqual(bits(gw.gumbelNoise(8, { seed: 5 })));
      o.free();
    });

    test("as tensorFrom's source (copying a tensor): the copy holds the values", async () => {
      const gw = await init({ backend });
      const t = gw.tensorFrom(src, 8);
      let c: Tensor | undefined;
      expect(() => {
        c = gw.tensorFrom(t.data, 8);
      }).not.toThrow();
      expect([c!.rows, c!.cols]).toEqual([n / 8, 8]);
      expect(firstBitDifference(c!.data, src)).toBe(-1);
      c!.free();
      t.free();
    });
  });

  test("free + alloc reuses memory: 1000 tensors of varying sizes in 10 rounds, the memory does not grow after round 1", async () => {
    const gw = await init({ backend });
    const base = gw.heap.bytesInUse;
    const sizes = (() => {
      const r = testRandom(31);
      return Array.from({ length: 100 }, () => 1 + Math.floor(r() * 30000));
    })();
    const lengths: number[] = [];
    for (let round = 0; round < 10; round++) {
      const live: Tensor[] = [];
      for (let i = 0; i < sizes.length; i++) {
        const t = gw.tensor(1 + (i % 3), Math.ceil(sizes[i]! / (1 + (i % 3))));
        t.data[0] = i;
        t.data[t.length - 1] = -i;
        live.push(t);
        // free every third one right away, leaving holes to be refilled
        if (i % 3 === 2) live.splice(live.length - 2, 1)[0]!.free();
      }
      for (const t of live) {
        // nobody else wrote into a live tensor
        expect(t.data[0]).toBe(-t.data[t.length - 1]!);
      }
      // free the rest in a scrambled order
      for (let k = 0; k < live.length; k++) live[(k * 37) % live.length]!.free();
      expect(live.every((t) => t.isFreed)).toBe(true);
      expect(gw.heap.bytesInUse).toBe(base);
      lengths.push(gw.memory.buffer.byteLength);
    }
    expect(lengths.every((l) => l === lengths[0])).toBe(true);
  });

  test("freed neighbouring blocks merge: one tensor the size of 16 freed ones fits without growing", async () => {
    const gw = await init({ backend });
    const ts = Array.from({ length: 16 }, () => gw.tensor(1, MiB / 4)); // 16 x 1 MiB: the memory grows to hold them
    const bytes = gw.memory.buffer.byteLength;
    for (const i of [5, 0, 15, 3, 8, 1, 14, 2, 9, 7, 4, 12, 6, 11, 13, 10]) ts[i]!.free();
    const one = gw.tensor(1, (16 * MiB) / 4);
    expect(gw.memory.buffer.byteLength).toBe(bytes);
    expect(one.byteOffset).toBe(Math.min(...ts.map((t) => t.byteOffset)));
    one.free();
  });

  test("steady-state array calls do not grow the memory or hold on to more blocks", async () => {
    const gw = await init({ backend });
    const xa = logits(40, 64, 50);
    const dy = xa.map((v) => (Number.isFinite(v) ? v : 0));
    const round = (i: number) => {
      gw.softmax(xa, { cols: 50 });
      gw.gumbelSoftmax(xa, { cols: 50, seed: i, hard: true, soft: new Float32Array(xa.length) });
      gw.gumbelMax(xa, { cols: 50, seed: i });
      gw.softmaxBackward(probs(i, 64, 50), dy, { cols: 50 });
      gw.softmaxJvp(probs(i, 64, 50), dy, { cols: 50 });
    };
    round(0); // the staging area grows to the largest call once
    const inUse = gw.heap.bytesInUse;
    const bytes = gw.memory.buffer.byteLength;
    for (let i = 1; i < 50; i++) round(i);
    expect(gw.heap.bytesInUse).toBe(inUse);
    expect(gw.memory.buffer.byteLength).toBe(bytes);
  });
});
