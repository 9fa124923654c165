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
import { intersects, type Call, type Host, type Operand } from "./marshal.js";
import { Tensor, type DType } from "./memory.js";
import { checkOptions, NOTES, optionKeys } from "./options.js";
import type { Streams } from "./streams.js";
import { layoutTau, type Layout, type LayoutOptions } from "./layout.js";
import type { FloatOut, GumbelMaxOptions, GumbelSoftmaxOptions, OutOption, StreamOptions } from "./types.js";

const MAX_I32 = 0x7fffffff;
const { DRAWS_PER_ROW, DRAWS_COUNT } = NOTES;
const TAU_ONE = { tau: NOTES.TAU_ONE, temperature: NOTES.TAU_ONE };
// The quick path (below) reads every key of these three lists: a key added to one must be
// handled there too (test/quick.test.ts fails until its random calls give the new key).
/** gumbelNoise and uniform. */
export const STREAM_OUT_KEYS = optionKeys<StreamOptions & OutOption<FloatOut>>({ seed: true, offset: true, out: true }, { draws: DRAWS_COUNT });
const STREAM_KEYS = optionKeys<StreamOptions>({ seed: true, offset: true }, { draws: DRAWS_COUNT });
export const GUMBEL_SOFTMAX_KEYS = optionKeys<GumbelSoftmaxOptions>(
  { cols: true, shape: true, axis: true, tau: true, hard: true, soft: true, probs: true, seed: true, offset: true, out: true },
  { draws: DRAWS_PER_ROW },
);
export const GUMBEL_MAX_KEYS = optionKeys<GumbelMaxOptions>(
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
  const cols = L.classes;
  const lines = L.lines;
  const tau = layoutTau(fn, L, o.tau);
  const hard = checkFlag(fn, "hard", o.hard ?? false);
  if (o.soft !== undefined && !hard) throw softError(fn);
  s.resolve(fn, o, lines * cols);
  const out = c.outPlan("out", o.out, "float32", lines, cols, a.tensor !== null, c.out1, null);
  c.shapeOut(out, "full");
  const soft = o.soft === undefined ? null : c.outPlan("soft", o.soft, "float32", lines, cols, false, c.out2, out);
  const work = c.stageOperands(a, null, out, soft, probs ? lines * cols * 4 : 0);
  const lp = probs ? logitsOf(c, a, work, L) : a.ptr;
  c.allocFresh(out);
  const sp = soft ? soft.ptr : 0;
  const h = hard ? 1 : 0;
  if (L.inner === 1 && c.runsNow(tau)) {
    const { key, counter } = s;
    c.ranNow(GUMBEL_SOFTMAX, L.outer, cols, c.host.kernels.gumbel_softmax(lp, out.ptr, sp, L.outer, cols, tau, h, key.lo, key.hi, counter.lo, counter.hi));
  } else launchGumbelSoftmax(c, s, L, lp, out.ptr, sp, tau, h);
}

function softError(fn: string): TypeError {
  return new TypeError(`${fn}: soft is only written with hard: true`);
}

/**
 * prepareGumbelSoftmax's launch but the one run at once on rows: along another axis (tau is one
 * number there: layoutTau), slices of classes * inner elements, `inner` apart; or kept for the
 * launcher (an async call, or one temperature per row).
 */
function launchGumbelSoftmax(c: Call, s: Streams, L: Layout, lp: number, dst: number, sp: number, tau: number | Float32Array, h: number): void {
  const { key, counter } = s;
  const rows = L.outer;
  if (L.inner > 1) {
    const kc = L.kCols;
    const t = tau as number;
    if (c.runsNow(t)) {
      c.ranNow(GUMBEL_SOFTMAX_AXIS, rows, kc, c.host.kernels.gumbel_softmax_axis(lp, dst, sp, rows, kc, L.inner, t, h, key.lo, key.hi, counter.lo, counter.hi));
    } else c.launch(GUMBEL_SOFTMAX_AXIS, rows, kc, null, lp, dst, sp, rows, kc, L.inner, t, h, key.lo, key.hi, counter.lo, counter.hi);
  } else if (typeof tau === "number") c.launch(GUMBEL_SOFTMAX, rows, L.classes, null, lp, dst, sp, rows, L.classes, tau, h, key.lo, key.hi, counter.lo, counter.hi);
  else c.launch(GUMBEL_SOFTMAX, rows, L.classes, tau, lp, dst, sp, rows, L.classes, 0, h, key.lo, key.hi, counter.lo, counter.hi);
}

