// The public class's synchronous half: one instance per wasm instance, one short method per
// call. A call prepares its launch (softmax.ts, sampling.ts, straight.ts: arguments checked,
// operands placed by marshal.ts), runs it (launch.ts) and delivers its outputs. gumbel.ts adds
// the async calls and the worker pool's lifecycle (class GumbelWasm extends GumbelSync).

import type { Kernels } from "./abi.js";
import { checkCount, checkShape, describe, isNumberArray } from "./checks.js";
import { Launcher, PARALLEL_MIN_ELEMENTS, pairResult } from "./launch.js";
import { Call, kernelTable, type KernelFn } from "./marshal.js";
import { Heap, Region, Tensor, type DType } from "./memory.js";
import type { Exact } from "./options.js";
import type { Pool } from "./pool.js";
import { GumbelRng } from "./rng.js";
import { prepareNoise, prepareGumbelMax, prepareGumbelSoftmax, quickGumbelMax, quickGumbelSoftmax, quickNoise, randomBits } from "./sampling.js";
import { prepareSoftmax, prepareSoftmaxGrad } from "./softmax.js";
import { prepareStraight } from "./straight.js";
import { Streams } from "./streams.js";
import { prepareTokens, TokenParams } from "./tokens.js";
import { finishTopK, prepareTopK } from "./topk.js";
import type {
  Backend, BackwardOptions, BackwardResult, FloatInput, FloatOut, GappedSTOptions, GumbelMaxOptions, GumbelRaoOptions,
  GumbelSoftmaxOptions, IndexResult, OutOption, Result, LogSumExpOptions, SampleTokensOptions, ShapeOptions, SoftmaxOptions, StraightForward,
  StreamOptions, U64,
} from "./types.js";

const MAX_I32 = 0x7fffffff;

/**
 * The synchronous calls of `GumbelWasm` (gumbel.ts), which adds their async forms and the
 * worker pool's lifecycle; every instance is a GumbelWasm, from `init()`.
 */
export class GumbelSync {
  /** Which binary runs: "simd" (f32x4) or "scalar". Both give the same bits. */
  readonly backend: Backend;
  /** The pointer-level API: the kernels themselves, on byte offsets into `memory`. */
  readonly kernels: Kernels;
  /** @internal */
  readonly heap: Heap;
  /** @internal Each row spec's kernel function (marshal.ts kernelTable). */
  readonly kernelFns: KernelFn[];
  /** The synchronous calls' one Call (its staging region reused: the tensor path allocates nothing). */
  protected readonly call: Call;
  /** sampleTokens' records and work space. */
  protected readonly tokenParams = new TokenParams();
  protected readonly workspace = new Region();
  /** @internal Each call's seed and offset, and the instance's own stream (gumbel-wasm/tfjs reserves from it). */
  readonly streams: Streams;
  protected readonly launcher: Launcher;
  /**
   * How many threads run large batches of the async calls: the workers of `init({ threads })`,
   * or 1. After `close()`, 1.
   */
  threads: number;
  /**
   * Why `threads` is less than asked (no SharedArrayBuffer, no workers, a worker that could not
   * start, ...), or "".
   */
  readonly threadNote: string;
  /** Async calls on fewer elements than this (or on one row) run on the calling thread. */
  readonly threadThreshold: number;

  /** @internal Use `init()`. */
  constructor(
    instance: WebAssembly.Instance,
    backend: Backend,
    seed?: U64,
    threading?: { note: string; threshold?: number; startPool?: ((gw: GumbelSync) => Pool) | undefined },
  ) {
    this.kernels = instance.exports as unknown as Kernels;
    this.backend = backend;
    this.heap = new Heap(this.kernels.memory, this.kernels.heap_base());
    this.kernelFns = kernelTable(this.kernels);
    this.call = new Call(this, new Region(), true);
    this.threadNote = threading?.note ?? "";
    this.threadThreshold = threading?.threshold ?? PARALLEL_MIN_ELEMENTS;
    this.streams = new Streams(seed);
    this.launcher = new Launcher(this.kernels, this.kernelFns, this.streams, this.threadThreshold, (pool, note) => this.singleThread(pool, note));
    this.launcher.pool = threading?.startPool ? threading.startPool(this) : null;
    this.threads = this.launcher.pool ? this.launcher.pool.size : 1;
    if (this.launcher.pool) {
      // Instances on one shared memory must not share the static scratch area.
      this.kernels.set_scratch(this.heap.alloc(this.kernels.scratch_bytes()));
    }
  }

