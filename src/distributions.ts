// Distributions over the kernels, for users of torch.distributions / TFP / jax.random.
// Every transcendental on the way to a result runs in wasm (softmax, log-softmax, log); the
// JavaScript here only validates, gathers and sums. The samples have async forms (`...Async`):
// the same checks, errors (rejecting), stream and bits, the batch split across the worker pool
// when large. Constructors' params and methods' options take exactly the keys of their types:
// another key is a TypeError (src/options.ts).

import { DIST_CDF, DIST_LOG_CDF, DIST_LOG_PDF, DIST_PDF, DIST_QUANTILE, DIST_SAMPLE } from "./abi.js";
import { checkCount, checkFlag, describe, floatInputError, isNumberArray } from "./checks.js";
import { argmaxRows, checkDraws, drawBatches, drawBatchesAsync, noiseJob, oneHot, Repeated, reserveDraw, stagedAsync } from "./draws.js";
import type { GumbelWasm } from "./gumbel.js";
import { runStaged } from "./staged.js";
import { Tensor } from "./memory.js";
import type { ModeOptions, SampleOptions, ColsOption, StreamOptions } from "./types.js";
import { checkOptions, checkParams, NOTES, optionKeys, type OptionKeys } from "./options.js";

/** Parameters of a batch of categorical distributions: unnormalised `logits` or `probs`. */
export interface CategoricalParams extends ColsOption {
  /** Unnormalised log-probabilities, row-major (`-Inf` masks a class). */
  logits?: Tensor | ArrayLike<number>;
  /** Probabilities, row-major: non-negative, finite, each row summing to 1 (see `normalize`). */
  probs?: Tensor | ArrayLike<number>;
  /** With `probs`: divide each row by its sum instead of requiring it to be 1. Default false. */
  normalize?: boolean;
}
const NO_TEMPERATURE = "Categorical has no temperature: divide the logits by it, or use RelaxedOneHotCategorical";
const CATEGORICAL_KEYS = optionKeys<CategoricalParams>(
  { logits: true, probs: true, cols: true, normalize: true },
  { noun: "parameter", notes: { tau: NO_TEMPERATURE, temperature: NO_TEMPERATURE } },
);
/** Categorical.sample's options. */
const CATEGORICAL_SAMPLE_KEYS = optionKeys<SampleOptions>(
  { seed: true, offset: true, n: true },
  { draws: NOTES.DRAWS_N, notes: { tau: NOTES.TAU_ONE, temperature: NOTES.TAU_ONE } },
);
/** Categorical.mode's options. */
const MODE_KEYS = optionKeys<ModeOptions>({ oneHot: true });

/**
 * How far from 1 a row of `probs` may sum: 1e-6 * (cols + 1), a few float32 roundings per
 * element (float32 probabilities from a softmax sum to 1 within this).
 */
export function probsTolerance(cols: number): number {
  return 1e-6 * (cols + 1);
}

/** Categorical parameters parsed: the logits sampling uses (as given, or `log(probs)`) and the shape. */
export interface ParsedCategorical {
  raw: Float32Array;
  /** The parameters as given (logits, or probs before any normalising), in float32: the mode is their first largest per row. */
  given: Float32Array;
  rows: number;
  cols: number;
}

/**
 * Reads `{ logits | probs, cols, normalize }` for the class `fn` (whose parameter keys are
 * `keys`: an unknown one is a TypeError): exactly one of logits and
 * probs, a `cols` that divides the length; probs are validated (or normalised) and turned into
 * logits in wasm (log 0 = -Inf). The logits' rows are not checked here.
 */
