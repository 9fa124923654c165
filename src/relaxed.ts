// The relaxed (Concrete / Gumbel-Softmax) distributions of Maddison et al. and Jang et al.
// (2017), like torch.distributions.RelaxedOneHotCategorical / RelaxedBernoulli and TFP's: samples
// from the Gumbel kernels, log-densities and their gradients from assembly/relaxed.ts (float64
// inside, run by relaxed-kernels.ts). The JavaScript here validates and gathers: no exp or log
// runs in JS. Each sample and density has an async form (`...Async`): the same checks, errors
// (rejecting), stream and bits, its batch split across the worker pool when large. Params and
// options take exactly the keys of their types: another key is a TypeError (src/options.ts).

import { BERN_CDF, BERN_LOG_PROB, BERN_LOGIT, BERN_SAMPLE, BERN_SIGMOID } from "./abi.js";
import { checkTaus, describe } from "./checks.js";
import { parseCategorical, type CategoricalParams } from "./distributions.js";
import { argmaxRows, checkDraws, drawBatches, drawBatchesAsync, oneHot, repeat, Repeated, reserveDraw } from "./draws.js";
import type { GumbelWasm } from "./gumbel.js";
import type { Tensor } from "./memory.js";
import {
  bernoulliRun, bernoulliRunAsync, bernoulliSampleAsync, categoricalDensity, categoricalDensityAsync, checkLogitRows, float32Values, staged,
} from "./relaxed-kernels.js";
import type { GumbelSoftmaxOptions, SampleOptions, StreamOptions } from "./types.js";
import { checkOptions, checkParams, NOTES, optionKeys, type OptionKeys } from "./options.js";

/** Gradients of the log-density at a batch of values. */
export interface RelaxedLogProbGrad {
  /** log p(value), as `logProb` returns it. */
  logProb: Float32Array;
  /** d logProb / d logits, the shape of the value (0 for masked classes). */
  dlogits: Float32Array;
  /** d logProb / d temperature: one per row (categorical) or per element (Bernoulli). */
  dtemperature: Float32Array;
}

/** A straight-through sample: the hard (0/1) forward value and the soft sample its gradient uses. */
export interface HardSample {
  hard: Float32Array;
  soft: Float32Array;
}

type Values = Tensor | ArrayLike<number>;

/** A sample's options checked against `keys`: the stream (seed and offset) and n (checked: `min` or more, `batchElements` each). */
function drawsOf(fn: string, options: unknown, keys: OptionKeys, batchElements: number, min: 0 | 1): { stream: StreamOptions; n: number } {
  checkOptions(fn, options, keys);
  const { seed, offset, n } = (options ?? {}) as SampleOptions;
  return { stream: { seed, offset }, n: checkDraws(fn, n, batchElements, min) };
}

/** The temperature as given (number or copy of the per-unit values) and one value per unit. */
function parseTemperature(fn: string, v: unknown, units: number, per: string): { given: number | Float32Array; each: Float32Array } {
  if (v === undefined) throw new TypeError(`${fn}: temperature is required (a positive number, or one per ${per})`);
  if (Array.isArray(v)) {
    const i = v.findIndex((x) => typeof x !== "number");
    if (i >= 0) throw new TypeError(`${fn}: temperature[${i}] must be a number, got ${describe(v[i])}`);
  }
  const given = checkTaus(fn, v, units, "temperature", per);
  return { given, each: typeof given === "number" ? new Float32Array(units).fill(given) : given };
}

/** Parameters of a batch of relaxed one-hot categorical distributions, one per row. */
export interface RelaxedCategoricalParams extends CategoricalParams {
  /** Positive and finite (rounded to float32): one for all rows, or one per row. */
  temperature: number | Float32Array | ArrayLike<number>;
}
const RELAXED_CATEGORICAL_KEYS = optionKeys<RelaxedCategoricalParams>(
  { logits: true, probs: true, cols: true, normalize: true, temperature: true },
  { noun: "parameter" },
);
/** rsample's, sample's and sampleHard's options. */
const RELAXED_CATEGORICAL_SAMPLE_KEYS = optionKeys<SampleOptions>({ seed: true, offset: true, n: true }, { draws: NOTES.DRAWS_N });

