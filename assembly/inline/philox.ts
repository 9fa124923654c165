// Philox4x32-10: the counter-based generator of Salmon, Moraes, Dror and Shaw,
// "Parallel Random Numbers: As Easy as 1, 2, 3" (SC 2011), as in Random123,
// TensorFlow and PyTorch's GPU path. It passes BigCrush.
//
// One block maps a 128-bit counter (c0, c1, c2, c3) and a 64-bit key (k0, k1) to four
// 32-bit words. Round i uses the key (k0 + i*W0, k1 + i*W1):
//
// ```text
// (hi0, lo0) = M0 * c0        (hi1, lo1) = M1 * c2        (32x32 -> 64-bit products)
// [c0, c1, c2, c3] => [hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0]
// ```
//
// How gumbel-wasm uses it: the seed is the key (k0 = low 32 bits, k1 = high 32 bits);
// stream element j (a 64-bit counter: the call's offset plus the element's index) is word
// (j & 3) of the block whose counter is (j >> 2 as two 32-bit words, 0, 0).

// Multipliers M0 = 0xd2511f53, M1 = 0xcd9e8d57; key increments W0 = 0x9e3779b9 (golden
// ratio), W1 = 0xbb67ae85 (sqrt(3) - 1): entries of consts.ts.

import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1, si, vi } from "./consts";

/** Scalar block: writes the four output words to `dst`. */
// @ts-ignore: decorator
@inline
export function philoxBlock(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32, dst: usize): void {
  for (let i = 0; i < 10; i++) {
    const p0 = <u64>si(PHILOX_M0) * <u64>c0;
    const p1 = <u64>si(PHILOX_M1) * <u64>c2;
    const n0 = (<u32>(p1 >> 32)) ^ c1 ^ k0;
    const n2 = (<u32>(p0 >> 32)) ^ c3 ^ k1;
    c0 = n0;
    c1 = <u32>p1;
    c2 = n2;
    c3 = <u32>p0;
    k0 += si(PHILOX_W0);
    k1 += si(PHILOX_W1);
  }
  store<u32>(dst, c0, 0);
  store<u32>(dst, c1, 4);
  store<u32>(dst, c2, 8);
  store<u32>(dst, c3, 12);
}

/**
 * Four blocks at once, one per lane: lane b of (c0..c3, k0, k1) is block b's counter and key.
 * Writes the 16 output words block after block (block 0's four words first), so that 16
 * consecutive stream elements land in order:
 *
 * ```text
 * X0 = [w0 b0, w0 b1, w0 b2, w0 b3]            B0 = [w0 b0, w1 b0, w2 b0, w3 b0]
 * X1 = [w1 b0, w1 b1, w1 b2, w1 b3]   =>      B1 = [w0 b1, w1 b1, w2 b1, w3 b1]
 * X2, X3 likewise                              B2, B3 likewise (4x4 transpose)
 * ```
 */
// @ts-ignore: decorator
@inline
export function philoxBlock4(c0: v128, c1: v128, c2: v128, c3: v128, k0: v128, k1: v128, dst: usize): void {
  for (let i = 0; i < 10; i++) {
    const m0 = vi(PHILOX_M0);
    const m1 = vi(PHILOX_M1);
    // 32x32 -> 64-bit products of lanes (0, 1) and (2, 3); split into high and low words.
    const p0l = i64x2.extmul_low_i32x4_u(c0, m0);
    const p0h = i64x2.extmul_high_i32x4_u(c0, m0);
    const p1l = i64x2.extmul_low_i32x4_u(c2, m1);
    const p1h = i64x2.extmul_high_i32x4_u(c2, m1);
    const hi0 = i32x4.shuffle(p0l, p0h, 1, 3, 5, 7);
    const lo0 = i32x4.shuffle(p0l, p0h, 0, 2, 4, 6);
    const hi1 = i32x4.shuffle(p1l, p1h, 1, 3, 5, 7);
    const lo1 = i32x4.shuffle(p1l, p1h, 0, 2, 4, 6);
    c0 = v128.xor(v128.xor(hi1, c1), k0);
    c1 = lo1;
    c2 = v128.xor(v128.xor(hi0, c3), k1);
    c3 = lo0;
    k0 = i32x4.add(k0, vi(PHILOX_W0));
    k1 = i32x4.add(k1, vi(PHILOX_W1));
  }
  transposeStore(c0, c1, c2, c3, dst);
}

/** Stores the four blocks held lane-wise in (c0, c1, c2, c3) block after block (the transpose). */
// @ts-ignore: decorator
@inline
function transposeStore(c0: v128, c1: v128, c2: v128, c3: v128, dst: usize): void {
  const t0 = i32x4.shuffle(c0, c1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(c2, c3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(c0, c1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(c2, c3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5), 0);
  v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
  v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
  v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
}

/**
 * philoxBlock4 twice, for blocks (c0, c1, sub, 0) and (d0, d1, sub, 0), the two computations
 * interleaved so that their multiplies overlap: the 32 words go to dst (first the c blocks').
 */
// @ts-ignore: decorator
@inline
export function philoxBlock4x2(c0: v128, c1: v128, d0: v128, d1: v128, sub: v128, k0: v128, k1: v128, dst: usize): void {
  let c2 = sub;
  let c3 = i32x4.splat(0);
  let d2 = sub;
  let d3 = c3;
  for (let i = 0; i < 10; i++) {
    const m0 = vi(PHILOX_M0);
    const m1 = vi(PHILOX_M1);
    const p0l = i64x2.extmul_low_i32x4_u(c0, m0);
    const q0l = i64x2.extmul_low_i32x4_u(d0, m0);
    const p0h = i64x2.extmul_high_i32x4_u(c0, m0);
    const q0h = i64x2.extmul_high_i32x4_u(d0, m0);
    const p1l = i64x2.extmul_low_i32x4_u(c2, m1);
    const q1l = i64x2.extmul_low_i32x4_u(d2, m1);
    const p1h = i64x2.extmul_high_i32x4_u(c2, m1);
    const q1h = i64x2.extmul_high_i32x4_u(d2, m1);
    const hi0 = i32x4.shuffle(p0l, p0h, 1, 3, 5, 7);
    const gi0 = i32x4.shuffle(q0l, q0h, 1, 3, 5, 7);
    const lo0 = i32x4.shuffle(p0l, p0h, 0, 2, 4, 6);
    const go0 = i32x4.shuffle(q0l, q0h, 0, 2, 4, 6);
    const hi1 = i32x4.shuffle(p1l, p1h, 1, 3, 5, 7);
    const gi1 = i32x4.shuffle(q1l, q1h, 1, 3, 5, 7);
    const lo1 = i32x4.shuffle(p1l, p1h, 0, 2, 4, 6);
    const go1 = i32x4.shuffle(q1l, q1h, 0, 2, 4, 6);
    c0 = v128.xor(v128.xor(hi1, c1), k0);
    d0 = v128.xor(v128.xor(gi1, d1), k0);
    c1 = lo1;
    d1 = go1;
    c2 = v128.xor(v128.xor(hi0, c3), k1);
    d2 = v128.xor(v128.xor(gi0, d3), k1);
    c3 = lo0;
    d3 = go0;
    k0 = i32x4.add(k0, vi(PHILOX_W0));
    k1 = i32x4.add(k1, vi(PHILOX_W1));
  }
  transposeStore(c0, c1, c2, c3, dst);
  transposeStore(d0, d1, d2, d3, dst + 64);
}
