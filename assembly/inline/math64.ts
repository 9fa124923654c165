// float64 exp and log without lookup tables, for the kernels that compute in float64 (the
// relaxed distributions' densities). AssemblyScript's Math.exp and Math.log carry 2-4 KB tables
// each at our shrink level (random-looking doubles, which do not compress): these are the
// classic fdlibm algorithms instead, accurate to about 1 ULP, and like all wasm arithmetic
// deterministic on every engine (test/approx.test.ts: within 2 ULP of V8's Math.exp and
// Math.log). log1p is the library's (it has no table).

const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700;
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.65339022054652515390e-6;
const P5: f64 = 4.13813679705723846039e-8;
const SQRT2: f64 = 1.4142135623730951;

/** 2^k for k in [-1022, 1023]. */
// @ts-ignore: decorator
@inline
function pow2(k: i32): f64 {
  return reinterpret<f64>(<u64>(k + 1023) << 52);
}

/**
 * exp(x) (fdlibm e_exp.c): x = k ln2 + r, |r| <= ln2 / 2, exp(r) from a degree-5 rational
 * remez form, then scaled by 2^k in two exact steps. exp(-Inf) = 0, exp(+Inf) = +Inf, NaN stays.
 */
export function exp64(x: f64): f64 {
  if (x != x) return x;
  if (x > 709.782712893384) return Infinity;
  if (x < -745.1332191019412) return 0;
  const k = nearest(x * INV_LN2);
  const hi = x - k * LN2_HI;
  const lo = k * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const y = 1.0 - (lo - (r * c) / (2.0 - c) - hi);
  const ki = <i32>k;
  const k1 = ki >> 1;
  return y * pow2(k1) * pow2(ki - k1);
}

const LG1: f64 = 6.666666666666735130e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;

/**
 * log(x) (fdlibm e_log.c): x = 2^e m with m in [sqrt(2)/2, sqrt(2)), f = m - 1 (exact),
 * s = f / (2 + f), log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)) with R a degree-7 remez
 * polynomial. log(0) = -Inf, log(+Inf) = +Inf, log of a negative or NaN is NaN.
 */
export function log64(x: f64): f64 {
  if (!(x > 0)) return x == 0 ? -Infinity : NaN;
  if (x == Infinity) return x;
  let e: i32 = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984.0; // 2^54: subnormals made normal
    e = -54;
  }
  const u = reinterpret<u64>(x);
  e += <i32>(u >> 52) - 1023;
  let m = reinterpret<f64>((u & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > SQRT2) {
    m *= 0.5;
    e++;
  }
  const f = m - 1.0;
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const hfsq = 0.5 * f * f;
  const ef = <f64>e;
  return ef * LN2_HI - (hfsq - (s * (hfsq + r) + ef * LN2_LO) - f);
}
