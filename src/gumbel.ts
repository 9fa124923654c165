// The public API: one GumbelWasm per wasm instance. Every call checks its options object first
// (an unknown key is a TypeError: src/options.ts), validates its arguments once, makes one
// kernel call per batch on byte offsets, and returns views or copies.

import { article, checkCount, checkKappa, checkSamples, checkStreamEnd, checkTaus, describe, isNumberArray, parseU64, wordsToBigInt, type Words } from "./args.js";
import type { Backend } from "./loader.js";
import { Heap, Tensor, type DType } from "./memory.js";
import { checkOptions, NOTES, optionKeys, type Exact } from "./options.js";
import { WorkerLost, type Pool } from "./pool.js";
import { GumbelRng } from "./rng.js";
import { PARAM_BYTES, SAMPLE_TOKENS_KEYS, TokenParams, type SampleTokensOptions } from "./tokens.js";

/**
 * The kernels exported by assembly/index.ts: byte offsets and counts in, nothing allocated.
 * Those that read logits validate every row first and return -1, or the first bad row (then
 * `check_fault()` says why) having written nothing.
 */
export interface Kernels {
  readonly memory: WebAssembly.Memory;
  heap_base(): number;
  random_bits(dst: number, n: number, k0: number, k1: number, jLo: number, jHi: number): void;
  uniform(dst: number, n: number, k0: number, k1: number, jLo: number, jHi: number): void;
  gumbel_noise(dst: number, n: number, k0: number, k1: number, jLo: number, jHi: number): void;
  check_rows(x: number, rows: number, cols: number): number;
  check_fault(): number;
  row_max(x: number, dst: number, rows: number, cols: number): void;
  softmax(x: number, dst: number, rows: number, cols: number, tau: number): number;
  log_softmax(x: number, dst: number, rows: number, cols: number, tau: number): number;
  log_sum_exp(x: number, dst: number, rows: number, cols: number, tau: number): number;
  gumbel_softmax(
    logits: number, dst: number, soft: number, rows: number, cols: number, tau: number, hard: number,
    k0: number, k1: number, jLo: number, jHi: number,
  ): number;
  gumbel_max(logits: number, dst: number, rows: number, cols: number, k0: number, k1: number, jLo: number, jHi: number): number;
  softmax_grad(y: number, v: number, dst: number, dtau: number, rows: number, cols: number, tau: number): void;
  /** Straight-through kernels: the forward when dy is 0 (aux: soft or 0), else the backward. */
  gumbel_rao(
    logits: number, dy: number, dst: number, aux: number, rows: number, cols: number, tau: number, samples: number,
    k0: number, k1: number, jLo: number, jHi: number,
  ): number;
  gapped_st(
    logits: number, dy: number, dst: number, soft: number, rows: number, cols: number, tau: number, kappa: number,
    k0: number, k1: number, jLo: number, jHi: number,
  ): number;
  exp_f32(src: number, dst: number, n: number): void;
  log_f32(src: number, dst: number, n: number): void;
  /** float64 exp (op 0) or log (op 1) of the relaxed distributions' kernels, for tests. */
  math_f64(op: number, src: number, dst: number, n: number): void;
  gumbel_dist(op: number, src: number, dst: number, n: number, loc: number, scale: number): void;
  sample_tokens(logits: number, dst: number, rows: number, cols: number, params: number, work: number): number;
  sample_tokens_work(cols: number): number;
  relaxed_categorical_log_prob(
    logits: number, y: number, tau: number, dst: number, dlogits: number, dtau: number, rows: number, cols: number,
  ): void;
  relaxed_bernoulli(op: number, logits: number, tau: number, x: number, dst: number, aux1: number, aux2: number, n: number, size: number): void;
  gumbel_from_bits(src: number, dst: number, n: number): void;
  noise_upper(src: number, dst: number, n: number): void;
  philox4x32_10(ctr: number, key: number, dst: number, blocks: number): void;
  set_scratch(p: number): void;
  scratch_bytes(): number;
}

/** A float32 input: a tensor of this instance (zero-copy) or an array that is copied in. */
export type FloatInput = Tensor<"float32"> | Float32Array | ArrayLike<number>;
/** Seeds and offsets: integers from 0 to 2^64-1, as numbers (up to 2^53-1) or bigints. */
export type U64 = number | bigint;

export interface ShapeOptions {
  /** Columns per row (classes per categorical). Required for arrays; tensors default to their own. */
  cols?: number;
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
export interface OutOption<O> {
  /** Where to write the result (same shape); nothing is allocated when it is a tensor. */
  out?: O;
}
export interface GumbelSoftmaxOptions extends TauOptions, StreamOptions, OutOption<Tensor | Float32Array> {
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

export interface BackwardOptions extends TauOptions, OutOption<Tensor | Float32Array> {
  /** Where to write dtau (one value per row). */
  dtauOut?: Tensor | Float32Array;
}

// Each call's option keys (src/options.ts): an unknown key is a TypeError naming the call and
// the key, with the right name suggested where there is one.

const { DRAWS_PER_ROW, DRAWS_COUNT } = NOTES;
const NO_NOISE = "this call is deterministic: it draws no noise";
const TAU_ONE = { tau: NOTES.TAU_ONE, temperature: NOTES.TAU_ONE };
const ALWAYS_HARD = "the output is always one-hot: pass soft to receive the surrogate";
const SOFT_FORWARD = "soft is the forward call's output: the backward recomputes it from seed and offset";

/** gumbelNoise and uniform. */
const STREAM_OUT_KEYS = optionKeys<StreamOptions & OutOption<FloatOut>>({ seed: true, offset: true, out: true }, { draws: DRAWS_COUNT });
const STREAM_KEYS = optionKeys<StreamOptions>({ seed: true, offset: true }, { draws: DRAWS_COUNT });
/** softmax, logSoftmax, logSumExp and softmaxJvp. */
const TAU_OUT_KEYS = optionKeys<TauOptions & OutOption<FloatOut>>({ cols: true, tau: true, out: true }, { notes: { seed: NO_NOISE, offset: NO_NOISE } });
const BACKWARD_KEYS = optionKeys<BackwardOptions>({ cols: true, tau: true, out: true, dtauOut: true }, { notes: { seed: NO_NOISE, offset: NO_NOISE } });
const GUMBEL_SOFTMAX_KEYS = optionKeys<GumbelSoftmaxOptions>(
  { cols: true, tau: true, hard: true, soft: true, seed: true, offset: true, out: true },
  { draws: DRAWS_PER_ROW },
);
/** gumbelMax's options (also its async form's). */
type GumbelMaxOptions = ShapeOptions & StreamOptions & OutOption<Tensor<"int32"> | Int32Array>;
const GUMBEL_MAX_KEYS = optionKeys<GumbelMaxOptions>(
  { cols: true, seed: true, offset: true, out: true },
  { draws: DRAWS_PER_ROW, notes: TAU_ONE },
);
const TOPK_KEYS = optionKeys<ShapeOptions & StreamOptions>(
  { cols: true, seed: true, offset: true },
  { draws: "k, the classes drawn per row, is the second argument: topK(logits, k, options)", notes: { k: "k is the second argument: topK(logits, k, options)", ...TAU_ONE } },
);
const GUMBEL_RAO_KEYS = optionKeys<GumbelRaoOptions & StraightForward>(
  { cols: true, tau: true, samples: true, soft: true, seed: true, offset: true, out: true },
  { draws: DRAWS_PER_ROW, notes: { hard: ALWAYS_HARD } },
);
const GUMBEL_RAO_BACKWARD_KEYS = optionKeys<GumbelRaoOptions>(
  { cols: true, tau: true, samples: true, seed: true, offset: true, out: true },
  { draws: DRAWS_PER_ROW, notes: { hard: ALWAYS_HARD, soft: SOFT_FORWARD } },
);
const GAPPED_ST_KEYS = optionKeys<GappedSTOptions & StraightForward>(
  { cols: true, tau: true, kappa: true, soft: true, seed: true, offset: true, out: true },
  { draws: DRAWS_PER_ROW, notes: { hard: ALWAYS_HARD } },
);
const GAPPED_ST_BACKWARD_KEYS = optionKeys<GappedSTOptions>(
  { cols: true, tau: true, kappa: true, seed: true, offset: true, out: true },
  { draws: DRAWS_PER_ROW, notes: { hard: ALWAYS_HARD, soft: SOFT_FORWARD } },
);

type FloatOut = Tensor | Float32Array;
type Result<X, O> = O extends { out: Tensor } ? Tensor : X extends Tensor ? Tensor : Float32Array;

/** An input of the current call. One per input slot, reused by every call (no allocation). */
class Operand {
  name = "";
  tensor: Tensor | null = null;
  /** An array to copy in (null for tensors and for views on wasm memory). */
  array: ArrayLike<number> | null = null;
  /** Already in wasm memory (a tensor, or a Float32Array view on the memory): read in place. */
  onHeap = false;
  length = 0;
  ptr = 0;
}

/** An output of the current call, reused likewise. */
class OutPlan {
  name = "";
  dtype: DType = "float32";
  rows = 0;
  cols = 0;
  /** The user's tensor (written in place), or the fresh one made for a tensor input. */
  tensor: Tensor<DType> | null = null;
  /** The user's array: copied into, or written in place when it is a view on wasm memory. */
  array: Float32Array | Int32Array | null = null;
  /** The user's tensor or a view on wasm memory: the kernel writes there directly. */
  onHeap = false;
  /** Allocate a new tensor for the result (tensor inputs, no out given). */
  fresh = false;
  ptr = 0;
}

/** A reusable block of wasm memory, grown (never shrunk) as calls need. */
class Region {
  ptr = 0;
  bytes = 0;

