// The categorical distribution classes' batch: their parameters (logits or probs, given with
// `cols`, or with `shape` and `axis` as every gw call takes them: src/layout.ts) and the passes
// over its lines. An input of shape S with the classes along `axis` is outer x classes x inner
// (layout.ts); a *line* (o, j), numbered o * inner + j (row-major in S without the axis), is one
// categorical, its classes `inner` elements apart. So one distribution per line, the batch
// shape is S without the axis, and every per-line result (a sample's class, log p, the mode,
// the entropy) comes in line order. With the classes last (inner = 1) a line is a row.
//
// A chunk of m draws of the batch is the parameters repeated m times, one copy after the other:
// shape [m, ...S], the classes along axis + 1, so the gw calls (gumbelMax, gumbelSoftmax) give
// draw i's element e the noise of stream element i * batchElements + e: its row-major index in
// the input as given, whatever the axis.

import { describe, floatInputError, isNumberArray } from "./checks.js";
import type { GumbelWasm } from "./gumbel.js";
import { Layout, resolveLayout } from "./layout.js";
import { Tensor } from "./memory.js";
import { checkParams, type OptionKeys } from "./options.js";
import { runStaged } from "./staged.js";
import type { ShapeOptions } from "./types.js";

/** Parameters of a batch of categorical distributions: unnormalised `logits` or `probs`, and where their classes are. */
export interface CategoricalParams extends ShapeOptions {
  /** Unnormalised log-probabilities, row-major (`-Inf` masks a class). */
  logits?: Tensor | ArrayLike<number>;
  /** Probabilities, row-major: non-negative, finite, each line summing to 1 (see `normalize`). */
  probs?: Tensor | ArrayLike<number>;
  /** With `probs`: divide each line by its sum instead of requiring it to be 1. Default false. */
  normalize?: boolean;
}

/**
 * How far from 1 a row of `probs` may sum: 1e-6 * (cols + 1), a few float32 roundings per
 * element (float32 probabilities from a softmax sum to 1 within this).
 */
export function probsTolerance(cols: number): number {
  return 1e-6 * (cols + 1);
}

/** Categorical parameters parsed: the logits sampling uses (as given, or `log(probs)`) and the layout. */
export interface ParsedCategorical {
  raw: Float32Array;
  /** The parameters as given (logits, or probs before any normalising), in float32: the mode is their first largest per line. */
  given: Float32Array;
  /** Where the classes are: outer x classes x inner, lines = outer * inner. */
  layout: Layout;
}

/**
 * Reads `{ logits | probs, cols | shape, axis, normalize }` for the class `fn` (whose parameter
 * keys are `keys`: an unknown one is a TypeError): exactly one of logits and probs; the layout
 * as a gw call reads it (`resolveLayout`: `cols` and `shape` not both; neither: a tensor's own
 * shape, an array's one row); probs are validated per line (or normalised) and turned into
 * logits in wasm (log 0 = -Inf). The logits' lines are not checked here.
 */
export function parseCategorical(gw: GumbelWasm, fn: string, params: CategoricalParams, keys: OptionKeys): ParsedCategorical {
  checkParams(fn, params, keys);
  const { logits, probs } = params;
  if ((logits === undefined) === (probs === undefined)) {
    throw new TypeError(`${fn}: give exactly one of logits and probs`);
  }
  const given = (logits ?? probs) as Tensor | ArrayLike<number>;
  const name = logits !== undefined ? "logits" : "probs";
  let values: Float32Array;
  if (given instanceof Tensor) values = Float32Array.from(given.data);
  else if (isNumberArray(given)) values = Float32Array.from(given);
  else throw floatInputError(fn, name, given);
  const own = given instanceof Tensor ? given.shape : null;
  // An array with neither cols nor shape is one row.
  const o = params.cols === undefined && params.shape === undefined && own === null && values.length > 0 ? { ...params, cols: values.length } : params;
  const L = resolveLayout(new Layout(), fn, o, name, values.length, own);
  const asGiven = probs !== undefined ? values.slice() : values;
  if (probs !== undefined) values = logOfProbs(gw, fn, values, L, params.normalize ?? false);
  return { raw: values, given: asGiven, layout: L };
}

/** The flat index of line `l`'s first class (its class k at + k * inner). */
export function lineStart(L: Layout, l: number): number {
  const o = Math.floor(l / L.inner);
  return o * L.kCols + (l - o * L.inner);
}

/** Names line `l` of `name` in errors: "row r of x" (classes last, as the gw calls say) or "x[1, :, 3]". */
export function lineName(L: Layout, name: string, l: number): string {
  return L.inner > 1 ? `${name}[${L.index(l, ":")}]` : `row ${l} of ${name}`;
}

/** Element k of line l as an index: "r, k" (classes last) or its index in the shape. */
export function elementIndex(L: Layout, l: number, k: number): string {
  return L.inner > 1 ? L.index(l, k) : `${l}, ${k}`;
}

