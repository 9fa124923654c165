// log(x) in float32 for positive finite x, scalar and f32x4, with the same operations in the
// same order, so that both give the same bits. Callers never pass 0, negative, Inf or NaN
// (they mask such lanes themselves). `logf`/`logf4` take subnormals too; `logNormal4` and
// `logNormal` skip that step for callers whose inputs are >= 2^-126 (the noise transform).
// `logOrMask`/`logOrMask4` take 0 too, and give -Inf for it (probabilities to logits).
//
// Method (fdlibm `e_logf.c`, Sun Microsystems, as in FreeBSD and musl):
// 1. Subnormal x is scaled by 2^25 first.
// 2. Write x = 2^k * m with m in [sqrt(2)/2, sqrt(2)) by integer arithmetic on the bits.
// 3. f = m - 1, s = f / (2 + f), so log(m) = log(1 + s) - log(1 - s) = 2s + 2s^3/3 + ...;
//    R(z = s^2) is fdlibm's degree-4 minimax (|error| < 2^-34.24 on its range).
// 4. log(x) = k*ln2_hi + (f - (hfsq - (s*(hfsq + R) + k*ln2_lo))), hfsq = f^2/2, with ln 2
//    split in two so that k*ln2_hi is exact.
//
// Accuracy (test/approx.test.ts, 2 * 10^6 bit patterns spread over [2^-149, 3.4e38] and
// 10^6 points in [0.5, 1.5]): ULP error < 1 (0.84 measured); log(1) = 0 exactly.

import {
  BIAS, HALF, I25, LG1, LG2, LG3, LG4, LN2_HI, LN2_LO, LOG_OFFSET, MANTISSA, MIN_NORMAL, NEG_INF, ONE, POS_INF, SQRT_HALF_BITS,
  TWO, TWO25, ZERO, sf, si, vf, vi,
} from "./consts";

/** Steps 2-4 on the bits of a normal x; `bias` is the exponent bias plus any scaling of step 1. */
// @ts-ignore: decorator
@inline
function logBits(x: f32, bias: i32): f32 {
  let ix = reinterpret<i32>(x) + <i32>si(LOG_OFFSET);
  const k = (ix >> 23) - bias;
  ix = (ix & <i32>si(MANTISSA)) + <i32>si(SQRT_HALF_BITS);
  const f = reinterpret<f32>(ix) - sf(ONE);
  const s = f / (sf(TWO) + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (sf(LG2) + w * sf(LG4));
  const t2 = z * (sf(LG1) + w * sf(LG3));
  const r = t2 + t1;
  const hfsq = sf(HALF) * f * f;
  const dk = <f32>k;
  return (((s * (hfsq + r) + dk * sf(LN2_LO)) - hfsq) + f) + dk * sf(LN2_HI);
}

// @ts-ignore: decorator
@inline
function logBits4(x: v128, bias: v128): v128 {
  let ix = i32x4.add(x, vi(LOG_OFFSET));
  const k = i32x4.sub(i32x4.shr_s(ix, 23), bias);
  ix = i32x4.add(v128.and(ix, vi(MANTISSA)), vi(SQRT_HALF_BITS));
  const f = f32x4.sub(ix, vf(ONE));
  const s = f32x4.div(f, f32x4.add(vf(TWO), f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(vf(LG2), f32x4.mul(w, vf(LG4))));
  const t2 = f32x4.mul(z, f32x4.add(vf(LG1), f32x4.mul(w, vf(LG3))));
  const r = f32x4.add(t2, t1);
  const hfsq = f32x4.mul(f32x4.mul(vf(HALF), f), f);
  const dk = f32x4.convert_i32x4_s(k);
  let y = f32x4.add(f32x4.mul(s, f32x4.add(hfsq, r)), f32x4.mul(dk, vf(LN2_LO)));
  y = f32x4.add(f32x4.sub(y, hfsq), f);
  return f32x4.add(y, f32x4.mul(dk, vf(LN2_HI)));
}

/** log(x), x positive and finite (normal or subnormal). */
// @ts-ignore: decorator
@inline
export function logf(x: f32): f32 {
  const sub = x < sf(MIN_NORMAL);
  return logBits(select<f32>(x * sf(TWO25), x, sub), <i32>si(BIAS) + select<i32>(<i32>si(I25), 0, sub));
}

// @ts-ignore: decorator
@inline
export function logf4(x: v128): v128 {
  const sub = f32x4.lt(x, vf(MIN_NORMAL));
  return logBits4(v128.bitselect(f32x4.mul(x, vf(TWO25)), x, sub), i32x4.add(vi(BIAS), v128.and(sub, vi(I25))));
}

/** log(x), x positive, finite and normal (>= 2^-126). */
// @ts-ignore: decorator
@inline
export function logNormal(x: f32): f32 {
  return logBits(x, <i32>si(BIAS));
}

// @ts-ignore: decorator
@inline
export function logNormal4(x: v128): v128 {
  return logBits4(x, vi(BIAS));
}

/**
 * log(x) for positive finite x (logf's bits), -Inf for x = 0 or -0: a probability to a logit,
 * 0 to a mask. Callers never pass a negative, NaN or +Inf x (log_probs validates first).
 */
// @ts-ignore: decorator
@inline
export function logOrMask(x: f32): f32 {
  return x > 0 ? logf(x) : -Infinity;
}

// @ts-ignore: decorator
@inline
export function logOrMask4(x: v128): v128 {
  const l = logf4(x);
  return v128.bitselect(l, vf(NEG_INF), f32x4.gt(x, vf(ZERO)));
}

/**
 * dst[i] = logOrMask(src[i]) for n values (probabilities to logits, log_probs and its strided
 * form): one run, no per-row setup. Returns whether every value was a finite probability >= 0
 * (when not, what was written for the bad ones means nothing: the caller refuses the call).
 */
export function logOrMaskRun(src: usize, dst: usize, n: usize): bool {
  let i: usize = 0;
  let ok = true;
  if (ASC_FEATURE_SIMD) {
    let good = v128.not(vf(ZERO)); // all lanes true
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(src + (i << 2));
      good = v128.and(good, v128.and(f32x4.ge(v, vf(ZERO)), f32x4.lt(v, vf(POS_INF))));
      v128.store(dst + (i << 2), logOrMask4(v));
    }
    ok = v128.all_true<i32>(good);
  }
  for (; i < n; i++) {
    const v = load<f32>(src + (i << 2));
    ok = ok && v >= 0 && v < Infinity;
    store<f32>(dst + (i << 2), logOrMask(v));
  }
  return ok;
}