  /** At least `bytes` bytes: the block, reallocated (doubling, from 4 KiB) when too small. */
  reserve(heap: Heap, bytes: number): number {
    if (bytes > this.bytes) {
      const size = Math.max(bytes, this.bytes * 2, 4096);
      const ptr = heap.alloc(size);
      if (this.bytes) heap.release(this.ptr);
      this.ptr = ptr;
      this.bytes = size;
    }
    return this.ptr;
  }
}

/** Bytes an input needs in the staging area (arrays only), 16-byte aligned. */
function stagedIn(x: Operand | null): number {
  return x && !x.onHeap ? Math.ceil((x.length * 4) / 16) * 16 : 0;
}

/** Bytes an output needs in the staging area (no tensor given or made). */
function stagedOut(o: OutPlan | null): number {
  return o && !o.onHeap && !o.fresh ? Math.ceil((o.rows * o.cols * 4) / 16) * 16 : 0;
}

/** Whether byte ranges [a, a + m) and [b, b + n) of wasm memory intersect. */
function intersects(a: number, m: number, b: number, n: number): boolean {
  return m > 0 && n > 0 && a < b + n && b < a + m;
}

/** Whether (s1, i1) ranks before (s2, i2): larger sum first, then lower index. */
function before(s1: number, i1: number, s2: number, i2: number): boolean {
  return s1 > s2 || (s1 === s2 && i1 < i2);
}

/** Swaps entries i and j of the heap (indices hi, sums hv). */
function swap(hi: Int32Array, hv: Float64Array, i: number, j: number): void {
  const ti = hi[i]!;
  const tv = hv[i]!;
  hi[i] = hi[j]!;
  hv[i] = hv[j]!;
  hi[j] = ti;
  hv[j] = tv;
}

/** Moves entry i of a heap of `size` down while a child ranks lower (the root is the worst). */
function siftDown(hi: Int32Array, hv: Float64Array, size: number, i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let w = i;
    if (l < size && before(hv[w]!, hi[w]!, hv[l]!, hi[l]!)) w = l;
    if (r < size && before(hv[w]!, hi[w]!, hv[r]!, hi[r]!)) w = r;
    if (w === i) return;
    swap(hi, hv, i, w);
    i = w;
  }
}

/**
 * The k classes of one row with the largest float32(x + g), in rank order, into out[at ..]: a
 * min-heap of the best k seen (O(cols log k), no sort of the row), then the heap in order.
 */
function selectTopK(
  x: Float32Array, g: Float32Array, base: number, cols: number, k: number,
  hi: Int32Array, hv: Float64Array, out: Int32Array, at: number,
): void {
  if (k === 0) return;
  let size = 0;
  for (let j = 0; j < cols; j++) {
    const v = Math.fround(x[base + j]! + g[base + j]!); // float32(l + g), as the kernels add
    if (v === -Infinity) continue;
    if (size < k) {
      // Insert at the end and sift up.
      let i = size++;
      hi[i] = j;
      hv[i] = v;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!before(hv[p]!, hi[p]!, hv[i]!, hi[i]!)) break;
        swap(hi, hv, i, p);
        i = p;
      }
    } else if (before(v, j, hv[0]!, hi[0]!)) {
      hi[0] = j;
      hv[0] = v;
      siftDown(hi, hv, size, 0);
    }
  }
  // Pop worst-first into the back of the output: rank order.
  for (let n = size - 1; n >= 0; n--) {
    out[at + n] = hi[0]!;
    size--;
    hi[0] = hi[size]!;
    hv[0] = hv[size]!;
    siftDown(hi, hv, size, 0);
  }
}

/**
 * How a kernel's arguments follow its rows, to give each worker a slice: the pointer arguments
 * and their bytes per row in units of cols (`c`) or of one element (`1`), the rows argument,
 * the stream counter's words (advanced by cols per row), and whether the kernel validates.
 */
interface RowLayout {
  ptrs: ReadonlyArray<readonly [arg: number, perRow: "c" | 1]>;
  rows: number;
  stream: readonly [lo: number, hi: number] | null;
  validates: boolean;
}
const ROWS_GUMBEL_SOFTMAX: RowLayout = { ptrs: [[0, "c"], [1, "c"], [2, "c"]], rows: 3, stream: [9, 10], validates: true };
const ROWS_GUMBEL_MAX: RowLayout = { ptrs: [[0, "c"], [1, 1]], rows: 2, stream: [6, 7], validates: true };
const ROWS_SOFTMAX: RowLayout = { ptrs: [[0, "c"], [1, "c"]], rows: 2, stream: null, validates: true };
const ROWS_LOG_SUM_EXP: RowLayout = { ptrs: [[0, "c"], [1, 1]], rows: 2, stream: null, validates: true };
/**
 * gumbel_rao and gapped_st: (logits, dy, dst, aux, rows, cols, tau, samples | kappa, k0, k1,
 * jLo, jHi). The forward's aux (soft) follows the rows; the backward's (one row of workspace)
 * does not.
 */
const ROWS_STRAIGHT: RowLayout = { ptrs: [[0, "c"], [1, "c"], [2, "c"], [3, "c"]], rows: 4, stream: [10, 11], validates: true };
const ROWS_STRAIGHT_BACKWARD: RowLayout = { ptrs: [[0, "c"], [1, "c"], [2, "c"]], rows: 4, stream: [10, 11], validates: true };
const ROWS_SOFTMAX_GRAD: RowLayout = { ptrs: [[0, "c"], [1, "c"], [2, "c"], [3, 1]], rows: 4, stream: null, validates: false };
/** Streams are split by elements: one "row" per element. */
const ROWS_STREAM: RowLayout = { ptrs: [[0, 1]], rows: 1, stream: [4, 5], validates: false };

/** A kernel's arguments for rows r0 .. r1-1 of its batch (pointers, rows, stream counter moved). */
function sliceArgs(args: readonly number[], layout: RowLayout, r0: number, r1: number, cols: number): number[] {
  const a = args.slice();
  for (const [arg, per] of layout.ptrs) {
    if (a[arg] !== 0) a[arg] = a[arg]! + r0 * 4 * (per === "c" ? cols : 1);
  }
  a[layout.rows] = r1 - r0;
  if (layout.stream) {
    // counter + r0 * cols, as two 32-bit words
    const [lo, hi] = layout.stream;
    const sum = a[lo]! + r0 * cols;
    a[lo] = sum % TWO32;
    a[hi] = (a[hi]! + Math.floor(sum / TWO32)) % TWO32;
  }
  return a;
}

