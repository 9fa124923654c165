// Every argument error of every public call: the right class (TypeError for a wrong type or a
// missing argument, RangeError for a value out of range), a message that names the call and the
// argument (and the row/column where one applies), nothing written to the caller's output, and
// an instance that keeps working afterwards.
import { beforeAll, describe, expect, test } from "vitest";
import { init, Tensor, type DType, type GumbelWasm } from "../src/node.js";
import { backends, load } from "./setup.js";

const SENTINEL = 12345;
const TWO64 = 2n ** 64n;

type Cls = typeof TypeError | typeof RangeError;
type Buf = Float32Array | Int32Array;
type Out = Buf | Tensor<DType>;

/** Runs `fn`, which must throw exactly `cls` with a message matching `re`. */
function throws(fn: () => unknown, cls: Cls, re: RegExp): Error {
  let err: unknown = undefined;
  let returned: unknown = undefined;
  try {
    returned = fn();
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`expected ${cls.name} matching ${re}, but the call returned ${String(returned)}`);
  expect(err).toBeInstanceOf(cls);
  // TypeError and RangeError are siblings: make sure it is not the other one.
  expect((err as Error).constructor).toBe(cls);
  expect((err as Error).message).toMatch(re);
  return err as Error;
}

/** The instance still computes correctly: softmax([0, 0]) is exactly [0.5, 0.5]. */
function healthy(gw: GumbelWasm): void {
  expect(Array.from(gw.softmax([0, 0], { cols: 2 }))).toEqual([0.5, 0.5]);
  expect(Array.from(gw.logSumExp(new Float32Array([0, 0, 0, 0]), { cols: 4 }))).toEqual([Math.fround(Math.log(4))]);
}

/** Throws as `throws` does, then checks the instance and that every output is untouched. */
function rejects(gw: GumbelWasm, fn: () => unknown, cls: Cls, re: RegExp, outputs: Out[] = []): void {
  throws(fn, cls, re);
  for (const o of outputs) untouched(o);
  healthy(gw);
}

function f32(n: number): Float32Array {
  return new Float32Array(n).fill(SENTINEL);
}
function i32(n: number): Int32Array {
  return new Int32Array(n).fill(SENTINEL);
}
function tensor(gw: GumbelWasm, rows: number, cols: number): Tensor<"float32">;
function tensor(gw: GumbelWasm, rows: number, cols: number, dtype: "int32"): Tensor<"int32">;
function tensor(gw: GumbelWasm, rows: number, cols: number, dtype: "float32" | "int32" = "float32"): Tensor<"float32" | "int32"> {
  const t = gw.tensor(rows, cols, dtype);
  t.data.fill(SENTINEL);
  return t;
}
function from(gw: GumbelWasm, data: ArrayLike<number>, cols: number): Tensor<"float32"> {
  return gw.tensorFrom(data, cols);
}

/** Every element still holds the sentinel (read from raw memory for freed tensors). */
function untouched(o: Out): void {
  let view: Buf;
  if (o instanceof Tensor) {
    if (o.isFreed) {
      const buffer = (o.owner as { heap: { memory: WebAssembly.Memory } }).heap.memory.buffer;
      view = o.dtype === "int32" ? new Int32Array(buffer, o.byteOffset, o.length) : new Float32Array(buffer, o.byteOffset, o.length);
    } else view = o.data;
  } else view = o;
  const want = view instanceof Int32Array ? SENTINEL : Math.fround(SENTINEL);
  const bad = Array.from(view).findIndex((v) => !Object.is(v, want));
  expect(bad, `output element ${bad} was overwritten (${view[bad]})`).toBe(-1);
}

/** A tensor that has been freed after being filled with the sentinel. */
function freedTensor(gw: GumbelWasm, rows: number, cols: number, dtype: "float32" | "int32" = "float32"): Tensor<"float32" | "int32"> {
  const t = dtype === "int32" ? tensor(gw, rows, cols, "int32") : tensor(gw, rows, cols);
  t.free();
  return t;
}

// ------------------------------------------------------------------------------ the ops

interface Op {
  fn: string;
  /** Name of the first (shape-giving) input in messages. */
  input: string;
  call(gw: GumbelWasm, x: unknown, opts: Record<string, unknown>): unknown;
  tau: boolean;
  /** Refuses NaN / +Inf / all -Inf rows. */
  rows: boolean;
  stream: boolean;
  outDtype: "float32" | "int32";
  /** Output columns for `cols` input columns. */
  outCols(cols: number): number;
}

function lengthOf(x: unknown): number {
  if (x instanceof Tensor) return x.length;
  if (typeof x === "object" && x !== null && typeof (x as { length?: unknown }).length === "number") {
    return (x as { length: number }).length;
  }
  return 6;
}

const ops: Op[] = [
  {
    fn: "softmax", input: "x", tau: true, rows: true, stream: false, outDtype: "float32", outCols: (c) => c,
    call: (gw, x, o) => gw.softmax(x as never, o as never),
  },
  {
    fn: "logSoftmax", input: "x", tau: true, rows: true, stream: false, outDtype: "float32", outCols: (c) => c,
    call: (gw, x, o) => gw.logSoftmax(x as never, o as never),
  },
  {
    fn: "logSumExp", input: "x", tau: true, rows: true, stream: false, outDtype: "float32", outCols: () => 1,
    call: (gw, x, o) => gw.logSumExp(x as never, o as never),
  },
  {
    fn: "gumbelSoftmax", input: "logits", tau: true, rows: true, stream: true, outDtype: "float32", outCols: (c) => c,
    call: (gw, x, o) => gw.gumbelSoftmax(x as never, o as never),
  },
  {
    fn: "gumbelMax", input: "logits", tau: false, rows: true, stream: true, outDtype: "int32", outCols: () => 1,
    call: (gw, x, o) => gw.gumbelMax(x as never, o as never),
  },
  {
    fn: "softmaxBackward", input: "y", tau: true, rows: false, stream: false, outDtype: "float32", outCols: (c) => c,
    call: (gw, x, o) => gw.softmaxBackward(x as never, new Float32Array(lengthOf(x)).fill(0.25), o as never),
  },
  {
    fn: "softmaxJvp", input: "y", tau: true, rows: false, stream: false, outDtype: "float32", outCols: (c) => c,
    call: (gw, x, o) => gw.softmaxJvp(x as never, new Float32Array(lengthOf(x)).fill(0.25), o as never),
  },
];

