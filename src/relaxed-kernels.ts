// The relaxed distributions' kernels (assembly/relaxed.ts, float64 inside), run for the classes
// of relaxed.ts and for gumbel-wasm/tfjs: the values checked on the calling thread (the same
// checks and errors either way), the operands staged in wasm memory, the kernel run here (the
// synchronous forms, through the instance's marshalling) or split across the worker pool (the
// async forms: rows of the categorical density, elements of the Bernoulli kernels, each part
// exactly what the whole batch gives there). No exp or log runs in JS.

import { BERN_SAMPLE } from "./abi.js";
import { floatInputError, isNumberArray, rowError } from "./checks.js";
import { probsTolerance } from "./distributions.js";
import { noiseJob, stagedAsync, type Drawn } from "./draws.js";
import type { GumbelWasm } from "./gumbel.js";
import { sliceArgs, type Job } from "./launch.js";
import { runStaged } from "./staged.js";
import { Tensor } from "./memory.js";
import { RELAXED_CATEGORICAL_LOG_PROB } from "./specs.js";

/**
 * What an element of these float64 kernels counts for against the pool's threshold (elements of
 * the float32 kernels, such as Gumbel-Softmax's): measured with the synchronous calls, 64 x 1000
 * (Node 20), the categorical density took about 5 times Gumbel-Softmax's time per element, the
 * Bernoulli density and sample 10 to 25 times. Rounded down: a split pays from a quarter of a
 * millisecond or so of work.
 */
const CATEGORICAL_WEIGHT = 4;
const BERNOULLI_WEIGHT = 16;

/** The values of a Tensor (its view: read in place) or an array (as float32), or a TypeError naming the argument. */
export function float32Values(fn: string, name: string, v: unknown): Float32Array {
  if (v instanceof Tensor) return v.dtype === "float32" ? (v as Tensor<"float32">).data : Float32Array.from(v.data);
  if (isNumberArray(v)) return v instanceof Float32Array ? v : Float32Array.from(v);
  throw floatInputError(fn, name, v);
}

/** Runs `kernel` through the instance's marshalling (staged.ts `runStaged`): inputs in, outputs out. */
export function staged(gw: GumbelWasm, fn: string, inputs: ArrayLike<number>[], outputs: number[], kernel: (ptrs: number[]) => void): Float32Array[] {
  const c = gw.marshal(fn);
  try {
    return runStaged(c, inputs, outputs, kernel);
  } finally {
    c.release();
  }
}

/** NaN, +Inf or an all -Inf row: the kernels' own validation pass, and their error naming the place. */
export function checkLogitRows(gw: GumbelWasm, fn: string, name: string, x: Float32Array, rows: number, cols: number): void {
  let bad = -1;
  staged(gw, fn, [x], [], ([p]) => {
    bad = gw.kernels.check_rows(p!, rows, cols);
  });
  if (bad >= 0) throw rowError(fn, name, x.subarray(bad * cols, (bad + 1) * cols), bad, gw.kernels.check_fault());
}

/** Each row of `y` (rows x cols) on the simplex: entries in [0, 1], summing to 1 within `probsTolerance(cols)`; else a RangeError naming the entry or row. */
function checkSimplex(fn: string, y: Float32Array, rows: number, cols: number): void {
  const tol = probsTolerance(cols);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < cols; k++) {
      const v = y[r * cols + k]!;
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: value[${r}, ${k}] must be in [0, 1], got ${v}`);
      s += v;
    }
    if (!(Math.abs(s - 1) <= tol)) {
      throw new RangeError(`${fn}: row ${r} of value sums to ${s}, not 1 (within ${tol.toExponential(0)}): not on the simplex`);
    }
  }
}

/** Each entry of `y` in [0, 1]; else a RangeError naming it. */
function checkUnit(fn: string, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: value[${i}] must be in [0, 1], got ${v}`);
  }
}

/**
 * @internal log p of each row of `y` (rows x cols, checked to lie on the simplex) under the
 * relaxed one-hot categorical of `logits` (already checked) at temperature `taus[r]`:
 * `[logProb]`, or with `grad` `[logProb, dlogits, dtemperature]`. The class and
 * gumbel-wasm/tfjs call it; errors name `fn`.
 */
export function categoricalDensity(
  gw: GumbelWasm, fn: string, logits: Float32Array, y: Float32Array, taus: Float32Array, rows: number, cols: number, grad: boolean,
): Float32Array[] {
  checkSimplex(fn, y, rows, cols);
  const n = rows * cols;
  return staged(gw, fn, [logits, y, taus], [rows, grad ? n : 0, grad ? rows : 0], ([l, yp, t, dst, dl, dt]) =>
    gw.kernels.relaxed_categorical_log_prob(l!, yp!, t!, dst!, dl!, dt!, rows, cols),
  );
}

/**
 * @internal `categoricalDensity` as a Promise: `y` checked now (a bad value rejects with the same
 * error), the rows split across the worker pool for a large batch (each row exactly as alone).
 */