  /**
   * The seed of the instance's own stream, used by calls without a `seed` (random unless
   * `init({ seed })` set it). Log it to replay those calls: they draw consecutive elements of
   * this stream from offset 0, and a call that throws draws nothing.
   */
  get defaultSeed(): bigint {
    return this.streams.defaultSeed;
  }

  /** The instance's memory (tensors are views on it). */
  get memory(): WebAssembly.Memory {
    return this.kernels.memory;
  }

  /**
   * Whether the memory is shared (a SharedArrayBuffer): then views on it stay valid when it
   * grows. Otherwise growth detaches views taken before it (re-read `tensor.data`).
   */
  get sharedMemory(): boolean {
    return this.heap.shared;
  }

  // ---------------------------------------------------------------- tensors

  /**
   * A new tensor in wasm memory (contents unspecified until written): of a shape,
   * `gw.tensor([2, 3, 4])`, or a rows x cols matrix, `gw.tensor(rows, cols)` (shape [rows, cols]).
   * Calls read its shape: the classes on its last axis unless `axis` says otherwise.
   */
  tensor(shape: readonly number[]): Tensor<"float32">;
  tensor<D extends DType>(shape: readonly number[], dtype: D): Tensor<D>;
  tensor(rows: number, cols: number): Tensor<"float32">;
  tensor<D extends DType>(rows: number, cols: number, dtype: D): Tensor<D>;
  tensor(a: number | readonly number[], b?: number | DType, c?: DType): Tensor<DType> {
    const shape = Array.isArray(a) ? checkShape("tensor", a) : null;
    const rows = shape ? shape.slice(0, -1).reduce((x, y) => x * y, 1) : checkCount("tensor", "rows", a, MAX_I32);
    const cols = shape ? (shape.length === 0 ? 1 : shape[shape.length - 1]!) : checkCount("tensor", "cols", b, MAX_I32);
    const given = shape ? b : c;
    const dtype = given === undefined ? "float32" : given;
    if (dtype !== "float32" && dtype !== "int32") {
      throw new TypeError(`tensor: dtype must be "float32" or "int32", got ${describe(dtype)}`);
    }
    if (rows * cols * 4 > 2 ** 32) throw new RangeError(`tensor: ${shape ? `shape [${shape.join(", ")}]` : `${rows} x ${cols}`} does not fit in 4 GiB`);
    return new Tensor(this, rows, cols, dtype, shape);
  }

  /**
   * A new float32 tensor holding a copy of `data`: of a shape (its product data.length), or with
   * `cols` columns (default: one row).
   */
  tensorFrom(data: ArrayLike<number>, cols?: number | readonly number[]): Tensor<"float32"> {
    if (!isNumberArray(data)) throw new TypeError(`tensorFrom: data must be an array of numbers, got ${describe(data)}`);
    const length = data.length;
    const shape = Array.isArray(cols) ? checkShape("tensorFrom", cols) : null;
    const c = cols === undefined ? length : (cols as number);
    if (shape) {
      const n = shape.reduce((x, y) => x * y, 1);
      if (n !== length) throw new RangeError(`tensorFrom: shape [${shape.join(", ")}] holds ${n} elements but data.length = ${length}`);
    } else {
      checkCount("tensorFrom", "cols", c, MAX_I32);
      if (c === 0 ? length !== 0 : length % c !== 0) {
        throw new RangeError(`tensorFrom: cols = ${c} does not divide data.length = ${length}`);
      }
    }
    // `data` may be a view on this memory (another tensor's data): allocating can grow the
    // memory and detach it, so note where it is and read it back from the new buffer.
    const onHeap = data instanceof Float32Array && data.buffer === this.memory.buffer;
    const at = onHeap ? (data as Float32Array).byteOffset : 0;
    const t = shape ? this.tensor(shape) : this.tensor(c === 0 ? 0 : length / c, c);
    t.data.set(onHeap ? new Float32Array(this.memory.buffer, at, length) : data);
    return t;
  }