export function parseCategorical(gw: GumbelWasm, fn: string, params: CategoricalParams, keys: OptionKeys = CATEGORICAL_KEYS): ParsedCategorical {
  checkParams(fn, params, keys);
  const { logits, probs } = params;
  if ((logits === undefined) === (probs === undefined)) {
    throw new TypeError(`${fn}: give exactly one of logits and probs`);
  }
  const given = (logits ?? probs) as Tensor | ArrayLike<number>;
  const name = logits !== undefined ? "logits" : "probs";
  let values: Float32Array;
  if (given instanceof Tensor) values = Float32Array.from(given.data);
  else if (isNumberArray(given)) values = Float32Array.from(given);
  else throw floatInputError(fn, name, given);
  const cols = params.cols ?? (given instanceof Tensor ? given.cols : undefined) ?? values.length;
  checkCount(fn, "cols", cols, 0x7fffffff);
  if (cols === 0 || values.length % cols !== 0) {
    throw new RangeError(`${fn}: cols = ${cols} does not divide the length of ${name} (${values.length})`);
  }
  const rows = values.length / cols;
  const asGiven = probs !== undefined ? values.slice() : values;
  if (probs !== undefined) values = logOfProbs(gw, fn, values, rows, cols, params.normalize ?? false);
  return { raw: values, given: asGiven, rows, cols };
}

/** Validates probabilities and returns their logarithms (computed in wasm; log 0 = -Inf). */
function logOfProbs(gw: GumbelWasm, fn: string, p: Float32Array, rows: number, cols: number, normalize: boolean): Float32Array {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = r * cols; k < (r + 1) * cols; k++) {
      const v = p[k]!;
      if (!(v >= 0) || v === Infinity) {
        throw new RangeError(`${fn}: probs[${r}, ${k - r * cols}] must be a finite probability >= 0, got ${v}`);
      }
      s += v;
    }
    if (normalize) {
      if (!(s > 0)) throw new RangeError(`${fn}: row ${r} of probs sums to ${s}: nothing to normalize`);
      for (let k = r * cols; k < (r + 1) * cols; k++) p[k] = p[k]! / s;
    } else if (Math.abs(s - 1) > probsTolerance(cols)) {
      throw new RangeError(
        `${fn}: row ${r} of probs sums to ${s}, not 1 (within ${probsTolerance(cols).toExponential(0)}); pass normalize: true to rescale`,
      );
    }
  }
  const q = p.map((v) => (v === 0 ? 1 : v)); // log 1 = 0, replaced below
  const c = gw.marshal(fn);
  const [out] = runStaged(c, [q], [p.length], ([src, dst]) => gw.kernels.log_f32(src!, dst!, p.length));
  c.release();
  for (let i = 0; i < out!.length; i++) if (p[i] === 0) out![i] = -Infinity;
  return out!;
}

/**
 * A batch of categorical distributions, one per row (like `torch.distributions.Categorical`).
 * @example
 * const d = new Categorical(gw, { probs: [0.2, 0.8, 0.5, 0.5], cols: 2 });
 * d.sample({ seed: 1 });       // Int32Array(2): one class per row
 * d.sample({ seed: 1, n: 3 }); // Int32Array(6): 3 draws of the batch, draw-major
 * d.logProb([1, 0]);           // Float32Array [log 0.8, log 0.5]
 * d.mode();                    // Int32Array [1, 0]
 */
export class Categorical {
  readonly rows: number;
  readonly cols: number;
  /** Normalised log-probabilities, `log_softmax(logits)` (`-Inf` where a class has probability 0). */
  readonly logits: Float32Array;
  /** Probabilities, `softmax(logits)`. */
  readonly probs: Float32Array;
  /** The logits sampling uses: as given, or `log(probs)` (for `gumbelMax`'s exact bits). */
  private readonly raw: Float32Array;
  /** The parameters as given, for the mode. */
  private readonly given: Float32Array;
  /** `raw` repeated for the draws of one kernel call. */
  private readonly tiles: Repeated;
  private readonly gw: GumbelWasm;

