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
  0.0013814191333949566, 0.0013814191333949566, 0.0013814191333949566, 0.0013814191333949566, // EXP_P0: exp: 1 + r + r^2 (EXP_P4 + EXP_P3 r + ... + EXP_P0 r^4), minimax
  0.008368914015591145, 0.008368914015591145, 0.008368914015591145, 0.008368914015591145, // EXP_P1
  0.04166840761899948, 0.04166840761899948, 0.04166840761899948, 0.04166840761899948, // EXP_P2
  0.1666651964187622, 0.1666651964187622, 0.1666651964187622, 0.1666651964187622, // EXP_P3
  0.4999999403953552, 0.4999999403953552, 0.4999999403953552, 0.4999999403953552, // EXP_P4
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
  -0.5000271201133728, -0.5000271201133728, -0.5000271201133728, -0.5000271201133728, // LA0: noise, first log: log1p(r) ~= r + r^2 (LA0 + LA1 r + ... + LA5 r^5)
  0.33317145705223083, 0.33317145705223083, 0.33317145705223083, 0.33317145705223083, // LA1
  -0.24863383173942566, -0.24863383173942566, -0.24863383173942566, -0.24863383173942566, // LA2
  0.204379603266716, 0.204379603266716, 0.204379603266716, 0.204379603266716, // LA3
  -0.18992488086223602, -0.18992488086223602, -0.18992488086223602, -0.18992488086223602, // LA4
  0.12423651665449142, 0.12423651665449142, 0.12423651665449142, 0.12423651665449142, // LA5
  -0.4998750686645508, -0.4998750686645508, -0.4998750686645508, -0.4998750686645508, // LB0: noise, second log: log1p(r) ~= r + r^2 (LB0 + LB1 r + ... + LB4 r^4)
  0.33262360095977783, 0.33262360095977783, 0.33262360095977783, 0.33262360095977783, // LB1
  -0.2545883357524872, -0.2545883357524872, -0.2545883357524872, -0.2545883357524872, // LB2
  0.22070741653442383, 0.22070741653442383, 0.22070741653442383, 0.22070741653442383, // LB3
  -0.14106447994709015, -0.14106447994709015, -0.14106447994709015, -0.14106447994709015, // LB4
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
export const ONE: i32 = 11;
export const TWO: i32 = 12;
export const HALF: i32 = 13;
export const LN2_HI: i32 = 14;
export const LN2_LO: i32 = 15;
export const LG1: i32 = 16;
export const LG2: i32 = 17;
export const LG3: i32 = 18;
export const LG4: i32 = 19;
export const TWO25: i32 = 20;
export const MIN_NORMAL: i32 = 21;
export const TWO_M32: i32 = 22;
export const TWO_M23: i32 = 23;
export const NEG_INF: i32 = 24;
export const ZERO: i32 = 25;
export const NOISE_BOUND: i32 = 26;
export const POS_INF: i32 = 27;
export const LN2: i32 = 28;
export const SCREEN_TOP: i32 = 29;
export const SCREEN_SLOPE: i32 = 30;
export const LA0: i32 = 31;
export const LA1: i32 = 32;
export const LA2: i32 = 33;
export const LA3: i32 = 34;
export const LA4: i32 = 35;
export const LA5: i32 = 36;
export const LB0: i32 = 37;
export const LB1: i32 = 38;
export const LB2: i32 = 39;
export const LB3: i32 = 40;
export const LB4: i32 = 41;

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
