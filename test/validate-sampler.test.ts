// gumbelMax and index-only hard gumbelSoftmax on rows of 64+ classes validate each row in the
// sampler's own passes (no validation pass of its own, for up to 1024 rows: the indices wait in
// the scratch until every row is drawn). These tests put a NaN, a +Inf or a row of -Inf in every
// place that path reads differently: the first, a middle and the last row, a row's head, a
// vector's middle and its scalar tail, a chunk pruning skips, rows of one chunk and of several,
// and batches past 1024 rows (the validation pass again). Each must be the error the validation
// pass gives, naming the first bad row and column, with the output untouched.
import { describe, expect, test } from "vitest";
import type { DType, GumbelWasm, Tensor } from "../src/node.js";
import { argmaxRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

const SENTINEL = -7;

type Fault = "nan" | "inf" | "masked";

/** Rows of N(0, 1)-like logits, with one fault put at (row, col) (for "masked", the whole row). */
function logitsWith(rows: number, cols: number, fault: Fault, row: number, col: number, wide = false): Float32Array {
  const rnd = testRandom(rows * 7919 + cols);
  // `wide`: a spread far beyond the noise (logits falling with the column), so that pruning
  // skips every chunk after the first without drawing it.
  const x = Float32Array.from({ length: rows * cols }, (_, i) => (wide ? -(i % cols) * 0.05 : 0) + 2 * rnd() - 1);
  if (fault === "masked") x.fill(-Infinity, row * cols, (row + 1) * cols);
  else x[row * cols + col] = fault === "nan" ? NaN : Infinity;
  return x;
}

function message(fn: string, fault: Fault, row: number, col: number): RegExp {
  if (fault === "masked") return new RegExp(`^${fn}: row ${row} of logits is all -Inf`);
  return new RegExp(`^${fn}: logits\\[${row}, ${col}\\] is ${fault === "nan" ? "NaN" : "\\+Inf"}`);
}

/** The call throws the validation pass's RangeError and leaves `out` (filled with SENTINEL) as it was. */
/**
 * The call throws `re` (a RangeError) and leaves its `out` untouched: a typed array (which the
 * library stages outside wasm memory) and a tensor on wasm memory, which the kernel writes itself.
 */
function rejectsUntouched(gw: GumbelWasm, call: (out: Float32Array | Int32Array | Tensor<DType>) => unknown, out: Float32Array | Int32Array, re: RegExp): void {
  out.fill(SENTINEL);
  expect(() => call(out)).toThrow(re);
  expect(() => call(out)).toThrow(RangeError);
  expect(out.every((v) => v === SENTINEL)).toBe(true);
  const t = out instanceof Int32Array ? gw.tensor([out.length], "int32") : gw.tensor([out.length]);
  try {
    t.data.fill(SENTINEL);
    expect(() => call(t)).toThrow(re);
    expect(t.data.every((v) => v === SENTINEL)).toBe(true);
  } finally {
    t.free();
  }
}

const shapes: Array<{ rows: number; cols: number; wide?: boolean }> = [
  { rows: 3, cols: 64 },
  { rows: 5, cols: 1000 }, // one chunk, a scalar tail of 8 past the groups of 32
  { rows: 2, cols: 1027 }, // two chunks, the second of 3 classes
  { rows: 4, cols: 3000, wide: true }, // pruned: chunks after the first are skipped undrawn
  { rows: 1024, cols: 70 }, // the most rows the scratch holds
  { rows: 1025, cols: 64 }, // one more: the validation pass of its own
  { rows: 2100, cols: 64 }, // three batches of 1024 rows, each through the scratch
];

describe.each(backends)("%s binary", (backend) => {
  let gw: GumbelWasm;

  test.each(shapes)("$rows x $cols: a bad row anywhere is the validation pass's error, nothing written", async ({ rows, cols, wide }) => {
    gw = await load(backend);
    const rowsAt = [...new Set([0, rows >> 1, rows - 1])];
    const colsAt = [...new Set([0, 5, cols >> 1, cols - 1, cols - 3])];
    for (const row of rowsAt) {
      for (const fault of ["nan", "inf", "masked"] as const) {
        for (const col of fault === "masked" ? [0] : colsAt) {
          const x = logitsWith(rows, cols, fault, row, col, wide);
          rejectsUntouched(gw, (out) => gw.gumbelMax(x, { cols, seed: 3, out: out as Int32Array }), new Int32Array(rows), message("gumbelMax", fault, row, col));
          rejectsUntouched(
            gw,
            (out) => gw.gumbelSoftmax(x, { cols, seed: 3, hard: true, out: out as Float32Array }),
            new Float32Array(rows * cols),
            message("gumbelSoftmax", fault, row, col),
          );
        }
      }
    }
  });

  test.each(shapes.filter((s) => s.rows >= 3))("$rows x $cols: the first bad row is the one reported (a later NaN, an earlier masked row)", async ({ rows, cols, wide }) => {
    gw = await load(backend);
    const x = logitsWith(rows, cols, "masked", 1, 0, wide);
    x[(rows - 1) * cols + 2] = NaN;
    rejectsUntouched(gw, (out) => gw.gumbelMax(x, { cols, seed: 1, out: out as Int32Array }), new Int32Array(rows), message("gumbelMax", "masked", 1, 0));
  });

  test.each(shapes)("$rows x $cols: good rows (with masks, a -Inf column, +/-3.4e38) draw the argmax of logits + gumbelNoise", async ({ rows, cols, wide }) => {
    gw = await load(backend);
    const x = logitsWith(rows, cols, "nan", 0, 0, wide);
    x[0] = -Infinity; // the fault replaced by a mask
    x[cols - 1] = -3.4e38;
    x[rows * cols - 1] = 3.4e38; // finite: the last row's class
    const g = gw.gumbelNoise(rows * cols, { seed: 11 }) as Float32Array;
    const want = Array.from(argmaxRef(x.map((l, i) => l + g[i]!), cols));
    expect(Array.from(gw.gumbelMax(x, { cols, seed: 11 }))).toEqual(want);
    const hard = gw.gumbelSoftmax(x, { cols, seed: 11, hard: true }) as Float32Array;
    for (let r = 0; r < rows; r++) expect(hard.subarray(r * cols, (r + 1) * cols).indexOf(1)).toBe(want[r]);
    expect(want[rows - 1]).toBe(cols - 1);
  });
});
