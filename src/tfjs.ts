// gumbel-wasm/tfjs: differentiable TensorFlow.js ops whose forward and backward run in
// gumbel-wasm. A subpath export of its own: @tensorflow/tfjs-core is an optional peer
// dependency, imported here and nowhere else, so nothing of tfjs reaches the main entry.
//
// Each op is a tf.customGrad. The forward reads its tensors with dataSync() (on the webgl and
// webgpu backends a synchronous download from the GPU), runs the gumbel-wasm call and wraps its
// result in a new tensor on the active backend; the backward reads dy the same way and runs the
// call's backward. Between the two the gradient closure holds plain arrays (the soft sample, the
// logits read, the stream position), never a tensor, so nothing outlives the tape.
//
//   const gw = await init();
//   const ops = tfOps(gw);
//   const y = ops.gumbelSoftmax(logits, { tau: 0.5, seed: 1, offset: 0 });

import * as tf from "@tensorflow/tfjs-core";
import { checkFlag, checkKappa, checkSamples, checkTau, describe } from "./checks.js";
import type { GumbelWasm } from "./gumbel.js";
import { checkOptions, NOTES, optionKeys } from "./options.js";
import { as, checkInstance, op, read, what, rowsOf, temperatureArg, temperatureGrad, tensorArg, wrap } from "./tfjs-args.js";
import { relaxedBernoulliLogProb, relaxedCategoricalLogProb, type TfTemperature } from "./tfjs-relaxed.js";
import type { U64 } from "./types.js";

export type { TfTemperature } from "./tfjs-relaxed.js";

/** The random stream of a sampling op, as in every gumbel-wasm call. */
export interface TfStreamOptions {
  /**
   * Key of the stream, 0 to 2^64-1. Omitted: the instance's own stream (the elements a
   * gumbel-wasm call without `seed` would draw next; it advances past them).
   */
  seed?: U64;
  /** Counter of the first element drawn (the op draws rows * cols); default 0. Needs a seed. */
  offset?: U64;
}

export interface TfGumbelSoftmaxOptions extends TfStreamOptions {
  /**
   * Temperature, positive and finite in float32; default 1. A number, or a float32 tensor: a
   * scalar (any shape of size 1) or one per row (the logits' shape without the last axis, or
   * [rows]), which then gets its gradient (the per-row gradients summed, for a scalar).
   */
  tau?: number | tf.Tensor;
  /**
   * Straight-through (as torch.nn.functional.gumbel_softmax(hard=True)): the forward value is
   * one_hot(argmax(logits + g)), the gradient that of the soft sample. Default false.
   */
  hard?: boolean;
}

export interface TfGumbelRaoOptions extends TfStreamOptions {
  /** Temperature of the surrogate, a number (no gradient w.r.t. it); default 1. */
  tau?: number;
  /** Conditional draws averaged for the gradient, 1 to 2^20; default 100. */
  samples?: number;
}

export interface TfGappedSTOptions extends TfStreamOptions {
  /** Temperature of the surrogate, a number (no gradient w.r.t. it); default 1. */
  tau?: number;
  /** The gap between the sampled class and the others, >= 0, or "adaptive"; default 1. */
  kappa?: number | "adaptive";
}