  constructor(gw: GumbelWasm, params: CategoricalParams) {
    const { raw, given, rows, cols } = parseCategorical(gw, "Categorical", params);
    this.gw = gw;
    this.cols = cols;
    this.rows = rows;
    this.raw = raw;
    this.given = given;
    this.tiles = new Repeated(raw);
    // Normalised: one wasm pass each (they validate the rows: NaN, +Inf, all -Inf).
    this.logits = gw.logSoftmax(raw, { cols }) as Float32Array;
    this.probs = gw.softmax(raw, { cols }) as Float32Array;
  }

  /**
   * `n` draws of one class per row (default 1), draw-major: n * rows indices, draw i at
   * i * rows. Gumbel-Max: draw i is exactly `gw.gumbelMax` on these logits at stream offset
   * `offset + i * rows * cols`. Options: seed, offset, n.
   */
  sample(options: SampleOptions = {}): Int32Array {
    const { fn, n, out } = this.draws(options);
    const { rows, cols } = this;
    drawBatches(this.gw, fn, options, n, rows * cols, (first, m, seed, offset) => {
      this.gw.gumbelMax(this.tiles.times(m), { cols, seed, offset, out: out.subarray(first * rows, (first + m) * rows) });
    });
    return out;
  }

  /**
   * `sample` on the worker pool for large batches (`gw.gumbelMaxAsync` per kernel call): the
   * same bits, stream and errors (rejecting, nothing drawn); without a seed the stream is taken
   * when the call is made.
   */
  async sampleAsync(options: SampleOptions = {}): Promise<Int32Array> {
    const { fn, n, out } = this.draws(options);
    const { rows, cols } = this;
    await drawBatchesAsync(this.gw, fn, options, n, rows * cols, (first, m, seed, offset) =>
      this.gw.gumbelMaxAsync(this.tiles.times(m), { cols, seed, offset, out: out.subarray(first * rows, (first + m) * rows) }),
    );
    return out;
  }

  /** A sample's options checked, and its output. */
  private draws(options: SampleOptions): { fn: string; n: number; out: Int32Array } {
    const fn = "Categorical.sample";
    checkOptions(fn, options, CATEGORICAL_SAMPLE_KEYS);
    const n = checkDraws(fn, options.n, this.rows * this.cols, 1);
    return { fn, n, out: new Int32Array(n * this.rows) };
  }

  /**
   * log P(value[i]) for each class index of `value`: one per row (rows entries), or one per row
   * of each of several draws (a multiple of rows, draw-major, as `sample({ n })` gives them).
   */
  logProb(value: ArrayLike<number>): Float32Array {
    const fn = "Categorical.logProb";
    const { rows, cols } = this;
    if (!isNumberArray(value)) throw new TypeError(`${fn}: value must be an array of class indices, got ${describe(value)}`);
    if (rows === 0 ? value.length !== 0 : value.length % rows !== 0) {
      throw new RangeError(`${fn}: value has ${value.length} entries, not a multiple of the rows (${rows}): one class per row, for each draw`);
    }
    const out = new Float32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const k = value[i]!;
      if (!Number.isInteger(k) || k < 0 || k >= cols) {
        throw new RangeError(`${fn}: value[${i}] must be a class index from 0 to ${cols - 1}, got ${k}`);
      }
      out[i] = this.logits[(i % rows) * cols + k]!;
    }
    return out;
  }

  /** `logProb` as a Promise (a gather on the calling thread: nothing to split); errors reject. */
  async logProbAsync(value: ArrayLike<number>): Promise<Float32Array> {
    return this.logProb(value);
  }

  /**
   * The most probable class of each row: the first largest logit (largest probability, for a
   * distribution given by probs), as `gumbelMax`'s ties and `sampleTokens`' greedy rule go.
   * Masked classes are never the mode. Options: `oneHot: true` gives one-hot rows (rows x cols
   * float32) instead of the indices.
   */
  mode(options: { oneHot: true }): Float32Array;
  mode(options?: { oneHot?: false }): Int32Array;
  mode(options?: ModeOptions): Int32Array | Float32Array;
  mode(options?: ModeOptions): Int32Array | Float32Array {
    const fn = "Categorical.mode";
    checkOptions(fn, options, MODE_KEYS);
    const hot = checkFlag(fn, "oneHot", options?.oneHot ?? false);
    const index = argmaxRows(this.given, this.rows, this.cols);
    return hot ? oneHot(index, this.cols) : index;
  }

  /** Entropy per row, -sum_k p_k log p_k (masked classes add 0), in nats. */
  entropy(): Float32Array {
    const out = new Float32Array(this.rows);
    for (let r = 0; r < this.rows; r++) {
      let h = 0;
      for (let k = r * this.cols; k < (r + 1) * this.cols; k++) {
        const p = this.probs[k]!;
        if (p > 0) h -= p * this.logits[k]!;
      }
      out[r] = h;
    }
    return out;
  }

}

