// Random streams: raw Philox bits, uniforms in (0, 1) and Gumbel(0, 1) noise. The stream is
// keyed by the seed (k0 = low 32 bits, k1 = high 32 bits) and starts at element
// j0 = jHi * 2^32 + jLo (the call's offset).

import { writeBits, writeGumbel, writeUniform } from "./inline/stream";

// @ts-ignore: decorator
@inline
function counter(jLo: u32, jHi: u32): u64 {
  return (<u64>jHi << 32) | <u64>jLo;
}

/**
 * dst[i] = 32-bit word of stream element j0 + i.
 * @rows n dst:1
 */
export function random_bits(dst: usize, n: i32, k0: u32, k1: u32, jLo: u32, jHi: u32): void {
  writeBits(dst, n, k0, k1, counter(jLo, jHi));
}

/**
 * dst[i] = uniform in [2^-24, 1 - 2^-24] (23 bits) from stream element j0 + i.
 * @rows n dst:1
 */
export function uniform(dst: usize, n: i32, k0: u32, k1: u32, jLo: u32, jHi: u32): void {
  writeUniform(dst, n, k0, k1, counter(jLo, jHi));
}

/**
 * dst[i] = Gumbel(0, 1) noise in [-3.1300, 22.874] from stream element j0 + i.
 * @rows n dst:1
 */
export function gumbel_noise(dst: usize, n: i32, k0: u32, k1: u32, jLo: u32, jHi: u32): void {
  writeGumbel(dst, n, k0, k1, counter(jLo, jHi));
}