/**
 * Batches smaller than this many elements run on the calling thread even in threaded mode:
 * below it, handing the rows to workers costs more than it saves (measured by
 * `node bench/threads.mjs`; see the README).
 */
export const PARALLEL_MIN_ELEMENTS = 65536;

/** A deferred output of an async call: what finish() will need once the workers are done. */
class Deferred {
  constructor(readonly plan: OutPlan) {}
}

/** What an async call collects while its synchronous body runs (capture mode). */
interface Capture {
  fn: string;
  job: { kernel: string; args: number[]; rows: number; cols: number; layout: RowLayout } | null;
  finishes: Deferred[];
  blocks: number[];
}

const asyncDisposeSymbol: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ?? (Symbol.for("Symbol.asyncDispose") as never);

const FAULT_NAN = 1;
const FAULT_POS_INF = 2;
const FAULT_SCALE = 4;
const MAX_I32 = 0x7fffffff;
const TWO32 = 4294967296;

function randomWord(): number {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
  if (c) return c.getRandomValues(new Uint32Array(1))[0]!;
  return Math.floor(Math.random() * 4294967296);
}

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
export class GumbelWasm {
  /** Which binary runs: "simd" (f32x4) or "scalar". Both give the same bits. */
  readonly backend: Backend;
  /** The pointer-level API: the kernels themselves, on byte offsets into `memory`. */
  readonly kernels: Kernels;
  /** @internal */
  readonly heap: Heap;
  /** The staging area (array inputs and outputs) and sampleTokens' records and work space. */
  private readonly staging = new Region();
  private readonly workspace = new Region();
  private readonly tokenParams = new TokenParams();
  private readonly key: Words = { lo: 0, hi: 0 };
  private readonly counter: Words = { lo: 0, hi: 0 };
  private readonly autoSeed: Words;
  private readonly autoOffset: Words = { lo: 0, hi: 0 };
  private autoDraw = 0;
  private readonly in1 = new Operand();
  private readonly in2 = new Operand();
  private readonly out1 = new OutPlan();
  private readonly out2 = new OutPlan();
  /** Threaded mode: the workers (null on one thread). */
  private pool: Pool | null;
  /** Set while an async call's synchronous body runs. */
  private capture: Capture | null = null;
  /** Async calls in flight on the workers. */
  private inFlight = new Set<Promise<unknown>>();
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
    threading?: { note: string; threshold?: number; startPool?: ((gw: GumbelWasm) => Pool) | undefined },
  ) {
    this.kernels = instance.exports as unknown as Kernels;
    this.backend = backend;
    this.heap = new Heap(this.kernels.memory, this.kernels.heap_base());
    this.threadNote = threading?.note ?? "";
    this.threadThreshold = threading?.threshold ?? PARALLEL_MIN_ELEMENTS;
    this.pool = threading?.startPool ? threading.startPool(this) : null;
    this.threads = this.pool ? this.pool.size : 1;
    if (this.pool) {
      // Instances on one shared memory must not share the static scratch area.
      this.kernels.set_scratch(this.heap.alloc(this.kernels.scratch_bytes()));
    }
    this.autoSeed = { lo: 0, hi: 0 };
    if (seed === undefined) {
      this.autoSeed.lo = randomWord();
      this.autoSeed.hi = randomWord();
    } else parseU64("init", "seed", seed, this.autoSeed);
  }

  /**
   * The seed of the instance's own stream, used by calls without a `seed` (random unless
   * `init({ seed })` set it). Log it to replay those calls: they draw consecutive elements of
   * this stream from offset 0, and a call that throws draws nothing.
   */
  get defaultSeed(): bigint {
    return wordsToBigInt(this.autoSeed);
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

  /** A new rows x cols tensor in wasm memory (contents unspecified until written). */
  tensor(rows: number, cols: number): Tensor<"float32">;
  tensor<D extends DType>(rows: number, cols: number, dtype: D): Tensor<D>;
  tensor(rows: number, cols: number, dtype: DType = "float32"): Tensor<DType> {
    checkCount("tensor", "rows", rows, MAX_I32);
    checkCount("tensor", "cols", cols, MAX_I32);
    if (dtype !== "float32" && dtype !== "int32") {
      throw new TypeError(`tensor: dtype must be "float32" or "int32", got ${describe(dtype)}`);
    }
    if (rows * cols * 4 > 2 ** 32) throw new RangeError(`tensor: ${rows} x ${cols} does not fit in 4 GiB`);
    return new Tensor(this, rows, cols, dtype);
  }

  /** A new float32 tensor holding a copy of `data`, with `cols` columns (default: one row). */
  tensorFrom(data: ArrayLike<number>, cols?: number): Tensor<"float32"> {
    if (!isNumberArray(data)) throw new TypeError(`tensorFrom: data must be an array of numbers, got ${describe(data)}`);
    const length = data.length;
    const c = cols === undefined ? length : cols;
    checkCount("tensorFrom", "cols", c, MAX_I32);
    if (c === 0 ? length !== 0 : length % c !== 0) {
      throw new RangeError(`tensorFrom: cols = ${c} does not divide data.length = ${length}`);
    }
    // `data` may be a view on this memory (another tensor's data): allocating can grow the
    // memory and detach it, so note where it is and read it back from the new buffer.
    const onHeap = data instanceof Float32Array && data.buffer === this.memory.buffer;
    const at = onHeap ? (data as Float32Array).byteOffset : 0;
    const t = this.tensor(c === 0 ? 0 : length / c, c);
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
    checkOptions("gumbelNoise", options, STREAM_OUT_KEYS);
    return this.stream("gumbelNoise", n, options ?? {}, 2);
  }

  /**
   * n uniforms ((bits >>> 9) + 0.5) / 2^23 from the same stream: 23 random bits, in
   * [2^-24, 1 - 2^-24], never 0 or 1.
   */
  uniform(n: number, options: StreamOptions & { out: Tensor }): Tensor;
  uniform(n: number, options?: StreamOptions & OutOption<Float32Array>): Float32Array;
  uniform(n: number, options?: StreamOptions & OutOption<FloatOut>): Float32Array | Tensor {
    checkOptions("uniform", options, STREAM_OUT_KEYS);
    return this.stream("uniform", n, options ?? {}, 1);
  }

  /** n raw 32-bit Philox4x32-10 words: element j is word (j & 3) of block (j >> 2). */
  randomBits(n: number, options: StreamOptions = {}): Uint32Array {
    checkOptions("randomBits", options, STREAM_KEYS);
    const count = checkCount("randomBits", "n", n, MAX_I32 >> 2);
    this.streamKey("randomBits", options, count);
    const ptr = this.stage(count * 4);
    this.kernels.random_bits(ptr, count, this.key.lo, this.key.hi, this.counter.lo, this.counter.hi);
    this.drawn();
    return new Uint32Array(this.memory.buffer, ptr, count).slice();
  }

  // ---------------------------------------------------------------- softmax family

  /**
   * softmax(x / tau) of each row.
   * @example gw.softmax([1, 2, 3], { cols: 3 }) // Float32Array [0.090, 0.245, 0.665]
   */
  softmax<X extends FloatInput, O extends TauOptions & OutOption<FloatOut>>(x: X, options?: Exact<O, TauOptions & OutOption<FloatOut>>): Result<X, O> {
    return this.rowwise("softmax", x, options, 0) as Result<X, O>;
  }

  /** log_softmax(x / tau) of each row. */
  logSoftmax<X extends FloatInput, O extends TauOptions & OutOption<FloatOut>>(x: X, options?: Exact<O, TauOptions & OutOption<FloatOut>>): Result<X, O> {
    return this.rowwise("logSoftmax", x, options, 1) as Result<X, O>;
  }

  /** log sum_k exp(x[r, k] / tau), one value per row (a rows x 1 tensor for tensor input). */
  logSumExp<X extends FloatInput, O extends TauOptions & OutOption<FloatOut>>(x: X, options?: Exact<O, TauOptions & OutOption<FloatOut>>): Result<X, O> {
    return this.rowwise("logSumExp", x, options, 2) as Result<X, O>;
  }

  // ---------------------------------------------------------------- Gumbel

  /**
   * Gumbel-Softmax (Concrete) samples: softmax((logits + g) / tau) per row, g the Gumbel noise
   * of elements offset .. offset + rows*cols - 1 (exactly `gumbelNoise`'s values). With
   * `hard`, one_hot(argmax(logits + g)) at the index `gumbelMax` returns.
   * @example gw.gumbelSoftmax([0, 1, 2], { cols: 3, tau: 0.5, seed: 7 })
   */
  gumbelSoftmax<X extends FloatInput, O extends GumbelSoftmaxOptions>(logits: X, options?: Exact<O, GumbelSoftmaxOptions>): Result<X, O> {
    const fn = "gumbelSoftmax";
    checkOptions(fn, options, GUMBEL_SOFTMAX_KEYS);
    const opts: GumbelSoftmaxOptions = options ?? {};
    const a = this.operand(fn, "logits", logits, this.in1);
    this.unused(this.in2);
    const cols = this.resolveCols(fn, opts, a);
    const rows = this.rowsOf(fn, a, cols);
    const tau = checkTaus(fn, opts.tau, rows);
    const hard = opts.hard ?? false;
    if (typeof hard !== "boolean") throw new TypeError(`${fn}: hard must be a boolean, got ${describe(hard)}`);
    if (opts.soft !== undefined && !hard) throw new TypeError(`${fn}: soft is only written with hard: true`);
    this.streamKey(fn, opts, rows * cols);
    const out = this.outPlan(fn, "out", opts.out, "float32", rows, cols, a.tensor !== null, this.out1, null);
    const soft = opts.soft === undefined ? null : this.outPlan(fn, "soft", opts.soft, "float32", rows, cols, false, this.out2, out);
    this.place(a, null, out, soft);
    this.allocFresh(out);
    const sp = soft ? soft.ptr : 0;
    const h = hard ? 1 : 0;
    const { key, counter } = this;
    const bad = typeof tau !== "number"
      ? this.perRowTau("gumbel_softmax", [a.ptr, out.ptr, sp, rows, cols, 0, h, key.lo, key.hi, counter.lo, counter.hi], 5, tau, rows, cols, ROWS_GUMBEL_SOFTMAX)
      : this.deferrable(rows, cols)
        ? this.defer("gumbel_softmax", [a.ptr, out.ptr, sp, rows, cols, tau, h, key.lo, key.hi, counter.lo, counter.hi], rows, cols, ROWS_GUMBEL_SOFTMAX)
        : this.kernels.gumbel_softmax(a.ptr, out.ptr, sp, rows, cols, tau, h, key.lo, key.hi, counter.lo, counter.hi);
    if (bad >= 0) this.rowFault(fn, a, bad, cols, out);
    this.drawn();
    if (soft) this.finish(soft);
    return this.finish(out) as Result<X, O>;
  }

  /**
   * Gumbel-Max sampling: one category per row, argmax_k(logits + g) (lowest index on ties),
   * distributed as softmax(logits). -Inf logits are never drawn.
   * @example gw.gumbelMax([0, 1, 2, 0, 0, 9], { cols: 3, seed: 1 }) // Int32Array(2)
   */
  gumbelMax<X extends FloatInput>(
    logits: X,
    options?: GumbelMaxOptions,
  ): X extends Tensor ? Tensor<"int32"> : Int32Array {
    const fn = "gumbelMax";
    checkOptions(fn, options, GUMBEL_MAX_KEYS);
    const opts = options ?? {};
    const a = this.operand(fn, "logits", logits, this.in1);
    this.unused(this.in2);
    const cols = this.resolveCols(fn, opts, a);
    const rows = this.rowsOf(fn, a, cols);
    this.streamKey(fn, opts, rows * cols);
    const out = this.outPlan(fn, "out", opts.out, "int32", rows, 1, a.tensor !== null, this.out1, null);
    this.place(a, null, out, null);
    this.allocFresh(out);
    const { key, counter } = this;
    const bad = this.deferrable(rows, cols)
      ? this.defer("gumbel_max", [a.ptr, out.ptr, rows, cols, key.lo, key.hi, counter.lo, counter.hi], rows, cols, ROWS_GUMBEL_MAX)
      : this.kernels.gumbel_max(a.ptr, out.ptr, rows, cols, key.lo, key.hi, counter.lo, counter.hi);
    if (bad >= 0) this.rowFault(fn, a, bad, cols, out);
    this.drawn();
    return this.finish(out) as X extends Tensor ? Tensor<"int32"> : Int32Array;
  }

  /**
   * Gumbel-top-k (Kool, van Hoof and Welling 2019): `k` classes per row **without replacement**,
   * in sampled order: the indices of the k largest float32(logits + g), g the same noise as
   * `gumbelMax` (whose index is always the first of the k). The ordered k-tuple has the
   * Plackett-Luce probability prod_i p_(i) / (1 - p_(1) - ... - p_(i-1)) of p = softmax(logits).
   * Ties go to the lower index. -Inf classes are never drawn; a row needs k unmasked classes.
   * @returns `rows * k` indices, row by row (a rows x k int32 tensor for tensor input)
   * @example gw.topK([3, 1, 2, 0], 2, { cols: 4, seed: 1 }) // Int32Array(2), e.g. [0, 2]
   */
  topK<X extends FloatInput>(
    logits: X,
    k: number,
    options: ShapeOptions & StreamOptions = {},
  ): X extends Tensor ? Tensor<"int32"> : Int32Array {
    const fn = "topK";
    checkOptions(fn, options, TOPK_KEYS);
    const a = this.operand(fn, "logits", logits, this.in1);
    this.unused(this.in2);
    const cols = this.resolveCols(fn, options, a);
    const rows = this.rowsOf(fn, a, cols);
    const kk = checkCount(fn, "k", k, cols);
    const tensorIn = a.tensor !== null;
    this.streamKey(fn, options, rows * cols);
    // The noise goes to a staged buffer the size of the logits.
    const noise = this.outPlan(fn, "noise", undefined, "float32", rows, cols, false, this.out1, null);
    this.place(a, null, noise, null);
    const bad = this.kernels.check_rows(a.ptr, rows, cols);
    if (bad >= 0) this.rowFault(fn, a, bad, cols, noise);
    const x = new Float32Array(this.memory.buffer, a.ptr, rows * cols);
    for (let r = 0; r < rows; r++) {
      let unmasked = 0;
      for (let j = r * cols; j < (r + 1) * cols; j++) if (x[j] !== -Infinity) unmasked++;
      if (unmasked < kk) {
        this.unused(this.in1);
        throw new RangeError(`${fn}: row ${r} of ${a.name} has ${unmasked} unmasked classes, fewer than k = ${kk}`);
      }
    }
    this.kernels.gumbel_noise(noise.ptr, rows * cols, this.key.lo, this.key.hi, this.counter.lo, this.counter.hi);
    this.drawn();
    // No allocation since x was taken: the memory has not grown, x is still valid.
    const g = new Float32Array(this.memory.buffer, noise.ptr, rows * cols);
    const picked = new Int32Array(rows * kk);
    const heapIdx = new Int32Array(kk);
    const heapVal = new Float64Array(kk);
    for (let r = 0; r < rows; r++) selectTopK(x, g, r * cols, cols, kk, heapIdx, heapVal, picked, r * kk);
    this.unused(this.in1);
    if (tensorIn) {
      const t = new Tensor(this, rows, kk, "int32");
      t.data.set(picked);
      return t as never;
    }
    return picked as never;
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
   * @returns one token index per row (an int32 rows x 1 tensor for tensor input)
   * @example
   * gw.sampleTokens(logits, { cols: 32000, temperature: 0.7, topP: 0.9, seed: 42 })
   * gw.sampleTokens(batch, { cols: vocab, topK: [50, 0], seeds: [req1.seed, req2.seed], offsets: [req1.step * vocab, req2.step * vocab] })
   */
  sampleTokens<X extends FloatInput>(logits: X, options: SampleTokensOptions = {}): X extends Tensor ? Tensor<"int32"> : Int32Array {
    const fn = "sampleTokens";
    checkOptions(fn, options, SAMPLE_TOKENS_KEYS);
    const a = this.operand(fn, "logits", logits, this.in1);
    this.unused(this.in2);
    const cols = this.resolveCols(fn, options, a);
    const rows = this.rowsOf(fn, a, cols);
    const params = this.tokenParams;
    params.fill(fn, options, rows);
    if (options.seeds !== undefined && options.seed !== undefined) throw new TypeError(`${fn}: give seed or seeds, not both`);
    if (options.offsets !== undefined && options.offset !== undefined) throw new TypeError(`${fn}: give offset or offsets, not both`);
    if (options.seeds === undefined && options.offsets === undefined) {
      this.streamKey(fn, options, rows * cols);
      params.shared(rows, this.key, this.counter, cols);
    } else {
      if (options.seeds === undefined && options.seed === undefined) throw new TypeError(`${fn}: offsets needs a seed or seeds`);
      params.perRowStreams(fn, options, rows, cols);
      this.autoDraw = 0;
    }
    const out = this.outPlan(fn, "out", options.out, "int32", rows, 1, a.tensor !== null, this.out1, null);
    this.place(a, null, out, null);
    const pBytes = rows * PARAM_BYTES;
    const work = this.workspace.reserve(this.heap, pBytes + this.kernels.sample_tokens_work(cols));
    new Uint8Array(this.memory.buffer, work, pBytes).set(params.bytes(rows));
    this.allocFresh(out);
    const bad = this.kernels.sample_tokens(a.ptr, out.ptr, rows, cols, work, work + pBytes);
    if (bad >= 0) {
      if (this.kernels.check_fault() === FAULT_SCALE) {
        if (out.fresh && out.tensor) out.tensor.free();
        out.tensor = null;
        const row = new Float32Array(this.memory.buffer, a.ptr + bad * cols * 4, cols);
        let m = -Infinity;
        for (let k = 0; k < cols; k++) if (row[k]! > m) m = row[k]!;
        const t = params.f32[bad * 8];
        this.unused(this.in1);
        throw new RangeError(`${fn}: row ${bad} of logits divided by its temperature ${t} overflows float32 (largest logit ${m})`);
      }
      this.rowFault(fn, a, bad, cols, out);
    }
    this.drawn();
    return this.finish(out) as X extends Tensor ? Tensor<"int32"> : Int32Array;
  }

  // ---------------------------------------------------------------- gradients

  /**
   * Backward pass of y = softmax(x / tau) (and so of Gumbel-Softmax, with x = logits + g):
   * dlogits = y * (dy - <dy, y>) / tau and, per row, dtau = -<dlogits, x / tau>.
   */
  softmaxBackward<X extends FloatInput>(
    y: X,
    dy: FloatInput,
    options?: BackwardOptions,
  ): X extends Tensor ? { dlogits: Tensor; dtau: Tensor } : { dlogits: Float32Array; dtau: Float32Array } {
    const fn = "softmaxBackward";
    checkOptions(fn, options, BACKWARD_KEYS);
    const opts = options ?? {};
    const a = this.operand(fn, "y", y, this.in1);
    const b = this.operand(fn, "dy", dy, this.in2);
    const cols = this.resolveCols(fn, opts, a);
    const rows = this.rowsOf(fn, a, cols);
    this.sameLength(fn, a, b);
    const tau = checkTaus(fn, opts.tau, rows);
    const isT = a.tensor !== null;
    const out = this.outPlan(fn, "out", opts.out, "float32", rows, cols, isT, this.out1, null);
    const dtau = this.outPlan(fn, "dtauOut", opts.dtauOut, "float32", rows, 1, isT, this.out2, out);
    this.place(a, b, out, dtau);
    this.allocFresh(out);
    this.allocFresh(dtau);
    if (typeof tau !== "number") this.perRowTau("softmax_grad", [a.ptr, b.ptr, out.ptr, dtau.ptr, rows, cols, 0], 6, tau, rows, cols, ROWS_SOFTMAX_GRAD);
    else if (this.deferrable(rows, cols)) this.defer("softmax_grad", [a.ptr, b.ptr, out.ptr, dtau.ptr, rows, cols, tau], rows, cols, ROWS_SOFTMAX_GRAD);
    else this.kernels.softmax_grad(a.ptr, b.ptr, out.ptr, dtau.ptr, rows, cols, tau);
    const dlogits = this.finish(out);
    return { dlogits, dtau: this.finish(dtau) } as never;
  }

  /** Forward-mode derivative of y = softmax(x / tau) along `tangent`: y * (t - <t, y>) / tau. */
  softmaxJvp<X extends FloatInput, O extends TauOptions & OutOption<FloatOut>>(
    y: X,
    tangent: FloatInput,
    options?: Exact<O, TauOptions & OutOption<FloatOut>>,
  ): Result<X, O> {
    const fn = "softmaxJvp";
    checkOptions(fn, options, TAU_OUT_KEYS);
    const opts: TauOptions & OutOption<FloatOut> = options ?? {};
    const a = this.operand(fn, "y", y, this.in1);
    const b = this.operand(fn, "tangent", tangent, this.in2);
    const cols = this.resolveCols(fn, opts, a);
    const rows = this.rowsOf(fn, a, cols);
    this.sameLength(fn, a, b);
    const tau = checkTaus(fn, opts.tau, rows);
    const out = this.outPlan(fn, "out", opts.out, "float32", rows, cols, a.tensor !== null, this.out1, null);
    this.place(a, b, out, null);
    this.allocFresh(out);
    if (typeof tau !== "number") this.perRowTau("softmax_grad", [a.ptr, b.ptr, out.ptr, 0, rows, cols, 0], 6, tau, rows, cols, ROWS_SOFTMAX_GRAD);
    else if (this.deferrable(rows, cols)) this.defer("softmax_grad", [a.ptr, b.ptr, out.ptr, 0, rows, cols, tau], rows, cols, ROWS_SOFTMAX_GRAD);
    else this.kernels.softmax_grad(a.ptr, b.ptr, out.ptr, 0, rows, cols, tau);
    return this.finish(out) as Result<X, O>;
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
  gumbelRao<X extends FloatInput, O extends GumbelRaoOptions & StraightForward>(
    logits: X,
    options?: Exact<O, GumbelRaoOptions & StraightForward>,
  ): Result<X, O> {
    checkOptions("gumbelRao", options, GUMBEL_RAO_KEYS);
    const opts: GumbelRaoOptions & StraightForward = options ?? {};
    return this.straight("gumbelRao", 0, logits, null, opts, checkSamples("gumbelRao", opts.samples)) as Result<X, O>;
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
    checkOptions("gumbelRaoBackward", options, GUMBEL_RAO_BACKWARD_KEYS);
    const opts: GumbelRaoOptions = options ?? {};
    return this.straight("gumbelRaoBackward", 0, logits, dy, opts, checkSamples("gumbelRaoBackward", opts.samples)) as Result<X, O>;
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
  gappedST<X extends FloatInput, O extends GappedSTOptions & StraightForward>(
    logits: X,
    options?: Exact<O, GappedSTOptions & StraightForward>,
  ): Result<X, O> {
    checkOptions("gappedST", options, GAPPED_ST_KEYS);
    const opts: GappedSTOptions & StraightForward = options ?? {};
    return this.straight("gappedST", 1, logits, null, opts, checkKappa("gappedST", opts.kappa)) as Result<X, O>;
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
    checkOptions("gappedSTBackward", options, GAPPED_ST_BACKWARD_KEYS);
    const opts: GappedSTOptions = options ?? {};
    return this.straight("gappedSTBackward", 1, logits, dy, opts, checkKappa("gappedSTBackward", opts.kappa)) as Result<X, O>;
  }

  /**
   * Gumbel-Rao (op 0) or Gapped ST (1): the forward when dy is null, else the backward (which
   * needs the seed). `extra` is samples or kappa.
   */
  private straight(fn: string, op: 0 | 1, logits: unknown, dy: unknown, opts: StraightOptions & StraightForward, extra: number) {
    const backward = dy !== null;
    const a = this.operand(fn, "logits", logits, this.in1);
    const b = backward ? this.operand(fn, "dy", dy, this.in2) : null;
    if (!b) this.unused(this.in2);
    const cols = this.resolveCols(fn, opts, a);
    const rows = this.rowsOf(fn, a, cols);
    if (b) this.sameLength(fn, a, b);
    const tau = checkTaus(fn, opts.tau, rows);
    if (backward && opts.seed === undefined) {
      throw new TypeError(`${fn}: seed is required: pass the seed and offset of the forward call, whose noise is recomputed`);
    }
    this.streamKey(fn, opts, rows * cols);
    const out = this.outPlan(fn, "out", opts.out, "float32", rows, cols, a.tensor !== null, this.out1, null);
    // The forward's soft output; Gumbel-Rao's backward holds one draw (a row) in the staging area.
    const aux = !backward
      ? opts.soft === undefined ? null : this.outPlan(fn, "soft", opts.soft, "float32", rows, cols, false, this.out2, out)
      : op === 0 ? this.outPlan(fn, "work", undefined, "float32", 1, cols, false, this.out2, null) : null;
    this.place(a, b, out, aux);
    this.allocFresh(out);
    const bp = b ? b.ptr : 0;
    const xp = aux ? aux.ptr : 0;
    const { key, counter } = this;
    const bad = typeof tau !== "number"
      ? this.perRowTau(op === 0 ? "gumbel_rao" : "gapped_st", [a.ptr, bp, out.ptr, xp, rows, cols, 0, extra, key.lo, key.hi, counter.lo, counter.hi], 6, tau, rows, cols, backward ? ROWS_STRAIGHT_BACKWARD : ROWS_STRAIGHT)
      : (op === 0 ? this.kernels.gumbel_rao : this.kernels.gapped_st)(a.ptr, bp, out.ptr, xp, rows, cols, tau, extra, key.lo, key.hi, counter.lo, counter.hi);
    if (bad >= 0) this.rowFault(fn, a, bad, cols, out);
    this.drawn();
    if (aux && !backward) this.finish(aux);
    return this.finish(out);
  }

  // ---------------------------------------------------------------- threads

  /**
   * `gumbelSoftmax` whose large batches run on the worker pool (`init({ threads })`), rows split
   * across the workers: the same bits as the synchronous call for the same seed and offset,
   * whatever the thread count. Small batches, and every call on one thread, run on the calling
   * thread. Errors reject the promise.
   */
  gumbelSoftmaxAsync<X extends FloatInput, O extends GumbelSoftmaxOptions>(logits: X, options?: Exact<O, GumbelSoftmaxOptions>): Promise<Result<X, O>> {
    return this.dispatch("gumbelSoftmax", () => this.gumbelSoftmax(logits, options));
  }

  /** `gumbelMax` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  gumbelMaxAsync<X extends FloatInput>(
    logits: X,
    options?: GumbelMaxOptions,
  ): Promise<X extends Tensor ? Tensor<"int32"> : Int32Array> {
    return this.dispatch("gumbelMax", () => this.gumbelMax(logits, options));
  }

  /** `gumbelNoise` on the worker pool for large counts (see `gumbelSoftmaxAsync`). */
  gumbelNoiseAsync(n: number, options: StreamOptions & { out: Tensor }): Promise<Tensor>;
  gumbelNoiseAsync(n: number, options?: StreamOptions & OutOption<Float32Array>): Promise<Float32Array>;
  gumbelNoiseAsync(n: number, options?: StreamOptions & OutOption<FloatOut>): Promise<Float32Array | Tensor> {
    return this.dispatch("gumbelNoise", () => this.gumbelNoise(n, options as StreamOptions & OutOption<Float32Array>));
  }

  /** `softmax` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  softmaxAsync<X extends FloatInput, O extends TauOptions & OutOption<FloatOut>>(x: X, options?: Exact<O, TauOptions & OutOption<FloatOut>>): Promise<Result<X, O>> {
    return this.dispatch("softmax", () => this.softmax(x, options));
  }

  /** `logSoftmax` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  logSoftmaxAsync<X extends FloatInput, O extends TauOptions & OutOption<FloatOut>>(x: X, options?: Exact<O, TauOptions & OutOption<FloatOut>>): Promise<Result<X, O>> {
    return this.dispatch("logSoftmax", () => this.logSoftmax(x, options));
  }

  /** `softmaxBackward` on the worker pool for large batches (see `gumbelSoftmaxAsync`). */
  softmaxBackwardAsync<X extends FloatInput>(
    y: X,
    dy: FloatInput,
    options?: BackwardOptions,
  ): Promise<X extends Tensor ? { dlogits: Tensor; dtau: Tensor } : { dlogits: Float32Array; dtau: Float32Array }> {
    return this.dispatch("softmaxBackward", () => this.softmaxBackward(y, dy, options));
  }

  /**
   * Ends the worker pool (waiting for calls in flight); the instance stays usable on the
   * calling thread. Also `await using gw = await init({ threads: 2 })`.
   */
  async close(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    await Promise.allSettled([...this.inFlight]);
    this.pool = null;
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
    const pool = this.pool;
    if (!pool) return;
    try {
      await pool.warm();
    } catch (e) {
      await this.singleThread(pool, `the worker pool could not start: ${(e as Error).message}`);
    }
  }

  /** Ends the pool for good (a worker cannot start): calls run on the calling thread. */
  private async singleThread(pool: Pool, note: string): Promise<void> {
    if (this.pool !== pool) return;
    this.pool = null;
    this.threads = 1;
    (this as { threadNote: string }).threadNote = note;
    await pool.close();
  }

  /**
   * Runs a synchronous method in capture mode: its validation, staging and error checks happen
   * now; its kernel call, if the batch is large enough, is split across the workers, and its
   * outputs are finished once they are done.
   */
  private dispatch<R>(fn: string, body: () => R): Promise<R> {
    if (!this.pool) {
      try {
        return Promise.resolve(body());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const capture: Capture = { fn, job: null, finishes: [], blocks: [] };
    this.capture = capture;
    let shape: R;
    try {
      shape = body();
    } catch (e) {
      this.capture = null;
      this.releaseBlocks(capture);
      return Promise.reject(e);
    }
    this.capture = null;
    if (!capture.job) {
      this.releaseBlocks(capture);
      return Promise.resolve(shape);
    }
    const p = this.runJob(capture).then(
      () => {
        const out = this.resolveDeferred(shape, capture.finishes);
        this.releaseBlocks(capture);
        return out;
      },
      (e: unknown) => {
        for (const d of capture.finishes) if (d.plan.fresh && d.plan.tensor) d.plan.tensor.free();
        this.releaseBlocks(capture);
        throw new Error(`${fn}: ${(e as Error).message}`);
      },
    );
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Whether this kernel call goes to the pool: an async call's large batch of two rows or more. */
  private deferrable(rows: number, cols: number): boolean {
    return this.capture !== null && this.pool !== null && rows >= 2 && rows * cols >= this.threadThreshold;
  }

  /**
   * For kernel calls split into parts: the first bad row of the whole batch (or -1), checked
   * before any part runs, so that nothing is written when a row is bad.
   */
  private badRow(args: number[], rows: number, cols: number, layout: RowLayout): number {
    return layout.validates ? this.kernels.check_rows(args[0]!, rows, cols) : -1;
  }

  /** Records a sync method's kernel call for the pool (capture mode), having validated its rows. */
  private defer(kernel: string, args: number[], rows: number, cols: number, layout: RowLayout): number {
    const bad = this.badRow(args, rows, cols, layout);
    if (bad >= 0) return bad;
    this.capture!.job = { kernel, args: args.slice(), rows, cols, layout };
    return -1;
  }

  /**
   * A kernel call with one temperature per row: every row validated first (nothing written if
   * one is bad), then one call per run of rows sharing a temperature. Row r gives exactly what a
   * call on that row alone gives.
   */
  private perRowTau(kernel: string, args: number[], tauArg: number, taus: Float32Array, rows: number, cols: number, layout: RowLayout): number {
    const bad = this.badRow(args, rows, cols, layout);
    if (bad >= 0) return bad;
    const k = this.kernels as unknown as Record<string, (...a: number[]) => number | undefined>;
    for (let r0 = 0; r0 < rows; ) {
      let r1 = r0 + 1;
      while (r1 < rows && taus[r1] === taus[r0]) r1++;
      const a = sliceArgs(args, layout, r0, r1, cols);
      a[tauArg] = taus[r0]!;
      k[kernel]!(...a);
      r0 = r1;
    }
    return -1;
  }

  /** Splits a captured job's rows across the workers and waits for them. */
  private async runJob(capture: Capture): Promise<void> {
    const { kernel, args, rows, cols, layout } = capture.job!;
    const pool = this.pool!;
    const parts = Math.min(pool.size, rows);
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < parts; i++) {
      const r0 = Math.floor((rows * i) / parts);
      const r1 = Math.floor((rows * (i + 1)) / parts);
      calls.push(pool.call(i, kernel, sliceArgs(args, layout, r0, r1, cols)));
    }
    const results = await Promise.allSettled(calls);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
    const error = failed.find((e) => !(e instanceof WorkerLost));
    if (error) throw error;
    if (failed.length === 0) return;
    // Parts whose worker is gone run here: the same bits (the noise depends on the element
    // index only), and rerunning a part a dying worker had begun rewrites the same values
    // (outputs never overlap inputs). A worker that cannot be started again ends the pool.
    const k = this.kernels as unknown as Record<string, (...a: number[]) => unknown>;
    for (let i = 0; i < parts; i++) {
      if (results[i]!.status === "fulfilled") continue;
      const r0 = Math.floor((rows * i) / parts);
      const r1 = Math.floor((rows * (i + 1)) / parts);
      k[kernel]!(...sliceArgs(args, layout, r0, r1, cols));
    }
    const lost = failed.find((e) => (e as WorkerLost).starting) as WorkerLost | undefined;
    if (lost) await this.singleThread(pool, `the worker pool stopped: ${lost.message}`);
  }

  /**
   * Finishes a captured call's outputs in the order the method asked for them (soft before
   * out, say) and puts them in place of the deferred ones in its return value.
   */
  private resolveDeferred<R>(shape: R, finishes: Deferred[]): R {
    const done = new Map<Deferred, unknown>();
    for (const d of finishes) done.set(d, this.finish(d.plan));
    const real = (v: unknown) => (v instanceof Deferred ? done.get(v) : v);
    if (shape instanceof Deferred) return real(shape) as R;
    if (shape && typeof shape === "object" && !ArrayBuffer.isView(shape) && !(shape instanceof Tensor)) {
      const o = shape as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(o)) out[key] = real(o[key]);
      return out as R;
    }
    return shape;
  }

  private releaseBlocks(capture: Capture): void {
    for (const p of capture.blocks) this.heap.release(p);
    capture.blocks.length = 0;
  }

  // ---------------------------------------------------------------- internals
  // A call fills the reusable slots in1/in2 (inputs) and out1/out2 (outputs), so the tensor
  // path allocates nothing: validate, place arrays in the staging area, check the data, run
  // one kernel, return the output.

  private stream(fn: string, n: number, options: StreamOptions & OutOption<FloatOut>, kind: 1 | 2): Float32Array | Tensor {
    const count = checkCount(fn, "n", n, MAX_I32 >> 2);
    this.streamKey(fn, options, count);
    this.unused(this.in1);
    this.unused(this.in2);
    const out = this.outPlan(fn, "out", options.out, "float32", 1, count, false, this.out1, null);
    this.place(null, null, out, null);
    const { key, counter } = this;
    if (this.deferrable(count, 1)) {
      this.defer(kind === 2 ? "gumbel_noise" : "uniform", [out.ptr, count, key.lo, key.hi, counter.lo, counter.hi], count, 1, ROWS_STREAM);
    } else {
      (kind === 2 ? this.kernels.gumbel_noise : this.kernels.uniform)(out.ptr, count, key.lo, key.hi, counter.lo, counter.hi);
    }
    this.drawn();
    return this.finish(out) as Float32Array | Tensor;
  }

  /** Resolves seed and offset into this.key / this.counter for a draw of `count` elements. */
  private streamKey(fn: string, options: StreamOptions, count: number): void {
    const key = this.key;
    const ctr = this.counter;
    if (options.seed === undefined) {
      if (options.offset !== undefined) throw new TypeError(`${fn}: offset needs a seed`);
      // The instance's own stream: wraps to 0 rather than run past 2^64.
      const auto = this.autoOffset;
      if (auto.hi === TWO32 - 1 && auto.lo + count > TWO32) auto.lo = auto.hi = 0;
      key.lo = this.autoSeed.lo;
      key.hi = this.autoSeed.hi;
      ctr.lo = auto.lo;
      ctr.hi = auto.hi;
      this.autoDraw = count; // advanced by drawn() once the kernel has run
      return;
    }
    this.autoDraw = 0;
    parseU64(fn, "seed", options.seed, key);
    if (options.offset === undefined) ctr.lo = ctr.hi = 0;
    else parseU64(fn, "offset", options.offset, ctr);
    checkStreamEnd(fn, ctr, count);
  }

  /** After a kernel drew from the instance's own stream: advance it past what was drawn. */
  private drawn(): void {
    const auto = this.autoOffset;
    auto.lo += this.autoDraw;
    this.autoDraw = 0;
    if (auto.lo >= TWO32) {
      auto.lo -= TWO32;
      auto.hi = (auto.hi + 1) % TWO32;
    }
  }

  private operand(fn: string, name: string, x: unknown, slot: Operand): Operand {
    slot.name = name;
    if (x instanceof Tensor) {
      this.checkTensor(fn, name, x, "float32");
      slot.tensor = x;
      slot.array = null;
      slot.onHeap = true;
      slot.length = x.length;
      slot.ptr = x.byteOffset;
      return slot;
    }
    if (isNumberArray(x)) {
      // A Float32Array on this memory (say a tensor's data) is read in place: no copy, and no
      // view to go stale if the call grows the memory.
      const onHeap = x instanceof Float32Array && x.buffer === this.memory.buffer;
      slot.tensor = null;
      slot.array = onHeap ? null : x;
      slot.onHeap = onHeap;
      slot.length = x.length;
      slot.ptr = onHeap ? (x as Float32Array).byteOffset : 0;
      return slot;
    }
    throw new TypeError(`${fn}: ${name} must be a Float32Array, an array of numbers or a Tensor, got ${describe(x)}`);
  }

  private checkTensor(fn: string, name: string, t: Tensor<DType>, dtype: DType): void {
    if (t.owner !== this) throw new TypeError(`${fn}: ${name} is a tensor of another gumbel-wasm instance`);
    if (t.isFreed) throw new TypeError(`${fn}: ${name} is a freed tensor`);
    if (t.dtype !== dtype) throw new TypeError(`${fn}: ${name} must be a ${dtype} tensor, got ${t.dtype}`);
  }

  private resolveCols(fn: string, options: ShapeOptions, a: Operand): number {
    const cols = options.cols ?? a.tensor?.cols;
    if (cols === undefined) throw new TypeError(`${fn}: cols is required: the number of classes per row of ${a.name}`);
    if (typeof cols !== "number") throw new TypeError(`${fn}: cols must be a number, got ${describe(cols)}`);
    if (!Number.isInteger(cols) || cols < 1 || cols > MAX_I32) {
      throw new RangeError(`${fn}: cols must be a positive integer, got ${cols}`);
    }
    return cols;
  }

  private rowsOf(fn: string, a: Operand, cols: number): number {
    if (a.length % cols !== 0) {
      throw new RangeError(`${fn}: cols = ${cols} does not divide the length of ${a.name} (${a.length})`);
    }
    return a.length / cols;
  }

  private sameLength(fn: string, a: Operand, b: Operand): void {
    if (a.length !== b.length) {
      throw new RangeError(`${fn}: ${b.name} has ${b.length} elements but ${a.name} has ${a.length}`);
    }
  }

  /** Plans an output in `slot`; refuses a wrong type or length and overlaps with the inputs. */
  private outPlan(
    fn: string, name: string, out: unknown, dtype: DType, rows: number, cols: number, tensorIn: boolean,
    slot: OutPlan, other: OutPlan | null,
  ): OutPlan {
    slot.name = name;
    slot.dtype = dtype;
    slot.rows = rows;
    slot.cols = cols;
    slot.tensor = null;
    slot.array = null;
    slot.onHeap = false;
    slot.fresh = false;
    slot.ptr = 0;
    const length = rows * cols;
    if (out === undefined) {
      slot.fresh = tensorIn;
      return slot;
    }
    const Ctor = dtype === "int32" ? Int32Array : Float32Array;
    if (out instanceof Tensor) {
      this.checkTensor(fn, name, out, dtype);
      slot.tensor = out;
      slot.onHeap = true;
      slot.ptr = out.byteOffset;
    } else if (out instanceof Ctor) {
      slot.array = out;
      // A view on this memory is written in place (and re-derived if the memory grows).
      slot.onHeap = out.buffer === this.memory.buffer;
      slot.ptr = slot.onHeap ? out.byteOffset : 0;
    } else {
      throw new TypeError(`${fn}: ${name} must be ${article(Ctor.name)} or ${article(dtype)} Tensor, got ${describe(out)}`);
    }
    if (out.length !== length) throw new RangeError(`${fn}: ${name} has ${out.length} elements, expected ${length}`);
    if (other && slot.array && !slot.onHeap && slot.array === other.array) {
      throw new RangeError(`${fn}: ${name} must not be the same array as ${other.name}`);
    }
    if (slot.onHeap) {
      const bytes = length * 4;
      this.disjoint(fn, slot, bytes, this.in1);
      this.disjoint(fn, slot, bytes, this.in2);
      if (other?.onHeap && intersects(slot.ptr, bytes, other.ptr, other.rows * other.cols * 4)) {
        throw new RangeError(`${fn}: ${name} must not overlap ${other.name}`);
      }
    }
    return slot;
  }

  private disjoint(fn: string, o: OutPlan, bytes: number, x: Operand): void {
    if (x.onHeap && intersects(o.ptr, bytes, x.ptr, x.length * 4)) {
      throw new RangeError(`${fn}: ${o.name} must not overlap ${x.name}`);
    }
  }

  /** Marks an input slot unused (calls with fewer inputs). */
  private unused(x: Operand): void {
    x.tensor = null;
    x.array = null;
    x.onHeap = false;
    x.length = 0;
  }

  /** Gives array inputs and array outputs a place in the staging area; copies the inputs in. */
  private place(a: Operand | null, b: Operand | null, o1: OutPlan, o2: OutPlan | null): void {
    // The zero-copy case (everything already in wasm memory) has nothing to place.
    if ((!a || a.onHeap) && (!b || b.onHeap) && (o1.onHeap || o1.fresh) && (!o2 || o2.onHeap || o2.fresh)) return;
    const total = stagedIn(a) + stagedIn(b) + stagedOut(o1) + stagedOut(o2);
    if (total === 0) return;
    let p = this.stage(total);
    p = this.copyIn(a, p);
    p = this.copyIn(b, p);
    if (stagedOut(o1)) {
      o1.ptr = p;
      p += stagedOut(o1);
    }
    if (o2 && stagedOut(o2)) o2.ptr = p;
  }

  private copyIn(x: Operand | null, p: number): number {
    const bytes = stagedIn(x);
    if (!bytes) return p;
    x!.ptr = p;
    new Float32Array(this.memory.buffer, p, x!.length).set(x!.array!);
    return p + bytes;
  }

  /** A reusable region of at least `bytes`, grown (never shrunk) as calls need. */
  private stage(bytes: number): number {
    if (this.capture) {
      // An async call keeps its staged arrays until its workers are done: a block of its own.
      const p = this.heap.alloc(bytes);
      this.capture.blocks.push(p);
      return p;
    }
    return this.staging.reserve(this.heap, bytes);
  }

  private allocFresh(o: OutPlan): void {
    if (!o.fresh) return;
    o.tensor = new Tensor(this, o.rows, o.cols, o.dtype);
    o.ptr = o.tensor.byteOffset;
  }

  /** The call's result: the output tensor, the user's array filled, or a new array. */
  private finish(o: OutPlan): Tensor<DType> | Float32Array | Int32Array {
    if (this.capture?.job) {
      // The workers have not written it yet: finish it when they are done.
      const copy = Object.assign(new OutPlan(), o);
      o.tensor = null;
      o.array = null;
      this.unused(this.in1);
      this.unused(this.in2);
      const d = new Deferred(copy);
      this.capture.finishes.push(d);
      return d as never;
    }
    const t = o.tensor;
    const arr = o.array;
    // Drop references so the slots keep nothing of the caller's alive.
    o.tensor = null;
    o.array = null;
    this.unused(this.in1);
    this.unused(this.in2);
    if (t) return t;
    const buffer = this.memory.buffer;
    // The user's view on this memory, written in place: hand it back, re-derived if the
    // memory grew during the call (a detached view must never reach the user).
    const length = o.rows * o.cols;
    if (arr && o.onHeap) {
      if (arr.buffer === buffer) return arr;
      return o.dtype === "int32" ? new Int32Array(buffer, o.ptr, length) : new Float32Array(buffer, o.ptr, length);
    }
    const view = o.dtype === "int32" ? new Int32Array(buffer, o.ptr, length) : new Float32Array(buffer, o.ptr, length);
    if (arr) {
      arr.set(view);
      return arr;
    }
    return view.slice();
  }

  /**
   * A kernel refused row `row` of `a` (NaN, +Inf, or every class masked) before writing
   * anything: free the output tensor made for this call, if any, and say what is wrong where.
   */
  private rowFault(fn: string, a: Operand, row: number, cols: number, out: OutPlan): never {
    if (out.fresh && out.tensor) out.tensor.free();
    out.tensor = null;
    const fault = this.kernels.check_fault();
    const values = new Float32Array(this.memory.buffer, a.ptr + row * cols * 4, cols);
    if (fault === FAULT_NAN || fault === FAULT_POS_INF) {
      let k = 0;
      while (k < cols && !(fault === FAULT_NAN ? Number.isNaN(values[k]) : values[k] === Infinity)) k++;
      const what = fault === FAULT_NAN ? "NaN" : "+Inf (only -Inf, a mask, is allowed)";
      throw new RangeError(`${fn}: ${a.name}[${row}, ${k}] is ${what}`);
    }
    throw new RangeError(`${fn}: row ${row} of ${a.name} is all -Inf: at least one class must be unmasked`);
  }

  /** softmax (0), logSoftmax (1) and logSumExp (2): one input, one output. */
  private rowwise(fn: string, x: FloatInput, options: (TauOptions & OutOption<FloatOut>) | undefined, op: 0 | 1 | 2) {
    checkOptions(fn, options, TAU_OUT_KEYS);
    const opts = options ?? {};
    const a = this.operand(fn, "x", x, this.in1);
    this.unused(this.in2);
    const cols = this.resolveCols(fn, opts, a);
    const rows = this.rowsOf(fn, a, cols);
    const tau = checkTaus(fn, opts.tau, rows);
    const out = this.outPlan(fn, "out", opts.out, "float32", rows, op === 2 ? 1 : cols, a.tensor !== null, this.out1, null);
    this.place(a, null, out, null);
    this.allocFresh(out);
    const k = this.kernels;
    const name = op === 0 ? "softmax" : op === 1 ? "log_softmax" : "log_sum_exp";
    const layout = op === 2 ? ROWS_LOG_SUM_EXP : ROWS_SOFTMAX;
    const bad = typeof tau !== "number"
      ? this.perRowTau(name, [a.ptr, out.ptr, rows, cols, 0], 4, tau, rows, cols, layout)
      : this.deferrable(rows, cols)
      ? this.defer(op === 0 ? "softmax" : op === 1 ? "log_softmax" : "log_sum_exp", [a.ptr, out.ptr, rows, cols, tau], rows, cols, op === 2 ? ROWS_LOG_SUM_EXP : ROWS_SOFTMAX)
      : (op === 0 ? k.softmax : op === 1 ? k.log_softmax : k.log_sum_exp)(a.ptr, out.ptr, rows, cols, tau);
    if (bad >= 0) this.rowFault(fn, a, bad, cols, out);
    return this.finish(out);
  }
}