  /** A stateful stream: each call draws the next elements of (seed, offset). */
  rng(seed: U64, offset: U64 = 0): GumbelRng {
    return new GumbelRng(this, seed, offset);
  }

  // ---------------------------------------------------------------- randomness

  /**
   * n Gumbel(0, 1) values, element i a pure function of (seed, offset + i).
   * Range [-3.1300, 22.874]: never Inf or NaN.
   * @param n - how many values
   * @returns a new Float32Array, or `out` when given
   * @example gw.gumbelNoise(4, { seed: 42 }) // Float32Array(4)
   */
  gumbelNoise(n: number, options: StreamOptions & { out: Tensor }): Tensor;
  gumbelNoise(n: number, options?: StreamOptions & OutOption<Float32Array>): Float32Array;
  gumbelNoise(n: number, options?: StreamOptions & OutOption<FloatOut>): Float32Array | Tensor {
    const quick = quickNoise(this, this.streams, "gumbelNoise", true, n, options);
    if (quick !== null) return quick;
    prepareNoise(this.call.begin("gumbelNoise"), this.streams, true, n, options);
    return this.launcher.sync(this.call) as Float32Array | Tensor;
  }

  /**
   * n uniforms ((bits >>> 9) + 0.5) / 2^23 from the same stream: 23 random bits, in
   * [2^-24, 1 - 2^-24], never 0 or 1.
   */
  uniform(n: number, options: StreamOptions & { out: Tensor }): Tensor;
  uniform(n: number, options?: StreamOptions & OutOption<Float32Array>): Float32Array;
  uniform(n: number, options?: StreamOptions & OutOption<FloatOut>): Float32Array | Tensor {
    const quick = quickNoise(this, this.streams, "uniform", false, n, options);
    if (quick !== null) return quick;
    prepareNoise(this.call.begin("uniform"), this.streams, false, n, options);
    return this.launcher.sync(this.call) as Float32Array | Tensor;
  }

  /** n raw 32-bit Philox4x32-10 words: element j is word (j & 3) of block (j >> 2). */
  randomBits(n: number, options?: StreamOptions): Uint32Array {
    return randomBits(this.call.begin("randomBits"), this.streams, n, options);
  }

  // ---------------------------------------------------------------- softmax family