/**
 * RelaxedOneHotCategorical (Concrete, Gumbel-Softmax): one distribution per row over the
 * simplex, `y = softmax((logits + g) / temperature)`, g Gumbel(0, 1). Like
 * `torch.distributions.RelaxedOneHotCategorical`, but a per-row temperature is used by
 * `logProb` row by row too, and the density has its limits on the simplex's boundary.
 * @example
 * const d = new RelaxedOneHotCategorical(gw, { logits: [1, 2, 3, 0, 0, 0], cols: 3, temperature: [0.5, 2] });
 * const y = d.rsample({ seed: 1 });   // Float32Array(6), each row on the simplex
 * d.logProb(y);                        // Float32Array(2)
 * const { hard, soft } = d.sampleHard({ seed: 1 }); // one-hot rows, and y
 * d.logProbGrad(y);                    // { logProb, dlogits, dtemperature }
 * d.logProb(d.rsample({ seed: 1, n: 4 })); // Float32Array(8): 4 draws of 2 rows
 * d.mode();                            // Float32Array [0, 0, 1, 1, 0, 0]
 */
export class RelaxedOneHotCategorical {
  readonly rows: number;
  readonly cols: number;
  /** The temperature as given (rounded to float32): a number, or one per row. */
  readonly temperature: number | Float32Array;
  /** Normalised logits, `log_softmax(logits)` (`-Inf` for masked classes). */
  readonly logits: Float32Array;
  /** Class probabilities, `softmax(logits)`. */
  readonly probs: Float32Array;
  /** Logits as given, or `log(probs)`: what sampling and the gradients use. */
  private readonly raw: Float32Array;
  /** The parameters as given, for the mode. */
  private readonly given: Float32Array;
  private readonly tauRows: Float32Array;
  /** `raw` and the per-row temperatures repeated for the draws of one kernel call. */
  private readonly tiles: Repeated;
  private readonly tauTiles: Repeated;
  private readonly gw: GumbelWasm;

  constructor(gw: GumbelWasm, params: RelaxedCategoricalParams) {
    const fn = "RelaxedOneHotCategorical";
    const { raw, given, rows, cols } = parseCategorical(gw, fn, params, RELAXED_CATEGORICAL_KEYS);
    checkLogitRows(gw, fn, params.logits !== undefined ? "logits" : "probs", raw, rows, cols);
    const tau = parseTemperature(fn, params.temperature, rows, "row");
    this.gw = gw;
    this.rows = rows;
    this.cols = cols;
    this.raw = raw;
    this.given = given;
    this.temperature = tau.given;
    this.tauRows = tau.each;
    this.tiles = new Repeated(raw);
    this.tauTiles = new Repeated(tau.each);
    this.logits = gw.logSoftmax(raw, { cols }) as Float32Array;
    this.probs = gw.softmax(raw, { cols }) as Float32Array;
  }

  /**
   * `n` reparameterised samples of the batch (default 1), draw-major: n * rows * cols values,
   * draw i at i * rows * cols. Draw i is exactly `gw.gumbelSoftmax(logits, { cols, tau:
   * temperature, seed, offset: offset + i * rows * cols })`. Options: seed, offset, n.
   */
  rsample(options: SampleOptions = {}): Float32Array {
    return this.draw("RelaxedOneHotCategorical.rsample", options, false).soft;
  }

  /** The same as `rsample` (the sample is differentiable either way). */
  sample(options: SampleOptions = {}): Float32Array {
    return this.draw("RelaxedOneHotCategorical.sample", options, false).soft;
  }

  /**
   * Straight-through: `hard` = one_hot(argmax) of each row of the samples `rsample` draws with
   * the same options, `soft` = those samples (what the gradient goes through).
   */
  sampleHard(options: SampleOptions = {}): HardSample {
    return this.draw("RelaxedOneHotCategorical.sampleHard", options, true);
  }

