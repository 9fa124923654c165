// From 32 random bits to a uniform or a Gumbel(0, 1) variate, scalar and f32x4 with the same
// operations in the same order.
//
// Gumbel: g = -log(E), E = -log1p(-w) ~ Exp(1), w = (x + 0.5) * 2^-32 for the 32-bit word x.
// `w` is never formed where it would lose bits:
// - x <  2^31 (w < 1/2): u = 1 - w rounds, so E = -log(u) + ((u - 1) + w): the second term is
//   the rounding error of u (exact: Sterbenz), the classic log1p correction. For w < 2^-25,
//   u = 1 and E = w exactly.
// - x >= 2^31 (w >= 1/2): 1 - w = (~x + 0.5) * 2^-32 exactly from the integer bits, E = -log of it.
// Both cases in one formula, without a select: y = x ^ (x >> 31) (x, or ~x when x >= 2^31),
// f = (y + 0.5) 2^-32, c = 1 (or 0), s = c - f (u, or -f exactly), E = ((s - c) + f) - log|s|:
// the correction is +0 when c = 0.
// So every one of the 2^32 words gives a finite E in [2^-33, 33 ln 2]:
//   x = 0          -> E = 2^-33           -> g = 33 ln 2 =  22.8739...  (upper end)
//   x = 2^32 - 1   -> E = 33 ln 2 = 22.87 -> g = -log(22.87) = -3.1299... (lower end)
// float32 `-log(-log(u))` of a 24-bit u stops near 16.6; this reaches past 22, so a class of
// probability 1e-9 is still drawn at its rate.
//
// The two logarithms (only positive normal arguments: f, u >= 2^-33 and E >= 2^-33) need no
// division, unlike fdlibm's `logf` (log.ts): t = 2^k (1 + r), 1 + r in [sqrt(1/2), sqrt(2))
// from the bits, and log1p(r) ~= r + r^2 Q(r), each log with the minimax Q for its own error
// measure (coefficients in consts.ts, fitted by tools/minimax.py). The exponent comes
// in negated (kn = -k), so that the sign of each log folds into its last operation.
// - E = (kn ln2 + correction) - (r + r^2 QA(r)), QA of degree 5 (LA0..LA5): E's relative error
//   is g's absolute error, so QA minimises the error relative to E (relative to log1p(r) where
//   kn = 0, r < 0; relative to ln 2 - log1p(r) where kn >= 1, r > 0): 8.0e-7.
// - g = kn ln2 - (r + r^2 QB(r)), QB of degree 4 (LB0..LB4): g's absolute error is log1p's, so QB
//   minimises the absolute error: 1.9e-6. One float32 ln 2 (kn ln2 rounds once; |kn| <= 33).
// Accuracy against the exact -log(-log1p(-w)) of the same word: absolute error <= 4e-6 (3.7e-6
// measured over all 2^32 words, at word 79 in the upper tail, where g = 17.8 and float32's
// spacing is 1.9e-6: 2 ULP there; 2.9e-6 away from the tail; test/approx.test.ts and
// `python3 tools/minimax.py --all`). Before 0.8.0 both logs used one Q of degree 6 and a
// two-part ln 2 (1.07e-6): 8 vector operations more per four values, 10% of the noise's time.
//
// Uniform: u = ((x >> 9) + 0.5) * 2^-23 from the top 23 bits: exact in float32 (24 significant
// bits), symmetric about 1/2, in [2^-24, 1 - 2^-24]: never 0 or 1.

import {
  BIAS, HALF, LA0, LA1, LA2, LA3, LA4, LA5, LB0, LB1, LB2, LB3, LB4, LN2, LOG_OFFSET, MANTISSA, ONE, SQRT_HALF_BITS, TWO_M23,
  TWO_M32, sf, si, vf, vi,
} from "./consts";

/** QA(r): log1p(r) ~= r + r^2 QA(r) for r in [sqrt(1/2) - 1, sqrt(2) - 1), the first log's. */
// @ts-ignore: decorator
@inline
function logQA(r: f32): f32 {
  let q = sf(LA5) * r + sf(LA4);
  q = q * r + sf(LA3);
  q = q * r + sf(LA2);
  q = q * r + sf(LA1);
  return q * r + sf(LA0);
}

