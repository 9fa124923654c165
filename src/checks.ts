// Argument checks shared by the public calls. Each error names the call and the argument.

import { FAULT_ALL_ZERO, FAULT_NAN, FAULT_NOT_PROB, FAULT_POS_INF } from "./abi.js";

/** 2^32: 64-bit seeds and counters travel as two 32-bit words. */
export const TWO32 = 4294967296;
const TWO64 = 1n << 64n;

/** "a Float32Array", "an Int32Array". */
export function article(noun: string): string {
  return `${/^[AEIOU]/i.test(noun) ? "an" : "a"} ${noun}`;
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an Array";
  if (ArrayBuffer.isView(v)) return article(v.constructor.name);
  if (typeof v === "object") return `an object (${(v as object).constructor?.name ?? "Object"})`;
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + "..." : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** Arrays the calls copy in: Array (of numbers) and the numeric typed arrays. */
export function isNumberArray(v: unknown): v is ArrayLike<number> {
  if (Array.isArray(v)) return true;
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

// The checks on every call's path are small on purpose: V8 inlines a function into its caller
// only while the caller's inlined bytecode stays within a budget, and a call that is not inlined
// costs a few ns (and boxes a float it returns). So the messages are built in functions of their
// own, called only to throw.

/** A boolean option: false when omitted, else a TypeError naming it (`note`: what true means, in brackets). */
export function checkFlag(fn: string, name: string, v: unknown, note = ""): boolean {
  if (v === undefined) return false;
  if (typeof v === "boolean") return v;
  throw flagError(fn, name, v, note);
}

function flagError(fn: string, name: string, v: unknown, note: string): TypeError {
  return new TypeError(`${fn}: ${name} must be a boolean${note ? ` (${note})` : ""}, got ${describe(v)}`);
}

/** A tensor's shape: an array of integers from 0 to 2^31-1 (a copy). */
export function checkShape(fn: string, shape: readonly unknown[]): number[] {
  return shape.map((v, d) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new RangeError(`${fn}: shape[${d}] must be an integer from 0 to ${0x7fffffff}, got ${typeof v === "number" ? v : describe(v)}`);
    }
    return v;
  });
}

/** A count: an integer in [0, max]. */
export function checkCount(fn: string, name: string, v: unknown, max: number): number {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max) return v;
  throw countError(fn, name, v, max);
}

function countError(fn: string, name: string, v: unknown, max: number): Error {
  if (typeof v !== "number") return new TypeError(`${fn}: ${name} must be a number, got ${describe(v)}`);
  return new RangeError(`${fn}: ${name} must be an integer from 0 to ${max}, got ${v}`);
}

/** The temperature as the kernels see it (float32): positive and finite after rounding. */
export function checkTau(fn: string, v: unknown, name = "tau"): number {
  if (v === undefined) return 1;
  const f = typeof v === "number" ? Math.fround(v) : NaN;
  if (f > 0 && f !== Infinity) return f;
  throw tauError(fn, v, name);
}

function tauError(fn: string, v: unknown, name: string): Error {
  if (typeof v !== "number") return new TypeError(`${fn}: ${name} must be a number, got ${describe(v)}`);
  return new RangeError(`${fn}: ${name} must be positive and finite in float32, got ${v}`);
}

/**
 * A temperature for every row at once (a number) or one per row (an array of `rows` numbers),
 * each positive and finite after rounding to float32. Per-row values come back as a copy.
 */
export function checkTaus(fn: string, v: unknown, rows: number, name = "tau", per = "row"): number | Float32Array {
  if (v === undefined || typeof v === "number") return checkTau(fn, v, name);
  return tauArray(fn, v, rows, name, per);
}

/** checkTaus' per-row temperatures. */
function tauArray(fn: string, v: unknown, rows: number, name: string, per: string): Float32Array {
  if (!isNumberArray(v)) throw new TypeError(`${fn}: ${name} must be a number or one number per ${per}, got ${describe(v)}`);
  if (v.length !== rows) throw new RangeError(`${fn}: ${name} has ${v.length} values, expected one per ${per} (${rows})`);
  const out = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const f = Math.fround(v[i]!);
    if (!(f > 0) || f === Infinity) throw new RangeError(`${fn}: ${name}[${i}] must be positive and finite in float32, got ${v[i]}`);
    out[i] = f;
  }
  return out;
}

