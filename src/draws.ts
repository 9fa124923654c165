// Sample shapes for the distribution classes: n draws of the whole batch in one call, as
// torch's `d.sample((n,))` and TFP's `d.sample(n)` draw them. Draw-major: draw i fills the
// output from i * (the batch's values) on, and uses the stream from offset + i * batchElements
// on, batchElements being the elements one draw of the batch consumes (rows * cols for the
// categoricals, 2 * size for RelaxedBernoulli). So a call with n draws is exactly n calls with
// n = 1 at those offsets, and draws split across calls replay bit for bit. Also the mode's
// argmax: the first largest entry of a row, gumbelMax's and sampleTokens' greedy rule.

import { describe, wordsToBigInt } from "./checks.js";
import type { GumbelWasm } from "./gumbel.js";
import type { StreamOptions } from "./types.js";

/** The most stream elements one sample call draws in all, n * batchElements (2^29 - 1). */
const MAX_DRAWN = 0x7fffffff >> 2;
/** Stream elements per kernel call at most (unless one draw is more): the parameters are repeated that far (1 MiB). */
const CHUNK = 1 << 18;

/**
 * A sample call's `n`: undefined (1), or an integer from `min` (1; RelaxedBernoulli's 0) to
 * what keeps n * batchElements within 2^29 - 1 (one draw is always allowed with min 1).
 */
export function checkDraws(fn: string, n: unknown, batchElements: number, min: 0 | 1): number {
  if (n === undefined) return 1;
  if (typeof n !== "number") throw new TypeError(`${fn}: n must be a number, got ${describe(n)}`);
  const max = Math.max(min, Math.floor(MAX_DRAWN / Math.max(1, batchElements)));
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${fn}: n must be an integer from ${min} to ${max}, got ${n}`);
  return n;
}

/**
 * Draws n batches in kernel calls of at most CHUNK stream elements (one draw at least):
 * `draw(first, m, seed, offset)` must draw draws first .. first + m - 1 from stream element
 * `offset` of `seed`. The stream is resolved once, for all n * batchElements elements (a bad
 * seed or offset is an error naming `fn`, nothing drawn); without a seed it is the instance's
 * own, which moves past them all once every draw has run.
 */
export function drawBatches(
  gw: GumbelWasm, fn: string, options: StreamOptions, n: number, batchElements: number,
  draw: (first: number, m: number, seed: bigint, offset: bigint) => void,
): void {
  const total = n * batchElements;
  gw.drawFrom(fn, options, total);
  const seed = wordsToBigInt(gw.streams.key);
  const offset = wordsToBigInt(gw.streams.counter);
  const per = Math.max(1, Math.floor(CHUNK / Math.max(1, batchElements)));
  for (let first = 0; first < n; first += per) draw(first, Math.min(per, n - first), seed, offset + BigInt(first * batchElements));
  if (options.seed === undefined) gw.streams.advance(total);
}

/** `x` repeated `m` times, one copy after the other. */
export function repeat(x: Float32Array, m: number): Float32Array {
  if (m === 1) return x;
  const out = new Float32Array(m * x.length);
  for (let i = 0; i < m; i++) out.set(x, i * x.length);
  return out;
}

/** A parameter repeated for consecutive draws, kept between calls (a chunk's worth at most). */
export class Repeated {
  private copies: Float32Array;
  constructor(private readonly x: Float32Array) {
    this.copies = x;
  }

  /** `x` repeated m times (a view on the kept copies). */
  times(m: number): Float32Array {
    const len = this.x.length;
    if (this.copies.length < m * len) this.copies = repeat(this.x, m);
    return this.copies.subarray(0, m * len);
  }
}

/** The first largest entry of each row of x (rows x cols, no NaN, no row all -Inf). */
export function argmaxRows(x: Float32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = r * cols;
    for (let i = best + 1; i < (r + 1) * cols; i++) if (x[i]! > x[best]!) best = i;
    out[r] = best - r * cols;
  }
  return out;
}

/** One-hot rows (rows x cols, float32) of one class index per row. */
export function oneHot(index: Int32Array, cols: number): Float32Array {
  const out = new Float32Array(index.length * cols);
  for (let r = 0; r < index.length; r++) out[r * cols + index[r]!] = 1;
  return out;
}
