// Cheap, certain upper bounds of the Gumbel noise of a word, for gumbelMax's screen: a class
// whose float32(l_k + bound) is below the best sum found so far cannot win, so its noise need
// not be computed exactly. No logarithm: the bounds use the bits of a float,
//
//   log2below(y) = bits(y) * 2^-23 - 127 <= log2(y)         (y > 0 normal; the gap is below
//   log2(y) <= log2below(y) + 0.0861                           0.0861 = max log2(1+m) - m)
//
// - x <  2^31, w = (x + 1/2) 2^-32: E = -log1p(-w) >= w, so g = -ln E <= -ln w
//   <= -ln2 * log2below(w).
// - x >= 2^31, v = 1 - w = (~x + 1/2) 2^-32 <= 1/2: E = -ln v >= -ln2 * (log2below(v) + 0.0861)
//   = eLow >= 0.63 > 0, so g <= -ln eLow <= -ln2 * log2below(eLow).
// A margin of 0.001 covers float32 rounding in these few operations and the noise's own error
// (<= 1.5e-6). The bound exceeds the noise by 0.06 to 0.4: a screen, not an estimate.

import { BIAS_F, HALF, LN2, LOG2_SLACK, SCREEN_MARGIN, TWO_M23, TWO_M32, ZERO, sf, vf } from "./consts";

// @ts-ignore: decorator
@inline
function log2below(y: f32): f32 {
  return <f32>reinterpret<i32>(y) * sf(TWO_M23) - sf(BIAS_F);
}

// @ts-ignore: decorator
@inline
function log2below4(y: v128): v128 {
  return f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(y), vf(TWO_M23)), vf(BIAS_F));
}

/** An upper bound of gumbelFromBits(x). */
// @ts-ignore: decorator
@inline
export function noiseUpper(x: u32): f32 {
  const hi = <i32>x < 0;
  const f = (<f32>select<i32>(~x, x, hi) + sf(HALF)) * sf(TWO_M32);
  const a = log2below(f);
  const lo = -sf(LN2) * a;
  const eLow = -sf(LN2) * (a + sf(LOG2_SLACK));
  const up = -sf(LN2) * log2below(eLow);
  return select<f32>(up, lo, hi) + sf(SCREEN_MARGIN);
}

// @ts-ignore: decorator
@inline
export function noiseUpper4(x: v128): v128 {
  const hi = i32x4.lt_s(x, vf(ZERO));
  const f = f32x4.mul(f32x4.add(f32x4.convert_i32x4_s(v128.bitselect(v128.not(x), x, hi)), vf(HALF)), vf(TWO_M32));
  const a = log2below4(f);
  const nln2 = f32x4.neg(vf(LN2));
  const lo = f32x4.mul(nln2, a);
  const eLow = f32x4.mul(nln2, f32x4.add(a, vf(LOG2_SLACK)));
  const up = f32x4.mul(nln2, log2below4(eLow));
  return f32x4.add(v128.bitselect(up, lo, hi), vf(SCREEN_MARGIN));
}
