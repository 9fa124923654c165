// What the gumbel-wasm/tfjs ops share: their tensor arguments checked (a float32 tf.Tensor, not
// disposed, with a last axis of classes), temperatures (a number or a tensor, checked as the
// calls check theirs), gradients summed back to a tensor's shape, and errors that name the op and
// the place in the tensor's own shape (`tfjs.gumbelSoftmax: logits[1, 2, 3] is NaN`) where the
// gumbel-wasm call that found them names a flat row.

import * as tf from "@tensorflow/tfjs-core";
import { checkTau, describe } from "./checks.js";
import { GumbelWasm } from "./gumbel.js";

/** A tensor with the classes on its last axis: rows = size / cols, `lead` = the other axes. */
export interface Rows {
  rows: number;
  cols: number;
  lead: number[];
}

/** A temperature as the calls take it, and the tensor it came from (null for a number). */
export interface Temperature {
  /** One value (a number) or one per row or element (a Float32Array), checked. */
  value: number | Float32Array;
  /** The tensor given, which gets the gradient; null when a number was given. */
  tensor: tf.Tensor | null;
}

/** `describe` (checks.ts), which also knows a tf.Tensor. */
export function what(v: unknown): string {
  return v instanceof tf.Tensor ? "a tf.Tensor" : describe(v);
}

/** The instance the ops run on, or a TypeError. */
export function checkInstance(gw: unknown): GumbelWasm {
  if (!(gw instanceof GumbelWasm)) throw new TypeError(`tfOps: gw must be a GumbelWasm instance (from init()), got ${what(gw)}`);
  return gw;
}

/** `x` if it is a live float32 tf.Tensor, else a TypeError naming `fn` and `name`. */
export function tensorArg(fn: string, name: string, x: unknown): tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new TypeError(`${fn}: ${name} must be a tf.Tensor, got ${what(x)}`);
  if (x.isDisposed) throw new TypeError(`${fn}: ${name} is disposed`);
  if (x.dtype !== "float32") throw new TypeError(`${fn}: ${name} must be a float32 tensor, got ${x.dtype} (tf.cast it first)`);
  return x;
}

/** The rows of a tensor whose last axis is the classes (at least one class). */
export function rowsOf(fn: string, name: string, x: tf.Tensor): Rows {
  if (x.rank === 0) throw new RangeError(`${fn}: ${name} is a scalar: the classes are its last axis, so it needs one`);
  const cols = x.shape[x.rank - 1]!;
  if (cols === 0) throw new RangeError(`${fn}: ${name} has shape [${x.shape.join(", ")}]: its last axis (the classes) is empty`);
  return { rows: x.size / cols, cols, lead: x.shape.slice(0, -1) };
}

/** Two tensors of one shape, or a RangeError naming both. */
export function sameShape(fn: string, a: tf.Tensor, aName: string, b: tf.Tensor, bName: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${fn}: ${bName} has shape [${b.shape.join(", ")}] but ${aName} has [${a.shape.join(", ")}]: they must be the same`);
  }
}

/**
 * A temperature: undefined (1, unless `required`), a number, or a float32 tensor holding one
 * value (any shape of size 1) or one per unit (shape `unitShape`, or [units]). Each value is
 * positive and finite in float32, like every call's `tau`.
 */
export function temperatureArg(
  fn: string, name: string, t: unknown, units: number, unitShape: readonly number[], unit: string, required: boolean,
): Temperature {
  if (t === undefined) {
    if (required) throw new TypeError(`${fn}: ${name} is required (a positive number, or a tensor: a scalar or one per ${unit})`);
    return { value: 1, tensor: null };
  }
  if (typeof t === "number") return { value: checkTau(fn, t, name), tensor: null };
  if (!(t instanceof tf.Tensor)) throw new TypeError(`${fn}: ${name} must be a number or a tf.Tensor, got ${what(t)}`);
  const tensor = tensorArg(fn, name, t);
  const data = tensor.dataSync() as Float32Array;
  if (tensor.size === 1) return { value: checkTau(fn, data[0], name), tensor };
  const shaped = tensor.rank === unitShape.length && tensor.shape.every((d, i) => d === unitShape[i]);
  if (tensor.size !== units || !(shaped || tensor.rank === 1)) {
    throw new RangeError(
      `${fn}: ${name} has shape [${tensor.shape.join(", ")}]: give a scalar, or one per ${unit} (shape [${unitShape.join(", ")}])`,
    );
  }
  const value = new Float32Array(units);
  for (let i = 0; i < units; i++) {
    const f = Math.fround(data[i]!);
    if (!(f > 0) || f === Infinity) throw new RangeError(`${fn}: ${name}${at(unitShape, i)} must be positive and finite in float32, got ${data[i]}`);
    value[i] = f;
  }
  return { value, tensor };
}

/**
 * The gradient w.r.t. a temperature tensor from one value per unit: summed (in float64, in
 * order, then rounded) when the temperature was one value, else as it is, in the tensor's shape.
 */
export function temperatureGrad(t: tf.Tensor, perUnit: Float32Array): tf.Tensor {
  if (t.size !== 1) return tf.tensor(perUnit, t.shape, "float32");
  let s = 0;
  for (let i = 0; i < perUnit.length; i++) s += perUnit[i]!;
  return tf.tensor(Float32Array.of(s), t.shape, "float32");
}

/** `[i, j, k]` of element `flat` of a row-major `shape` ("" for a scalar). */
export function at(shape: readonly number[], flat: number): string {
  if (shape.length === 0) return "";
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${idx.join(", ")}]`;
}

