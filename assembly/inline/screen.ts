// Cheap, certain upper bounds of the Gumbel noise of a word, for gumbelMax's screen: a class
// whose float32(l_k + bound) is below the best sum found so far cannot win, so its noise need
// not be computed exactly. No logarithm: the bound reads log2 off the bits of a float,
//
//   log2below(z) = bits(z) * 2^-23 - 127 <= log2(z)          (z > 0 normal)
//
// For every word x, w = (x + 1/2) 2^-32 and E = -log1p(-w) >= w, so g = -ln E <= -ln w. With
// y = x >>> 1, w >= z = y 2^-31, and bits(z) = bits(y) - 31 * 2^23 (y >= 1), so
//
//   g <= -ln z <= -ln2 * log2below(z) = 158 ln2 - ln2 * 2^-23 * bits(float32(y)),
//
// one conversion, one multiply and one subtraction after the shift (y = 0, for x = 0 and 1,
// gives 158 ln2 = 109.5, above every noise value). A margin of 0.001 covers the rounding of
// float32(y) (2^-24 relative), the float32 rounding of the bound itself (below 3e-5) and the
// noise's own error (<= 4e-6). The bound exceeds the noise by 0.001 to 0.33 for words 16 to
// 2^31 - 1 (-ln w against -ln(-log1p(-w)), plus log2below's gap, at most 0.0861 ln 2), by up
// to 0.56 for words 2 to 15 (w against z), and is at most 0.70 for x >= 2^31, where the noise
// is at most -ln(ln 2) = 0.3665 (measured over 2^26 words; test/approx.test.ts). A screen,
// not an estimate: about one class per row gets its exact noise.

import { SCREEN_SLOPE, SCREEN_TOP, sf, vf } from "./consts";

/** An upper bound of gumbelFromBits(x). */
// @ts-ignore: decorator
@inline
export function noiseUpper(x: u32): f32 {
  return sf(SCREEN_TOP) - sf(SCREEN_SLOPE) * <f32>reinterpret<i32>(<f32>(<i32>(x >>> 1)));
}

// @ts-ignore: decorator
@inline
export function noiseUpper4(x: v128): v128 {
  return f32x4.sub(vf(SCREEN_TOP), f32x4.mul(vf(SCREEN_SLOPE), f32x4.convert_i32x4_s(f32x4.convert_i32x4_s(i32x4.shr_u(x, 1)))));
}
