// Splatted (four-lane) constants of the f32x4 paths, read from memory. V8 rebuilds every
// v128.const inside a loop from two 64-bit immediates (three instructions each time; an exp
// has a dozen constants); a load from this table is one instruction. The scalar paths use the
// same table through sf() and si(), so both read one set of values.
//
// Usage: `vf(LOG2E)` / `vi(PHILOX_M0)` give an entry as a v128, `sf(LOG2E)` / `si(PHILOX_M0)` as a scalar.

const F: usize = memory.data<f32>([
  -104.0, -104.0, -104.0, -104.0, // EXP_MIN: exp: inputs below give +0
  89.0, 89.0, 89.0, 89.0, // EXP_MAX: exp: inputs above give +Inf
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341, // LOG2E: log2(e)
  12582912.0, 12582912.0, 12582912.0, 12582912.0, // SHIFTER: 1.5 * 2^23: adding it rounds to an integer kept in the low bits
  0.693359375, 0.693359375, 0.693359375, 0.693359375, // EXP_C1: ln 2, high part (355/512)
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, // EXP_C2: ln 2, low part
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, // EXP_P0
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, // EXP_P1
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, // EXP_P2
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, // EXP_P3
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, // EXP_P4
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, // EXP_P5
  1.0, 1.0, 1.0, 1.0, // ONE
  2.0, 2.0, 2.0, 2.0, // TWO
  0.5, 0.5, 0.5, 0.5, // HALF
  6.9313812256e-01, 6.9313812256e-01, 6.9313812256e-01, 6.9313812256e-01, // LN2_HI: log: ln 2, high part
  9.0580006145e-06, 9.0580006145e-06, 9.0580006145e-06, 9.0580006145e-06, // LN2_LO: log: ln 2, low part
  0.66666662693, 0.66666662693, 0.66666662693, 0.66666662693, // LG1
  0.40000972152, 0.40000972152, 0.40000972152, 0.40000972152, // LG2
  0.28498786688, 0.28498786688, 0.28498786688, 0.28498786688, // LG3
  0.24279078841, 0.24279078841, 0.24279078841, 0.24279078841, // LG4
  33554432.0, 33554432.0, 33554432.0, 33554432.0, // TWO25: 2^25
  1.17549435e-38, 1.17549435e-38, 1.17549435e-38, 1.17549435e-38, // MIN_NORMAL: 2^-126
  2.3283064365386963e-10, 2.3283064365386963e-10, 2.3283064365386963e-10, 2.3283064365386963e-10, // TWO_M32: 2^-32
  1.1920928955078125e-7, 1.1920928955078125e-7, 1.1920928955078125e-7, 1.1920928955078125e-7, // TWO_M23: 2^-23
  -Infinity, -Infinity, -Infinity, -Infinity, // NEG_INF
  0.0, 0.0, 0.0, 0.0, // ZERO
  22.875, 22.875, 22.875, 22.875, // NOISE_BOUND: above every Gumbel value the stream can give (22.8739)
  Infinity, Infinity, Infinity, Infinity, // POS_INF
  0.6931471805599453, 0.6931471805599453, 0.6931471805599453, 0.6931471805599453, // LN2
  109.51825452847136, 109.51825452847136, 109.51825452847136, 109.51825452847136, // SCREEN_TOP: screen.ts: 158 ln 2 + 0.001
  8.262958294867817e-8, 8.262958294867817e-8, 8.262958294867817e-8, 8.262958294867817e-8, // SCREEN_SLOPE: screen.ts: ln 2 * 2^-23
  -0.500003755, -0.500003755, -0.500003755, -0.500003755, // LQ0: noise logs: log1p(f) ~= f + f^2 (LQ0 + LQ1 f + ... + LQ6 f^6)
  0.33335042, 0.33335042, 0.33335042, 0.33335042, // LQ1
  -0.249696016, -0.249696016, -0.249696016, -0.249696016, // LQ2
  0.198963091, 0.198963091, 0.198963091, 0.198963091, // LQ3
  -0.172485664, -0.172485664, -0.172485664, -0.172485664, // LQ4
  0.162606552, 0.162606552, 0.162606552, 0.162606552, // LQ5
  -0.101664767, -0.101664767, -0.101664767, -0.101664767, // LQ6
], 16);

