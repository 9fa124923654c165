// Drawing from the stream, as call preparations (see softmax.ts): the noise itself (Gumbel,
// uniform, raw bits), Gumbel-Softmax and Gumbel-Max, on logits or (`probs: true`) on
// probabilities. Probabilities become logits before the launch: log_probs validates every row
// and writes log p into the call's staging, and the logits kernel runs on that, unchanged. So a
// probs call gives exactly the bits of the logits call on our log p, on every binary, split
// across workers or not (they only ever see logits), and no kernel has a second mode.
// With the classes along a non-last axis (`shape`/`axis`, inner > 1) the strided kernels run
// instead (`*_axis`: slices of classes * inner elements, lines `inner` apart), on the input where
// it is; the noise of an element is still that of its row-major index, so axis never changes it.

import { GUMBEL_MAX, GUMBEL_MAX_AXIS, GUMBEL_NOISE, GUMBEL_SOFTMAX, GUMBEL_SOFTMAX_AXIS, UNIFORM } from "./specs.js";
import { checkCount, checkFlag } from "./checks.js";
import type { Call, Operand } from "./marshal.js";
import { checkOptions, NOTES, optionKeys } from "./options.js";
import type { Streams } from "./streams.js";
import { layoutTau, type Layout } from "./layout.js";
import type { FloatOut, GumbelMaxOptions, GumbelSoftmaxOptions, OutOption, StreamOptions } from "./types.js";

const MAX_I32 = 0x7fffffff;
const { DRAWS_PER_ROW, DRAWS_COUNT } = NOTES;
const TAU_ONE = { tau: NOTES.TAU_ONE, temperature: NOTES.TAU_ONE };
/** gumbelNoise and uniform. */
const STREAM_OUT_KEYS = optionKeys<StreamOptions & OutOption<FloatOut>>({ seed: true, offset: true, out: true }, { draws: DRAWS_COUNT });
const STREAM_KEYS = optionKeys<StreamOptions>({ seed: true, offset: true }, { draws: DRAWS_COUNT });
const GUMBEL_SOFTMAX_KEYS = optionKeys<GumbelSoftmaxOptions>(
  { cols: true, shape: true, axis: true, tau: true, hard: true, soft: true, probs: true, seed: true, offset: true, out: true },
  { draws: DRAWS_PER_ROW },
);
const GUMBEL_MAX_KEYS = optionKeys<GumbelMaxOptions>(
  { cols: true, shape: true, axis: true, keepDims: true, probs: true, seed: true, offset: true, out: true }, { draws: DRAWS_PER_ROW, notes: TAU_ONE },
);

/** n Gumbel noise values (`gumbel`) or uniforms from the stream, into out1. */
export function prepareNoise(c: Call, s: Streams, gumbel: boolean, n: unknown, options: (StreamOptions & OutOption<FloatOut>) | undefined): void {
  checkOptions(c.fn, options, STREAM_OUT_KEYS);
  const o = options ?? {};
  const count = checkCount(c.fn, "n", n, MAX_I32 >> 2);
  s.resolve(c.fn, o, count);
  const out = c.outPlan("out", o.out, "float32", 1, count, false, c.out1, null);
  c.stageOperands(null, null, out, null);
  const { key, counter } = s;
  if (c.runsNow(1)) {
    const k = c.host.kernels;
    c.ranNow(gumbel ? GUMBEL_NOISE : UNIFORM, count, 1, (gumbel ? k.gumbel_noise : k.uniform)(out.ptr, count, key.lo, key.hi, counter.lo, counter.hi));
  } else c.launch(gumbel ? GUMBEL_NOISE : UNIFORM, count, 1, null, out.ptr, count, key.lo, key.hi, counter.lo, counter.hi);
}

/** n raw Philox words, run at once (no async form): a copy. */
export function randomBits(c: Call, s: Streams, n: unknown, options: StreamOptions | undefined): Uint32Array {
  checkOptions(c.fn, options, STREAM_KEYS);
  const o = options ?? {};
  const count = checkCount(c.fn, "n", n, MAX_I32 >> 2);
  s.resolve(c.fn, o, count);
  const ptr = c.stage(count * 4);
  c.host.kernels.random_bits(ptr, count, s.key.lo, s.key.hi, s.counter.lo, s.counter.hi);
  s.drawn();
  return new Uint32Array(c.memory.buffer, ptr, count).slice();
}

/**
 * Gumbel-Softmax samples into out1 (and, with `hard`, the soft sample into out2 when asked):
 * the classes last, the row kernel; along another axis, the strided kernel (one temperature).
 */
