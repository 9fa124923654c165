// Calls a raw elementwise kernel (src pointer, dst pointer, n) on a copy of `input`.
import type { GumbelWasm } from "../src/node.js";

export function applyKernel(
  gw: GumbelWasm,
  name: "exp_f32" | "exp_near_f32" | "log_f32" | "gumbel_from_bits" | "noise_upper",
  input: Float32Array | Uint32Array,
): Float32Array {
  const n = input.length;
  const src = gw.tensor(1, n);
  const dst = gw.tensor(1, n);
  try {
    new Uint32Array(gw.memory.buffer, src.byteOffset, n).set(new Uint32Array(input.buffer, input.byteOffset, n));
    gw.kernels[name](src.byteOffset, dst.byteOffset, n);
    return dst.data.slice();
  } finally {
    src.free();
    dst.free();
  }
}

/** Index of the first element whose bits differ (-1 when all agree, -2 when lengths differ). */
export function firstBitDifference(a: ArrayBufferView & { length: number }, b: ArrayBufferView & { length: number }): number {
  if (a.length !== b.length) return -2;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Throws unless a and b hold the same bits, naming the first element that differs. */
export function expectSameBits(a: ArrayBufferView & ArrayLike<number>, b: ArrayBufferView & ArrayLike<number>, what: string): void {
  const d = firstBitDifference(a, b);
  if (d !== -1) throw new Error(`${what}: differs at element ${d}: ${a[d]} vs ${b[d]}`);
}
