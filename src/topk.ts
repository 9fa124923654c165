// Gumbel-top-k (Kool, van Hoof and Welling 2019): the k classes of each row with the largest
// float32(logits + g), g the noise of `gumbelMax`. The noise comes from the kernels; the
// selection is a min-heap of the best k seen per row (O(cols log k), no sort of the row).

import { checkCount } from "./checks.js";
import { Tensor } from "./memory.js";
import type { Call } from "./marshal.js";
import { GUMBEL_NOISE } from "./specs.js";
import { checkOptions, NOTES, optionKeys } from "./options.js";
import type { Streams } from "./streams.js";
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
 * The k classes of one line with the largest float32(x + g), in rank order: class c at
 * x[base + c * stride] (stride 1 for a row, `inner` along a non-last axis: read in place, no
 * transposed copy), rank i into out[at + i * outStride]. A min-heap of the best k seen
 * (O(classes log k), no sort of the line), then the heap in order.
 */
function selectTopK(
  x: Float32Array, g: Float32Array, base: number, stride: number, classes: number, k: number,
  hi: Int32Array, hv: Float64Array, out: Int32Array, at: number, outStride: number,
): void {
  if (k === 0) return;
  let size = 0;
  for (let j = 0, e = base; j < classes; j++, e += stride) {
    const v = Math.fround(x[e]! + g[e]!); // float32(l + g), as the kernels add
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
    out[at + n * outStride] = hi[0]!;
    size--;
    hi[0] = hi[size]!;
    hv[0] = hv[size]!;
    siftDown(hi, hv, size, 0);
  }
}

/**
 * topK prepared: the options and every line checked (k unmasked classes each), the stream
 * resolved, the noise planned in a staged buffer the size of the logits and its launch set (a
 * synchronous call, or one line, runs it at once; an async one may split it across workers by
 * elements). The noise is elementwise, by flat index, whatever the axis.
 * Returns k; `finishTopK` then selects.
 */
export function prepareTopK(c: Call, s: Streams, logits: unknown, k: unknown, options: (ShapeOptions & StreamOptions) | undefined): number {
  const fn = c.fn;
  checkOptions(fn, options, TOPK_KEYS);
  const o = options ?? {};
  const a = c.operand("logits", logits, c.in1);
  const L = c.resolveLayout(o, a);
  const { outer, classes, inner } = L;
  const n = outer * L.kCols;
  const kk = checkCount(fn, "k", k, classes);
  s.resolve(fn, o, n);
  const noise = c.outPlan("noise", undefined, "float32", L.lines, classes, false, c.out1, null);
  c.stageOperands(a, null, noise, null);
  const kernels = c.host.kernels;
  c.cols = classes;
  c.check(inner === 1 ? kernels.check_rows(a.ptr, outer, classes) : kernels.check_lines(a.ptr, outer, L.kCols, inner));
  const x = new Float32Array(c.memory.buffer, a.ptr, n);
  for (let l = 0; l < L.lines; l++) {
    const base = lineStart(l, classes, inner);
    let unmasked = 0;
    for (let q = 0, e = base; q < classes; q++, e += inner) if (x[e] !== -Infinity) unmasked++;
    if (unmasked < kk) {
      c.release();
      const where = inner === 1 ? `row ${l} of ${a.name}` : `${a.name}[${L.index(l, ":")}]`;
      throw new RangeError(`${fn}: ${where} has ${unmasked} unmasked classes, fewer than k = ${kk}`);
    }
  }
  const { key, counter } = s;
  // One line draws here even when async: splitting its noise measured no faster (bench/threads.mjs).
  if (c.runsNow(1) || L.lines < 2) c.ranNow(GUMBEL_NOISE, n, 1, kernels.gumbel_noise(noise.ptr, n, key.lo, key.hi, counter.lo, counter.hi));
  else c.launch(GUMBEL_NOISE, n, 1, null, noise.ptr, n, key.lo, key.hi, counter.lo, counter.hi);
  return kk;
}

/** Where line l = o * inner + j starts: element (o, 0, j). */
function lineStart(l: number, classes: number, inner: number): number {
  const o = Math.floor(l / inner);
  return o * classes * inner + (l - o * inner);
}

/**
 * k classes per line from a prepared topK whose noise is written, read along the class axis in
 * place: the input's shape with that axis of size k (for the classes last, rows x k), rank i
 * of line (o, j) at (o, i, j); an int32 tensor of that shape for tensor input.
 */
export function finishTopK(c: Call, k: number): Int32Array | Tensor<"int32"> {
  const L = c.layout;
  const { classes, inner, lines } = L;
  const n = L.outer * L.kCols;
  // Views taken now: the memory may have grown since the call was prepared.
  const x = new Float32Array(c.memory.buffer, c.in1.ptr, n);
  const g = new Float32Array(c.memory.buffer, c.out1.ptr, n);
  const picked = new Int32Array(lines * k);
  const heapIdx = new Int32Array(k);
  const heapVal = new Float64Array(k);
  for (let l = 0; l < lines; l++) {
    const o = Math.floor(l / inner);
    const j = l - o * inner;
    selectTopK(x, g, o * classes * inner + j, inner, classes, k, heapIdx, heapVal, picked, o * k * inner + j, inner);
  }
  const tensorIn = c.in1.tensor !== null;
  const shape = tensorIn ? L.withAxis(k) : null;
  c.release();
  if (tensorIn) {
    const t = new Tensor(c.host, lines, k, "int32", shape);
    t.data.set(picked);
    return t;
  }
  return picked;
}