/** Euler-Mascheroni constant: the mean of Gumbel(0, 1). */
const EULER_GAMMA = 0.5772156649015329;
const OP = { logPdf: DIST_LOG_PDF, pdf: DIST_PDF, cdf: DIST_CDF, logCdf: DIST_LOG_CDF, quantile: DIST_QUANTILE, sample: DIST_SAMPLE } as const;

/** Parameters of a Gumbel distribution. */
export interface GumbelParams {
  /** Location (the mode); default 0. */
  loc?: number;
  /** Scale, positive; default 1. */
  scale?: number;
}
const GUMBEL_KEYS = optionKeys<GumbelParams>({ loc: true, scale: true }, { noun: "parameter" });
/** Gumbel.sample's options. */
const GUMBEL_SAMPLE_KEYS = optionKeys<StreamOptions>({ seed: true, offset: true }, { draws: NOTES.DRAWS_COUNT });

/**
 * The Gumbel(loc, scale) distribution (like `torch.distributions.Gumbel`): Float32Array in,
 * Float32Array out, every exp and log in wasm. `sample` draws `gumbelNoise` and scales it.
 * @example
 * const g = new Gumbel(gw, { loc: 1, scale: 2 });
 * g.sample(3, { seed: 7 }); g.cdf([0, 1, 2]); g.quantile([0.5]); g.mean; g.entropy;
 */
export class Gumbel {
  readonly loc: number;
  readonly scale: number;
  private readonly gw: GumbelWasm;

  constructor(gw: GumbelWasm, params: GumbelParams = {}) {
    const fn = "Gumbel";
    checkOptions(fn, params, GUMBEL_KEYS);
    const loc = params.loc ?? 0;
    const scale = params.scale ?? 1;
    if (typeof loc !== "number") throw new TypeError(`${fn}: loc must be a number, got ${describe(loc)}`);
    if (typeof scale !== "number") throw new TypeError(`${fn}: scale must be a number, got ${describe(scale)}`);
    if (!Number.isFinite(Math.fround(loc))) throw new RangeError(`${fn}: loc must be finite in float32, got ${loc}`);
    const s = Math.fround(scale);
    if (!(s > 0) || s === Infinity) throw new RangeError(`${fn}: scale must be positive and finite in float32, got ${scale}`);
    this.gw = gw;
    this.loc = Math.fround(loc);
    this.scale = s;
  }

  /** The mean, loc + scale * gamma (Euler-Mascheroni). */
  get mean(): number {
    return this.loc + this.scale * EULER_GAMMA;
  }

  /** The mode, loc. */
  get mode(): number {
    return this.loc;
  }

  /** The variance, (pi^2 / 6) scale^2. */
  get variance(): number {
    return ((Math.PI * Math.PI) / 6) * this.scale * this.scale;
  }

  /** The standard deviation, pi scale / sqrt(6). */
  get stddev(): number {
    return (Math.PI / Math.sqrt(6)) * this.scale;
  }