/**
 * Runs a gumbel-wasm call for op `fn`; an error it throws comes back naming `fn` (not the
 * call), with a flat row index given in the tensor's shape: with `lead` the axes before the
 * classes, `logits[5, 3]` becomes `logits[1, 2, 3]` and `row 5 of logits` becomes
 * `row [1, 2] of logits`; with `elements` (elementwise ops), `value[7]` becomes `value[1, 3]`.
 */
export function as<T>(fn: string, run: () => T, lead: readonly number[] | null, elements?: readonly number[]): T {
  try {
    return run();
  } catch (e) {
    throw renamed(e, fn, lead, elements);
  }
}

function renamed(e: unknown, fn: string, lead: readonly number[] | null, elements?: readonly number[]): unknown {
  if (!(e instanceof Error)) return e;
  const head = /^[\w.]+: /.exec(e.message);
  if (!head) return e;
  let rest = e.message.slice(head[0].length);
  if (lead) {
    rest = rest
      .replace(/\b(\w+)\[(\d+), (\d+)\]/, (_, name: string, r: string, k: string) => `${name}[${[...index(lead, +r), +k].join(", ")}]`)
      .replace(/\brow (\d+) of (\w+)/, (_, r: string, name: string) => (lead.length === 0 ? name : `row ${lead.length === 1 ? r : at(lead, +r)} of ${name}`));
  }
  if (elements) rest = rest.replace(/\b(\w+)\[(\d+)\]/, (_, name: string, i: string) => `${name}${at(elements, +i)}`);
  const Err = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
  return new Err(`${fn}: ${rest}`, { cause: e });
}

function index(shape: readonly number[], flat: number): number[] {
  const s = at(shape, flat);
  return s === "" ? [] : s.slice(1, -1).split(", ").map(Number);
}

/**
 * `forward` as a tf op (tf.customGrad) on `inputs`, all tensors: its gradient w.r.t. each input
 * is what `grad(dy)` returns, in order. tfjs runs the forward inside a tidy and keeps the
 * gradient closure only while a tape records.
 */
export function op(inputs: tf.Tensor[], forward: () => { value: tf.Tensor; grad: (dy: tf.Tensor) => tf.Tensor[] }): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    void args;
    const { value, grad } = forward();
    return { value, gradFunc: (dy: tf.Tensor) => grad(dy) };
  });
  return f(...inputs);
}

/** A new float32 tensor on the active backend holding `values` (taken over on the cpu backend, copied elsewhere). */
export function wrap(values: Float32Array, shape: readonly number[]): tf.Tensor {
  return tf.tensor(values, shape as number[], "float32");
}

/** The values of a tensor: a synchronous read (on webgl / webgpu, a download from the GPU). */
export function read(x: tf.Tensor): Float32Array {
  return x.dataSync() as Float32Array;
}