  /**
   * softmax(x / tau) of each row.
   * @example gw.softmax([1, 2, 3], { cols: 3 }) // Float32Array [0.090, 0.245, 0.665]
   */
  softmax<X extends FloatInput, O extends SoftmaxOptions>(x: X, options?: Exact<O, SoftmaxOptions>): Result<X, O> {
    prepareSoftmax(this.call.begin("softmax"), 0, x, options);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  /** log_softmax(x / tau) of each row. */
  logSoftmax<X extends FloatInput, O extends SoftmaxOptions>(x: X, options?: Exact<O, SoftmaxOptions>): Result<X, O> {
    prepareSoftmax(this.call.begin("logSoftmax"), 1, x, options);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  /** log sum_k exp(x[r, k] / tau), one value per row (a rows x 1 tensor for tensor input). */
  logSumExp<X extends FloatInput, O extends LogSumExpOptions>(x: X, options?: Exact<O, LogSumExpOptions>): Result<X, O> {
    prepareSoftmax(this.call.begin("logSumExp"), 2, x, options);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  // ---------------------------------------------------------------- Gumbel

  /**
   * Gumbel-Softmax (Concrete) samples: softmax((logits + g) / tau) per row, g the Gumbel noise
   * of elements offset .. offset + rows*cols - 1 (exactly `gumbelNoise`'s values). With
   * `hard`, one_hot(argmax(logits + g)) at the index `gumbelMax` returns. With `probs: true`
   * the first argument holds probabilities (weights >= 0 per row; 0 masks a class), and
   * logits = log p, taken in wasm: the bits of this call on those logits.
   * @example gw.gumbelSoftmax([0, 1, 2], { cols: 3, tau: 0.5, seed: 7 })
   * @example gw.gumbelSoftmax([0.2, 0.3, 0.5], { cols: 3, tau: 0.5, probs: true, seed: 7 })
   */
  gumbelSoftmax<X extends FloatInput, O extends GumbelSoftmaxOptions>(logits: X, options?: Exact<O, GumbelSoftmaxOptions>): Result<X, O> {
    const quick = quickGumbelSoftmax(this, this.streams, logits, options);
    if (quick !== null) return quick as Result<X, O>;
    prepareGumbelSoftmax(this.call.begin("gumbelSoftmax"), this.streams, logits, options);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  /**
   * Gumbel-Max sampling: one category per row, argmax_k(logits + g) (lowest index on ties),
   * distributed as softmax(logits). -Inf logits are never drawn. With `probs: true` the first
   * argument holds probabilities (weights >= 0 per row, need not sum to 1): class k is drawn
   * with probability p_k / sum(p), never when p_k = 0 (the exponential race argmin E_k / p_k,
   * computed as this call on log p, taken in wasm).
   * @example gw.gumbelMax([0, 1, 2, 0, 0, 9], { cols: 3, seed: 1 }) // Int32Array(2)
   * @example gw.gumbelMax([0.1, 0.9, 0, 3, 1, 0], { cols: 3, probs: true, seed: 1 }) // Int32Array(2)
   */
  gumbelMax<X extends FloatInput>(logits: X, options?: GumbelMaxOptions): IndexResult<X> {
    const quick = quickGumbelMax(this, this.streams, logits, options);
    if (quick !== null) return quick as IndexResult<X>;
    prepareGumbelMax(this.call.begin("gumbelMax"), this.streams, logits, options);
    return this.launcher.sync(this.call) as IndexResult<X>;
  }

  /**
   * Gumbel-top-k (Kool, van Hoof and Welling 2019): `k` classes per row **without replacement**,
   * in sampled order: the indices of the k largest float32(logits + g), g the same noise as
   * `gumbelMax` (whose index is always the first of the k). The ordered k-tuple has the
   * Plackett-Luce probability prod_i p_(i) / (1 - p_(1) - ... - p_(i-1)) of p = softmax(logits).
   * Ties go to the lower index. -Inf classes are never drawn; a row needs k unmasked classes.
   * With `shape` and `axis` (or a tensor's shape), the classes run along `axis`: the result has
   * the input's shape with that axis of size k (rank i of each categorical at index i along it),
   * and the noise of an element is that of its row-major index in the input, whatever the axis.
   * @returns `rows * k` indices, row by row (an int32 tensor of the input's shape with the class axis of size k for tensor input)
   * @example gw.topK([3, 1, 2, 0], 2, { cols: 4, seed: 1 }) // Int32Array(2), e.g. [0, 2]
   */
  topK<X extends FloatInput>(logits: X, k: number, options?: ShapeOptions & StreamOptions): IndexResult<X> {
    const c = this.call.begin("topK");
    const kk = prepareTopK(c, this.streams, logits, k, options);
    return this.launcher.sync(c, () => finishTopK(c, kk)) as IndexResult<X>;
  }

  /**
   * The sampler of an LLM service: one token per row of `logits` (rows x vocabulary), after a
   * temperature and the top-k, top-p (nucleus) and min-p filters, applied in this order (as
   * Hugging Face transformers applies them). Each may be one value for the batch or one per row.
   * - `temperature` T: logits / T; 0 is greedy (the first largest logit).
   * - `topK` k: keeps the k largest logits and any tied with the k-th.
   * - `topP` p: keeps the smallest set of largest tokens whose probability (among those top-k
   *   kept, at temperature T) reaches p: a token stays when the tokens of strictly larger logit
   *   weigh less than p.
   * - `minP` m: keeps tokens with probability >= m times the largest.
   * Tokens with equal logits are kept or dropped together. The token is then drawn exactly
   * as `gumbelMax(logits / T with the filtered tokens at -Inf)` with the same seed and offset
   * would draw it (float32 logits / T; -Inf logits are never drawn). No filter sorts the
   * vocabulary: they select.
   *
   * Streams: with `seed` (or none: the instance's stream), row r uses elements
   * offset + r * cols + k, as `gumbelMax`. With `seeds` (one per row, e.g. per request) row r
   * uses elements offset + k (or offsets[r] + k) of seeds[r], so a request's token does not
   * depend on the other rows of the batch.
   *
   * With `shape` and `axis` (or a tensor's shape), the vocabulary runs along `axis`: one token
   * per line (the shape without that axis, or with it as 1 given `keepDims`), per-row options,
   * `seeds` and `offsets` one per line in row-major order of that shape. With one stream, the
   * element at flat index i of the input gets stream element offset + i, whatever the axis;
   * with `seeds` / `offsets`, line l's class c gets element offsets[l] + c of seeds[l].
   * @returns one token index per row (an int32 tensor of the input's shape without its class axis for tensor input)
   * @example
   * gw.sampleTokens(logits, { cols: 32000, temperature: 0.7, topP: 0.9, seed: 42 })
   * gw.sampleTokens(batch, { cols: vocab, topK: [50, 0], seeds: [req1.seed, req2.seed], offsets: [req1.step * vocab, req2.step * vocab] })
   */
  sampleTokens<X extends FloatInput>(logits: X, options?: SampleTokensOptions): IndexResult<X> {
    prepareTokens(this.call.begin("sampleTokens"), this.streams, this.tokenParams, this.workspace, logits, options);
    return this.launcher.sync(this.call) as IndexResult<X>;
  }

  // ---------------------------------------------------------------- gradients

  /**
   * Backward pass of y = softmax(x / tau) (and so of Gumbel-Softmax, with x = logits + g):
   * dlogits = y * (dy - <dy, y>) / tau and, when asked (`dtau: true` or a `dtauOut`), per row
   * dtau = -<dlogits, x / tau> (one log per element); otherwise `dtau` is undefined.
   * @example
   * const { dlogits } = gw.softmaxBackward(y, dy, { cols: 5, tau: 0.5 });
   * const { dlogits: dl, dtau } = gw.softmaxBackward(y, dy, { cols: 5, tau: 0.5, dtau: true });
   */
  softmaxBackward<X extends FloatInput, O extends BackwardOptions = {}>(y: X, dy: FloatInput, options?: Exact<O, BackwardOptions>): BackwardResult<X, O> {
    prepareSoftmaxGrad(this.call.begin("softmaxBackward"), y, dy, options, true);
    return this.launcher.sync(this.call, pairResult) as BackwardResult<X, O>;
  }

  /** Forward-mode derivative of y = softmax(x / tau) along `tangent`: y * (t - <t, y>) / tau. */
  softmaxJvp<X extends FloatInput, O extends SoftmaxOptions>(y: X, tangent: FloatInput, options?: Exact<O, SoftmaxOptions>): Result<X, O> {
    prepareSoftmaxGrad(this.call.begin("softmaxJvp"), y, tangent, options, false);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  // ---------------------------------------------------------------- straight-through estimators
  // Forward: the one-hot sample of `gumbelMax` (same seed and offset, same index) and, into
  // `soft`, the surrogate the gradient flows through. Backward: its VJP, the noise recomputed
  // from the seed and offset (which it therefore requires): pass both calls the same seed,
  // offset, cols, tau and samples / kappa. Either draws rows*cols stream elements.

  /**
   * Gumbel-Rao forward (Paulus, Maddison and Krause, ICLR 2021; reference code
   * `gumbel_rao`): one_hot(argmax(logits + g)), g the noise of `gumbelMax`. With `soft`, also
   * the Rao-Blackwellised surrogate mean_s softmax(z_s / tau) over S = `samples` draws z_s of
   * the Gumbel-perturbed logits conditioned on that argmax (from sub-streams 1..S of the same
   * elements: see the README).
   * @returns the one-hot samples (a tensor for tensor input, or `out`)
   * @example
   * const hard = gw.gumbelRao([0, 1, 2], { cols: 3, tau: 0.5, samples: 10, seed: 7 }); // one-hot Float32Array(3)
   */
  gumbelRao<X extends FloatInput, O extends GumbelRaoOptions & StraightForward>(logits: X, options?: Exact<O, GumbelRaoOptions & StraightForward>): Result<X, O> {
    prepareStraight(this.call.begin("gumbelRao"), this.streams, 0, logits, null, options);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  /**
   * Gumbel-Rao backward: dlogits = (1/S) sum_s y_s * (dy - <dy, y_s>) / tau, y_s = softmax(z_s / tau)
   * the conditional draws of the forward call with the same seed and offset (recomputed; the
   * draws themselves get no gradient, as in the reference code). Requires `seed`.
   * @returns dlogits, rows x cols (a tensor for tensor input, or `out`)
   * @example
   * const o = { cols: 3, tau: 0.5, samples: 10, seed: 7 };
   * const hard = gw.gumbelRao([0, 1, 2], o);
   * const dlogits = gw.gumbelRaoBackward([0, 1, 2], [1, -1, 0], o); // Float32Array(3), sums to ~0
   */
  gumbelRaoBackward<X extends FloatInput, O extends GumbelRaoOptions>(logits: X, dy: FloatInput, options?: Exact<O, GumbelRaoOptions>): Result<X, O> {
    prepareStraight(this.call.begin("gumbelRaoBackward"), this.streams, 0, logits, dy, options);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  /**
   * Gapped Straight-Through forward (Fan, Chi, Rudnicky and Ramadge, ICML 2022; official code
   * `gst_mover`): one_hot(argmax(logits + g)), g the noise of `gumbelMax`. With `soft`, also the
   * surrogate softmax(l' / tau) of the gapped logits: l'_i = max(logits) for the sampled class
   * i, l'_k = min(logits_k, max(logits) - kappa) for the others.
   * @returns the one-hot samples (a tensor for tensor input, or `out`)
   * @example
   * const hard = gw.gappedST([0, 1, 2], { cols: 3, tau: 0.5, kappa: 1, seed: 7 }); // one-hot Float32Array(3)
   */
  gappedST<X extends FloatInput, O extends GappedSTOptions & StraightForward>(logits: X, options?: Exact<O, GappedSTOptions & StraightForward>): Result<X, O> {
    prepareStraight(this.call.begin("gappedST"), this.streams, 1, logits, null, options);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  /**
   * Gapped ST backward: dlogits = y * (dy - <dy, y>) / tau, y the surrogate of the forward call
   * with the same seed and offset (recomputed; the gap shift gets no gradient, as with the
   * official code's default detach=True). Requires `seed`.
   * @returns dlogits, rows x cols (a tensor for tensor input, or `out`)
   * @example
   * const o = { cols: 3, tau: 0.5, seed: 7 };
   * const hard = gw.gappedST([0, 1, 2], o);
   * const dlogits = gw.gappedSTBackward([0, 1, 2], [1, -1, 0], o); // Float32Array(3)
   */
  gappedSTBackward<X extends FloatInput, O extends GappedSTOptions>(logits: X, dy: FloatInput, options?: Exact<O, GappedSTOptions>): Result<X, O> {
    prepareStraight(this.call.begin("gappedSTBackward"), this.streams, 1, logits, dy, options);
    return this.launcher.sync(this.call) as Result<X, O>;
  }

  /** Ends the pool for good (a worker cannot start): calls run on the calling thread. */
  protected async singleThread(pool: Pool, note: string): Promise<void> {
    if (this.launcher.pool !== pool) return;
    this.launcher.pool = null;
    this.threads = 1;
    (this as { threadNote: string }).threadNote = note;
    await pool.close();
  }

  /** The worker pool, or null (tests reach it to make workers fail). */
  protected get pool(): Pool | null {
    return this.launcher.pool;
  }

  // ---------------------------------------------------------------- for the distribution classes

  /** @internal The synchronous Call, begun for `fn`: the distribution classes marshal through it. */
  marshal(fn: string): Call {
    return this.call.begin(fn);
  }

  /**
   * @internal Resolves the stream of a draw of `count` elements (`options`' seed and offset, or
   * the instance's own stream); `noiseAt` then writes it.
   */
  drawFrom(fn: string, options: StreamOptions, count: number): void {
    this.streams.resolve(fn, options, count);
  }

  /** @internal Writes the resolved draw's `count` Gumbel noise values at `ptr`; the instance's stream moves past them. */
  noiseAt(ptr: number, count: number): void {
    const { key, counter } = this.streams;
    this.kernels.gumbel_noise(ptr, count, key.lo, key.hi, counter.lo, counter.hi);
    this.streams.drawn();
  }
}