/** Gumbel-Rao's number of conditional draws: an integer from 1 to 2^20, default 100. */
export function checkSamples(fn: string, v: unknown): number {
  if (v === undefined) return 100;
  if (typeof v !== "number") throw new TypeError(`${fn}: samples must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 1 || v > 2 ** 20) {
    throw new RangeError(`${fn}: samples must be an integer from 1 to ${2 ** 20}, got ${v}`);
  }
  return v;
}

/**
 * Gapped ST's gap as the kernels take it: a float32 >= 0 and finite (default 1), or -1 for
 * "adaptive".
 */
export function checkKappa(fn: string, v: unknown): number {
  if (v === undefined) return 1;
  if (v === "adaptive") return -1;
  if (typeof v !== "number") throw new TypeError(`${fn}: kappa must be a number or "adaptive", got ${describe(v)}`);
  const f = Math.fround(v);
  if (!(f >= 0) || f === Infinity) throw new RangeError(`${fn}: kappa must be non-negative and finite in float32, got ${v}`);
  return f;
}

/** A 64-bit value split into 32-bit words, filled by parseU64. */
export interface Words {
  lo: number;
  hi: number;
}

/**
 * Parses a seed or offset, a non-negative safe integer (number) or a bigint below 2^64, into
 * its two 32-bit words (no allocation for numbers).
 */
export function parseU64(fn: string, name: string, v: unknown, out: Words): void {
  if (typeof v === "number" && v >>> 0 === v) {
    // The common case, an integer below 2^32: no division.
    out.lo = v;
    out.hi = 0;
    return;
  }
  parseWide(fn, name, v, out);
}

/** parseU64 of anything but a number below 2^32. */
function parseWide(fn: string, name: string, v: unknown, out: Words): void {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(
        `${fn}: ${name} must be an integer from 0 to 2^64-1 (a number up to 2^53-1, or a bigint), got ${v}`,
      );
    }
    out.lo = v % TWO32;
    out.hi = Math.floor(v / TWO32);
    return;
  }
  if (typeof v === "bigint") {
    if (v < 0n || v >= TWO64) throw new RangeError(`${fn}: ${name} must be from 0 to 2^64-1, got ${v}n`);
    out.lo = Number(v & 0xffffffffn);
    out.hi = Number(v >> 32n);
    return;
  }
  throw new TypeError(`${fn}: ${name} must be a number or a bigint, got ${describe(v)}`);
}

/** The value of two 32-bit words as a bigint. */
export function wordsToBigInt(w: Words): bigint {
  return (BigInt(w.hi) << 32n) | BigInt(w.lo);
}

/** Checks that a stream of `count` (< 2^32) elements from `offset` stays within 2^64. */
export function checkStreamEnd(fn: string, offset: Words, count: number): void {
  if (offset.hi === TWO32 - 1 && offset.lo + count > TWO32) {
    throw new RangeError(`${fn}: offset + ${count} elements runs past the end of the stream (2^64)`);
  }
}

/** `w` advanced by `n` (< 2^53) elements, wrapping at 2^64, into `out` (which may be `w`). */
export function addWords(w: Words, n: number, out: Words): Words {
  const lo = w.lo + n;
  if (lo < TWO32) {
    // No carry (every short call): no float modulo, which V8 runs as a call to fmod.
    out.lo = lo;
    out.hi = w.hi;
    return out;
  }
  out.lo = lo % TWO32;
  out.hi = (w.hi + Math.floor(lo / TWO32)) % TWO32;
  return out;
}

/**
 * The error for row `row` (its `values`) that a kernel's validation pass refused with `fault`
 * (check_fault()): the place of the first NaN or +Inf, or the row being all -Inf; for
 * probabilities (log_probs), the place of the first value that is not a finite probability
 * >= 0, or the row being all zeros.
 */
export function rowError(
  fn: string, name: string, values: ArrayLike<number>, row: number, fault: number, index?: (k: number | ":") => string,
): RangeError {
  // A row is "row r"; a line of a strided layout is named by its index in the shape, "x[1, :, 3]".
  const at = index ?? ((k: number | ":") => `${row}, ${k}`);
  const line = index ? `${name}[${index(":")}]` : `row ${row} of ${name}`;
  if (fault === FAULT_NOT_PROB) {
    let k = 0;
    while (k < values.length && values[k]! >= 0 && values[k]! < Infinity) k++;
    return new RangeError(`${fn}: ${name}[${at(k)}] must be a finite probability >= 0, got ${values[k]}`);
  }
  if (fault === FAULT_ALL_ZERO) return new RangeError(`${fn}: ${line} is all zeros: at least one class needs a positive probability`);
  if (fault === FAULT_NAN || fault === FAULT_POS_INF) {
    let k = 0;
    while (k < values.length && !(fault === FAULT_NAN ? Number.isNaN(values[k]) : values[k] === Infinity)) k++;
    const what = fault === FAULT_NAN ? "NaN" : "+Inf (only -Inf, a mask, is allowed)";
    return new RangeError(`${fn}: ${name}[${at(k)}] is ${what}`);
  }
  return new RangeError(`${fn}: ${line} is all -Inf: at least one class must be unmasked`);
}

/** The one check of every float input: a Float32Array, an array of numbers or a Tensor. */
export function floatInputError(fn: string, name: string, x: unknown): TypeError {
  return new TypeError(`${fn}: ${name} must be a Float32Array, an array of numbers or a Tensor, got ${describe(x)}`);
}
