// The temperature as the kernels use it: its reciprocal, multiplied in.

/**
 * 1/tau in float32, capped at the largest finite float: a tau below 2^-128 (~2.9e-39) acts
 * as that bound instead of producing Inf * 0 = NaN.
 */
// @ts-ignore: decorator
@inline
export function invTemperature(tau: f32): f32 {
  return min<f32>(<f32>1.0 / tau, F32.MAX_VALUE);
}