const rowOps = ops.filter((o) => o.rows);
const tauOps = ops.filter((o) => o.tau);
const streamOps = ops.filter((o) => o.stream);

/** A valid 2 x 3 input. */
const X6 = [0.5, -1, 2, 0, 0.25, 1];

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
/** ^fn: ... name ... (the call first, then the argument as a word). */
function msg(fn: string, name: string, rest = ""): RegExp {
  return new RegExp(`^${esc(fn)}: .*\\b${esc(name)}\\b.*${rest}`);
}

// ------------------------------------------------------------------------------ tests

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;
  let other: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
    other = await init({ backend });
    expect(other).not.toBe(gw);
  });

  describe.each(ops)("$fn", (op) => {
    const { fn, input } = op;

    test("cols missing for an array input: TypeError naming cols and the input", () => {
      for (const x of [new Float32Array(X6), X6, new Float64Array(X6)]) {
        rejects(gw, () => op.call(gw, x, {}), TypeError, msg(fn, "cols", `is required.*\\b${input}\\b`));
      }
      // options without cols (tau where the call takes one, else seed)
      rejects(gw, () => op.call(gw, new Float32Array(X6), op.tau ? { tau: 1 } : { seed: 1 }), TypeError, msg(fn, "cols", "is required"));
    });

    test("cols not a number: TypeError", () => {
      for (const cols of ["3", 3n, [3], {}, true]) {
        rejects(gw, () => op.call(gw, new Float32Array(X6), { cols }), TypeError, msg(fn, "cols", "must be a number"));
      }
      // null counts as not given
      rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: null }), TypeError, msg(fn, "cols"));
    });

    test("cols 0, negative, fractional, NaN, Infinity: RangeError", () => {
      for (const cols of [0, -3, -1, 1.5, 2.0000001, NaN, Infinity]) {
        rejects(gw, () => op.call(gw, new Float32Array(X6), { cols }), RangeError,
          msg(fn, "cols", `got ${esc(String(cols))}$`));
      }
    });

    test("cols that does not divide the length: RangeError naming both", () => {
      rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 4 }), RangeError,
        msg(fn, "cols", `4 does not divide the length of ${input} \\(6\\)`));
      rejects(gw, () => op.call(gw, new Float32Array(5), { cols: 2 }), RangeError,
        msg(fn, "cols", `2 does not divide the length of ${input} \\(5\\)`));
      // cols larger than the whole input
      rejects(gw, () => op.call(gw, [1, 2], { cols: 3 }), RangeError, msg(fn, "cols", `3 does not divide.*\\(2\\)`));
      // a tensor with an explicit cols that does not divide its length
      const t = from(gw, X6, 3);
      rejects(gw, () => op.call(gw, t, { cols: 4 }), RangeError, msg(fn, "cols", `does not divide the length of ${input} \\(6\\)`));
      t.free();
    });

    test("input of a wrong type: TypeError naming the input and what was given", () => {
      const cases: Array<[unknown, string]> = [
        ["abc", "the string"],
        [null, "null"],
        [undefined, "undefined"],
        [{}, "object"],
        [{ length: 6, 0: 1 }, "object"],
        [new BigInt64Array(6), "BigInt64Array"],
        [new BigUint64Array(6), "BigUint64Array"],
        [new DataView(new ArrayBuffer(24)), "DataView"],
        [42, "number 42"],
      ];
      for (const [x, what] of cases) {
        rejects(gw, () => op.call(gw, x, { cols: 3 }), TypeError, msg(fn, input, `must be .*got .*${what}`));
      }
    });

    test("an int32 tensor as input: TypeError", () => {
      const t = gw.tensor(2, 3, "int32");
      rejects(gw, () => op.call(gw, t, {}), TypeError, msg(fn, input, "must be a float32 tensor, got int32"));
      t.free();
    });

    test("a freed tensor as input: TypeError", () => {
      const t = from(gw, X6, 3);
      t.free();
      rejects(gw, () => op.call(gw, t, {}), TypeError, msg(fn, input, "is a freed tensor"));
      rejects(gw, () => op.call(gw, t, { cols: 3 }), TypeError, msg(fn, input, "is a freed tensor"));
    });

    test("a tensor of another instance as input: TypeError", () => {
      const t = from(other, X6, 3);
      rejects(gw, () => op.call(gw, t, {}), TypeError, msg(fn, input, "is a tensor of another gumbel-wasm instance"));
      t.free();
    });

    // ----------------------------------------------------------------- out
    const outLen = 2 * op.outCols(3);
    const Arr = op.outDtype === "int32" ? Int32Array : Float32Array;
    const WrongArr = op.outDtype === "int32" ? Float32Array : Int32Array;
    const sentinelArr = (n: number) => (op.outDtype === "int32" ? i32(n) : f32(n));
    const sentinelTensor = (rows: number, cols: number) =>
      op.outDtype === "int32" ? tensor(gw, rows, cols, "int32") : tensor(gw, rows, cols);

    test("out array of the wrong length: RangeError, out untouched", () => {
      for (const n of [outLen - 1, outLen + 1, 0]) {
        const out = sentinelArr(n);
        rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, out }), RangeError,
          msg(fn, "out", `has ${n} elements, expected ${outLen}`), [out]);
      }
    });

    test("out tensor of the wrong length: RangeError, out untouched", () => {
      const x = from(gw, X6, 3);
      const out = sentinelTensor(1, outLen + 1);
      rejects(gw, () => op.call(gw, x, { out }), RangeError, msg(fn, "out", `has ${outLen + 1} elements, expected ${outLen}`), [out]);
      rejects(gw, () => op.call(gw, X6, { cols: 3, out }), RangeError, msg(fn, "out", "elements"), [out]);
      out.free();
      x.free();
    });

    test(`out of the wrong type (${WrongArr.name} where ${Arr.name} is expected, number[], a tensor of the other dtype): TypeError, out untouched`, () => {
      const wrong = op.outDtype === "int32" ? f32(outLen) : i32(outLen);
      rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, out: wrong }), TypeError,
        msg(fn, "out", `must be an? ${Arr.name} or an? ${op.outDtype} Tensor, got an? ${WrongArr.name}`), [wrong]);
      const plain = new Array<number>(outLen).fill(SENTINEL);
      rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, out: plain }), TypeError, msg(fn, "out", "must be an? "));
      expect(plain.every((v) => v === SENTINEL)).toBe(true);
      const wrongT = op.outDtype === "int32" ? tensor(gw, 2, op.outCols(3)) : tensor(gw, 2, op.outCols(3), "int32");
      const otherDtype = op.outDtype === "int32" ? "float32" : "int32";
      rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, out: wrongT }), TypeError,
        msg(fn, "out", `must be a ${op.outDtype} tensor, got ${otherDtype}`), [wrongT]);
      wrongT.free();
      for (const bad of ["out", 5, {}]) {
        rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, out: bad }), TypeError, msg(fn, "out", "must be a"));
      }
    });

    test("a freed out tensor: TypeError, its memory untouched", () => {
      const out = freedTensor(gw, 2, op.outCols(3), op.outDtype);
      rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, out }), TypeError, msg(fn, "out", "is a freed tensor"), [out]);
    });

    test("an out tensor of another instance: TypeError, out untouched", () => {
      const out = op.outDtype === "int32" ? other.tensor(2, 1, "int32") : other.tensor(2, op.outCols(3));
      out.data.fill(SENTINEL);
      rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, out }), TypeError,
        msg(fn, "out", "is a tensor of another gumbel-wasm instance"), [out]);
      out.free();
    });

    if (op.outDtype === "float32" && op.outCols(3) === 3) {
      test("an out tensor overlapping the input tensor: RangeError, input untouched", () => {
        const x = tensor(gw, 2, 3);
        rejects(gw, () => op.call(gw, x, { out: x }), RangeError, msg(fn, "out", `must not overlap ${input}`), [x]);
        x.free();
      });
    }
    if (op.outCols(3) === 1) {
      test("an out tensor overlapping the input tensor (cols = 1): RangeError, input untouched", () => {
        // With one column the rows x 1 output has the input's length: the same tensor fits.
        if (op.outDtype === "int32") return; // an int32 tensor cannot be the float32 input
        const x = tensor(gw, 2, 1);
        rejects(gw, () => op.call(gw, x, { out: x }), RangeError, msg(fn, "out", `must not overlap ${input}`), [x]);
        x.free();
      });
    }

    // ----------------------------------------------------------------- tau
    if (op.tau) {
      test("tau 0, negative, -0, NaN, +/-Infinity, 1e-50 (0 in float32), 1e39 (Inf in float32): RangeError, out untouched", () => {
        for (const tau of [0, -0, -1, -1e-30, NaN, Infinity, -Infinity, 1e-50, 1e-46, 1e39]) {
          const out = sentinelArr(outLen);
          rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, tau, out }), RangeError,
            msg(fn, "tau", "must be positive and finite"), [out]);
          const t = sentinelTensor(2, op.outCols(3));
          const x = from(gw, X6, 3);
          rejects(gw, () => op.call(gw, x, { tau, out: t }), RangeError, msg(fn, "tau", `got ${esc(String(tau))}`), [t]);
          t.free();
          x.free();
        }
      });

      test("tau a string, a bigint, null, a boolean: TypeError, out untouched", () => {
        for (const tau of ["1", 1n, null, true]) {
          const out = sentinelArr(outLen);
          rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, tau, out }), TypeError, msg(fn, "tau", "must be a number"), [out]);
        }
      });
    }

    // ----------------------------------------------------------------- NaN / +Inf / all -Inf
    if (op.rows) {
      const cases: Array<{ label: string; cols: number; data: number[]; re: string }> = [
        { label: "NaN at [1, 2]", cols: 3, data: [0, 1, 2, 3, 4, NaN], re: `${input}\\[1, 2\\] is NaN` },
        { label: "+Inf at [1, 1]", cols: 3, data: [0, 1, 2, 3, Infinity, 1], re: `${input}\\[1, 1\\] is \\+Inf` },
        {
          label: "row 1 all -Inf (row 0 partly masked)", cols: 3, data: [0, -Infinity, 2, -Infinity, -Infinity, -Infinity],
          re: `row 1 of ${input} is all -Inf`,
        },
        // Past the f32x4 groups (tails) and inside them, in the SIMD binary.
        { label: "NaN at [1, 4] (a row tail)", cols: 5, data: [...Array(9).fill(0), NaN], re: `${input}\\[1, 4\\] is NaN` },
        {
          label: "+Inf at [2, 5] (inside a vector)", cols: 8,
          data: Array.from({ length: 24 }, (_, i) => (i === 21 ? Infinity : i % 3)), re: `${input}\\[2, 5\\] is \\+Inf`,
        },
        {
          label: "row 1 of 9 columns all -Inf", cols: 9,
          data: Array.from({ length: 27 }, (_, i) => (i >= 9 && i < 18 ? -Infinity : -i)), re: `row 1 of ${input} is all -Inf`,
        },
        {
          label: "the first bad row is reported (row 1 all -Inf before a NaN in row 2)", cols: 2,
          data: [1, 2, -Infinity, -Infinity, NaN, 0], re: `row 1 of ${input} is all -Inf`,
        },
        { label: "the first NaN of a row is reported", cols: 4, data: [0, 0, 0, 0, 1, NaN, 2, NaN], re: `${input}\\[1, 1\\] is NaN` },
      ];

      test.each(cases)("$label: RangeError naming the row and column", ({ cols, data, re }) => {
        const rows = data.length / cols;
        const outN = rows * op.outCols(cols);
        const extra = op.stream ? { seed: 5 } : {};
        const regex = new RegExp(`^${fn}: ${re}`);
        // Float32Array input, fresh result
        rejects(gw, () => op.call(gw, new Float32Array(data), { cols, ...extra }), RangeError, regex);
        // number[] input, out array
        const outA = sentinelArr(outN);
        rejects(gw, () => op.call(gw, data, { cols, ...extra, out: outA }), RangeError, regex, [outA]);
        // Float64Array input (the NaN survives the copy)
        rejects(gw, () => op.call(gw, new Float64Array(data), { cols, ...extra }), RangeError, regex);
        // tensor input, out tensor
        const x = from(gw, data, cols);
        const outT = sentinelTensor(rows, op.outCols(cols));
        rejects(gw, () => op.call(gw, x, { ...extra, out: outT }), RangeError, regex, [outT]);
        // tensor input, no out: no result tensor is left allocated
        const inUse = gw.heap.bytesInUse;
        rejects(gw, () => op.call(gw, x, extra), RangeError, regex);
        expect(gw.heap.bytesInUse).toBe(inUse);
        if (op.fn === "gumbelSoftmax") {
          const soft = f32(data.length);
          const outH = f32(data.length);
          rejects(gw, () => op.call(gw, data, { cols, seed: 5, hard: true, soft, out: outH }), RangeError, regex, [soft, outH]);
          const softT = tensor(gw, rows, cols);
          rejects(gw, () => op.call(gw, x, { seed: 5, hard: true, soft: softT, out: outT }), RangeError, regex, [softT, outT]);
          softT.free();
        }
        // the input tensor is not modified either
        expect(Array.from(x.data)).toEqual(Array.from(new Float32Array(data)));
        outT.free();
        x.free();
      });

      test("-Inf entries that leave a class unmasked are accepted (no error)", () => {
        const data = [0, -Infinity, 1, -Infinity, -Infinity, 3];
        const r = op.call(gw, data, { cols: 3, ...(op.stream ? { seed: 1 } : {}) });
        expect(ArrayBuffer.isView(r)).toBe(true);
      });
    }

    // ----------------------------------------------------------------- seed / offset
    if (op.stream) {
      test("seed negative, fractional, NaN, > 2^53 as a number, >= 2^64 or negative as a bigint: RangeError, out untouched", () => {
        for (const seed of [-1, 1.5, NaN, Infinity, 2 ** 53 + 2, 2 ** 64, TWO64, TWO64 + 5n, -1n]) {
          const out = sentinelArr(outLen);
          rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, seed, out }), RangeError,
            msg(fn, "seed", `must be .*got ${esc(String(seed))}`), [out]);
        }
      });

      test("seed a string, null, a boolean: TypeError, out untouched", () => {
        for (const seed of ["1", null, true, {}]) {
          const out = sentinelArr(outLen);
          rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, seed, out }), TypeError,
            msg(fn, "seed", "must be a number or a bigint"), [out]);
        }
      });

      test("offset out of range or of a wrong type: RangeError / TypeError, out untouched", () => {
        for (const offset of [-1, 0.5, NaN, 2 ** 53 + 2, TWO64, -1n]) {
          const out = sentinelArr(outLen);
          rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, seed: 1, offset, out }), RangeError,
            msg(fn, "offset", `must be .*got ${esc(String(offset))}`), [out]);
        }
        for (const offset of ["0", null, false]) {
          const out = sentinelArr(outLen);
          rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, seed: 1, offset, out }), TypeError,
            msg(fn, "offset", "must be a number or a bigint"), [out]);
        }
      });

      test("offset without a seed: TypeError, out untouched", () => {
        for (const offset of [0, 5, 7n]) {
          const out = sentinelArr(outLen);
          rejects(gw, () => op.call(gw, new Float32Array(X6), { cols: 3, offset, out }), TypeError, msg(fn, "offset", "needs a seed"), [out]);
        }
      });

      test("offset + count past 2^64: RangeError, out untouched; ending exactly at 2^64 is fine", () => {
        const x3 = new Float32Array([0, 1, 2]);
        const out = sentinelArr(op.outCols(3));
        rejects(gw, () => op.call(gw, x3, { cols: 3, seed: 1, offset: TWO64 - 2n, out }), RangeError,
          msg(fn, "offset", "\\+ 3 elements runs past the end of the stream"), [out]);
        const t = from(gw, X6, 3);
        rejects(gw, () => op.call(gw, t, { seed: 1, offset: TWO64 - 5n }), RangeError, msg(fn, "offset", "\\+ 6 elements"));
        t.free();
        expect(() => op.call(gw, x3, { cols: 3, seed: 1, offset: TWO64 - 3n })).not.toThrow();
      });
    }
  });

  // ------------------------------------------------------------------- gumbelSoftmax's own options
  describe("gumbelSoftmax hard / soft", () => {
    const fn = "gumbelSoftmax";
    test("soft without hard (omitted or false): TypeError, soft and out untouched", () => {
      for (const hard of [undefined, false]) {
        const soft = f32(6);
        const out = f32(6);
        rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard, soft, out }), TypeError,
          msg(fn, "soft", "only written with hard"), [soft, out]);
        const softT = tensor(gw, 2, 3);
        const outT = tensor(gw, 2, 3);
        rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard, soft: softT, out: outT }), TypeError,
          msg(fn, "soft", "hard"), [softT, outT]);
        softT.free();
        outT.free();
      }
    });

    test("hard not a boolean: TypeError, outputs untouched", () => {
      // (null, like undefined, counts as not given)
      for (const hard of ["true", 1, 0, {}, "false"]) {
        const soft = f32(6);
        const out = f32(6);
        rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: hard as never, soft, out }), TypeError,
          msg(fn, "hard", "must be a boolean"), [soft, out]);
      }
    });

    test("soft of the wrong length or type: RangeError / TypeError, soft and out untouched", () => {
      for (const n of [5, 7, 0]) {
        const soft = f32(n);
        const out = f32(6);
        rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: true, soft, out }), RangeError,
          msg(fn, "soft", `has ${n} elements, expected 6`), [soft, out]);
      }
      const softI = i32(6);
      const out = f32(6);
      rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: true, soft: softI as never, out }), TypeError,
        msg(fn, "soft", "must be a Float32Array or a float32 Tensor, got an Int32Array"), [softI, out]);
      rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: true, soft: [0, 0, 0, 0, 0, 0] as never, out }), TypeError,
        msg(fn, "soft", "must be a Float32Array"), [out]);
      const softT = tensor(gw, 2, 3, "int32");
      rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: true, soft: softT as never, out }), TypeError,
        msg(fn, "soft", "must be a float32 tensor"), [softT, out]);
      softT.free();
      const softL = tensor(gw, 1, 7);
      rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: true, soft: softL, out }), RangeError,
        msg(fn, "soft", "has 7 elements, expected 6"), [softL, out]);
      softL.free();
    });

    test("soft the same tensor as out, or as logits: RangeError, untouched", () => {
      const t = tensor(gw, 2, 3);
      rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: true, soft: t, out: t }), RangeError,
        msg(fn, "soft", "must not overlap out"), [t]);
      const x = tensor(gw, 2, 3);
      x.data.set([0, 1, 2, 0, 1, 2]);
      const out = tensor(gw, 2, 3);
      rejects(gw, () => gw.gumbelSoftmax(x, { seed: 1, hard: true, soft: x, out }), RangeError,
        msg(fn, "soft", "must not overlap logits"), [out]);
      expect(Array.from(x.data)).toEqual([0, 1, 2, 0, 1, 2]);
      x.free();
      out.free();
      t.free();
    });

    test("a freed soft tensor or one of another instance: TypeError, untouched", () => {
      const soft = freedTensor(gw, 2, 3);
      const out = f32(6);
      rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: true, soft: soft as never, out }), TypeError,
        msg(fn, "soft", "is a freed tensor"), [soft, out]);
      const otherSoft = other.tensor(2, 3);
      otherSoft.data.fill(SENTINEL);
      rejects(gw, () => gw.gumbelSoftmax(X6, { cols: 3, seed: 1, hard: true, soft: otherSoft, out }), TypeError,
        msg(fn, "soft", "another gumbel-wasm instance"), [otherSoft, out]);
      otherSoft.free();
    });
  });

  // ------------------------------------------------------------------- gradients' second input
  describe.each([
    { fn: "softmaxBackward", name: "dy" },
    { fn: "softmaxJvp", name: "tangent" },
  ])("$fn: $name", ({ fn, name }) => {
    const call = (y: unknown, v: unknown, o: Record<string, unknown>) =>
      fn === "softmaxBackward" ? gw.softmaxBackward(y as never, v as never, o as never) : gw.softmaxJvp(y as never, v as never, o as never);

    test(`${name} of a different length than y: RangeError naming both, outputs untouched`, () => {
      for (const n of [5, 7, 0, 3]) {
        const out = f32(6);
        const dtauOut = f32(2);
        const opts = fn === "softmaxBackward" ? { cols: 3, out, dtauOut } : { cols: 3, out };
        rejects(gw, () => call(new Float32Array(6), new Float32Array(n), opts), RangeError,
          new RegExp(`^${fn}: ${name} has ${n} elements but y has 6`), fn === "softmaxBackward" ? [out, dtauOut] : [out]);
      }
      const y = tensor(gw, 2, 3);
      const v = tensor(gw, 1, 4);
      const out = tensor(gw, 2, 3);
      rejects(gw, () => call(y, v, { out }), RangeError, new RegExp(`^${fn}: ${name} has 4 elements but y has 6`), [out]);
      y.free();
      v.free();
      out.free();
    });

    test(`${name} of a wrong type, freed, or of another instance: TypeError`, () => {
      for (const [v, what] of [["abc", "string"], [null, "null"], [undefined, "undefined"], [{}, "object"], [new BigInt64Array(6), "BigInt64Array"]] as const) {
        const out = f32(6);
        rejects(gw, () => call(new Float32Array(6), v, { cols: 3, out }), TypeError, msg(fn, name, `must be .*got .*${what}`), [out]);
      }
      const freed = freedTensor(gw, 2, 3);
      rejects(gw, () => call(new Float32Array(6), freed, { cols: 3 }), TypeError, msg(fn, name, "is a freed tensor"));
      const o = other.tensor(2, 3);
      rejects(gw, () => call(new Float32Array(6), o, { cols: 3 }), TypeError, msg(fn, name, "another gumbel-wasm instance"));
      o.free();
      const it = gw.tensor(2, 3, "int32");
      rejects(gw, () => call(new Float32Array(6), it, { cols: 3 }), TypeError, msg(fn, name, "must be a float32 tensor"));
      it.free();
    });

    test(`out the same tensor as ${name}: RangeError, untouched`, () => {
      const y = from(gw, [0.2, 0.3, 0.5, 0.1, 0.1, 0.8], 3);
      const v = tensor(gw, 2, 3);
      rejects(gw, () => call(y, v, { out: v }), RangeError, msg(fn, "out", `must not overlap ${name}`), [v]);
      y.free();
      v.free();
    });
  });

  describe("softmaxBackward: dtauOut", () => {
    const fn = "softmaxBackward";
    test("dtauOut of the wrong length or type: RangeError / TypeError, out and dtauOut untouched", () => {
      for (const n of [1, 3, 6]) {
        const out = f32(6);
        const dtauOut = f32(n);
        rejects(gw, () => gw.softmaxBackward(new Float32Array(6), new Float32Array(6), { cols: 3, out, dtauOut }), RangeError,
          msg(fn, "dtauOut", `has ${n} elements, expected 2`), [out, dtauOut]);
      }
      const out = f32(6);
      const dI = i32(2);
      rejects(gw, () => gw.softmaxBackward(new Float32Array(6), new Float32Array(6), { cols: 3, out, dtauOut: dI as never }), TypeError,
        msg(fn, "dtauOut", "must be a Float32Array or a float32 Tensor, got an Int32Array"), [out, dI]);
      const dT = tensor(gw, 3, 1);
      const outT = tensor(gw, 2, 3);
      const y = tensor(gw, 2, 3);
      rejects(gw, () => gw.softmaxBackward(y, new Float32Array(6), { out: outT, dtauOut: dT }), RangeError,
        msg(fn, "dtauOut", "has 3 elements, expected 2"), [dT, outT]);
      const freed = freedTensor(gw, 2, 1);
      rejects(gw, () => gw.softmaxBackward(y, new Float32Array(6), { out: outT, dtauOut: freed as never }), TypeError,
        msg(fn, "dtauOut", "is a freed tensor"), [freed, outT]);
      const o = other.tensor(2, 1);
      o.data.fill(SENTINEL);
      rejects(gw, () => gw.softmaxBackward(y, new Float32Array(6), { out: outT, dtauOut: o }), TypeError,
        msg(fn, "dtauOut", "another gumbel-wasm instance"), [o, outT]);
      o.free();
      dT.free();
      outT.free();
      y.free();
    });

    test("dtauOut overlapping y, dy or out (one column): RangeError, untouched", () => {
      const y = tensor(gw, 3, 1);
      const dy = tensor(gw, 3, 1);
      const out = tensor(gw, 3, 1);
      rejects(gw, () => gw.softmaxBackward(y, dy, { out, dtauOut: y }), RangeError, msg(fn, "dtauOut", "must not overlap y"), [y, dy, out]);
      rejects(gw, () => gw.softmaxBackward(y, dy, { out, dtauOut: dy }), RangeError, msg(fn, "dtauOut", "must not overlap dy"), [y, dy, out]);
      rejects(gw, () => gw.softmaxBackward(y, dy, { out, dtauOut: out }), RangeError, msg(fn, "dtauOut", "must not overlap out"), [y, dy, out]);
      y.free();
      dy.free();
      out.free();
    });
  });

  // ------------------------------------------------------------------- random streams
  describe.each(["gumbelNoise", "uniform", "randomBits"] as const)("%s", (fn) => {
    const call = (n: unknown, o: Record<string, unknown> = {}) => (gw[fn] as unknown as (n: unknown, o: unknown) => unknown).call(gw, n, o);
    const hasOut = fn !== "randomBits";

    test("n negative, fractional, NaN, Infinity, too large: RangeError", () => {
      for (const n of [-1, -0.5, 1.5, NaN, Infinity, 2 ** 31]) {
        rejects(gw, () => call(n, { seed: 1 }), RangeError, msg(fn, "n", `must be an integer from 0 to \\d+, got ${esc(String(n))}`));
      }
    });

    test("n a string, a bigint, undefined, null: TypeError", () => {
      for (const n of ["3", 3n, undefined, null]) {
        rejects(gw, () => call(n, { seed: 1 }), TypeError, msg(fn, "n", "must be a number"));
      }
    });

    test("seed and offset errors; offset without seed; offset + n past 2^64", () => {
      for (const seed of [-1, 0.5, 2 ** 53 + 2, TWO64, -1n]) {
        rejects(gw, () => call(3, { seed }), RangeError, msg(fn, "seed", `got ${esc(String(seed))}`));
      }
      for (const offset of [-1, 0.5, 2 ** 53 + 2, TWO64, -1n]) {
        rejects(gw, () => call(3, { seed: 1, offset }), RangeError, msg(fn, "offset", `got ${esc(String(offset))}`));
      }
      rejects(gw, () => call(3, { seed: "1" }), TypeError, msg(fn, "seed", "must be a number or a bigint, got the string"));
      rejects(gw, () => call(3, { seed: 1, offset: "1" }), TypeError, msg(fn, "offset", "must be a number or a bigint"));
      rejects(gw, () => call(3, { offset: 1 }), TypeError, msg(fn, "offset", "needs a seed"));
      rejects(gw, () => call(3, { seed: 1, offset: TWO64 - 2n }), RangeError, msg(fn, "offset", "\\+ 3 elements runs past the end"));
      expect((call(3, { seed: 1, offset: TWO64 - 3n }) as ArrayLike<number>).length).toBe(3);
    });

    if (hasOut) {
      test("out of the wrong length, type, freed, of another instance: error, out untouched", () => {
        for (const len of [2, 4]) {
          const out = f32(len);
          rejects(gw, () => call(3, { seed: 1, out }), RangeError, msg(fn, "out", `has ${len} elements, expected 3`), [out]);
          const t = tensor(gw, 1, len);
          rejects(gw, () => call(3, { seed: 1, out: t }), RangeError, msg(fn, "out", `has ${len} elements, expected 3`), [t]);
          t.free();
        }
        const oi = i32(3);
        rejects(gw, () => call(3, { seed: 1, out: oi }), TypeError, msg(fn, "out", "must be a Float32Array"), [oi]);
        const ti = tensor(gw, 1, 3, "int32");
        rejects(gw, () => call(3, { seed: 1, out: ti }), TypeError, msg(fn, "out", "must be a float32 tensor"), [ti]);
        ti.free();
        const freed = freedTensor(gw, 1, 3);
        rejects(gw, () => call(3, { seed: 1, out: freed }), TypeError, msg(fn, "out", "is a freed tensor"), [freed]);
        const o = other.tensor(1, 3);
        o.data.fill(SENTINEL);
        rejects(gw, () => call(3, { seed: 1, out: o }), TypeError, msg(fn, "out", "another gumbel-wasm instance"), [o]);
        o.free();
        // errors in n, seed or offset leave a valid out alone too
        const out = f32(3);
        rejects(gw, () => call(-1, { seed: 1, out }), RangeError, msg(fn, "n"), [out]);
        rejects(gw, () => call(3, { seed: -1, out }), RangeError, msg(fn, "seed"), [out]);
        rejects(gw, () => call(3, { seed: 1, offset: TWO64 - 1n, out }), RangeError, msg(fn, "offset"), [out]);
        rejects(gw, () => call(3, { offset: 1, out }), TypeError, msg(fn, "offset"), [out]);
      });
    }
  });

  describe("rng", () => {
    test("seed / offset out of range or of a wrong type", () => {
      for (const seed of [-1, 1.5, 2 ** 53 + 2, TWO64, -1n]) {
        rejects(gw, () => gw.rng(seed as never), RangeError, msg("rng", "seed", `got ${esc(String(seed))}`));
      }
      for (const seed of ["7", null, undefined]) {
        rejects(gw, () => gw.rng(seed as never), TypeError, msg("rng", "seed", "must be a number or a bigint"));
      }
      for (const offset of [-1, 1.5, 2 ** 53 + 2, TWO64, -1n]) {
        rejects(gw, () => gw.rng(1, offset as never), RangeError, msg("rng", "offset", `got ${esc(String(offset))}`));
      }
      rejects(gw, () => gw.rng(1, "0" as never), TypeError, msg("rng", "offset", "must be a number or a bigint"));
    });

    test("a draw past 2^64 throws and does not advance the stream; a failed call does not either", () => {
      const r = gw.rng(1, TWO64 - 2n);
      rejects(gw, () => r.gumbelNoise(3), RangeError, msg("gumbelNoise", "offset", "\\+ 3 elements runs past the end"));
      expect(r.offset).toBe(TWO64 - 2n);
      rejects(gw, () => r.gumbelMax([0, 1, 2], { cols: 3 }), RangeError, msg("gumbelMax", "offset", "runs past"));
      expect(r.offset).toBe(TWO64 - 2n);
      const r2 = gw.rng(9);
      rejects(gw, () => r2.gumbelSoftmax([0, NaN, 1], { cols: 3 }), RangeError, /^gumbelSoftmax: logits\[0, 1\] is NaN/);
      rejects(gw, () => r2.gumbelNoise(-1), RangeError, msg("gumbelNoise", "n"));
      const out = i32(2);
      rejects(gw, () => r2.gumbelMax([0, 1, 2], { cols: 3, out }), RangeError, msg("gumbelMax", "out", "has 2 elements, expected 1"), [out]);
      expect(r2.offset).toBe(0n);
      // and it then draws exactly the stream's first elements
      expect(Array.from(r2.gumbelNoise(2))).toEqual(Array.from(gw.gumbelNoise(2, { seed: 9 })));
    });
  });

  // ------------------------------------------------------------------- tensors
  describe("tensor, tensorFrom, free", () => {
    test("tensor(): rows / cols negative, fractional, NaN, too large: RangeError; not numbers: TypeError", () => {
      for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 31]) {
        rejects(gw, () => gw.tensor(bad, 2), RangeError, msg("tensor", "rows", `got ${esc(String(bad))}`));
        rejects(gw, () => gw.tensor(2, bad), RangeError, msg("tensor", "cols", `got ${esc(String(bad))}`));
      }
      for (const bad of ["2", 2n, null, undefined]) {
        rejects(gw, () => gw.tensor(bad as never, 2), TypeError, msg("tensor", "rows", "must be a number"));
        rejects(gw, () => gw.tensor(2, bad as never), TypeError, msg("tensor", "cols", "must be a number"));
      }
      rejects(gw, () => gw.tensor(65536, 65536), RangeError, /^tensor: 65536 x 65536 does not fit in 4 GiB/);
    });

    test("tensor(): a dtype other than float32 / int32: TypeError", () => {
      for (const dtype of ["float64", "f32", "", 1, null]) {
        rejects(gw, () => gw.tensor(2, 2, dtype as never), TypeError, msg("tensor", "dtype", 'must be "float32" or "int32"'));
      }
    });

    test("tensorFrom(): data not an array of numbers: TypeError; cols bad: RangeError / TypeError", () => {
      for (const data of ["abc", null, undefined, {}, new BigInt64Array(2), 5]) {
        rejects(gw, () => gw.tensorFrom(data as never), TypeError, msg("tensorFrom", "data", "must be an array of numbers"));
      }
      rejects(gw, () => gw.tensorFrom([1, 2, 3], 2), RangeError, msg("tensorFrom", "cols", "2 does not divide data.length = 3"));
      rejects(gw, () => gw.tensorFrom([1, 2, 3], 0), RangeError, msg("tensorFrom", "cols", "0 does not divide"));
      for (const cols of [-1, 1.5, NaN]) {
        rejects(gw, () => gw.tensorFrom([1, 2, 3], cols), RangeError, msg("tensorFrom", "cols", `got ${esc(String(cols))}`));
      }
      rejects(gw, () => gw.tensorFrom([1, 2, 3], "3" as never), TypeError, msg("tensorFrom", "cols", "must be a number"));
    });

    test("a second free() throws TypeError; data of a freed tensor throws; [Symbol.dispose]() after free() does not", () => {
      const t = gw.tensor(2, 2);
      const inUse = gw.heap.bytesInUse;
      t.free();
      expect(t.isFreed).toBe(true);
      expect(gw.heap.bytesInUse).toBe(inUse - 16);
      throws(() => t.free(), TypeError, /^tensor\.free: .*already been freed/);
      throws(() => t.data, TypeError, /^tensor\.data: .*freed/);
      expect(() => t[Symbol.dispose]()).not.toThrow();
      expect(() => t[Symbol.dispose]()).not.toThrow();
      // the failed second free did not release anything else
      expect(gw.heap.bytesInUse).toBe(inUse - 16);
      healthy(gw);
    });
  });

  test("a failed call leaves nothing behind: its tensors can be the out of the next calls", () => {
    const y = from(gw, [0.2, 0.3, 0.5, 0.1, 0.1, 0.8], 3);
    const dy = tensor(gw, 2, 3);
    const soft = tensor(gw, 2, 3);
    rejects(gw, () => gw.softmaxBackward(y, dy, { tau: 0 }), RangeError, msg("softmaxBackward", "tau"), [dy]);
    rejects(gw, () => gw.gumbelSoftmax(y, { seed: 1, tau: -1, hard: true, soft }), RangeError, msg("gumbelSoftmax", "tau"), [soft]);
    // dy was the failed call's second input and soft its second output: neither is "overlapping" now
    const x = [0, 1, 2, 3, 4, 5];
    expect(gw.softmax(x, { cols: 3, out: dy })).toBe(dy);
    expect(Array.from(dy.data)).toEqual(Array.from(gw.softmax(x, { cols: 3 })));
    expect(gw.gumbelNoise(6, { seed: 2, out: soft })).toBe(soft);
    expect(Array.from(soft.data)).toEqual(Array.from(gw.gumbelNoise(6, { seed: 2 })));
    const out = tensor(gw, 2, 3);
    expect(gw.gumbelSoftmax(x, { cols: 3, seed: 3, hard: true, soft: dy, out })).toBe(out);
    expect(gw.softmaxJvp(y, soft, { out: dy })).toBe(dy);
    for (const t of [y, dy, soft, out]) t.free();
  });

  test("the sentinel check itself notices a single overwritten element (so the checks above can fail)", () => {
    const a = f32(8);
    a[5] = 0;
    expect(() => untouched(a)).toThrow();
    const t = tensor(gw, 2, 2, "int32");
    t.data[3] = SENTINEL + 1;
    expect(() => untouched(t)).toThrow();
    t.free();
    untouched(f32(3));
  });

  test("after many errors, a seeded call gives the same bits as before them", () => {
    const logits = [0.1, -2, 3, 0.5, 0.5, -1, 4, 4];
    const before = gw.gumbelSoftmax(logits, { cols: 4, tau: 0.7, seed: 123n, offset: 5 });
    const idxBefore = gw.gumbelMax(logits, { cols: 4, seed: 123n, offset: 5 });
    for (const op of ops) {
      if (op.rows) expect(() => op.call(gw, [NaN, 0], op.stream ? { cols: 2, seed: 1 } : { cols: 2 })).toThrow(RangeError);
      expect(() => op.call(gw, [0, 1, 2], { cols: 2 })).toThrow(RangeError);
      expect(() => op.call(gw, "x", { cols: 2 })).toThrow(TypeError);
    }
    const after = gw.gumbelSoftmax(logits, { cols: 4, tau: 0.7, seed: 123n, offset: 5 });
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(Array.from(gw.gumbelMax(logits, { cols: 4, seed: 123n, offset: 5 }))).toEqual(Array.from(idxBefore));
    healthy(gw);
  });
});

test("init: an unknown backend is a TypeError naming init and backend", async () => {
  for (const backend of ["gpu", "", "SIMD", 1]) {
    let err: unknown;
    try {
      await init({ backend: backend as never });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(/^init: backend must be "auto", "simd" or "scalar"/);
  }
});
