// A stateful view of one random stream: every call draws the next elements of (seed, offset),
// so consecutive calls never reuse noise, and the whole sequence replays from the same seed.

import { parseU64, wordsToBigInt, type Words } from "./checks.js";
import type { Tensor } from "./memory.js";
import type { FloatInput, GumbelMaxOptions, GumbelSoftmaxOptions, IndexResult, OutOption, Result, ShapeOptions, StreamOptions, U64 } from "./types.js";

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

  /** The next n Gumbel(0, 1) values. */
  gumbelNoise(n: number): Float32Array {
    const r = this.gw.gumbelNoise(n, { seed: this.seed, offset: this.offset }) as Float32Array;
    this.take(n);
    return r;
  }

  /** The next n uniforms in (0, 1). */
  uniform(n: number): Float32Array {
    const r = this.gw.uniform(n, { seed: this.seed, offset: this.offset }) as Float32Array;
    this.take(n);
    return r;
  }

  /** gw.gumbelSoftmax on the next rows*cols elements of the stream. */
  gumbelSoftmax<X extends FloatInput>(logits: X, options: Omit<GumbelSoftmaxOptions, "seed" | "offset"> = {}) {
    const r = this.gw.gumbelSoftmax(logits, { ...options, seed: this.seed, offset: this.offset });
    this.take(lengthOf(logits));
    return r;
  }

  /** gw.gumbelMax on the next rows*cols elements of the stream. */
  gumbelMax<X extends FloatInput>(logits: X, options: ShapeOptions & OutOption<Tensor<"int32"> | Int32Array> = {}) {
    const r = this.gw.gumbelMax(logits, { ...options, seed: this.seed, offset: this.offset });
    this.take(lengthOf(logits));
    return r;
  }
}

function lengthOf(x: FloatInput): number {
  return (x as Tensor | ArrayLike<number>).length;
}