export function prepareGumbelSoftmax(c: Call, s: Streams, logits: unknown, options: GumbelSoftmaxOptions | undefined): void {
  const fn = c.fn;
  checkOptions(fn, options, GUMBEL_SOFTMAX_KEYS);
  const o = options ?? {};
  const probs = checkFlag(fn, "probs", o.probs, PROBS);
  const a = c.operand(probs ? "probs" : "logits", logits, c.in1);
  const L = c.resolveLayout(o, a);
  const rows = L.outer;
  const cols = L.classes;
  const n = L.lines * cols;
  const tau = layoutTau(fn, L, o.tau);
  const hard = checkFlag(fn, "hard", o.hard ?? false);
  if (o.soft !== undefined && !hard) throw new TypeError(`${fn}: soft is only written with hard: true`);
  s.resolve(fn, o, n);
  const out = c.outPlan("out", o.out, "float32", L.lines, cols, a.tensor !== null, c.out1, null);
  c.shapeOut(out, "full");
  const soft = o.soft === undefined ? null : c.outPlan("soft", o.soft, "float32", L.lines, cols, false, c.out2, out);
  const lp = logitsOf(c, a, c.stageOperands(a, null, out, soft, probs ? n * 4 : 0), L, probs);
  c.allocFresh(out);
  const { key, counter } = s;
  const sp = soft ? soft.ptr : 0;
  const h = hard ? 1 : 0;
  if (L.inner > 1) {
    // tau is one number here (layoutTau); slices of classes * inner elements, `inner` apart.
    const kc = L.kCols;
    const t = tau as number;
    if (c.runsNow(t)) {
      c.ranNow(GUMBEL_SOFTMAX_AXIS, rows, kc, c.host.kernels.gumbel_softmax_axis(lp, out.ptr, sp, rows, kc, L.inner, t, h, key.lo, key.hi, counter.lo, counter.hi));
    } else c.launch(GUMBEL_SOFTMAX_AXIS, rows, kc, null, lp, out.ptr, sp, rows, kc, L.inner, t, h, key.lo, key.hi, counter.lo, counter.hi);
  } else if (c.runsNow(tau)) {
    c.ranNow(GUMBEL_SOFTMAX, rows, cols, c.host.kernels.gumbel_softmax(lp, out.ptr, sp, rows, cols, tau, h, key.lo, key.hi, counter.lo, counter.hi));
  } else if (typeof tau === "number") c.launch(GUMBEL_SOFTMAX, rows, cols, null, lp, out.ptr, sp, rows, cols, tau, h, key.lo, key.hi, counter.lo, counter.hi);
  else c.launch(GUMBEL_SOFTMAX, rows, cols, tau, lp, out.ptr, sp, rows, cols, 0, h, key.lo, key.hi, counter.lo, counter.hi);
}

/** One Gumbel-Max class per categorical into out1 (int32): per row, or per line of another axis (the strided kernel). */
export function prepareGumbelMax(c: Call, s: Streams, logits: unknown, options: GumbelMaxOptions | undefined): void {
  checkOptions(c.fn, options, GUMBEL_MAX_KEYS);
  const o = options ?? {};
  const probs = checkFlag(c.fn, "probs", o.probs, PROBS);
  const a = c.operand(probs ? "probs" : "logits", logits, c.in1);
  const L = c.resolveLayout(o, a);
  const rows = L.outer;
  const cols = L.classes;
  const n = L.lines * cols;
  s.resolve(c.fn, o, n);
  const out = c.outPlan("out", o.out, "int32", L.lines, 1, a.tensor !== null, c.out1, null);
  c.shapeOut(out, "reduced");
  const lp = logitsOf(c, a, c.stageOperands(a, null, out, null, probs ? n * 4 : 0), L, probs);
  c.allocFresh(out);
  const { key, counter } = s;
  const k = c.host.kernels;
  if (L.inner > 1) {
    const kc = L.kCols;
    if (c.runsNow(1)) c.ranNow(GUMBEL_MAX_AXIS, rows, kc, k.gumbel_max_axis(lp, out.ptr, rows, kc, L.inner, key.lo, key.hi, counter.lo, counter.hi));
    else c.launch(GUMBEL_MAX_AXIS, rows, kc, null, lp, out.ptr, rows, kc, L.inner, key.lo, key.hi, counter.lo, counter.hi);
  } else if (c.runsNow(1)) c.ranNow(GUMBEL_MAX, rows, cols, k.gumbel_max(lp, out.ptr, rows, cols, key.lo, key.hi, counter.lo, counter.hi));
  else c.launch(GUMBEL_MAX, rows, cols, null, lp, out.ptr, rows, cols, key.lo, key.hi, counter.lo, counter.hi);
}

/** What `probs: true` means, for its error. */
const PROBS = "true: the first argument holds probabilities";

/**
 * The logits the kernel reads: the operand itself, or (`probs`) log p written at `work` (the
 * call's staging) by log_probs (log_probs_axis along a non-last axis: the same logs, its
 * refusals per line), which validates every row or line first: a bad one is a RangeError
 * naming it, before anything is written or drawn.
 */
function logitsOf(c: Call, a: Operand, work: number, L: Layout, probs: boolean): number {
  if (!probs) return a.ptr;
  const k = c.host.kernels;
  if (L.inner > 1) {
    const bad = k.log_probs_axis(a.ptr, work, L.outer, L.kCols, L.inner);
    if (bad >= 0) c.rowFault(a, bad, L.classes, undefined, L);
  } else {
    const bad = k.log_probs(a.ptr, work, L.outer, L.classes);
    if (bad >= 0) c.rowFault(a, bad, L.classes);
  }
  return work;
}