  /**
   * `rsample` on the worker pool for large batches (`gw.gumbelSoftmaxAsync` per kernel call):
   * the same bits, stream and errors (rejecting, nothing drawn); without a seed the stream is
   * taken when the call is made. A per-row temperature runs on the calling thread.
   */
  async rsampleAsync(options: SampleOptions = {}): Promise<Float32Array> {
    return (await this.drawAsync("RelaxedOneHotCategorical.rsample", options, false)).soft;
  }

  /** `sample` on the worker pool for large batches (see `rsampleAsync`). */
  async sampleAsync(options: SampleOptions = {}): Promise<Float32Array> {
    return (await this.drawAsync("RelaxedOneHotCategorical.sample", options, false)).soft;
  }

  /** `sampleHard` on the worker pool for large batches (see `rsampleAsync`). */
  sampleHardAsync(options: SampleOptions = {}): Promise<HardSample> {
    return this.drawAsync("RelaxedOneHotCategorical.sampleHard", options, true);
  }

  /**
   * The one-hot of the first largest logit of each row (largest probability, for a
   * distribution given by probs): rows x cols, float32, as TF-Agents' GumbelSoftmax.mode. Masked
   * classes are never the mode.
   */
  mode(): Float32Array {
    return oneHot(argmaxRows(this.given, this.rows, this.cols), this.cols);
  }

  private draw(fn: string, options: SampleOptions, hard: boolean): HardSample {
    const { stream, n, size, r } = this.outputs(fn, options, hard);
    drawBatches(this.gw, fn, stream, n, size, (first, m, seed, offset) => void this.gw.gumbelSoftmax(this.tiles.times(m), this.chunk(r, hard, first, m, seed, offset)));
    return r;
  }

  private async drawAsync(fn: string, options: SampleOptions, hard: boolean): Promise<HardSample> {
    const { stream, n, size, r } = this.outputs(fn, options, hard);
    await drawBatchesAsync(this.gw, fn, stream, n, size, (first, m, seed, offset) => this.gw.gumbelSoftmaxAsync(this.tiles.times(m), this.chunk(r, hard, first, m, seed, offset)));
    return r;
  }

  /** A draw's options checked, and its outputs. */
  private outputs(fn: string, options: SampleOptions, hard: boolean): { stream: StreamOptions; n: number; size: number; r: HardSample } {
    const size = this.rows * this.cols;
    const { stream, n } = drawsOf(fn, options, RELAXED_CATEGORICAL_SAMPLE_KEYS, size, 1);
    const soft = new Float32Array(n * size);
    return { stream, n, size, r: { hard: hard ? new Float32Array(n * size) : soft, soft } };
  }

  /** gumbelSoftmax's options for draws first .. first + m - 1 of `r`. */
  private chunk(r: HardSample, hard: boolean, first: number, m: number, seed: bigint, offset: bigint): GumbelSoftmaxOptions {
    const { cols } = this;
    const size = this.rows * cols;
    const tau = typeof this.temperature === "number" ? this.temperature : this.tauTiles.times(m);
    const o: GumbelSoftmaxOptions = { cols, tau, seed, offset, out: r.hard.subarray(first * size, (first + m) * size) };
    if (hard) {
      o.hard = true;
      o.soft = r.soft.subarray(first * size, (first + m) * size);
    }
    return o;
  }

  /**
   * log p(value[r]) per row, in float64 rounded to float32. `value` is rows x cols (one per
   * row), or several draws of it (n * rows * cols, draw-major, as `rsample({ n })` gives them:
   * n * rows results), each row on the simplex: entries in [0, 1], summing to 1 within
   * `probsTolerance(cols)`; masked classes must be 0 (else -Inf). Exact zeros give the limit
   * along the zeros shrinking together: +Inf, -Inf or finite as m(tau+1) - K tau is > 0, < 0
   * or 0 (m zeros, K unmasked classes).
   */
  logProb(value: Values): Float32Array {
    return this.run("RelaxedOneHotCategorical.logProb", value, false, false)[0]!;
  }