/** One Gumbel-Max class per categorical into out1 (int32): per row, or per line of another axis (the strided kernel). */
export function prepareGumbelMax(c: Call, s: Streams, logits: unknown, options: GumbelMaxOptions | undefined): void {
  const fn = c.fn;
  checkOptions(fn, options, GUMBEL_MAX_KEYS);
  const o = options ?? {};
  const probs = checkFlag(fn, "probs", o.probs, PROBS);
  const a = c.operand(probs ? "probs" : "logits", logits, c.in1);
  const L = c.resolveLayout(o, a);
  const cols = L.classes;
  const lines = L.lines;
  s.resolve(fn, o, lines * cols);
  const out = c.outPlan("out", o.out, "int32", lines, 1, a.tensor !== null, c.out1, null);
  c.shapeOut(out, "reduced");
  const work = c.stageOperands(a, null, out, null, probs ? lines * cols * 4 : 0);
  const lp = probs ? logitsOf(c, a, work, L) : a.ptr;
  c.allocFresh(out);
  if (L.inner === 1 && c.runsNow(1)) {
    const { key, counter } = s;
    c.ranNow(GUMBEL_MAX, L.outer, cols, c.host.kernels.gumbel_max(lp, out.ptr, L.outer, cols, key.lo, key.hi, counter.lo, counter.hi));
  } else launchGumbelMax(c, s, L, lp, out.ptr);
}

/** prepareGumbelMax's launch but the one run at once on rows: along another axis, or kept for the launcher. */
function launchGumbelMax(c: Call, s: Streams, L: Layout, lp: number, dst: number): void {
  const { key, counter } = s;
  const rows = L.outer;
  if (L.inner > 1) {
    const kc = L.kCols;
    if (c.runsNow(1)) c.ranNow(GUMBEL_MAX_AXIS, rows, kc, c.host.kernels.gumbel_max_axis(lp, dst, rows, kc, L.inner, key.lo, key.hi, counter.lo, counter.hi));
    else c.launch(GUMBEL_MAX_AXIS, rows, kc, null, lp, dst, rows, kc, L.inner, key.lo, key.hi, counter.lo, counter.hi);
  } else c.launch(GUMBEL_MAX, rows, L.classes, null, lp, dst, rows, L.classes, key.lo, key.hi, counter.lo, counter.hi);
}

/** What `probs: true` means, for its error. */
const PROBS = "true: the first argument holds probabilities";

/**
 * The logits the kernel reads for `probs: true`: log p written at `work` (the call's staging) by
 * log_probs (log_probs_axis along a non-last axis: the same logs, its refusals per line), which
 * validates every row or line first: a bad one is a RangeError naming it, before anything is
 * written or drawn.
 */
