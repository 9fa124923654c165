// Where a call's classes are. An input of shape [d0, ..., dn-1] with its classes along `axis`
// is outer x classes x inner: outer = d0 * ... * d(axis-1), classes = d(axis), inner =
// d(axis+1) * ... * dn-1. Element (o, c, j) sits at o * classes * inner + c * inner + j; a
// *line* (o, j), numbered o * inner + j, holds the `classes` values of one categorical, `inner`
// elements apart. With inner = 1 (the classes last) a line is a row and the row kernels run;
// otherwise the strided kernels (`<kernel>_axis`: rows = outer, cols = classes * inner, inner),
// which read the input where it is: no transposing copy.

import { checkFlag, checkShape, checkTaus, describe, isNumberArray } from "./checks.js";

const MAX_I32 = 0x7fffffff;

/** The options a call with classes reads its layout from. */
export interface LayoutOptions {
  cols?: unknown;
  shape?: unknown;
  axis?: unknown;
  keepDims?: unknown;
}

/** A call's layout, reused by its Call (the `cols` path allocates nothing). */
export class Layout {
  outer = 0;
  classes = 0;
  inner = 1;
  /** The class axis, from 0. */
  axis = 1;
  /** The input's shape; null: [outer, classes] (`cols`, or a matrix tensor's own). */
  shape: readonly number[] | null = null;
  /** A reduction keeps the class axis as a dimension of 1. */
  keepDims = false;

  /** How many categoricals: outer * inner. */
  get lines(): number {
    return this.outer * this.inner;
  }

  /** The kernels' row length: a row (inner = 1) or a slice of a strided kernel, classes * inner. */
  get kCols(): number {
    return this.classes * this.inner;
  }

  /**
   * The classes on the last axis of `shape` (at least one dimension, the last not empty): `rows`
   * (the product of the others) lines of `cols` classes. What fromShape makes of it with no axis.
   */
  lastAxis(shape: readonly number[], rows: number, cols: number): this {
    this.shape = shape;
    this.axis = shape.length - 1;
    this.outer = rows;
    this.classes = cols;
    this.inner = 1;
    return this;
  }

  /** The input's shape. */
  full(): readonly number[] {
    return this.shape ?? [this.outer, this.classes];
  }

  /** A reduction's output shape: the class axis dropped, or kept as 1 with keepDims. */
  reduced(): number[] {
    return this.withAxis(this.keepDims ? 1 : -1);
  }

  /** The input's shape with the class axis of size n (-1: dropped). */
  withAxis(n: number): number[] {
    const s = this.full().slice();
    if (n < 0) s.splice(this.axis, 1);
    else s[this.axis] = n;
    return s;
  }

  /** Line `line`'s element `k` (or ":" for the whole line) as an index into the shape: "1, :, 3". */
  index(line: number, k: number | ":"): string {
    const s = this.full();
    const at: Array<number | string> = [];
    let o = Math.floor(line / this.inner);
    let j = line - o * this.inner;
    for (let d = s.length - 1; d > this.axis; d--) {
      at.unshift(j % s[d]!);
      j = Math.floor(j / s[d]!);
    }
    at.unshift(k);
    for (let d = this.axis - 1; d >= 0; d--) {
      at.unshift(o % s[d]!);
      o = Math.floor(o / s[d]!);
    }
    return at.join(", ");
  }
}

/**
 * Fills `L` from a call's options for an input `name` of `length` elements (`own`: a tensor's
 * shape, or null for arrays): `shape` (its product the length) or `cols` (shape
 * [length / cols, cols]), not both, else the tensor's shape; `axis` (default -1, negative
 * counting from the end) names the classes' dimension, which must not be empty; `keepDims` a
 * boolean. Throws a TypeError or RangeError naming the option.
 */
export function resolveLayout(L: Layout, fn: string, o: LayoutOptions, name: string, length: number, own: readonly number[] | null): Layout {
  L.keepDims = checkFlag(fn, "keepDims", o.keepDims);
  if (o.shape !== undefined) {
    if (o.cols !== undefined) throw new TypeError(`${fn}: give cols or shape, not both`);
    return fromShape(L, fn, shapeOf(fn, o.shape, name, length), o.axis);
  }
  if (o.cols === undefined && own !== null) return fromShape(L, fn, own, o.axis);
  const cols = o.cols;
  if (typeof cols !== "number" || !Number.isInteger(cols) || cols < 1 || cols > MAX_I32) badCols(fn, cols, name);
  if (length % cols !== 0) throw new RangeError(`${fn}: cols = ${cols} does not divide the length of ${name} (${length})`);
  const rows = length / cols;
  if (o.axis === undefined || o.axis === -1 || o.axis === 1) {
    L.shape = null;
    L.axis = 1;
    L.outer = rows;
    L.classes = cols;
    L.inner = 1;
    return L;
  }
  return fromShape(L, fn, [rows, cols], o.axis);
}

function badCols(fn: string, c: unknown, name: string): never {
  if (c === undefined) throw new TypeError(`${fn}: cols or shape is required: the number of classes per row of ${name}, or its shape`);
  if (typeof c !== "number") throw new TypeError(`${fn}: cols must be a number, got ${describe(c)}`);
  throw new RangeError(`${fn}: cols must be a positive integer, got ${c}`);
}

function shapeOf(fn: string, shape: unknown, name: string, length: number): readonly number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${fn}: shape must be an array of dimensions, got ${describe(shape)}`);
  const s = checkShape(fn, shape);
  const n = s.reduce((a, b) => a * b, 1);
  if (n !== length) throw new RangeError(`${fn}: shape [${s.join(", ")}] holds ${n} elements but ${name} has ${length}`);
  return s;
}

function fromShape(L: Layout, fn: string, shape: readonly number[], axis: unknown): Layout {
  const nd = shape.length;
  if (nd === 0) throw new RangeError(`${fn}: shape [] has no axis for the classes: give at least one dimension`);
  let a = -1;
  if (axis !== undefined) {
    if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -nd || axis >= nd) {
      throw new RangeError(`${fn}: axis must be an integer from ${-nd} to ${nd - 1} for a shape of ${nd} dimension${nd === 1 ? "" : "s"}, got ${typeof axis === "number" ? axis : describe(axis)}`);
    }
    a = axis;
  }
  if (a < 0) a += nd;
  const classes = shape[a]!;
  if (classes === 0) throw new RangeError(`${fn}: axis ${a} of shape [${shape.join(", ")}] is empty: a categorical needs at least one class`);
  let outer = 1;
  for (let d = 0; d < a; d++) outer *= shape[d]!;
  let inner = 1;
  for (let d = a + 1; d < nd; d++) inner *= shape[d]!;
  L.shape = shape;
  L.axis = a;
  L.classes = classes;
  // A zero dimension after the axis leaves no lines: run as no rows of the row kernels.
  L.inner = inner === 0 ? 1 : inner;
  L.outer = inner === 0 ? 0 : outer;
  return L;
}

/**
 * The temperature of a call with layout L: a number, or one per line with the classes last
 * (checkTaus); along a non-last axis (inner > 1) one number, an array refused by name before its
 * values are read. So a strided launch always gets a number.
 */
export function layoutTau(fn: string, L: Layout, v: unknown): number | Float32Array {
  if (L.inner > 1 && isNumberArray(v)) throw axisTauError(fn, L);
  return checkTaus(fn, v, L.lines);
}

function axisTauError(fn: string, L: Layout): TypeError {
  return new TypeError(`${fn}: tau as one temperature per row needs the classes on the last axis; got axis ${L.axis} of shape [${L.full().join(", ")}]: give one number`);
}
