// log(x) in float32 for positive finite x (normal or subnormal), scalar and f32x4, with the
// same operations in the same order, so that both give the same bits. Callers never pass
// 0, negative, Inf or NaN (they mask such lanes themselves).
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

const LN2_HI: f32 = 6.9313812256e-01; // 0x3f317180
const LN2_LO: f32 = 9.0580006145e-06; // 0x3717f7d1
const LG1: f32 = 0.66666662693; // 0xaaaaaa.0p-24
const LG2: f32 = 0.40000972152; // 0xccce13.0p-25
const LG3: f32 = 0.28498786688; // 0x91e9ee.0p-25
const LG4: f32 = 0.24279078841; // 0xf89e26.0p-26
const TWO25: f32 = 33554432.0; // 2^25
const MIN_NORMAL: f32 = 1.17549435e-38; // 2^-126
const SQRT_HALF_BITS: i32 = 0x3f3504f3; // sqrt(2)/2

// @ts-ignore: decorator
@inline
export function logf(x: f32): f32 {
  const sub = x < MIN_NORMAL;
  x = select<f32>(x * TWO25, x, sub);
  let ix = reinterpret<i32>(x);
  ix += 0x3f800000 - SQRT_HALF_BITS;
  const k = (ix >> 23) - 127 - select<i32>(25, 0, sub);
  ix = (ix & 0x007fffff) + SQRT_HALF_BITS;
  const f = reinterpret<f32>(ix) - <f32>1.0;
  const s = f / (<f32>2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * LG4);
  const t2 = z * (LG1 + w * LG3);
  const r = t2 + t1;
  const hfsq = <f32>0.5 * f * f;
  const dk = <f32>k;
  return (((s * (hfsq + r) + dk * LN2_LO) - hfsq) + f) + dk * LN2_HI;
}

// @ts-ignore: decorator
@inline
export function logf4(x: v128): v128 {
  const sub = f32x4.lt(x, f32x4.splat(MIN_NORMAL));
  x = v128.bitselect(f32x4.mul(x, f32x4.splat(TWO25)), x, sub);
  let ix = i32x4.add(x, i32x4.splat(0x3f800000 - SQRT_HALF_BITS));
  const k = i32x4.sub(
    i32x4.sub(i32x4.shr_s(ix, 23), i32x4.splat(127)),
    v128.and(sub, i32x4.splat(25)),
  );
  ix = i32x4.add(v128.and(ix, i32x4.splat(0x007fffff)), i32x4.splat(SQRT_HALF_BITS));
  const f = f32x4.sub(ix, f32x4.splat(1.0));
  const s = f32x4.div(f, f32x4.add(f32x4.splat(2.0), f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(f32x4.splat(LG2), f32x4.mul(w, f32x4.splat(LG4))));
  const t2 = f32x4.mul(z, f32x4.add(f32x4.splat(LG1), f32x4.mul(w, f32x4.splat(LG3))));
  const r = f32x4.add(t2, t1);
  const hfsq = f32x4.mul(f32x4.mul(f32x4.splat(0.5), f), f);
  const dk = f32x4.convert_i32x4_s(k);
  let y = f32x4.add(f32x4.mul(s, f32x4.add(hfsq, r)), f32x4.mul(dk, f32x4.splat(LN2_LO)));
  y = f32x4.add(f32x4.sub(y, hfsq), f);
  return f32x4.add(y, f32x4.mul(dk, f32x4.splat(LN2_HI)));
}