function logitsOf(c: Call, a: Operand, work: number, L: Layout): number {
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

// ---------------------------------------------------------------- the quick path
//
// The common synchronous call, a tensor in and a tensor out (`gw.gumbelSoftmax(x, { tau, seed,
// offset, out })`, `gw.gumbelNoise(n, { seed, offset, out })`), checked and run without the
// Call's slots, which cost more than the kernel of a short batch. It only ever accepts: it reads the options, makes the checks the full
// preparation makes, and when one does not pass as it usually does (an array, no `out`, a
// layout option, per-row temperatures, a bad value, a row the kernel refuses) it returns null
// before anything is drawn or written, and the full preparation runs and says what is wrong.
// The checks that throw here (the options' keys, seed and offset) are the ones that throw first
// there in the same situation. test/quick.test.ts holds the two paths to the same results.

/**
 * `out` when `x` is a float32 tensor of `host` with at least one dimension and a non-empty last
 * one (the classes, no `cols`, `shape`, `axis` or `keepDims` given), and `out` a tensor of `host`
 * of `dtype` holding `perRow` values per row of x (0: as many as x), sharing no byte with x;
 * else null.
 */
function quickOut(host: Host, x: unknown, o: LayoutOptions & { out?: unknown }, dtype: DType, perRow: number): Tensor<DType> | null {
  const out = o.out;
  if (!(x instanceof Tensor) || !(out instanceof Tensor) || o.cols !== undefined || o.shape !== undefined || o.axis !== undefined || o.keepDims !== undefined) return null;
  if (x.owner !== host || x.dtype !== "float32" || x.isFreed || x.cols === 0 || x.shape.length === 0) return null;
  if (out.owner !== host || out.dtype !== dtype || out.isFreed || out.length !== (perRow === 0 ? x.length : x.rows * perRow)) return null;
  return intersects(out.byteOffset, out.length * 4, x.byteOffset, x.length * 4) ? null : out;
}

/** prepareNoise and its launch, the quick way (see above): `out`, or null. */
export function quickNoise(host: Host, s: Streams, fn: string, gumbel: boolean, n: unknown, options: (StreamOptions & OutOption<FloatOut>) | undefined): Tensor | null {
  if (options === undefined) return null;
  checkOptions(fn, options, STREAM_OUT_KEYS);
  const out = options.out;
  if (!(out instanceof Tensor) || out.owner !== host || out.dtype !== "float32" || out.isFreed || out.length !== n || out.length > MAX_I32 >> 2) return null;
  s.resolve(fn, options, out.length);
  const { key, counter } = s;
  const k = host.kernels;
  (gumbel ? k.gumbel_noise : k.uniform)(out.byteOffset, out.length, key.lo, key.hi, counter.lo, counter.hi);
  s.drawn();
  return out as Tensor;
}

/** prepareGumbelSoftmax and its launch, the quick way (see above): `out`, or null. */
export function quickGumbelSoftmax(host: Host, s: Streams, logits: unknown, options: GumbelSoftmaxOptions | undefined): Tensor | null {
  if (options === undefined) return null;
  checkOptions("gumbelSoftmax", options, GUMBEL_SOFTMAX_KEYS);
  const o = options;
  const hard = o.hard ?? false;
  if ((o.probs !== undefined && o.probs !== false) || o.soft !== undefined || typeof hard !== "boolean") return null;
  const out = quickOut(host, logits, o, "float32", 0);
  const t = o.tau;
  const tau = t === undefined ? 1 : typeof t === "number" ? Math.fround(t) : NaN;
  if (out === null || !(tau > 0 && tau !== Infinity)) return null;
  const x = logits as Tensor;
  s.resolve("gumbelSoftmax", o, x.length);
  const { key, counter } = s;
  if (host.kernels.gumbel_softmax(x.byteOffset, out.byteOffset, 0, x.rows, x.cols, tau, hard ? 1 : 0, key.lo, key.hi, counter.lo, counter.hi) >= 0) return null;
  s.drawn();
  return out as Tensor;
}

/** prepareGumbelMax and its launch, the quick way (see above): `out`, or null. */
export function quickGumbelMax(host: Host, s: Streams, logits: unknown, options: GumbelMaxOptions | undefined): Tensor<"int32"> | null {
  if (options === undefined) return null;
  checkOptions("gumbelMax", options, GUMBEL_MAX_KEYS);
  const o = options;
  const out = o.probs !== undefined && o.probs !== false ? null : quickOut(host, logits, o, "int32", 1);
  if (out === null) return null;
  const x = logits as Tensor;
  s.resolve("gumbelMax", o, x.length);
  const { key, counter } = s;
  if (host.kernels.gumbel_max(x.byteOffset, out.byteOffset, x.rows, x.cols, key.lo, key.hi, counter.lo, counter.hi) >= 0) return null;
  s.drawn();
  return out as Tensor<"int32">;
}
