// exp(x) in float32, scalar and f32x4, with the same operations in the same order, so that
// both give the same bits.
//
// Method (Cephes `expf`, S. L. Moshier):
// 1. Clamp x to [-104, 89]: below -104 the result rounds to +0 (so a -Inf mask gives exactly
//    0), above 88.72 it overflows to +Inf.
// 2. k = nearest(x * log2(e)); r = x - k*C1 - k*C2 with C1 + C2 = ln 2 (Cody-Waite: C1 has
//    9 significant bits, so k*C1 is exact), |r| <= ln(2)/2.
// 3. exp(r) ~= 1 + r + r^2 * P(r), P of degree 5 (Cephes' minimax coefficients).
// 4. Scale by 2^k as 2^(k >> 1) * 2^(k - (k >> 1)): both factors are normal, so the scaling is
//    exact for normal results and rounds once for subnormal ones.
//
// Accuracy (test/approx.test.ts, 2 * 10^6 points over [-87.33, 88.72] plus random ones):
// ULP error < 1.5 (0.97 measured) wherever the result is a normal float (x >= -87.33);
// subnormal results (x in [-104, -87.33]) are within 1 (0.75 measured) of the subnormal
// spacing 2^-149.
// Special cases: exp(-Inf) = +0, exp(+Inf) = +Inf, exp(0) = 1. NaN is never passed.

const LOG2E: f32 = 1.44269504088896341; // 0x3fb8aa3b
const C1: f32 = 0.693359375; // 0x3f318000, 355/512
const C2: f32 = -2.12194440e-4; // 0xb95e8083
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
const X_MIN: f32 = -104.0;
const X_MAX: f32 = 89.0;

// @ts-ignore: decorator
@inline
export function expf(x: f32): f32 {
  x = min<f32>(max<f32>(x, X_MIN), X_MAX);
  const k = nearest<f32>(x * LOG2E);
  let r = x - k * C1;
  r = r - k * C2;
  const z = r * r;
  let p = P0 * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  p = p * z + r;
  p = p + <f32>1.0;
  const ki = <i32>k;
  const k1 = ki >> 1;
  const k2 = ki - k1;
  const s1 = reinterpret<f32>((k1 + 127) << 23);
  const s2 = reinterpret<f32>((k2 + 127) << 23);
  return (p * s1) * s2;
}

// @ts-ignore: decorator
@inline
export function expf4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(X_MIN)), f32x4.splat(X_MAX));
  const k = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(k, f32x4.splat(C1)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(C2)));
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.mul(p, z), r);
  p = f32x4.add(p, f32x4.splat(1.0));
  const ki = i32x4.trunc_sat_f32x4_s(k);
  const k1 = i32x4.shr_s(ki, 1);
  const k2 = i32x4.sub(ki, k1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(k1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(k2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}
