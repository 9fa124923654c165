// A stateful view of one random stream: every call draws the next elements of (seed, offset),
// so consecutive calls never reuse noise, and the whole sequence replays from the same seed.

import { parseU64, wordsToBigInt, type Words } from "./checks.js";
import type { Tensor } from "./memory.js";
import { checkOptions, NOTES, optionKeys } from "./options.js";
import type {
  FloatInput, GumbelMaxOptions, GumbelSoftmaxOptions, IndexResult, KeepDimsOption, OutOption, ProbsOption, Result, ShapeOptions, StreamOptions, U64,
} from "./types.js";

/**
 * What a stream needs of its instance (a GumbelWasm; declared here, so that this file does not
 * import the class that makes streams).
 */
export interface StreamHost {
  gumbelNoise(n: number, options: StreamOptions): Float32Array | Tensor;
  uniform(n: number, options: StreamOptions): Float32Array | Tensor;
  gumbelSoftmax<X extends FloatInput, O extends GumbelSoftmaxOptions>(logits: X, options?: O): Result<X, O>;
  gumbelMax<X extends FloatInput>(logits: X, options?: GumbelMaxOptions): IndexResult<X>;
}

type SoftmaxOptions = Omit<GumbelSoftmaxOptions, "seed" | "offset">;
type MaxOptions = ShapeOptions & KeepDimsOption & ProbsOption & OutOption<Tensor<"int32"> | Int32Array>;

/** The stream supplies seed and offset: a call's own would silently draw another stream. */
const OWN = { seed: NOTES.OWN_STREAM, offset: NOTES.OWN_STREAM };
const SOFTMAX_KEYS = optionKeys<SoftmaxOptions>(
  { cols: true, shape: true, axis: true, tau: true, hard: true, soft: true, probs: true, out: true }, { draws: NOTES.DRAWS_PER_ROW, notes: OWN },
);
const MAX_KEYS = optionKeys<MaxOptions>(
  { cols: true, shape: true, axis: true, keepDims: true, probs: true, out: true },
  { draws: NOTES.DRAWS_PER_ROW, notes: { ...OWN, tau: NOTES.TAU_ONE, temperature: NOTES.TAU_ONE } },
);

export class GumbelRng {
  /** The stream's key. */
  readonly seed: bigint;
  /** The counter of the next element to be drawn. */
  offset: bigint;
  private readonly gw: StreamHost;

  /** @internal Use `gw.rng(seed, offset)`. */
  constructor(gw: StreamHost, seed: U64, offset: U64) {
    const w: Words = { lo: 0, hi: 0 };
    this.gw = gw;
    parseU64("rng", "seed", seed, w);
    this.seed = wordsToBigInt(w);
    parseU64("rng", "offset", offset, w);
    this.offset = wordsToBigInt(w);
  }

  private take(count: number): bigint {
    const at = this.offset;
    this.offset = at + BigInt(count);
    return at;
  }

  /** The next n Gumbel(0, 1) values. Takes no options (a second argument is a TypeError). */
  gumbelNoise(n: number): Float32Array {
    noOptions("rng.gumbelNoise", arguments.length);
    const r = this.gw.gumbelNoise(n, { seed: this.seed, offset: this.offset }) as Float32Array;
    this.take(n);
    return r;
  }

  /** The next n uniforms in (0, 1). Takes no options (a second argument is a TypeError). */
  uniform(n: number): Float32Array {
    noOptions("rng.uniform", arguments.length);
    const r = this.gw.uniform(n, { seed: this.seed, offset: this.offset }) as Float32Array;
    this.take(n);
    return r;
  }

  /** gw.gumbelSoftmax on the next rows*cols elements of the stream (options: all but seed and offset). */
  gumbelSoftmax<X extends FloatInput>(logits: X, options: SoftmaxOptions = {}) {
    checkOptions("rng.gumbelSoftmax", options, SOFTMAX_KEYS);
    const r = this.gw.gumbelSoftmax(logits, { ...options, seed: this.seed, offset: this.offset });
    this.take(lengthOf(logits));
    return r;
  }

  /** gw.gumbelMax on the next rows*cols elements of the stream (options: cols, probs and out). */
  gumbelMax<X extends FloatInput>(logits: X, options: MaxOptions = {}) {
    checkOptions("rng.gumbelMax", options, MAX_KEYS);
    const r = this.gw.gumbelMax(logits, { ...options, seed: this.seed, offset: this.offset });
    this.take(lengthOf(logits));
    return r;
  }
}

/** The count-only draws take no options: a seed or out passed to them would be ignored. */
function noOptions(fn: string, args: number): void {
  if (args > 1) throw new TypeError(`${fn}: takes only the count n (the stream supplies seed and offset)`);
}

function lengthOf(x: FloatInput): number {
  return (x as Tensor | ArrayLike<number>).length;
}
