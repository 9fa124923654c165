// The public types: the options of every call and the shapes of their results. Nothing here
// runs; every layer above imports what it takes from here.

import type { Tensor } from "./memory.js";

/** The two binaries built from assembly/ (one source, branching on ASC_FEATURE_SIMD). */
export type Backend = "simd" | "scalar";

/** A float32 input: a tensor of this instance (zero-copy) or an array that is copied in. */
export type FloatInput = Tensor<"float32"> | Float32Array | ArrayLike<number>;
/** Seeds and offsets: integers from 0 to 2^64-1, as numbers (up to 2^53-1) or bigints. */
export type U64 = number | bigint;

export interface ColsOption {
  /** Columns per row (classes per categorical): the input is [length / cols, cols]. */
  cols?: number;
}
export interface ShapeOptions {
  /**
   * Columns per row (classes per categorical), the classes on the last axis: the input is
   * [length / cols, cols]. Arrays need `cols` or `shape` (not both); tensors default to their
   * own shape.
   */
  cols?: number;
  /** The input's shape, its product the input's length (in place of `cols`). */
  shape?: readonly number[];
  /**
   * The axis the classes run along (PyTorch's `dim`, JAX's `axis`); default -1, the last. A
   * negative axis counts from the end; the other axes form the batch. A non-last axis runs as a
   * strided kernel on the input where it is (no transposing copy); outputs keep the input's
   * shape, and the noise of an element is that of its row-major index in the input, whatever
   * the axis. Per-row temperature arrays need the classes last.
   */
  axis?: number;
}
/** A call that reduces the class axis (one value per categorical). */
export interface KeepDimsOption {
  /** Keep the class axis in the result's shape, as a dimension of 1; default false: dropped. */
  keepDims?: boolean;
}
export interface TauOptions extends ShapeOptions {
  /**
   * Temperature, positive and finite; default 1. Rounded to float32. A number, or one per row
   * (a Float32Array or array of `rows` numbers): row r then gives exactly what a call on that
   * row alone with tau[r] gives.
   */
  tau?: number | Float32Array | ArrayLike<number>;
}
export interface StreamOptions {
  /**
   * Key of the random stream, 0 to 2^64-1. Omitted: the instance's own stream (seeded
   * randomly at init, advancing after each call), for users who do not need replay.
   */
  seed?: U64;
  /** Counter of the first element drawn, 0 to 2^64-1; default 0. Needs a seed. */
  offset?: U64;
}
/** The options of a distribution's `sample`, `rsample` and `sampleHard`. */
export interface SampleOptions extends StreamOptions {
  /**
   * How many draws of the whole batch, a positive integer; default 1 (exactly one call's draw
   * of earlier versions). Draw-major: draw i fills the output from i * (the batch's values) on
   * and uses stream elements from offset + i * (the elements one draw of the batch consumes).
   */
  n?: number;
}
/** `Categorical.mode`'s options. */
export interface ModeOptions {
  /** One-hot rows (rows x cols, float32) instead of one class index per row; default false. */
  oneHot?: boolean;
}
export interface OutOption<O> {
  /** Where to write the result (same shape); nothing is allocated when it is a tensor. */
  out?: O;
}
export interface ProbsOption {
  /**
   * The first argument holds probabilities, not logits: weights >= 0 and finite, per row (they
   * need not sum to 1: the law is that of the row divided by its sum; 0 masks a class), turned
   * into logits by a log in wasm (< 1 ULP; log 0 = -Inf). The result is exactly the logits
   * call's on those logits, same seed and offset. Default false.
   */
  probs?: boolean;
}
export interface GumbelSoftmaxOptions extends TauOptions, StreamOptions, ProbsOption, OutOption<Tensor | Float32Array> {
  /** Straight-through: the output is one_hot(argmax(logits + g)); default false. */
  hard?: boolean;
  /** With `hard`: also write the soft sample here (what the straight-through gradient uses). */
  soft?: Tensor | Float32Array;
}
/** The straight-through estimators' options shared by forward and backward. */
export interface StraightOptions extends TauOptions, StreamOptions, OutOption<Tensor | Float32Array> {}
export interface GumbelRaoOptions extends StraightOptions {
  /**
   * S, the number of conditional Gumbel draws averaged for the gradient, 1 to 2^20; default
   * 100 (the `repeats` of `rao_gumbel` in Fan et al.'s code). S = 1 is straight-through
   * Gumbel-Softmax with the noise redrawn given the sample.
   */
  samples?: number;
}
export interface GappedSTOptions extends StraightOptions {
  /**
   * The gap kappa >= 0 between the sampled class and every other in the surrogate logits;
   * default 1 (the paper's "GST-1.0"). `"adaptive"`: kappa = -log(1 - p) / p for the sampled
   * class's probability p ("GST-p").
   */
  kappa?: number | "adaptive";
}
/** A straight-through forward call: `soft` receives the surrogate the gradient flows through. */
export interface StraightForward {
  soft?: Tensor | Float32Array;
}

