// The random stream: n consecutive elements j0, j0+1, ... of the Philox stream keyed by
// (k0, k1), turned into raw bits, uniforms or Gumbel noise, written to dst. Element j is word
// (j & 3) of block (j >> 2) (see philox.ts), so the output depends only on (key, j): the same
// on every backend, however a batch is split.
//
// The block's counter is (j >> 2 as two words, sub, 0). Every call draws from sub-stream
// sub = 0; gumbel_rao's conditional draws s = 0, 1, ... use sub-streams 1 + s at the same
// elements j (a further 2^64 elements per sub-stream, disjoint from everything else).

import { FOUR, vi } from "./consts";
import { SCRATCH_BLOCK, SCRATCH_VALUE, scratch } from "./scratch";
import { philoxBlock, philoxBlock4, philoxBlock4x2 } from "./philox";
import { gumbelFromBits, gumbelFromBits4, uniformFromBits, uniformFromBits4 } from "./transform";
import { gumbelFromBits4x4 } from "./wide";
import { hmax, hmin } from "./row";

const KIND_BITS: i32 = 0;
const KIND_UNIFORM: i32 = 1;
const KIND_GUMBEL: i32 = 2;


// @ts-ignore: decorator
@inline
function transform(kind: i32, x: u32): u32 {
  if (kind == KIND_GUMBEL) return reinterpret<u32>(gumbelFromBits(x));
  if (kind == KIND_UNIFORM) return reinterpret<u32>(uniformFromBits(x));
  return x;
}

// @ts-ignore: decorator
@inline
function transform4(kind: i32, x: v128): v128 {
  if (kind == KIND_GUMBEL) return gumbelFromBits4(x);
  if (kind == KIND_UNIFORM) return uniformFromBits4(x);
  return x;
}

/** dst[q] = add[q] + src[q] for the four floats at src (dst may be add), returned. */
// @ts-ignore: decorator
@inline
function addStore4(src: usize, add: usize, dst: usize): v128 {
  const v = f32x4.add(v128.load(add), v128.load(src));
  v128.store(dst, v);
  return v;
}

/** The smallest of the sums the last writeGumbel with `add` wrote (tracked by the SIMD paths; -Inf in the scalar build). */
let sumsMin: f32 = -Infinity;

/** The smallest of the sums the last writeGumbel with `add` wrote: -Inf when not known. */
// @ts-ignore: decorator
@inline
export function lastSumsMin(): f32 {
  return sumsMin;
}

/**
 * Writes stream elements j0 .. j0+n-1 (as 32-bit values of the given kind) to dst. Inlined
 * into one function per kind below, so that the kind's branches fold away. Gumbel noise with
 * `add` not 0 writes add[i] + noise instead (dst may be add) and returns the largest of these
 * sums (-Inf for n = 0); otherwise the result is -Inf.
 */