// @ts-ignore: decorator
@inline
function logQA4(r: v128): v128 {
  let q = f32x4.add(f32x4.mul(vf(LA5), r), vf(LA4));
  q = f32x4.add(f32x4.mul(q, r), vf(LA3));
  q = f32x4.add(f32x4.mul(q, r), vf(LA2));
  q = f32x4.add(f32x4.mul(q, r), vf(LA1));
  return f32x4.add(f32x4.mul(q, r), vf(LA0));
}

/** QB(r), the same for the second log. */
// @ts-ignore: decorator
@inline
function logQB(r: f32): f32 {
  let q = sf(LB4) * r + sf(LB3);
  q = q * r + sf(LB2);
  q = q * r + sf(LB1);
  return q * r + sf(LB0);
}

// @ts-ignore: decorator
@inline
function logQB4(r: v128): v128 {
  let q = f32x4.add(f32x4.mul(vf(LB4), r), vf(LB3));
  q = f32x4.add(f32x4.mul(q, r), vf(LB2));
  q = f32x4.add(f32x4.mul(q, r), vf(LB1));
  return f32x4.add(f32x4.mul(q, r), vf(LB0));
}

/** r = m - 1 (exact) of t = 2^k m, m in [sqrt(1/2), sqrt(2)), from ix = bits(t) + LOG_OFFSET. */
// @ts-ignore: decorator
@inline
function logR(ix: i32): f32 {
  return reinterpret<f32>((ix & <i32>si(MANTISSA)) + <i32>si(SQRT_HALF_BITS)) - sf(ONE);
}

// @ts-ignore: decorator
@inline
function logR4(ix: v128): v128 {
  return f32x4.sub(i32x4.add(v128.and(ix, vi(MANTISSA)), vi(SQRT_HALF_BITS)), vf(ONE));
}

/** -k as a float, for the same ix. */
// @ts-ignore: decorator
@inline
function logKn(ix: i32): f32 {
  return <f32>(<i32>si(BIAS) - (ix >> 23));
}

// @ts-ignore: decorator
@inline
function logKn4(ix: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.sub(vi(BIAS), i32x4.shr_s(ix, 23)));
}

/** E = d - log(t), t positive and normal: the first logarithm, with its correction d. */
// @ts-ignore: decorator
@inline
function expOfLog(t: f32, d: f32): f32 {
  const ix = reinterpret<i32>(t) + <i32>si(LOG_OFFSET);
  const r = logR(ix);
  return (logKn(ix) * sf(LN2) + d) - ((r * r) * logQA(r) + r);
}

// @ts-ignore: decorator
@inline
function expOfLog4(t: v128, d: v128): v128 {
  const ix = i32x4.add(t, vi(LOG_OFFSET));
  const r = logR4(ix);
  return f32x4.sub(f32x4.add(f32x4.mul(logKn4(ix), vf(LN2)), d), f32x4.add(f32x4.mul(f32x4.mul(r, r), logQA4(r)), r));
}

/** g = -log(e), e positive and normal: the second logarithm. */
// @ts-ignore: decorator
@inline
function negLog(e: f32): f32 {
  const ix = reinterpret<i32>(e) + <i32>si(LOG_OFFSET);
  const r = logR(ix);
  return logKn(ix) * sf(LN2) - ((r * r) * logQB(r) + r);
}

// @ts-ignore: decorator
@inline
function negLog4(e: v128): v128 {
  const ix = i32x4.add(e, vi(LOG_OFFSET));
  const r = logR4(ix);
  return f32x4.sub(f32x4.mul(logKn4(ix), vf(LN2)), f32x4.add(f32x4.mul(f32x4.mul(r, r), logQB4(r)), r));
}

// @ts-ignore: decorator
@inline
export function gumbelFromBits(x: u32): f32 {
  const hi = <i32>x >> 31;
  const f = (<f32>(<i32>x ^ hi) + sf(HALF)) * sf(TWO_M32);
  const c = select<f32>(0, sf(ONE), hi != 0);
  const s = c - f;
  return negLog(expOfLog(abs<f32>(s), (s - c) + f));
}

// @ts-ignore: decorator
@inline
export function gumbelFromBits4(x: v128): v128 {
  const hi = i32x4.shr_s(x, 31);
  const f = f32x4.mul(f32x4.add(f32x4.convert_i32x4_s(v128.xor(x, hi)), vf(HALF)), vf(TWO_M32));
  const c = v128.andnot(vf(ONE), hi);
  const s = f32x4.sub(c, f);
  const e = expOfLog4(f32x4.abs(s), f32x4.add(f32x4.sub(s, c), f));
  return negLog4(e);
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