const I: usize = memory.data<u32>([
  0xd2511f53, 0xd2511f53, 0xd2511f53, 0xd2511f53, // PHILOX_M0
  0xcd9e8d57, 0xcd9e8d57, 0xcd9e8d57, 0xcd9e8d57, // PHILOX_M1
  0x9e3779b9, 0x9e3779b9, 0x9e3779b9, 0x9e3779b9, // PHILOX_W0
  0xbb67ae85, 0xbb67ae85, 0xbb67ae85, 0xbb67ae85, // PHILOX_W1
  127, 127, 127, 127, // BIAS: float exponent bias
  0x3f800000 - 0x3f3504f3, 0x3f800000 - 0x3f3504f3, 0x3f800000 - 0x3f3504f3, 0x3f800000 - 0x3f3504f3, // LOG_OFFSET: log: moves m into [sqrt(2)/2, sqrt(2))
  0x3f3504f3, 0x3f3504f3, 0x3f3504f3, 0x3f3504f3, // SQRT_HALF_BITS: bits of sqrt(2)/2
  0x007fffff, 0x007fffff, 0x007fffff, 0x007fffff, // MANTISSA
  0, 1, 2, 3, // LANES: [0, 1, 2, 3]
  4, 4, 4, 4, // FOUR
  25, 25, 25, 25, // I25
], 16);

export const EXP_MIN: i32 = 0;
export const EXP_MAX: i32 = 1;
export const LOG2E: i32 = 2;
export const SHIFTER: i32 = 3;
export const EXP_C1: i32 = 4;
export const EXP_C2: i32 = 5;
export const EXP_P0: i32 = 6;
export const EXP_P1: i32 = 7;
export const EXP_P2: i32 = 8;
export const EXP_P3: i32 = 9;
export const EXP_P4: i32 = 10;
export const EXP_P5: i32 = 11;
export const ONE: i32 = 12;
export const TWO: i32 = 13;
export const HALF: i32 = 14;
export const LN2_HI: i32 = 15;
export const LN2_LO: i32 = 16;
export const LG1: i32 = 17;
export const LG2: i32 = 18;
export const LG3: i32 = 19;
export const LG4: i32 = 20;
export const TWO25: i32 = 21;
export const MIN_NORMAL: i32 = 22;
export const TWO_M32: i32 = 23;
export const TWO_M23: i32 = 24;
export const NEG_INF: i32 = 25;
export const ZERO: i32 = 26;
export const NOISE_BOUND: i32 = 27;
export const POS_INF: i32 = 28;
export const LN2: i32 = 29;
export const SCREEN_TOP: i32 = 30;
export const SCREEN_SLOPE: i32 = 31;
export const LQ0: i32 = 32;
export const LQ1: i32 = 33;
export const LQ2: i32 = 34;
export const LQ3: i32 = 35;
export const LQ4: i32 = 36;
export const LQ5: i32 = 37;
export const LQ6: i32 = 38;

export const PHILOX_M0: i32 = 0;
export const PHILOX_M1: i32 = 1;
export const PHILOX_W0: i32 = 2;
export const PHILOX_W1: i32 = 3;
export const BIAS: i32 = 4;
export const LOG_OFFSET: i32 = 5;
export const SQRT_HALF_BITS: i32 = 6;
export const MANTISSA: i32 = 7;
export const LANES: i32 = 8;
export const FOUR: i32 = 9;
export const I25: i32 = 10;

/** Float entry `i` in all four lanes. */
// @ts-ignore: decorator
@inline
export function vf(i: i32): v128 {
  return v128.load(F + (<usize>i << 4));
}

/** Integer entry `i` in all four lanes. */
// @ts-ignore: decorator
@inline
export function vi(i: i32): v128 {
  return v128.load(I + (<usize>i << 4));
}

/** Float entry `i` as a scalar (the scalar paths read the same table: one source of values). */
// @ts-ignore: decorator
@inline
export function sf(i: i32): f32 {
  return load<f32>(F + (<usize>i << 4));
}

/** Integer entry `i` as a scalar. */
// @ts-ignore: decorator
@inline
export function si(i: i32): u32 {
  return load<u32>(I + (<usize>i << 4));
}