// @ts-ignore: decorator
@inline
function writeStream(kind: i32, dst: usize, n: i32, k0: u32, k1: u32, j0: u64, sub: u32, add: usize): f32 {
  let best = -Infinity as f32;
  let least = Infinity as f32;
  let block = j0 >> 2;
  // Position in dst of the first word of `block` (negative when j0 is not a multiple of 4).
  let pos = -<i32>(j0 & 3);
  if (ASC_FEATURE_SIMD) {
    const key0 = i32x4.splat(k0);
    const key1 = i32x4.splat(k1);
    const lanes = i32x4(0, 1, 2, 3);
    const zero = i32x4.splat(0);
    const subv = i32x4.splat(sub);
    let m = f32x4.splat(-Infinity);
    let mn = f32x4.splat(Infinity);
    // Whole groups of 32 (eight blocks): two Philox computations side by side.
    if (pos == 0) {
      for (; pos + 32 <= n; pos += 32, block += 8) {
        const lo = i32x4.splat(<u32>block);
        const c0 = i32x4.add(lo, lanes);
        const d0 = i32x4.add(c0, vi(FOUR));
        const hi = i32x4.splat(<u32>(block >> 32));
        const c1 = i32x4.sub(hi, i32x4.lt_u(c0, lo));
        const d1 = i32x4.sub(hi, i32x4.lt_u(d0, lo));
        const out = dst + (<usize>pos << 2);
        // Raw words go straight to dst; the others through the scratch.
        philoxBlock4x2(c0, c1, d0, d1, subv, key0, key1, kind == KIND_BITS ? out : scratch(SCRATCH_BLOCK));
        if (kind == KIND_BITS) continue;
        if (kind == KIND_GUMBEL) {
          for (let q = 0; q < 128; q += 64) {
            // With `add`, the noise stays in the scratch and the sums go to dst.
            const g = scratch(SCRATCH_BLOCK) + q;
            gumbelFromBits4x4(g, add ? g : out + q);
            if (add) {
              for (let e: usize = 0; e < 64; e += 16) {
                const v = addStore4(g + e, add + (<usize>pos << 2) + q + e, out + q + e);
                m = f32x4.pmax(m, v);
                mn = f32x4.pmin(mn, v);
              }
            }
          }
        } else {
          for (let q = 0; q < 128; q += 16) v128.store(out + q, transform4(kind, v128.load(scratch(SCRATCH_BLOCK) + q)));
        }
      }
    }
    while (pos < n) {
      const lo = i32x4.splat(<u32>block);
      const c0 = i32x4.add(lo, lanes);
      // A lane whose low word wrapped carries into the high word.
      const c1 = i32x4.sub(i32x4.splat(<u32>(block >> 32)), i32x4.lt_u(c0, lo));
      philoxBlock4(c0, c1, subv, zero, key0, key1, scratch(SCRATCH_BLOCK));
      if (pos >= 0 && pos + 16 <= n) {
        const out = dst + (<usize>pos << 2);
        if (kind == KIND_GUMBEL) {
          gumbelFromBits4x4(scratch(SCRATCH_BLOCK), add ? scratch(SCRATCH_BLOCK) : out);
          if (add) {
            for (let e: usize = 0; e < 64; e += 16) {
              const v = addStore4(scratch(SCRATCH_BLOCK) + e, add + (<usize>pos << 2) + e, out + e);
              m = f32x4.pmax(m, v);
              mn = f32x4.pmin(mn, v);
            }
          }
        } else {
          v128.store(out, transform4(kind, v128.load(scratch(SCRATCH_BLOCK), 0)), 0);
          v128.store(out, transform4(kind, v128.load(scratch(SCRATCH_BLOCK), 16)), 16);
          v128.store(out, transform4(kind, v128.load(scratch(SCRATCH_BLOCK), 32)), 32);
          v128.store(out, transform4(kind, v128.load(scratch(SCRATCH_BLOCK), 48)), 48);
        }
      } else {
        // A group straddling an end of dst: the Gumbel transform of all four quarters side by
        // side (as quick as one alone), other kinds only of the quarters that reach into dst.
        const from = max<i32>(pos, 0);
        const to = min<i32>(pos + 16, n);
        if (kind == KIND_GUMBEL) {
          gumbelFromBits4x4(scratch(SCRATCH_BLOCK), scratch(SCRATCH_VALUE));
        } else {
          for (let q = (from - pos) & ~3; q < to - pos; q += 4) {
            const o = <usize>q << 2;
            v128.store(scratch(SCRATCH_VALUE) + o, transform4(kind, v128.load(scratch(SCRATCH_BLOCK) + o)));
          }
        }
        for (let i = from; i < to; i++) {
          const t = put(dst, add, i, load<u32>(scratch(SCRATCH_VALUE) + (<usize>(i - pos) << 2)));
          best = select<f32>(t, best, best < t);
          least = select<f32>(t, least, t < least);
        }
      }
      pos += 16;
      block += 4;
    }
    if (add) {
      best = max<f32>(best, hmax(m));
      sumsMin = min<f32>(least, hmin(mn)); // sums are never NaN
    }
  } else {
    while (pos < n) {
      philoxBlock(<u32>block, <u32>(block >> 32), sub, 0, k0, k1, scratch(SCRATCH_BLOCK));
      for (let w = 0; w < 4; w++) {
        const i = pos + w;
        if (i >= 0 && i < n) {
          const t = put(dst, add, i, transform(kind, load<u32>(scratch(SCRATCH_BLOCK) + (<usize>w << 2))));
          best = select<f32>(t, best, best < t);
        }
      }
      pos += 4;
      block += 1;
    }
    if (add) sumsMin = -Infinity; // not tracked: the full exp
  }
  return best;
}

/**
 * dst[i] = the value whose bits are v, or with `add` not 0, add[i] + that value; returns that
 * sum (-Inf without `add`).
 */
// @ts-ignore: decorator
@inline
function put(dst: usize, add: usize, i: i32, v: u32): f32 {
  const o = <usize>i << 2;
  if (!add) {
    store<u32>(dst + o, v);
    return -Infinity;
  }
  const t = load<f32>(add + o) + reinterpret<f32>(v);
  store<f32>(dst + o, t);
  return t;
}

/**
 * writeStream of Gumbel(0, 1) noise, from sub-stream `sub` (0 unless said otherwise); with
 * `add`, dst[i] = add[i] + the noise, and the result is the largest of these sums.
 */
export function writeGumbel(dst: usize, n: i32, k0: u32, k1: u32, j0: u64, sub: u32 = 0, add: usize = 0): f32 {
  return writeStream(KIND_GUMBEL, dst, n, k0, k1, j0, sub, add);
}

/** writeStream of uniforms. */
export function writeUniform(dst: usize, n: i32, k0: u32, k1: u32, j0: u64): void {
  writeStream(KIND_UNIFORM, dst, n, k0, k1, j0, 0, 0);
}

/** writeStream of raw words. */
export function writeBits(dst: usize, n: i32, k0: u32, k1: u32, j0: u64): void {
  writeStream(KIND_BITS, dst, n, k0, k1, j0, 0, 0);
}