  /**
   * The differential entropy in nats, log(scale) + gamma + 1, with the log from wasm: the log
   * pdf at the mode is exactly -1 - log(scale).
   */
  get entropy(): number {
    const logScale = -this.run("entropy", OP.logPdf, [this.loc])[0]! - 1;
    return logScale + EULER_GAMMA + 1;
  }

  /** n samples: loc + scale * g with g = gw.gumbelNoise(n, { seed, offset }). Options: seed, offset. */
  sample(n: number, options: StreamOptions = {}): Float32Array {
    const count = this.count(n, options);
    // The noise is drawn into wasm memory and scaled there: one copy, out.
    const fn = "gumbelNoise";
    const gw = this.gw;
    gw.drawFrom(fn, options, count);
    const c = gw.marshal("Gumbel.sample");
    const [out] = runStaged(c, [], [count], ([dst]) => {
      gw.noiseAt(dst!, count);
      gw.kernels.gumbel_dist(OP.sample, dst!, dst!, count, this.loc, this.scale);
    });
    c.release();
    return out!;
  }

  /**
   * `sample` on the worker pool for large n (the noise and the scaling split by elements): the
   * same bits, stream and errors (rejecting, nothing drawn); without a seed the stream is taken
   * when the call is made.
   */
  async sampleAsync(n: number, options: StreamOptions = {}): Promise<Float32Array> {
    const count = this.count(n, options);
    const d = reserveDraw(this.gw, "gumbelNoise", options, count);
    const { loc, scale } = this;
    // The noise in a block of its own, not in place: a part rerun here (its worker lost) must
    // rewrite what it had written, whatever that worker still does (outputs never overlap inputs).
    const [out] = await stagedAsync(this.gw, "Gumbel.sample", [], [count, count], ([dst, g]) =>
      this.gw.spread("Gumbel.sample", count, 1, (e0, e1) => [noiseJob(g!, e0, e1, d), ["gumbel_dist", [OP.sample, g! + 4 * e0, dst! + 4 * e0, e1 - e0, loc, scale]]]),
    );
    return out!;
  }

  /** A sample's options and n checked. */
  private count(n: number, options: StreamOptions): number {
    checkOptions("Gumbel.sample", options, GUMBEL_SAMPLE_KEYS);
    return checkCount("gumbelNoise", "n", n, 0x7fffffff >> 2);
  }

  pdf(x: ArrayLike<number>): Float32Array {
    return this.run("pdf", OP.pdf, x);
  }

  logPdf(x: ArrayLike<number>): Float32Array {
    return this.run("logPdf", OP.logPdf, x);
  }

  cdf(x: ArrayLike<number>): Float32Array {
    return this.run("cdf", OP.cdf, x);
  }

  logCdf(x: ArrayLike<number>): Float32Array {
    return this.run("logCdf", OP.logCdf, x);
  }

  /** The inverse cdf at probabilities p in [0, 1] (quantile(0) = -Inf, quantile(1) = +Inf). */
  quantile(p: ArrayLike<number>): Float32Array {
    const fn = "Gumbel.quantile";
    if (!isNumberArray(p)) throw new TypeError(`${fn}: p must be an array of probabilities, got ${describe(p)}`);
    for (let i = 0; i < p.length; i++) {
      const v = Math.fround(p[i]!);
      if (!(v >= 0 && v <= 1)) throw new RangeError(`${fn}: p[${i}] must be a probability in [0, 1], got ${p[i]}`);
    }
    return this.run("quantile", OP.quantile, p);
  }

  private run(name: string, op: number, x: ArrayLike<number>): Float32Array {
    const fn = `Gumbel.${name}`;
    if (!isNumberArray(x)) throw new TypeError(`${fn}: x must be a Float32Array or an array of numbers, got ${describe(x)}`);
    const n = x.length;
    const c = this.gw.marshal(fn);
    const [out] = runStaged(c, [x], [n], ([src, dst]) => this.gw.kernels.gumbel_dist(op, src!, dst!, n, this.loc, this.scale));
    c.release();
    return out!;
  }
}
