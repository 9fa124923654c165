// Stream elements `step` apart: j0, j0 + step, j0 + 2 step, ... (n of them), as raw words or
// Gumbel noise. What a line along a non-last axis draws when one stream covers the whole
// tensor: class c of line (o, j) is element o * cols + c * inner + j, so consecutive classes
// of a line are `inner` elements apart (sample_tokens_axis). Element j is word (j & 3) of
// Philox block j >> 2 (stream.ts), so each value is exactly the one writeBits / writeGumbel
// give for that element: the same bits whatever the step. step == 1 is writeBits / writeGumbel
// themselves.
//
// Cost: with step >= 4 every element needs a Philox block of its own (four words computed,
// one used), about four times the contiguous stream per element. Eight at a time where SIMD is
// there (the fewer than eight left one at a time: one inlined copy of the four-lane Philox less
// in the binary).

import { SCRATCH_BLOCK, scratch } from "./scratch";
import { philoxBlock, philoxBlock4x2 } from "./philox";
import { writeBits, writeGumbel } from "./stream";
import { gumbelFromBits } from "./transform";

/** Word (j & 3) of lane b's block (philoxBlock4 writes block b's four words at b * 16). */
// @ts-ignore: decorator
@inline
function laneWord(b: usize, j: u64): u32 {
  return load<u32>(scratch(SCRATCH_BLOCK) + (b << 4) + (<usize>(j & 3) << 2));
}

/** The low (or high) words of the blocks of elements j, j + step, j + 2 step, j + 3 step, one per lane. */
// @ts-ignore: decorator
@inline
function laneCounters(j: u64, step: u64, high: bool): v128 {
  const s = high ? 34 : 2;
  let v = i32x4.splat(<u32>(j >> s));
  v = i32x4.replace_lane(v, 1, <u32>((j + step) >> s));
  v = i32x4.replace_lane(v, 2, <u32>((j + 2 * step) >> s));
  return i32x4.replace_lane(v, 3, <u32>((j + 3 * step) >> s));
}

/** Raw words of elements j0 + i * step, i < n, into dst (step >= 2). */
function stridedWords(dst: usize, n: i32, k0: u32, k1: u32, j0: u64, step: u64): void {
  let i = 0;
  let j = j0;
  if (ASC_FEATURE_SIMD) {
    const key0 = i32x4.splat(k0);
    const key1 = i32x4.splat(k1);
    const zero = i32x4.splat(0);
    // Eight at a time: two sets of four blocks side by side (their multiplies overlap).
    for (; i + 8 <= n; i += 8) {
      const lo0 = laneCounters(j, step, false);
      const hi0 = laneCounters(j, step, true);
      const lo1 = laneCounters(j + 4 * step, step, false);
      const hi1 = laneCounters(j + 4 * step, step, true);
      philoxBlock4x2(lo0, hi0, lo1, hi1, zero, key0, key1, scratch(SCRATCH_BLOCK));
      const o = dst + (<usize>i << 2);
      for (let b: usize = 0; b < 8; b++) store<u32>(o + (b << 2), laneWord(b, j + <u64>b * step));
      j += 8 * step;
    }
  }
  // One block at a time, reused while elements fall in it (steps of 2 or 3).
  let have: u64 = 0;
  let valid = false;
  for (; i < n; i++, j += step) {
    const b = j >> 2;
    if (!valid || b != have) {
      philoxBlock(<u32>b, <u32>(b >> 32), 0, 0, k0, k1, scratch(SCRATCH_BLOCK));
      have = b;
      valid = true;
    }
    store<u32>(dst + (<usize>i << 2), laneWord(0, j));
  }
}

/** writeBits of elements j0 + i * step (i < n). */
export function writeBitsStep(dst: usize, n: i32, k0: u32, k1: u32, j0: u64, step: u64): void {
  if (step == 1) writeBits(dst, n, k0, k1, j0);
  else stridedWords(dst, n, k0, k1, j0, step);
}

/** writeGumbel of elements j0 + i * step (i < n): the same bits as writeGumbel gives each. */
export function writeGumbelStep(dst: usize, n: i32, k0: u32, k1: u32, j0: u64, step: u64): void {
  if (step == 1) {
    writeGumbel(dst, n, k0, k1, j0);
    return;
  }
  stridedWords(dst, n, k0, k1, j0, step);
  // Short rows only (below SCREEN_MIN: longer ones are screened from the words): one at a time.
  for (let i = 0; i < n; i++) {
    const o = dst + (<usize>i << 2);
    store<f32>(o, gumbelFromBits(load<u32>(o)));
  }
}
