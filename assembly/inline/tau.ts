/**
 * 1/tau in float32, capped at the largest finite float: a tau below 2^-128 (~2.9e-39) acts
 * as that bound instead of producing Inf * 0 = NaN.
 */
// @ts-ignore: decorator
@inline
export function invTemperature(tau: f32): f32 {
  return min<f32>(<f32>1.0 / tau, F32.MAX_VALUE);
}

/** Byte offset of row r. */
// @ts-ignore: decorator
@inline
export function rowPtr(p: usize, r: i32, cols: i32): usize {
  return p + ((<usize>r * <usize>cols) << 2);
}
