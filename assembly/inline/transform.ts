// From 32 random bits to a uniform or a Gumbel(0, 1) variate, scalar and f32x4 with the same
// operations in the same order.
//
// Gumbel: g = -log(E), E = -log1p(-w) ~ Exp(1), w = (x + 0.5) * 2^-32 for the 32-bit word x.
// `w` is never formed where it would lose bits:
// - x <  2^31 (w < 1/2): u = 1 - w rounds, so E = -log(u) + ((u - 1) + w): the second term is
//   the rounding error of u (exact: Sterbenz), the classic log1p correction. For w < 2^-25,
//   u = 1 and E = w exactly.
// - x >= 2^31 (w >= 1/2): 1 - w = (~x + 0.5) * 2^-32 exactly from the integer bits, E = -log of it.
// So every one of the 2^32 words gives a finite E in [2^-33, 33 ln 2]:
//   x = 0          -> E = 2^-33           -> g = 33 ln 2 =  22.8739...  (upper end)
//   x = 2^32 - 1   -> E = 33 ln 2 = 22.87 -> g = -log(22.87) = -3.1299... (lower end)
// float32 `-log(-log(u))` of a 24-bit u stops near 16.6; this reaches past 22, so a class of
// probability 1e-9 is still drawn at its rate. Accuracy against the exact -log(-log1p(-w)) of
// the same word: absolute error <= 1.5e-6 (under 1 ULP at the top of the range; 9.4e-7
// measured in test/approx.test.ts).
//
// Uniform: u = ((x >> 9) + 0.5) * 2^-23 from the top 23 bits: exact in float32 (24 significant
// bits), symmetric about 1/2, in [2^-24, 1 - 2^-24]: never 0 or 1.

import { HALF, ONE, TWO_M23, TWO_M32, ZERO, sf, vf } from "./consts";
import { logNormal, logNormal4 } from "./log";

// @ts-ignore: decorator
@inline
export function gumbelFromBits(x: u32): f32 {
  const hi = <i32>x < 0;
  const y = select<i32>(~x, x, hi);
  const f = (<f32>y + sf(HALF)) * sf(TWO_M32);
  const u = sf(ONE) - f;
  const d = (u - sf(ONE)) + f;
  const e = select<f32>(0, d, hi) - logNormal(select<f32>(f, u, hi));
  return -logNormal(e);
}

// @ts-ignore: decorator
@inline
export function gumbelFromBits4(x: v128): v128 {
  const hi = i32x4.lt_s(x, vf(ZERO));
  const y = v128.bitselect(v128.not(x), x, hi);
  const f = f32x4.mul(f32x4.add(f32x4.convert_i32x4_s(y), vf(HALF)), vf(TWO_M32));
  const u = f32x4.sub(vf(ONE), f);
  const d = f32x4.add(f32x4.sub(u, vf(ONE)), f);
  // Both logs see normal numbers only: f, u >= 2^-33 and E >= 2^-33.
  const e = f32x4.sub(v128.andnot(d, hi), logNormal4(v128.bitselect(f, u, hi)));
  return f32x4.neg(logNormal4(e));
}

// @ts-ignore: decorator
@inline
export function uniformFromBits(x: u32): f32 {
  return (<f32>(x >>> 9) + sf(HALF)) * sf(TWO_M23);
}

// @ts-ignore: decorator
@inline
export function uniformFromBits4(x: v128): v128 {
  return f32x4.mul(
    f32x4.add(f32x4.convert_i32x4_s(i32x4.shr_u(x, 9)), vf(HALF)),
    vf(TWO_M23),
  );
}