/** The ops of `tfOps(gw)`, bound to one gumbel-wasm instance. */
export interface TfOps {
  /** The instance the ops run on. */
  readonly gw: GumbelWasm;
  /**
   * Gumbel-Softmax (Concrete) samples of a tensor of any rank, the classes on the last axis:
   * exactly `gw.gumbelSoftmax(logits, { cols, tau, hard, seed, offset })`, same shape.
   * Gradients w.r.t. the logits and a tensor `tau`: `softmaxBackward` of the soft sample (dtau
   * computed only for a tensor `tau`).
   */
  gumbelSoftmax<R extends tf.Rank>(logits: tf.Tensor<R>, options?: TfGumbelSoftmaxOptions): tf.Tensor<R>;
  /**
   * Gumbel-Rao: one-hot samples (`gw.gumbelRao`'s, same seed and offset), with the
   * Rao-Blackwellised straight-through gradient w.r.t. the logits (`gw.gumbelRaoBackward`).
   */
  gumbelRao<R extends tf.Rank>(logits: tf.Tensor<R>, options?: TfGumbelRaoOptions): tf.Tensor<R>;
  /** Gapped ST: one-hot samples (`gw.gappedST`'s), gradient w.r.t. the logits from `gw.gappedSTBackward`. */
  gappedST<R extends tf.Rank>(logits: tf.Tensor<R>, options?: TfGappedSTOptions): tf.Tensor<R>;
  /**
   * log p(value) of the relaxed one-hot categorical (Concrete) of `logits` at `temperature`,
   * one per row: the logits' shape without the last axis. Gradients w.r.t. the logits, the
   * value and a tensor temperature.
   */
  relaxedCategoricalLogProb(logits: tf.Tensor, value: tf.Tensor, temperature: TfTemperature): tf.Tensor;
  /** log p(value) of the relaxed Bernoulli, elementwise; gradients w.r.t. logits, value and a tensor temperature. */
  relaxedBernoulliLogProb(logits: tf.Tensor, value: tf.Tensor, temperature: TfTemperature): tf.Tensor;
}

const NO_COLS = "the classes are the last axis of the logits tensor: there is no cols";
const NEW_TENSOR = "each op returns a new tf.Tensor";
const ALWAYS_HARD = "the output is always one-hot, and the gradient goes through the estimator's surrogate";
const COMMON = { cols: NO_COLS, axis: NO_COLS, dim: NO_COLS, out: NEW_TENSOR };
const GUMBEL_SOFTMAX_KEYS = optionKeys<TfGumbelSoftmaxOptions>(
  { tau: true, hard: true, seed: true, offset: true },
  { draws: NOTES.DRAWS_PER_ROW, notes: { ...COMMON, soft: "the gradient of the hard form is the soft sample's already: no soft tensor is needed" } },
);
const GUMBEL_RAO_KEYS = optionKeys<TfGumbelRaoOptions>(
  { tau: true, samples: true, seed: true, offset: true },
  { draws: NOTES.DRAWS_PER_ROW, notes: { ...COMMON, hard: ALWAYS_HARD, soft: ALWAYS_HARD } },
);
const GAPPED_ST_KEYS = optionKeys<TfGappedSTOptions>(
  { tau: true, kappa: true, seed: true, offset: true },
  { draws: NOTES.DRAWS_PER_ROW, notes: { ...COMMON, hard: ALWAYS_HARD, soft: ALWAYS_HARD } },
);

/**
 * Differentiable TensorFlow.js ops on the gumbel-wasm instance `gw`, with the tfjs-core the
 * application imports (a peer dependency). Works on every backend: on cpu and wasm the reads
 * are copies in memory; on webgl and webgpu each op reads its inputs back from the GPU
 * synchronously (dataSync), which waits for the GPU's queue.
 * @example
 * const ops = tfOps(await init());
 * const y = ops.gumbelSoftmax(tf.randomNormal([100, 20, 10]), { tau: 0.5, seed: 1 });
 * const dlogits = tf.grad((l) => ops.gumbelSoftmax(l, { tau: 0.5, hard: true, seed: 1 }))(logits, dy);
 */
export function tfOps(gw: GumbelWasm): TfOps {
  const g = checkInstance(gw);
  return {
    gw: g,
    gumbelSoftmax: (logits, options) => gumbelSoftmax(g, logits, options) as never,
    gumbelRao: (logits, options) => straight(g, 0, logits, options) as never,
    gappedST: (logits, options) => straight(g, 1, logits, options) as never,
    relaxedCategoricalLogProb: (logits, value, temperature) => relaxedCategoricalLogProb(g, logits, value, temperature),
    relaxedBernoulliLogProb: (logits, value, temperature) => relaxedBernoulliLogProb(g, logits, value, temperature),
  };
}

