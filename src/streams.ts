// Streams: which (seed, offset) a call draws from. With `seed`, the caller's stream from `offset`
// (default 0); without, the instance's own stream, seeded at init and advanced past each call's
// draw once its kernel has run (a call that throws draws nothing).

import { addWords, checkStreamEnd, parseU64, TWO32, wordsToBigInt, type Words } from "./checks.js";
import type { StreamOptions, U64 } from "./types.js";

function randomWord(): number {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
  if (c) return c.getRandomValues(new Uint32Array(1))[0]!;
  return Math.floor(Math.random() * TWO32);
}

export class Streams {
  /** The current call's key and first counter (filled by `resolve`). */
  readonly key: Words = { lo: 0, hi: 0 };
  readonly counter: Words = { lo: 0, hi: 0 };
  private readonly autoSeed: Words = { lo: 0, hi: 0 };
  private readonly autoOffset: Words = { lo: 0, hi: 0 };
  /** Elements the current call draws from the instance's stream (0 with a seed). */
  private autoDraw = 0;

  constructor(seed: U64 | undefined) {
    if (seed === undefined) {
      this.autoSeed.lo = randomWord();
      this.autoSeed.hi = randomWord();
    } else parseU64("init", "seed", seed, this.autoSeed);
  }

  /** The seed of the instance's own stream. */
  get defaultSeed(): bigint {
    return wordsToBigInt(this.autoSeed);
  }

  /** Resolves seed and offset into `key` / `counter` for a draw of `count` elements. */
  resolve(fn: string, options: StreamOptions, count: number): void {
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

  /**
   * Where a draw of `count` elements from the instance's own stream starts, as the seed and
   * offset to pass explicitly: a call given them draws exactly what a call without `seed` would
   * (wrapping at 2^64 as `resolve` does). The stream moves only at `advance(count)`, once the
   * draw has succeeded. (gumbel-wasm/tfjs: the backward recomputes the forward's noise.)
   */
  reserve(count: number): { seed: bigint; offset: bigint } {
    const auto = this.autoOffset;
    if (auto.hi === TWO32 - 1 && auto.lo + count > TWO32) auto.lo = auto.hi = 0;
    return { seed: wordsToBigInt(this.autoSeed), offset: wordsToBigInt(auto) };
  }

  /** Moves the instance's own stream past `count` elements drawn at `reserve`'s seed and offset. */
  advance(count: number): void {
    addWords(this.autoOffset, count, this.autoOffset);
  }

  /** The current call uses streams of its own (per-row seeds): the instance's does not move. */
  none(): void {
    this.autoDraw = 0;
  }

  /** After a kernel drew from the instance's own stream: advance it past what was drawn. */
  drawn(): void {
    if (this.autoDraw === 0) return; // a call with a seed: the instance's stream stays
    addWords(this.autoOffset, this.autoDraw, this.autoOffset);
    this.autoDraw = 0;
  }
}
