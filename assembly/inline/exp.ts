// exp(x) in float32, scalar and f32x4, with the same operations in the same order, so that
// both give the same bits.
//
// Method (the range reduction of Cephes `expf`, S. L. Moshier):
// 1. Clamp x to [-104, 89] (pmax/pmin: one instruction each; x is never NaN): below -104 the
//    result rounds to +0 (so a -Inf mask gives exactly 0), above 88.72 it overflows to +Inf.
// 2. k = nearest(x * log2(e)), by adding 1.5 * 2^23 (which rounds to an integer, ties to even,
//    and leaves k in the low bits of the sum) and subtracting it again.
// 3. r = x - k*C1 - k*C2 with C1 + C2 = ln 2 (Cody-Waite: C1 has 9 significant bits, so k*C1
//    is exact), |r| <= ln(2)/2.
// 4. exp(r) ~= 1 + r + r^2 * P(r), P of degree 4: the minimax polynomial for exp's relative
//    error on |r| <= ln(2)/2 (3.1e-9, a tenth of float32's half-ULP at 1), rounded to float32.
//    Cephes' P (used before 0.8.0) has degree 5 (5e-11): one multiply-add more per value and
//    no better in float32 (0.99 ULP worst with it, 0.97 with this one).
// 5. Scale by 2^k as 2^(k >> 1) * 2^(k - (k >> 1)): both factors are normal, so the scaling is
//    exact for normal results and rounds once for subnormal ones.
//
// Accuracy (test/approx.test.ts, 2 * 10^6 points over [-87.33, 88.72] plus random ones):
// ULP error < 1.5 (0.97 measured) wherever the result is a normal float (x >= -87.33);
// subnormal results (x in [-104, -87.33]) are within 1 (0.75 measured) of the subnormal
// spacing 2^-149.
// Special cases: exp(-Inf) = +0, exp(+Inf) = +Inf, exp(0) = 1. NaN is never passed.

import {
  BIAS, EXP_C1, EXP_C2, EXP_MAX, EXP_MIN, EXP_P0, EXP_P1, EXP_P2, EXP_P3, EXP_P4, LOG2E, ONE, SHIFTER,
  sf, si, vf, vi,
} from "./consts";

/** exp(r) ~= 1 + r + r^2 P(r) of steps 3-4, r = x - k ln 2, k = t - SHIFTER (t from step 2). */
// @ts-ignore: decorator
@inline
function expPoly(x: f32, t: f32): f32 {
  const k = t - sf(SHIFTER);
  let r = x - k * sf(EXP_C1);
  r = r - k * sf(EXP_C2);
  const z = r * r;
  let p = sf(EXP_P0) * r + sf(EXP_P1);
  p = p * r + sf(EXP_P2);
  p = p * r + sf(EXP_P3);
  p = p * r + sf(EXP_P4);
  p = p * z + r;
  return p + sf(ONE);
}

// @ts-ignore: decorator
@inline
function expPoly4(x: v128, t: v128): v128 {
  const k = f32x4.sub(t, vf(SHIFTER));
  let r = f32x4.sub(x, f32x4.mul(k, vf(EXP_C1)));
  r = f32x4.sub(r, f32x4.mul(k, vf(EXP_C2)));
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(vf(EXP_P0), r), vf(EXP_P1));
  p = f32x4.add(f32x4.mul(p, r), vf(EXP_P2));
  p = f32x4.add(f32x4.mul(p, r), vf(EXP_P3));
  p = f32x4.add(f32x4.mul(p, r), vf(EXP_P4));
  p = f32x4.add(f32x4.mul(p, z), r);
  return f32x4.add(p, vf(ONE));
}

// @ts-ignore: decorator
@inline
export function expf(x: f32): f32 {
  // pmax(x, lo) = x < lo ? lo : x; pmin(x, hi) = hi < x ? hi : x (wasm's definitions).
  x = select<f32>(sf(EXP_MIN), x, x < sf(EXP_MIN));
  x = select<f32>(sf(EXP_MAX), x, sf(EXP_MAX) < x);
  const t = x * sf(LOG2E) + sf(SHIFTER);
  const p = expPoly(x, t);
  const ki = reinterpret<i32>(t) - reinterpret<i32>(sf(SHIFTER));
  const k1 = ki >> 1;
  const k2 = ki - k1;
  const s1 = reinterpret<f32>((k1 + <i32>si(BIAS)) << 23);
  const s2 = reinterpret<f32>((k2 + <i32>si(BIAS)) << 23);
  return (p * s1) * s2;
}

// @ts-ignore: decorator
@inline
export function expf4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, vf(EXP_MIN)), vf(EXP_MAX));
  const t = f32x4.add(f32x4.mul(x, vf(LOG2E)), vf(SHIFTER));
  const p = expPoly4(x, t);
  const ki = i32x4.sub(t, vf(SHIFTER));
  const k1 = i32x4.shr_s(ki, 1);
  const k2 = i32x4.sub(ki, k1);
  const s1 = i32x4.shl(i32x4.add(k1, vi(BIAS)), 23);
  const s2 = i32x4.shl(i32x4.add(k2, vi(BIAS)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** The lower end of expfNear's domain: exp(x) >= 2^-126 (normal) for x >= -87, and k >= -126. */
export const NEAR_MIN: f32 = -87.0;

/**
 * expf for x in [-87, 0] only (no clamps, one scaling factor): the same bits as expf there.
 * With k >= -126 the factor 2^k is a normal float, so p * 2^k rounds once, as expf's
 * (p * 2^(k >> 1)) * 2^(k - (k >> 1)) does (its first product is exact); 2^k is built as
 * bits(t) << 23 + bits(1.0) (the shifter's bits vanish in the shift).
 */
// @ts-ignore: decorator
@inline
export function expfNear(x: f32): f32 {
  const t = x * sf(LOG2E) + sf(SHIFTER);
  const p = expPoly(x, t);
  return p * reinterpret<f32>((reinterpret<i32>(t) << 23) + reinterpret<i32>(sf(ONE)));
}

// @ts-ignore: decorator
@inline
export function expfNear4(x: v128): v128 {
  const t = f32x4.add(f32x4.mul(x, vf(LOG2E)), vf(SHIFTER));
  const p = expPoly4(x, t);
  return f32x4.mul(p, i32x4.add(i32x4.shl(t, 23), vf(ONE)));
}
