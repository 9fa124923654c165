// Gumbel-top-k (Kool, van Hoof and Welling 2019): the k classes of each row with the largest
// float32(logits + g), g the noise of `gumbelMax`. The noise comes from the kernels; the
// selection is a min-heap of the best k seen per row (O(cols log k), no sort of the row).

import { checkCount } from "./checks.js";
import { Tensor } from "./memory.js";
import type { Call } from "./marshal.js";
import { GUMBEL_NOISE } from "./specs.js";
import { checkOptions, NOTES, optionKeys } from "./options.js";
import type { Streams } from "./streams.js";
import { notStrided } from "./layout.js";
import type { ShapeOptions, StreamOptions } from "./types.js";

const K_SECOND = "k is the second argument: topK(logits, k, options)";
const TOPK_KEYS = optionKeys<ShapeOptions & StreamOptions>(
  { cols: true, shape: true, axis: true, seed: true, offset: true },
  { draws: `k, the classes drawn per row, is the second argument: topK(logits, k, options)`, notes: { k: K_SECOND, tau: NOTES.TAU_ONE, temperature: NOTES.TAU_ONE } },
);

/** Whether (s1, i1) ranks before (s2, i2): larger sum first, then lower index. */
function before(s1: number, i1: number, s2: number, i2: number): boolean {
  return s1 > s2 || (s1 === s2 && i1 < i2);
}

/** Swaps entries i and j of the heap (indices hi, sums hv). */
function swap(hi: Int32Array, hv: Float64Array, i: number, j: number): void {
  const ti = hi[i]!;
  const tv = hv[i]!;
  hi[i] = hi[j]!;
  hv[i] = hv[j]!;
  hi[j] = ti;
  hv[j] = tv;
}

/** Moves entry i of a heap of `size` down while a child ranks lower (the root is the worst). */
function siftDown(hi: Int32Array, hv: Float64Array, size: number, i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let w = i;
    if (l < size && before(hv[w]!, hi[w]!, hv[l]!, hi[l]!)) w = l;
    if (r < size && before(hv[w]!, hi[w]!, hv[r]!, hi[r]!)) w = r;
    if (w === i) return;
    swap(hi, hv, i, w);
    i = w;
  }
}

/**
 * The k classes of one row with the largest float32(x + g), in rank order, into out[at ..]: a
 * min-heap of the best k seen (O(cols log k), no sort of the row), then the heap in order.
 */
function selectTopK(
  x: Float32Array, g: Float32Array, base: number, cols: number, k: number,
  hi: Int32Array, hv: Float64Array, out: Int32Array, at: number,
): void {
  if (k === 0) return;
  let size = 0;
  for (let j = 0; j < cols; j++) {
    const v = Math.fround(x[base + j]! + g[base + j]!); // float32(l + g), as the kernels add
    if (v === -Infinity) continue;
    if (size < k) {
      // Insert at the end and sift up.
      let i = size++;
      hi[i] = j;
      hv[i] = v;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!before(hv[p]!, hi[p]!, hv[i]!, hi[i]!)) break;
        swap(hi, hv, i, p);
        i = p;
      }
    } else if (before(v, j, hv[0]!, hi[0]!)) {
      hi[0] = j;
      hv[0] = v;
      siftDown(hi, hv, size, 0);
    }
  }
  // Pop worst-first into the back of the output: rank order.
  for (let n = size - 1; n >= 0; n--) {
    out[at + n] = hi[0]!;
    size--;
    hi[0] = hi[size]!;
    hv[0] = hv[size]!;
    siftDown(hi, hv, size, 0);
  }
}

/**
 * topK prepared: the options and every row checked (k unmasked classes each), the stream
 * resolved, the noise planned in a staged buffer the size of the logits and its launch set (a
 * synchronous call, or one row, runs it at once; an async one may split it across workers by
 * elements).
 * Returns k; `finishTopK` then selects.
 */
export function prepareTopK(c: Call, s: Streams, logits: unknown, k: unknown, options: (ShapeOptions & StreamOptions) | undefined): number {
  const fn = c.fn;
  checkOptions(fn, options, TOPK_KEYS);
  const o = options ?? {};
  const a = c.operand("logits", logits, c.in1);
  const L = c.resolveLayout(o, a);
  if (L.inner > 1) notStrided(fn, L);
  const rows = L.outer;
  const cols = L.classes;
  const kk = checkCount(fn, "k", k, cols);
  s.resolve(fn, o, rows * cols);
  const noise = c.outPlan("noise", undefined, "float32", rows, cols, false, c.out1, null);
  c.stageOperands(a, null, noise, null);
  const kernels = c.host.kernels;
  c.cols = cols;
  c.check(kernels.check_rows(a.ptr, rows, cols));
  const x = new Float32Array(c.memory.buffer, a.ptr, rows * cols);
  for (let r = 0; r < rows; r++) {
    let unmasked = 0;
    for (let j = r * cols; j < (r + 1) * cols; j++) if (x[j] !== -Infinity) unmasked++;
    if (unmasked < kk) {
      c.release();
      throw new RangeError(`${fn}: row ${r} of ${a.name} has ${unmasked} unmasked classes, fewer than k = ${kk}`);
    }
  }
  const n = rows * cols;
  const { key, counter } = s;
  // One row draws here even when async: splitting its noise measured no faster (bench/threads.mjs).
  if (c.runsNow(1) || rows < 2) c.ranNow(GUMBEL_NOISE, n, 1, kernels.gumbel_noise(noise.ptr, n, key.lo, key.hi, counter.lo, counter.hi));
  else c.launch(GUMBEL_NOISE, n, 1, null, noise.ptr, n, key.lo, key.hi, counter.lo, counter.hi);
  return kk;
}

/** k classes per row from a prepared topK whose noise is written: rows * k indices (a rows x k int32 tensor for tensor input). */
export function finishTopK(c: Call, k: number): Int32Array | Tensor<"int32"> {
  const { rows, cols } = c.out1;
  // Views taken now: the memory may have grown since the call was prepared.
  const x = new Float32Array(c.memory.buffer, c.in1.ptr, rows * cols);
  const g = new Float32Array(c.memory.buffer, c.out1.ptr, rows * cols);
  const picked = new Int32Array(rows * k);
  const heapIdx = new Int32Array(k);
  const heapVal = new Float64Array(k);
  for (let r = 0; r < rows; r++) selectTopK(x, g, r * cols, cols, k, heapIdx, heapVal, picked, r * k);
  const tensorIn = c.in1.tensor !== null;
  const shape = tensorIn ? c.layout.withAxis(k) : null;
  c.release();
  if (tensorIn) {
    const t = new Tensor(c.host, rows, k, "int32", shape);
    t.data.set(picked);
    return t;
  }
  return picked;
}