function gumbelSoftmax(gw: GumbelWasm, logits: unknown, options: TfGumbelSoftmaxOptions | undefined): tf.Tensor {
  const fn = "tfjs.gumbelSoftmax";
  checkOptions(fn, options, GUMBEL_SOFTMAX_KEYS);
  const o = options ?? {};
  const x = tensorArg(fn, "logits", logits);
  const { rows, cols, lead } = rowsOf(fn, "logits", x);
  const hard = checkFlag(fn, "hard", o.hard ?? false);
  const tau = temperatureArg(fn, "tau", o.tau, rows, lead, "row", false);
  const { seed, offset } = o;
  const inputs = tau.tensor ? [x, tau.tensor] : [x];
  return op(inputs, () => {
    const data = read(x);
    const soft = hard ? new Float32Array(data.length) : undefined;
    const out = as(fn, () => gw.gumbelSoftmax(data, { cols, tau: tau.value, hard, soft, seed, offset }), lead);
    const y = soft ?? out; // the soft sample: all the backward needs
    return {
      value: wrap(out, x.shape),
      grad: (dy) => {
        // dtau (one log per element) only for a tensor tau, the one case that has its gradient.
        if (!tau.tensor) return [wrap(gw.softmaxBackward(y, read(dy), { cols, tau: tau.value }).dlogits, x.shape)];
        const { dlogits, dtau } = gw.softmaxBackward(y, read(dy), { cols, tau: tau.value, dtau: true });
        return [wrap(dlogits, x.shape), temperatureGrad(tau.tensor, dtau)];
      },
    };
  });
}

/**
 * Gumbel-Rao (0) or Gapped ST (1). Without a seed, the forward draws from the instance's own
 * stream at the position reserved for it, and the backward recomputes the noise from that
 * seed and offset; the stream advances once the forward has succeeded.
 */
function straight(gw: GumbelWasm, kind: 0 | 1, logits: unknown, options: (TfGumbelRaoOptions & TfGappedSTOptions) | undefined): tf.Tensor {
  const fn = kind === 0 ? "tfjs.gumbelRao" : "tfjs.gappedST";
  checkOptions(fn, options, kind === 0 ? GUMBEL_RAO_KEYS : GAPPED_ST_KEYS);
  const o = options ?? {};
  const x = tensorArg(fn, "logits", logits);
  const { rows, cols, lead } = rowsOf(fn, "logits", x);
  if (o.tau !== undefined && typeof o.tau !== "number") {
    throw new TypeError(`${fn}: tau must be a number (there is no gradient w.r.t. tau here), got ${what(o.tau)}`);
  }
  const tau = checkTau(fn, o.tau);
  if (kind === 0) checkSamples(fn, o.samples);
  else checkKappa(fn, o.kappa);
  if (o.seed === undefined && o.offset !== undefined) throw new TypeError(`${fn}: offset needs a seed`);
  const count = rows * cols;
  return op([x], () => {
    const own = o.seed === undefined ? gw.streams.reserve(count) : null;
    const stream = own ?? { seed: o.seed!, offset: o.offset ?? 0 };
    const rao = { cols, tau, seed: stream.seed, offset: stream.offset, samples: o.samples };
    const gst = { cols, tau, seed: stream.seed, offset: stream.offset, kappa: o.kappa };
    const data = read(x);
    const out = as(fn, () => (kind === 0 ? gw.gumbelRao(data, rao) : gw.gappedST(data, gst)), lead);
    if (own) gw.streams.advance(count);
    return {
      value: wrap(out, x.shape),
      grad: (dy) => {
        const d = read(dy);
        return [wrap(kind === 0 ? gw.gumbelRaoBackward(data, d, rao) : gw.gappedSTBackward(data, d, gst), x.shape)];
      },
    };
  });
}
