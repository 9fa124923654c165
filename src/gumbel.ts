// The public class: GumbelWasm, the synchronous calls of gumbel-sync.ts and, here, their async
// forms and the worker pool's lifecycle. An async call prepares a Call of its own (the same
// preparation as the synchronous call) and runs its launch on the worker pool.

import { GumbelSync } from "./gumbel-sync.js";
import { pairResult, type Job } from "./launch.js";
import type { Tensor } from "./memory.js";
import type { Exact } from "./options.js";
import { prepareNoise, prepareGumbelMax, prepareGumbelSoftmax } from "./sampling.js";
import { prepareSoftmax, prepareSoftmaxGrad } from "./softmax.js";
import { prepareStraight } from "./straight.js";
import { prepareTokens } from "./tokens.js";
import { finishTopK, prepareTopK } from "./topk.js";
import type {
  BackwardOptions, BackwardResult, FloatInput, FloatOut, GappedSTOptions, GumbelMaxOptions, GumbelRaoOptions, GumbelSoftmaxOptions,
  IndexResult, OutOption, Result, SampleTokensOptions, ShapeOptions, SoftmaxOptions, StraightForward, StreamOptions,
} from "./types.js";

const asyncDisposeSymbol: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ?? (Symbol.for("Symbol.asyncDispose") as never);

/**
 * One wasm instance and everything that lives in its memory. Get one from `init()`.
 *
 * Options: every call takes `undefined` or a plain object of the keys its options type names,
 * and nothing else. An unknown key, or options that are a number, a string, an array, null, a
 * Map or a class instance, is a TypeError naming the call and the key, with the right name
 * suggested where there is one, e.g. `sampleTokens: unknown option "temprature" (did you mean
 * "temperature"?)`, `gumbelSoftmax: unknown option "temperature" (did you mean "tau"?)`. It is
 * thrown before anything is written or drawn (the async calls reject with it).
 */
export class GumbelWasm extends GumbelSync {
  // ---------------------------------------------------------------- threads

  /**
   * `gumbelSoftmax` whose large batches run on the worker pool (`init({ threads })`), rows split
   * across the workers: the same bits as the synchronous call for the same seed and offset,
   * whatever the thread count. Small batches, and every call on one thread, run on the calling
   * thread. Errors reject the promise.
   */
  gumbelSoftmaxAsync<X extends FloatInput, O extends GumbelSoftmaxOptions>(logits: X, options?: Exact<O, GumbelSoftmaxOptions>): Promise<Result<X, O>> {
    const c = this.launcher.asyncCall(this, "gumbelSoftmax");
    return this.launcher.async(c, () => prepareGumbelSoftmax(c, this.streams, logits, options)) as Promise<Result<X, O>>;
  }

  /** `gumbelMax` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  gumbelMaxAsync<X extends FloatInput>(logits: X, options?: GumbelMaxOptions): Promise<IndexResult<X>> {
    const c = this.launcher.asyncCall(this, "gumbelMax");
    return this.launcher.async(c, () => prepareGumbelMax(c, this.streams, logits, options)) as Promise<IndexResult<X>>;
  }

  /** `gumbelNoise` on the worker pool for large counts (see `gumbelSoftmaxAsync`). */
  gumbelNoiseAsync(n: number, options: StreamOptions & { out: Tensor }): Promise<Tensor>;
  gumbelNoiseAsync(n: number, options?: StreamOptions & OutOption<Float32Array>): Promise<Float32Array>;
  gumbelNoiseAsync(n: number, options?: StreamOptions & OutOption<FloatOut>): Promise<Float32Array | Tensor> {
    const c = this.launcher.asyncCall(this, "gumbelNoise");
    return this.launcher.async(c, () => prepareNoise(c, this.streams, true, n, options)) as Promise<Float32Array | Tensor>;
  }

