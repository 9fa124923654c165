// Sample shapes for the distribution classes: n draws of the whole batch in one call, as
// torch's `d.sample((n,))` and TFP's `d.sample(n)` draw them. Draw-major: draw i fills the
// output from i * (the batch's values) on, and uses the stream from offset + i * batchElements
// on, batchElements being the elements one draw of the batch consumes (rows * cols for the
// categoricals, 2 * size for RelaxedBernoulli). So a call with n draws is exactly n calls with
// n = 1 at those offsets, and draws split across calls replay bit for bit. The async forms take
// their stream at the call (`reserveDraw`) and stage their operands in blocks of their own
// (`Blocks`) until their kernels, here or on the worker pool, are done. Also the mode's argmax:
// the first largest entry of a row, gumbelMax's and sampleTokens' greedy rule.

import { addWords, describe, wordsToBigInt, type Words } from "./checks.js";
import type { GumbelWasm } from "./gumbel.js";
import type { Job } from "./launch.js";
import { Call } from "./marshal.js";
import { Tensor } from "./memory.js";
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

/** A draw's stream, resolved: its key and first counter. */
export interface Drawn {
  key: Words;
  counter: Words;
}

/**
 * An async draw's stream, taken at the call as the synchronous call takes it (`options`' seed
 * and offset, or the instance's own stream, checked for `total` elements: an error names `fn`,
 * nothing drawn) and, without a seed, the instance's stream moved past it at once: calls in
 * flight together draw what the same calls made one after another draw.
 */
export function reserveDraw(gw: GumbelWasm, fn: string, options: StreamOptions, total: number): Drawn {
  gw.drawFrom(fn, options, total);
  const { key, counter } = gw.streams;
  const drawn = { key: { lo: key.lo, hi: key.hi }, counter: { lo: counter.lo, hi: counter.hi } };
  gw.streams.drawn();
  return drawn;
}

/**
 * `drawBatches` for the async forms: the stream reserved at the call (`reserveDraw`), then the
 * kernel calls of at most CHUNK stream elements one after the other, each awaited (so at most
 * one chunk's parameters and outputs are staged at a time). Same draws, same bits.
 */
export async function drawBatchesAsync(
  gw: GumbelWasm, fn: string, options: StreamOptions, n: number, batchElements: number,
  draw: (first: number, m: number, seed: bigint, offset: bigint) => Promise<unknown>,
): Promise<void> {
  const { key, counter } = reserveDraw(gw, fn, options, n * batchElements);
  const seed = wordsToBigInt(key);
  const offset = wordsToBigInt(counter);
  const per = Math.max(1, Math.floor(CHUNK / Math.max(1, batchElements)));
  for (let first = 0; first < n; first += per) await draw(first, Math.min(per, n - first), seed, offset + BigInt(first * batchElements));
}

/** The kernel call writing elements e0 .. e1-1 of a draw's Gumbel noise (stream `d`) at `ptr` + 4 e0: exactly those of one call for them all. */
export function noiseJob(ptr: number, e0: number, e1: number, d: Drawn): Job {
  const c = addWords(d.counter, e0, { lo: 0, hi: 0 });
  return ["gumbel_noise", [ptr + 4 * e0, e1 - e0, d.key.lo, d.key.hi, c.lo, c.hi]];
}

/**
 * Float32 blocks of an async call's own (a Call of its own, released with it), laid out as
 * staged.ts `runStaged` lays them: `inputs` (tensors of the instance and views on its memory
 * read in place, other arrays copied in), then one block per entry of `outputs` (its length; 0
 * gives the pointer 0, "not wanted"), their pointers in `ptrs` in that order. `read()` copies
 * the outputs out once the kernels are done; `release()` frees the blocks.
 */
export class Blocks {
  readonly ptrs: number[] = [];
  private readonly starts: number[] = [];
  private readonly c: Call;

  constructor(gw: GumbelWasm, fn: string, inputs: ReadonlyArray<Tensor | ArrayLike<number>>, private readonly outputs: readonly number[]) {
    const c = (this.c = new Call(gw, null, false).begin(fn));
    const memory = c.memory;
    const inPlace = inputs.map((x) => (x instanceof Tensor ? (c.checkTensor("input", x, "float32"), x.byteOffset) : x instanceof Float32Array && x.buffer === memory.buffer ? x.byteOffset : -1));
    const bytes = (n: number) => Math.ceil(n / 4) * 16;
    const total = inputs.reduce((t, x, i) => t + (inPlace[i] === -1 ? bytes(x.length) : 0), 0) + outputs.reduce((t, n) => t + bytes(n), 0);
    let at = total === 0 ? 0 : c.stage(total);
    const f32 = new Float32Array(memory.buffer);
    inputs.forEach((x, i) => {
      if (inPlace[i] !== -1) return void this.ptrs.push(inPlace[i]!);
      f32.set(x as ArrayLike<number>, at >> 2);
      this.ptrs.push(at);
      at += bytes(x.length);
    });
    for (const n of outputs) {
      this.starts.push(at);
      this.ptrs.push(n === 0 ? 0 : at);
      at += bytes(n);
    }
  }

  /** The outputs, copied out. */
  read(): Float32Array[] {
    const view = new Float32Array(this.c.memory.buffer);
    return this.outputs.map((n, i) => view.slice(this.starts[i]! >> 2, (this.starts[i]! >> 2) + n));
  }

  release(): void {
    this.c.release();
  }
}

/**
 * Stages `inputs` and `outputs` in blocks of their own (`Blocks`), runs `run(ptrs)` (the kernels,
 * here or on the pool), and resolves with the outputs; the blocks are released either way.
 */
export async function stagedAsync(
  gw: GumbelWasm, fn: string, inputs: ReadonlyArray<Tensor | ArrayLike<number>>, outputs: readonly number[], run: (ptrs: number[]) => Promise<void>,
): Promise<Float32Array[]> {
  const b = new Blocks(gw, fn, inputs, outputs);
  try {
    await run(b.ptrs);
    return b.read();
  } finally {
    b.release();
  }
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
