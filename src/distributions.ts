// Distributions over the kernels, for users of torch.distributions / TFP / jax.random.
// Every transcendental on the way to a result runs in wasm (softmax, log-softmax, log); the
// JavaScript here only validates, gathers and sums. The samples have async forms (`...Async`):
// the same checks, errors (rejecting), stream and bits, the batch split across the worker pool
// when large. Constructors' params and methods' options take exactly the keys of their types:
// another key is a TypeError (src/options.ts).

import { DIST_CDF, DIST_LOG_CDF, DIST_LOG_PDF, DIST_PDF, DIST_QUANTILE, DIST_SAMPLE } from "./abi.js";
import { argmaxLines, batchShapeOf, drawLayout, entropyLines, gatherLines, oneHotLines, parseCategorical, type CategoricalParams } from "./batch.js";
import { checkCount, checkFlag, describe, isNumberArray } from "./checks.js";
import { checkDraws, drawBatches, drawBatchesAsync, noiseJob, Repeated, reserveDraw, stagedAsync } from "./draws.js";
import type { GumbelWasm } from "./gumbel.js";
import type { Layout } from "./layout.js";
import { runStaged } from "./staged.js";
import type { ModeOptions, SampleOptions, StreamOptions } from "./types.js";
import { checkOptions, NOTES, optionKeys } from "./options.js";

export { probsTolerance, type CategoricalParams } from "./batch.js";

const NO_TEMPERATURE = "Categorical has no temperature: divide the logits by it, or use RelaxedOneHotCategorical";
const CATEGORICAL_KEYS = optionKeys<CategoricalParams>(
  { logits: true, probs: true, cols: true, shape: true, axis: true, normalize: true },
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
 * A batch of categorical distributions (like `torch.distributions.Categorical`): one per row
 * (`cols`), or one per line of an input of any `shape` with the classes along `axis` (default
 * -1, negative counting from the end; see src/batch.ts). Per-line results (samples, log p, the
 * mode, the entropy) come in line order: row-major in `batchShape`, the shape without the axis.
 * @example
 * const d = new Categorical(gw, { probs: [0.2, 0.8, 0.5, 0.5], cols: 2 });
 * d.sample({ seed: 1 });       // Int32Array(2): one class per row
 * d.sample({ seed: 1, n: 3 }); // Int32Array(6): 3 draws of the batch, draw-major
 * d.logProb([1, 0]);           // Float32Array [log 0.8, log 0.5]
 * d.mode();                    // Int32Array [1, 0]
 * new Categorical(gw, { logits, shape: [4, 2, 3], axis: 0 }); // 6 categoricals of 4 classes, batchShape [2, 3]
 */
export class Categorical {
  /** How many distributions (lines; rows, with the classes last). */
  readonly rows: number;
  /** Classes per distribution. */
  readonly cols: number;
  /** The parameters' shape: [rows, cols] for `cols`, else `shape` (or a tensor's own). */
  readonly shape: readonly number[];
  /** The class axis, from 0. */
  readonly axis: number;
  /** The shape without the class axis: one distribution per entry, row-major (TFP's batch shape). */
  readonly batchShape: readonly number[];
  /** Normalised log-probabilities, `log_softmax(logits)` along the axis, in the input's layout (`-Inf` where a class has probability 0). */
  readonly logits: Float32Array;
  /** Probabilities, `softmax(logits)` along the axis, in the input's layout. */
  readonly probs: Float32Array;
  /** The logits sampling uses: as given, or `log(probs)` (for `gumbelMax`'s exact bits). */
  private readonly raw: Float32Array;
  /** The parameters as given, for the mode. */
  private readonly given: Float32Array;
  /** Where the classes are. */
  private readonly L: Layout;
  /** `raw` repeated for the draws of one kernel call. */
  private readonly tiles: Repeated;
  private readonly gw: GumbelWasm;

  constructor(gw: GumbelWasm, params: CategoricalParams) {
    const { raw, given, layout: L } = parseCategorical(gw, "Categorical", params, CATEGORICAL_KEYS);
    this.gw = gw;
    this.L = L;
    this.cols = L.classes;
    this.rows = L.lines;
    this.shape = Object.freeze(L.full().slice());
    this.axis = L.axis;
    this.batchShape = batchShapeOf(L);
    this.raw = raw;
    this.given = given;
    this.tiles = new Repeated(raw);
    // Normalised: one wasm pass each (they validate the lines: NaN, +Inf, all -Inf).
    const where = drawLayout(L, 1);
    this.logits = gw.logSoftmax(raw, where) as Float32Array;
    this.probs = gw.softmax(raw, where) as Float32Array;
  }

  /**
   * `n` draws of one class per line (default 1), draw-major: n * rows indices, draw i at
   * i * rows, each in line order. Gumbel-Max: draw i is exactly `gw.gumbelMax` on these logits
   * (with this shape and axis) at stream offset `offset + i * rows * cols`: element e of the
   * input (row-major) gets stream element offset + i * rows * cols + e, whatever the axis.
   * Options: seed, offset, n.
   */
  sample(options: SampleOptions = {}): Int32Array {
    const { fn, n, out } = this.draws(options);
    const { rows, cols } = this;
    drawBatches(this.gw, fn, options, n, rows * cols, (first, m, seed, offset) => {
      this.gw.gumbelMax(this.tiles.times(m), { ...drawLayout(this.L, m), seed, offset, out: out.subarray(first * rows, (first + m) * rows) });
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
      this.gw.gumbelMaxAsync(this.tiles.times(m), { ...drawLayout(this.L, m), seed, offset, out: out.subarray(first * rows, (first + m) * rows) }),
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
   * log P(value[i]) for each class index of `value`: one per line (rows entries, in line
   * order), or one per line of each of several draws (a multiple of rows, draw-major, as
   * `sample({ n })` gives them).
   */
  logProb(value: ArrayLike<number>): Float32Array {
    return gatherLines("Categorical.logProb", this.logits, this.L, value);
  }

  /** `logProb` as a Promise (a gather on the calling thread: nothing to split); errors reject. */
  async logProbAsync(value: ArrayLike<number>): Promise<Float32Array> {
    return this.logProb(value);
  }

  /**
   * The most probable class of each line: the first largest logit (largest probability, for a
   * distribution given by probs), as `gumbelMax`'s ties and `sampleTokens`' greedy rule go.
   * Masked classes are never the mode. Options: `oneHot: true` gives one-hot lines in the
   * input's layout (float32) instead of the indices.
   */
  mode(options: { oneHot: true }): Float32Array;
  mode(options?: { oneHot?: false }): Int32Array;
  mode(options?: ModeOptions): Int32Array | Float32Array;
  mode(options?: ModeOptions): Int32Array | Float32Array {
    const fn = "Categorical.mode";
    checkOptions(fn, options, MODE_KEYS);
    const hot = checkFlag(fn, "oneHot", options?.oneHot ?? false);
    const index = argmaxLines(this.given, this.L);
    return hot ? oneHotLines(index, this.L) : index;
  }

  /** Entropy per line, -sum_k p_k log p_k (masked classes add 0), in nats. */
  entropy(): Float32Array {
    return entropyLines(this.probs, this.logits, this.L);
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