  /** `softmax` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  softmaxAsync<X extends FloatInput, O extends SoftmaxOptions>(x: X, options?: Exact<O, SoftmaxOptions>): Promise<Result<X, O>> {
    const c = this.launcher.asyncCall(this, "softmax");
    return this.launcher.async(c, () => prepareSoftmax(c, 0, x, options)) as Promise<Result<X, O>>;
  }

  /** `logSoftmax` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  logSoftmaxAsync<X extends FloatInput, O extends SoftmaxOptions>(x: X, options?: Exact<O, SoftmaxOptions>): Promise<Result<X, O>> {
    const c = this.launcher.asyncCall(this, "logSoftmax");
    return this.launcher.async(c, () => prepareSoftmax(c, 1, x, options)) as Promise<Result<X, O>>;
  }

  /** `softmaxBackward` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  softmaxBackwardAsync<X extends FloatInput, O extends BackwardOptions = {}>(y: X, dy: FloatInput, options?: Exact<O, BackwardOptions>): Promise<BackwardResult<X, O>> {
    const c = this.launcher.asyncCall(this, "softmaxBackward");
    return this.launcher.async(c, () => prepareSoftmaxGrad(c, y, dy, options, true), pairResult) as Promise<BackwardResult<X, O>>;
  }

  /** `softmaxJvp` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  softmaxJvpAsync<X extends FloatInput, O extends SoftmaxOptions>(y: X, tangent: FloatInput, options?: Exact<O, SoftmaxOptions>): Promise<Result<X, O>> {
    const c = this.launcher.asyncCall(this, "softmaxJvp");
    return this.launcher.async(c, () => prepareSoftmaxGrad(c, y, tangent, options, false)) as Promise<Result<X, O>>;
  }

  /**
   * `topK` with its noise drawn on the worker pool for large batches of two rows or more, split
   * by elements (see `gumbelSoftmaxAsync`); the selection runs on the calling thread.
   */
  topKAsync<X extends FloatInput>(logits: X, k: number, options?: ShapeOptions & StreamOptions): Promise<IndexResult<X>> {
    const c = this.launcher.asyncCall(this, "topK");
    let kk = 0;
    const prepare = () => void (kk = prepareTopK(c, this.streams, logits, k, options));
    return this.launcher.async(c, prepare, () => finishTopK(c, kk)) as Promise<IndexResult<X>>;
  }

  /**
   * `sampleTokens` on the worker pool for large batches (see `gumbelSoftmaxAsync`): rows split
   * across the workers with their options and streams (per-row seeds and offsets too), each
   * worker with a work space of its own.
   */
  sampleTokensAsync<X extends FloatInput>(logits: X, options?: SampleTokensOptions): Promise<IndexResult<X>> {
    const c = this.launcher.asyncCall(this, "sampleTokens");
    return this.launcher.async(c, () => prepareTokens(c, this.streams, this.tokenParams, null, logits, options)) as Promise<IndexResult<X>>;
  }

  /** `gumbelRao` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  gumbelRaoAsync<X extends FloatInput, O extends GumbelRaoOptions & StraightForward>(logits: X, options?: Exact<O, GumbelRaoOptions & StraightForward>): Promise<Result<X, O>> {
    return this.straightAsync("gumbelRao", 0, logits, null, options) as Promise<Result<X, O>>;
  }

  /** `gumbelRaoBackward` on the worker pool for large batches (see `gumbelSoftmaxAsync`); each worker draws in a row of its own. */
  gumbelRaoBackwardAsync<X extends FloatInput, O extends GumbelRaoOptions>(logits: X, dy: FloatInput, options?: Exact<O, GumbelRaoOptions>): Promise<Result<X, O>> {
    return this.straightAsync("gumbelRaoBackward", 0, logits, dy, options) as Promise<Result<X, O>>;
  }

  /** `gappedST` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  gappedSTAsync<X extends FloatInput, O extends GappedSTOptions & StraightForward>(logits: X, options?: Exact<O, GappedSTOptions & StraightForward>): Promise<Result<X, O>> {
    return this.straightAsync("gappedST", 1, logits, null, options) as Promise<Result<X, O>>;
  }

  /** `gappedSTBackward` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  gappedSTBackwardAsync<X extends FloatInput, O extends GappedSTOptions>(logits: X, dy: FloatInput, options?: Exact<O, GappedSTOptions>): Promise<Result<X, O>> {
    return this.straightAsync("gappedSTBackward", 1, logits, dy, options) as Promise<Result<X, O>>;
  }

  private straightAsync(fn: string, op: 0 | 1, logits: FloatInput, dy: FloatInput | null, options: object | undefined): Promise<unknown> {
    const c = this.launcher.asyncCall(this, fn);
    return this.launcher.async(c, () => prepareStraight(c, this.streams, op, logits, dy, options));
  }

  /**
   * @internal The distribution classes' async kernels: a batch of `units` independent units of
   * `weight` elements each, `part(u0, u1)` giving the kernel calls of units u0 .. u1-1; split
   * across the pool for a large batch, else run here (launch.ts `Launcher.spread`).
   */
  spread(fn: string, units: number, weight: number, part: (u0: number, u1: number) => Job[]): Promise<void> {
    return this.launcher.spread(fn, units, weight, part);
  }

  /**
   * Ends the worker pool (waiting for calls in flight); the instance stays usable on the
   * calling thread. Also `await using gw = await init({ threads: 2 })`.
   */
  async close(): Promise<void> {
    const pool = this.launcher.pool;
    if (!pool) return;
    await this.launcher.settled();
    this.launcher.pool = null;
    this.threads = 1;
    await pool.close();
  }

  async [asyncDisposeSymbol](): Promise<void> {
    await this.close();
  }

  /**
   * @internal init() awaits this: every worker started, or, if one cannot start, none, and the
   * instance runs on the calling thread saying why.
   */
  async startThreads(): Promise<void> {
    const pool = this.launcher.pool;
    if (!pool) return;
    try {
      await pool.warm();
    } catch (e) {
      await this.singleThread(pool, `the worker pool could not start: ${(e as Error).message}`);
    }
  }
}