/**
 * What softmaxBackward takes besides y and dy. The gradient w.r.t. tau (one value per row, one
 * log per element) is computed only when asked: `dtau: true`, or a `dtauOut` to write it into.
 * `dtau: false` with a `dtauOut` does not compile (and is a TypeError at run time).
 */
export type BackwardOptions = TauOptions & KeepDimsOption & OutOption<Tensor | Float32Array> & (
  | {
      /** Compute dtau; default false, or true when dtauOut is given. */
      dtau?: boolean;
      dtauOut?: undefined;
    }
  | {
      dtau?: true;
      /** Where to write dtau (one value per row); given, it implies `dtau: true`. */
      dtauOut?: Tensor | Float32Array;
    }
);

export type FloatOut = Tensor | Float32Array;
export type Result<X, O> = O extends { out: Tensor } ? Tensor : X extends Tensor ? Tensor : Float32Array;

/** A value for every row (a number) or one per row (an array of `rows` numbers). */
export type PerRow = number | ArrayLike<number>;

export interface SampleTokensOptions extends ShapeOptions, KeepDimsOption {
  /** Temperature T >= 0, finite; default 1. 0 is greedy: the first largest logit, no noise. */
  temperature?: PerRow;
  /** Keep the k tokens of largest logit (and any tied with the k-th); 0 (default) keeps all. */
  topK?: PerRow;
  /** Nucleus: keep the fewest largest tokens whose probability reaches p, in (0, 1]; default 1 (off). */
  topP?: PerRow;
  /** Keep tokens with probability >= minP * the largest probability, in [0, 1]; default 0 (off). */
  minP?: PerRow;
  /** One stream for the whole batch: row r draws elements offset + r * cols + k. */
  seed?: U64;
  /** One stream per row (a request's own seed): row r draws elements offset + k of seeds[r]. */
  seeds?: ArrayLike<U64>;
  /** First stream element (see seed and seeds); default 0. */
  offset?: U64;
  /** One first element per row (with seed or seeds): row r draws offsets[r] + k. */
  offsets?: ArrayLike<U64>;
  /** Where to write the tokens: `rows` int32 values. */
  out?: Int32Array | Tensor<"int32">;
}

/** What `gumbelMax` takes besides the logits. */
export type GumbelMaxOptions = ShapeOptions & KeepDimsOption & StreamOptions & ProbsOption & OutOption<Tensor<"int32"> | Int32Array>;
/** What the softmax family takes besides its input. */
export type SoftmaxOptions = TauOptions & OutOption<FloatOut>;
/** What logSumExp takes besides its input. */
export type LogSumExpOptions = SoftmaxOptions & KeepDimsOption;
/** The type of key K of options O (undefined when O has no such key). */
type Get<O, K extends PropertyKey> = K extends keyof O ? O[K] : undefined;
/** An output's type: the tensor or array given for it (`G`), else a tensor for tensor input, else a Float32Array. */
type OutType<X, G> = G extends Tensor ? Tensor : G extends Float32Array ? Float32Array : X extends Tensor ? Tensor : Float32Array;
/**
 * The `dtau` of softmaxBackward's result for options `O`: the output when `O` asks for it
 * (`dtau: true` or a `dtauOut`), `undefined` when it cannot (no `dtau`, or `dtau: false`, and
 * no `dtauOut`), either when only the run time knows (`dtau: boolean`).
 */
type DtauResult<X, O> = O extends unknown ? DtauOf<X, Get<O, "dtau">, Get<O, "dtauOut">> : never;
/** DtauResult of the types of `dtau` (D) and `dtauOut` (G). */
type DtauOf<X, D, G> = [G] extends [Tensor | Float32Array]
  ? OutType<X, G>
  : [D] extends [true]
    ? OutType<X, G>
    : [D] extends [false | undefined]
      ? [G] extends [undefined]
        ? undefined
        : OutType<X, G> | undefined
      : OutType<X, G> | undefined;
/**
 * `{ dlogits, dtau }` of softmaxBackward with options `O`: each the tensor or array given for it
 * (`out`, `dtauOut`), else a tensor for tensor input, else an array; `dtau` is `undefined`
 * unless asked for (see `BackwardOptions`).
 */
export type BackwardResult<X, O = BackwardOptions> = {
  dlogits: OutType<X, Get<O, "out">>;
  dtau: DtauResult<X, O>;
};
/** Int32 results (class indices): a tensor for tensor input, else an Int32Array. */
export type IndexResult<X> = X extends Tensor ? Tensor<"int32"> : Int32Array;