  /**
   * logProb and its gradients: `dlogits` (the value's shape) w.r.t. the logits (w.r.t.
   * log(probs) for a distribution given by probs), `dtemperature` (one per row of the value),
   * each draw's own. At a value with zeros, `dlogits` is the finite limit and `dtemperature` is -Inf.
   */
  logProbGrad(value: Values): RelaxedLogProbGrad {
    return grads(this.run("RelaxedOneHotCategorical.logProbGrad", value, true, false));
  }

  /** `logProb` on the worker pool for large batches (rows split): the same bits and errors (rejecting). */
  async logProbAsync(value: Values): Promise<Float32Array> {
    return (await this.run("RelaxedOneHotCategorical.logProb", value, false, true))[0]!;
  }

  /** `logProbGrad` on the worker pool for large batches (see `logProbAsync`). */
  async logProbGradAsync(value: Values): Promise<RelaxedLogProbGrad> {
    return grads(await this.run("RelaxedOneHotCategorical.logProbGrad", value, true, true));
  }

  private run(fn: string, value: Values, grad: boolean, async: false): Float32Array[];
  private run(fn: string, value: Values, grad: boolean, async: true): Promise<Float32Array[]>;
  private run(fn: string, value: Values, grad: boolean, async: boolean): Float32Array[] | Promise<Float32Array[]> {
    const { rows, cols } = this;
    const y = float32Values(fn, "value", value);
    const size = rows * cols;
    if (size === 0 ? y.length !== 0 : y.length % size !== 0) {
      throw new RangeError(`${fn}: value has ${y.length} elements, not a multiple of rows x cols = ${rows} x ${cols}`);
    }
    const n = size === 0 ? 1 : y.length / size;
    return (async ? categoricalDensityAsync : categoricalDensity)(this.gw, fn, repeat(this.raw, n), y, repeat(this.tauRows, n), n * rows, cols, grad);
  }
}

/** A density's three outputs as `RelaxedLogProbGrad`. */
function grads([logProb, dlogits, dtemperature]: Float32Array[]): RelaxedLogProbGrad {
  return { logProb: logProb!, dlogits: dlogits!, dtemperature: dtemperature! };
}

const BERN = { sample: BERN_SAMPLE, logProb: BERN_LOG_PROB, cdf: BERN_CDF, logit: BERN_LOGIT, sigmoid: BERN_SIGMOID } as const;

/** Parameters of a batch of relaxed Bernoulli distributions, one per element. */
export interface RelaxedBernoulliParams {
  /** Log-odds, any shape as a flat array; -Inf / +Inf are the point masses at 0 / 1. */
  logits?: Values;
  /** Probabilities in [0, 1] (0 and 1: the point masses at 0 and 1). */
  probs?: Values;
  /** Positive and finite (rounded to float32): one for all, or one per element. */
  temperature: number | Float32Array | ArrayLike<number>;
}

/** Options of a relaxed Bernoulli sample. */
export interface RelaxedBernoulliSampleOptions extends StreamOptions {
  /** Draws of the whole batch, one after the other in the output; default 1. */
  n?: number;
}
const RELAXED_BERNOULLI_KEYS = optionKeys<RelaxedBernoulliParams>({ logits: true, probs: true, temperature: true }, { noun: "parameter" });
const RELAXED_BERNOULLI_SAMPLE_KEYS = optionKeys<RelaxedBernoulliSampleOptions>({ seed: true, offset: true, n: true }, { draws: NOTES.DRAWS_N });

/**
 * RelaxedBernoulli (binary Concrete): `y = sigmoid((logits + L) / temperature)` with L a
 * Logistic(0, 1) draw, `L = g[2i] - g[2i+1]` from the Gumbel noise stream (element i of a
 * sample uses stream elements offset + 2i and offset + 2i + 1). Values lie in [0, 1].
 * @example
 * const b = new RelaxedBernoulli(gw, { probs: [0.1, 0.5, 0.9], temperature: 0.5 });
 * const y = b.rsample({ seed: 3 }); // Float32Array(3) in [0, 1]
 * b.logProb(y); b.cdf(y);           // Float32Array(3) each
 * b.sampleHard({ seed: 3 }).hard;   // 0 or 1 each: Bernoulli(probs) draws
 */
