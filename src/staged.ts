// The distribution classes' kernel calls on staged float32 blocks (inputs copied in unless
// already in wasm memory, outputs copied out), through a Call's staging.

import { Tensor } from "./memory.js";
import type { Call } from "./marshal.js";

/**
 * Runs `kernel` on float32 blocks of one staging allocation: `inputs` (tensors of this instance
 * and views on its memory read in place, other arrays copied in), then one block per entry of
 * `outputs` (its length; 0 passes the pointer 0, "not wanted"), copied out after. For the
 * distribution classes.
 */
export function runStaged(
  c: Call, inputs: ReadonlyArray<Tensor | ArrayLike<number>>, outputs: readonly number[], kernel: (ptrs: number[]) => void,
): Float32Array[] {
  const memory = c.memory;
  const ptrs: number[] = [];
  let total = 0;
  for (const x of inputs) {
    if (x instanceof Tensor) {
      c.checkTensor("input", x, "float32");
      ptrs.push(x.byteOffset);
    } else if (x instanceof Float32Array && x.buffer === memory.buffer) {
      ptrs.push(x.byteOffset); // taken before staging can grow the memory and detach the view
    } else {
      ptrs.push(-1);
      total += Math.ceil(x.length / 4) * 16;
    }
  }
  for (const n of outputs) total += Math.ceil(n / 4) * 16;
  let at = total === 0 ? 0 : c.stage(total);
  const f32 = new Float32Array(memory.buffer);
  inputs.forEach((x, i) => {
    if (ptrs[i] !== -1) return;
    f32.set(x as ArrayLike<number>, at >> 2);
    ptrs[i] = at;
    at += Math.ceil(x.length / 4) * 16;
  });
  const starts: number[] = [];
  for (const n of outputs) {
    starts.push(at);
    ptrs.push(n === 0 ? 0 : at);
    at += Math.ceil(n / 4) * 16;
  }
  kernel(ptrs);
  const view = new Float32Array(memory.buffer);
  return outputs.map((n, i) => view.slice(starts[i]! >> 2, (starts[i]! >> 2) + n));
}
