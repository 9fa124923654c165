// The accuracy the README states for softmax-type outputs, as one check used by several tests.
import { softmaxRef } from "./reference.js";

const EPS = 2 ** -23;

/**
 * Checks y (float32) against the float64 softmax(x / tau) of the same float32 inputs:
 * - |y - ref| <= 1e-6;
 * - |y - ref| / ref <= 2^-22 (|x_k - m| / tau + 4 + cols / 8) where ref >= 2^-126 (the
 *   argument's rounding grows with it, the row sum's with the row);
 * - |sum_k y_k - 1| <= 1e-6 for cols <= 1000, else 2^-23 (4 + cols / 4).
 * Throws on the first violation (cheaper than an expect per element).
 */
export function checkSoftmaxBounds(x: ArrayLike<number>, y: Float32Array, cols: number, tau: number): void {
  const ref = softmaxRef(x, cols, tau);
  const rows = y.length / cols;
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let k = 0; k < cols; k++) m = Math.max(m, x[r * cols + k]!);
    let s = 0;
    for (let k = 0; k < cols; k++) {
      const i = r * cols + k;
      const want = ref[i]!;
      const err = Math.abs(y[i]! - want);
      if (err > 1e-6) throw new Error(`|y - ref| = ${err} at [${r}, ${k}] (y = ${y[i]}, ref = ${want})`);
      if (want >= 2 ** -126) {
        const arg = Math.abs(x[i]! - m) / tau;
        if (err / want > (arg + 4 + cols / 8) * 2 * EPS) throw new Error(`relative error ${err / want} at [${r}, ${k}]`);
      }
      s += y[i]!;
    }
    const bound = cols <= 1000 ? 1e-6 : (4 + cols / 4) * EPS;
    if (Math.abs(s - 1) > bound) throw new Error(`row ${r} sums to ${s}`);
  }
}