/** Validates probabilities line by line and returns their logarithms (computed in wasm; log 0 = -Inf). */
function logOfProbs(gw: GumbelWasm, fn: string, p: Float32Array, L: Layout, normalize: boolean): Float32Array {
  const { classes, inner } = L;
  for (let l = 0; l < L.lines; l++) {
    const b = lineStart(L, l);
    let s = 0;
    for (let k = 0; k < classes; k++) {
      const v = p[b + k * inner]!;
      if (!(v >= 0) || v === Infinity) {
        throw new RangeError(`${fn}: probs[${elementIndex(L, l, k)}] must be a finite probability >= 0, got ${v}`);
      }
      s += v;
    }
    if (normalize) {
      if (!(s > 0)) throw new RangeError(`${fn}: ${lineName(L, "probs", l)} sums to ${s}: nothing to normalize`);
      for (let k = 0; k < classes; k++) p[b + k * inner] = p[b + k * inner]! / s;
    } else if (Math.abs(s - 1) > probsTolerance(classes)) {
      throw new RangeError(
        `${fn}: ${lineName(L, "probs", l)} sums to ${s}, not 1 (within ${probsTolerance(classes).toExponential(0)}); pass normalize: true to rescale`,
      );
    }
  }
  const q = p.map((v) => (v === 0 ? 1 : v)); // log 1 = 0, replaced below
  const c = gw.marshal(fn);
  const [out] = runStaged(c, [q], [p.length], ([src, dst]) => gw.kernels.log_f32(src!, dst!, p.length));
  c.release();
  for (let i = 0; i < out!.length; i++) if (p[i] === 0) out![i] = -Infinity;
  return out!;
}

/** The input's shape without the class axis: the batch shape (one distribution per line). */
export function batchShapeOf(L: Layout): readonly number[] {
  return Object.freeze(L.withAxis(-1));
}

/**
 * The layout options of a gw call on m draws of the batch, one after the other: `cols` (the
 * classes last), the input's own shape and axis (m = 1), or `shape` [m, ...S] with the classes
 * along axis + 1.
 */
export function drawLayout(L: Layout, m: number): ShapeOptions {
  if (L.inner === 1) return { cols: L.classes };
  return m === 1 ? { shape: L.full(), axis: L.axis } : { shape: [m, ...L.full()], axis: L.axis + 1 };
}

/**
 * The layout of n draws of the batch as values (`logProb`'s argument): [n, ...S], the classes
 * along axis + 1; lines n * outer * inner, in draw-major order.
 */
export function drawsLayout(fn: string, L: Layout, n: number): Layout {
  if (L.inner === 1) {
    const V = new Layout();
    V.outer = n * L.outer;
    V.classes = L.classes;
    return V;
  }
  const shape = [n, ...L.full()];
  return resolveLayout(new Layout(), fn, { shape, axis: L.axis + 1 }, "value", shape.reduce((a, b) => a * b, 1), null);
}

/** The first largest entry of each line of x (no NaN, no line all -Inf), in line order. */
export function argmaxLines(x: Float32Array, L: Layout): Int32Array {
  const { classes, inner } = L;
  const out = new Int32Array(L.lines);
  for (let l = 0; l < L.lines; l++) {
    const b = lineStart(L, l);
    let best = 0;
    for (let k = 1; k < classes; k++) if (x[b + k * inner]! > x[b + best * inner]!) best = k;
    out[l] = best;
  }
  return out;
}

/** One-hot lines in the input's layout (float32) of one class index per line. */
export function oneHotLines(index: Int32Array, L: Layout): Float32Array {
  const out = new Float32Array(L.outer * L.kCols);
  for (let l = 0; l < index.length; l++) out[lineStart(L, l) + index[l]! * L.inner] = 1;
  return out;
}

/**
 * Per line of each draw in `value` (class indices, draw-major, one per line): `table`'s entry
 * (in the input's layout) at that class. A RangeError names a bad entry or length.
 */
export function gatherLines(fn: string, table: Float32Array, L: Layout, value: unknown): Float32Array {
  if (!isNumberArray(value)) throw new TypeError(`${fn}: value must be an array of class indices, got ${describe(value)}`);
  const lines = L.lines;
  if (lines === 0 ? value.length !== 0 : value.length % lines !== 0) {
    const what = L.inner === 1 ? "the rows" : "the lines";
    throw new RangeError(`${fn}: value has ${value.length} entries, not a multiple of ${what} (${lines}): one class per ${L.inner === 1 ? "row" : "line"}, for each draw`);
  }
  const out = new Float32Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const k = value[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= L.classes) {
      throw new RangeError(`${fn}: value[${i}] must be a class index from 0 to ${L.classes - 1}, got ${k}`);
    }
    out[i] = table[lineStart(L, i % lines) + k * L.inner]!;
  }
  return out;
}

/** Entropy per line, -sum_k p_k log p_k over the classes in order (masked classes add 0). */
export function entropyLines(probs: Float32Array, logits: Float32Array, L: Layout): Float32Array {
  const out = new Float32Array(L.lines);
  for (let l = 0; l < L.lines; l++) {
    const b = lineStart(L, l);
    let h = 0;
    for (let k = 0; k < L.classes; k++) {
      const p = probs[b + k * L.inner]!;
      if (p > 0) h -= p * logits[b + k * L.inner]!;
    }
    out[l] = h;
  }
  return out;
}