export class RelaxedBernoulli {
  /** How many distributions (elements). */
  readonly size: number;
  /** The temperature as given (rounded to float32): a number, or one per element. */
  readonly temperature: number | Float32Array;
  /** Log-odds: as given, or log(p) - log1p(-p) of the probs (in wasm). */
  readonly logits: Float32Array;
  /** sigmoid(logits). */
  readonly probs: Float32Array;
  private readonly tau: Float32Array;
  private readonly gw: GumbelWasm;

  constructor(gw: GumbelWasm, params: RelaxedBernoulliParams) {
    const fn = "RelaxedBernoulli";
    checkParams(fn, params, RELAXED_BERNOULLI_KEYS);
    const { logits, probs } = params;
    if ((logits === undefined) === (probs === undefined)) throw new TypeError(`${fn}: give exactly one of logits and probs`);
    const name = logits !== undefined ? "logits" : "probs";
    const values = Float32Array.from(float32Values(fn, name, logits ?? probs)); // a copy: the distribution keeps it
    if (values.length === 0) throw new RangeError(`${fn}: ${name} is empty`);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (name === "logits" ? Number.isNaN(v) : !(v >= 0 && v <= 1)) {
        throw new RangeError(`${fn}: ${name}[${i}] must be ${name === "logits" ? "a number (not NaN)" : "a probability in [0, 1]"}, got ${v}`);
      }
    }
    const tau = parseTemperature(fn, params.temperature, values.length, "element");
    this.gw = gw;
    this.size = values.length;
    this.temperature = tau.given;
    this.tau = tau.each;
    this.logits = probs === undefined ? values : this.map(BERN.logit, values);
    this.probs = probs === undefined ? this.map(BERN.sigmoid, values) : values;
  }

  /**
   * `n` reparameterised samples of the whole batch (n * size values, draw d at d * size); the
   * stream elements used are offset .. offset + 2 n size - 1 (`gw.gumbelNoise` of that length).
   */
  rsample(options: RelaxedBernoulliSampleOptions = {}): Float32Array {
    return this.draw("RelaxedBernoulli.rsample", options, false).soft;
  }

  /** The same as `rsample`. */
  sample(options: RelaxedBernoulliSampleOptions = {}): Float32Array {
    return this.draw("RelaxedBernoulli.sample", options, false).soft;
  }

  /**
   * Straight-through: `soft` as `rsample` draws it, `hard` = 1 where (logits + L) > 0 (the soft
   * value before rounding exceeds 1/2), else 0: exact Bernoulli(probs) draws.
   */
  sampleHard(options: RelaxedBernoulliSampleOptions = {}): HardSample {
    return this.draw("RelaxedBernoulli.sampleHard", options, true);
  }

  /**
   * log p(value), float64 inside, rounded to float32. `value` holds one or more batches
   * (length a multiple of `size`), each entry in [0, 1]. At 0 and 1 the limits: +Inf for
   * temperature < 1, -Inf above 1, finite (-l at 0, +l at 1) at exactly 1.
   */
  logProb(value: Values): Float32Array {
    return this.run("RelaxedBernoulli.logProb", BERN.logProb, value, 1, false)[0]!;
  }

  /** logProb with `dlogits` and `dtemperature` per element of value (dtemperature -Inf at 0 and 1). */
  logProbGrad(value: Values): RelaxedLogProbGrad {
    return grads(this.run("RelaxedBernoulli.logProbGrad", BERN.logProb, value, 3, false));
  }

  /** P(Y <= value) = sigmoid(temperature * logit(value) - logits). */
  cdf(value: Values): Float32Array {
    return this.run("RelaxedBernoulli.cdf", BERN.cdf, value, 1, false)[0]!;
  }

  /**
   * `rsample` on the worker pool for large batches (the noise and the transform split by
   * elements): the same bits, stream and errors (rejecting, nothing drawn); without a seed the
   * stream is taken when the call is made.
   */
  async rsampleAsync(options: RelaxedBernoulliSampleOptions = {}): Promise<Float32Array> {
    return (await this.drawAsync("RelaxedBernoulli.rsample", options, false)).soft;
  }

  /** `sample` on the worker pool for large batches (see `rsampleAsync`). */
  async sampleAsync(options: RelaxedBernoulliSampleOptions = {}): Promise<Float32Array> {
    return (await this.drawAsync("RelaxedBernoulli.sample", options, false)).soft;
  }

  /** `sampleHard` on the worker pool for large batches (see `rsampleAsync`). */
  sampleHardAsync(options: RelaxedBernoulliSampleOptions = {}): Promise<HardSample> {
    return this.drawAsync("RelaxedBernoulli.sampleHard", options, true);
  }

  /** `logProb` on the worker pool for large batches (elements split): the same bits and errors (rejecting). */
  async logProbAsync(value: Values): Promise<Float32Array> {
    return (await this.run("RelaxedBernoulli.logProb", BERN.logProb, value, 1, true))[0]!;
  }

  /** `logProbGrad` on the worker pool for large batches (see `logProbAsync`). */
  async logProbGradAsync(value: Values): Promise<RelaxedLogProbGrad> {
    return grads(await this.run("RelaxedBernoulli.logProbGrad", BERN.logProb, value, 3, true));
  }

  /** `cdf` on the worker pool for large batches (see `logProbAsync`). */
  async cdfAsync(value: Values): Promise<Float32Array> {
    return (await this.run("RelaxedBernoulli.cdf", BERN.cdf, value, 1, true))[0]!;
  }

  private async drawAsync(fn: string, options: RelaxedBernoulliSampleOptions, hard: boolean): Promise<HardSample> {
    const { stream, n } = drawsOf(fn, options, RELAXED_BERNOULLI_SAMPLE_KEYS, 2 * this.size, 0);
    const d = reserveDraw(this.gw, fn, stream, 2 * n * this.size);
    const [soft, h] = await bernoulliSampleAsync(this.gw, fn, this.logits, this.tau, this.size, n, hard, d);
    return { soft: soft!, hard: h! };
  }

  private draw(fn: string, options: RelaxedBernoulliSampleOptions, hard: boolean): HardSample {
    const { stream, n } = drawsOf(fn, options, RELAXED_BERNOULLI_SAMPLE_KEYS, 2 * this.size, 0);
    const count = n * this.size;
    // The noise is drawn into wasm memory, where the kernel reads it: nothing copied but the results.
    const gw = this.gw;
    gw.drawFrom(fn, stream, 2 * count);
    const [soft, h] = staged(gw, fn, [this.logits, this.tau], [count, hard ? count : 0, 2 * count], ([l, t, dst, hd, g]) => {
      gw.noiseAt(g!, 2 * count);
      gw.kernels.relaxed_bernoulli(BERN.sample, l!, t!, g!, dst!, hd!, 0, count, this.size);
    });
    return { soft: soft!, hard: h! };
  }

  private run(fn: string, op: number, value: Values, outputs: 1 | 3, async: false): Float32Array[];
  private run(fn: string, op: number, value: Values, outputs: 1 | 3, async: true): Promise<Float32Array[]>;
  private run(fn: string, op: number, value: Values, outputs: 1 | 3, async: boolean): Float32Array[] | Promise<Float32Array[]> {
    const y = float32Values(fn, "value", value);
    if (y.length % this.size !== 0) {
      throw new RangeError(`${fn}: value has ${y.length} elements, not a multiple of the batch size ${this.size}`);
    }
    return (async ? bernoulliRunAsync : bernoulliRun)(this.gw, fn, op, this.logits, this.tau, y, this.size, outputs);
  }

  /** logits <-> probs, elementwise in wasm. */
  private map(op: number, x: Float32Array): Float32Array {
    return staged(this.gw, "RelaxedBernoulli", [x], [x.length], ([src, dst]) => this.gw.kernels.relaxed_bernoulli(op, 0, 0, src!, dst!, 0, 0, x.length, x.length))[0]!;
  }
}