export function categoricalDensityAsync(
  gw: GumbelWasm, fn: string, logits: Float32Array, y: Float32Array, taus: Float32Array, rows: number, cols: number, grad: boolean,
): Promise<Float32Array[]> {
  try {
    checkSimplex(fn, y, rows, cols);
  } catch (e) {
    return Promise.reject(e);
  }
  const n = rows * cols;
  const spec = RELAXED_CATEGORICAL_LOG_PROB;
  return stagedAsync(gw, fn, [logits, y, taus], [rows, grad ? n : 0, grad ? rows : 0], ([l, yp, t, dst, dl, dt]) => {
    const args = [l!, yp!, t!, dst!, dl!, dt!, rows, cols];
    return gw.spread(fn, rows, CATEGORICAL_WEIGHT * cols, (r0, r1) => [[spec.kernel, sliceArgs(args, spec, r0, r1, cols, [])]]);
  });
}

/**
 * @internal A relaxed Bernoulli kernel `op` (BERN_LOG_PROB, BERN_CDF) at each value of `y` (in
 * [0, 1], checked; `logits` and `taus` of `size` elements, already checked, repeat over it):
 * `[result]`, or with 3 outputs `[logProb, dlogits, dtemperature]`. Errors name `fn`.
 */
export function bernoulliRun(
  gw: GumbelWasm, fn: string, op: number, logits: Float32Array, taus: Float32Array, y: Float32Array, size: number, outputs: 1 | 3,
): Float32Array[] {
  checkUnit(fn, y);
  const m = y.length;
  return staged(gw, fn, [logits, taus, y], outputs === 3 ? [m, m, m] : [m, 0, 0], ([l, t, yp, dst, a1, a2]) =>
    gw.kernels.relaxed_bernoulli(op, l!, t!, yp!, dst!, a1!, a2!, m, size),
  );
}

/**
 * @internal `bernoulliRun` as a Promise: `y` checked now (a bad value rejects with the same
 * error), the elements split across the worker pool for a large batch.
 */
export function bernoulliRunAsync(
  gw: GumbelWasm, fn: string, op: number, logits: Float32Array, taus: Float32Array, y: Float32Array, size: number, outputs: 1 | 3,
): Promise<Float32Array[]> {
  try {
    checkUnit(fn, y);
  } catch (e) {
    return Promise.reject(e);
  }
  const m = y.length;
  return stagedAsync(gw, fn, [logits, taus, y], outputs === 3 ? [m, m, m] : [m, 0, 0], ([l, t, yp, dst, a1, a2]) =>
    gw.spread(fn, m, BERNOULLI_WEIGHT, (e0, e1) => bernoulliJobs(op, [l!, t!, yp!, dst!, a1!, a2!], size, 1, e0, e1)),
  );
}

/**
 * @internal `n` relaxed Bernoulli draws of a batch of `size` (`logits`, `taus`) from the stream
 * `d` (reserved: 2 n size elements), as `[soft, hard]` (`hard` empty unless asked): the noise and
 * the transform of each part of the elements in one go, on the worker pool for a large batch.
 * Element i uses noise elements 2i and 2i + 1, exactly as the synchronous draw.
 */
export function bernoulliSampleAsync(
  gw: GumbelWasm, fn: string, logits: Float32Array, taus: Float32Array, size: number, n: number, hard: boolean, d: Drawn,
): Promise<Float32Array[]> {
  const count = n * size;
  return stagedAsync(gw, fn, [logits, taus], [count, hard ? count : 0, 2 * count], ([l, t, dst, hd, g]) =>
    gw.spread(fn, count, BERNOULLI_WEIGHT, (e0, e1) => [noiseJob(g!, 2 * e0, 2 * e1, d), ...bernoulliJobs(BERN_SAMPLE, [l!, t!, g!, dst!, hd!, 0], size, 2, e0, e1)]),
  );
}

/**
 * The relaxed_bernoulli calls doing elements e0 .. e1-1 of `op` over draws of a batch of `size`
 * (element q reads logits[q % size] and tau[q % size], and `stride` floats of x from x + q *
 * stride): one call for the whole draws of the range, one for each piece of a draw at its ends
 * (that piece's parameters from its own first element).
 */
function bernoulliJobs(op: number, [l, t, x, dst, a1, a2]: readonly number[], size: number, stride: number, e0: number, e1: number): Job[] {
  const at = (p: number, q: number) => (p === 0 ? 0 : p + 4 * q);
  const jobs: Job[] = [];
  for (let q = e0; q < e1; ) {
    const j = q % size;
    const whole = j === 0 ? Math.floor((e1 - q) / size) * size : 0;
    const end = whole > 0 ? q + whole : Math.min(e1, q - j + size);
    const piece = whole > 0 ? size : end - q;
    jobs.push(["relaxed_bernoulli", [op, at(l!, j), at(t!, j), at(x!, q * stride), at(dst!, q), at(a1!, q), at(a2!, q), end - q, piece]]);
    q = end;
  }
  return jobs;
}
