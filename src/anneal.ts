// Temperature schedules for training with Gumbel-Softmax: step -> tau. The arithmetic is
// float32 with the same operations in every engine (no Math.exp or Math.cos, whose last bits
// differ between engines): `expf32` is the kernels' exp (assembly/inline/exp.ts) step for step,
// so a schedule gives the same tau in Node, browsers and Workers.

import { checkParams, optionKeys } from "./options.js";

const f = Math.fround;
const F = new Float32Array(1);
const I = new Int32Array(F.buffer);

function bitsOf(x: number): number {
  F[0] = x;
  return I[0]!;
}

function fromBits(i: number): number {
  I[0] = i;
  return F[0]!;
}

/** exp(x) in float32, bit for bit the wasm kernels' `expf` (< 1.5 ULP). */
export function expf32(x: number): number {
  x = f(x);
  if (x !== x) return x;
  x = x < -104 ? -104 : x > 89 ? 89 : x;
  const t = f(f(x * f(1.4426950408889634)) + 12582912);
  const k = f(t - 12582912);
  let r = f(x - f(k * 0.693359375));
  r = f(r - f(k * f(-2.1219444e-4)));
  const z = f(r * r);
  let p = f(f(f(0.0013814191333949566) * r) + f(0.008368914015591145));
  p = f(f(p * r) + f(0.04166840761899948));
  p = f(f(p * r) + f(0.1666651964187622));
  p = f(f(p * r) + f(0.4999999403953552));
  p = f(f(p * z) + r);
  p = f(p + 1);
  const ki = (bitsOf(t) - bitsOf(12582912)) | 0;
  const k1 = ki >> 1;
  const k2 = ki - k1;
  const s1 = fromBits((k1 + 127) << 23);
  const s2 = fromBits((k2 + 127) << 23);
  return f(f(p * s1) * s2);
}

/** cos(pi * u) for u in [0, 1], float32 (sin(pi v) of v = 1/2 - u by its Taylor series to v^13; error < 1e-7). */
function cosPi(u: number): number {
  const v = f(f(0.5) - f(u));
  const x = f(v * f(Math.PI));
  const x2 = f(x * x);
  // sin x = x (1 - x^2/3! (1 - x^2/(4*5) (1 - x^2/(6*7) (1 - ...))))
  let s = f(1);
  for (const d of [156, 110, 72, 42, 20, 6]) s = f(f(1) - f(f(x2 / d) * s));
  return f(x * s);
}

/** A schedule: the temperature at a training step (an integer from 0). */
export type Schedule = (step: number) => number;

function positive(fn: string, name: string, v: unknown): number {
  if (typeof v !== "number") throw new TypeError(`anneal.${fn}: ${name} must be a number, got ${typeof v}`);
  const x = f(v);
  if (!(x > 0) || x === Infinity) throw new RangeError(`anneal.${fn}: ${name} must be positive and finite, got ${v}`);
  return x;
}

function stepOf(fn: string, step: unknown): number {
  if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`anneal.${fn}: step must be an integer >= 0, got ${String(step)}`);
  }
  return step;
}

/** anneal.exponential's parameters. */
interface ExponentialParams {
  /** The temperature at step 0; default 1. */
  start?: number;
  /** The floor; default 0.5. */
  min?: number;
  /** The decay per step, >= 0. */
  rate: number;
  /** Steps between changes; default 1. */
  every?: number;
}
const EXPONENTIAL_KEYS = optionKeys<ExponentialParams>(
  { start: true, min: true, rate: true, every: true },
  { noun: "parameter", notes: { steps: "exponential decays by rate per step, without an end: give rate (and every)" } },
);

/** anneal.linear's and anneal.cosine's parameters: from `start` to `end` in `steps` steps. */
interface SpanParams {
  start: number;
  end: number;
  steps: number;
}
const SPAN_KEYS = optionKeys<SpanParams>(
  { start: true, end: true, steps: true },
  { noun: "parameter", notes: { rate: "this schedule reaches end in steps steps: give start, end and steps", every: "this schedule changes every step" } },
);

/**
 * Jang, Gu and Poole (2017): tau = max(min, start * exp(-rate * t)), with t the step rounded
 * down to a multiple of `every` (the temperature changes every `every` steps).
 * @example const tau = anneal.exponential({ start: 1, min: 0.5, rate: 1e-4, every: 1000 }); tau(5000)
 */
function exponential(params: ExponentialParams): Schedule {
  const fn = "exponential";
  checkParams(`anneal.${fn}`, params, EXPONENTIAL_KEYS);
  const start = positive(fn, "start", params.start ?? 1);
  const min = positive(fn, "min", params.min ?? 0.5);
  if (typeof params.rate !== "number" || !(params.rate >= 0) || !Number.isFinite(params.rate)) {
    throw new RangeError(`anneal.${fn}: rate must be a finite number >= 0, got ${String(params.rate)}`);
  }
  const rate = params.rate;
  const every = params.every ?? 1;
  if (!Number.isSafeInteger(every) || every < 1) throw new RangeError(`anneal.${fn}: every must be an integer >= 1, got ${every}`);
  return (step) => {
    const t = Math.floor(stepOf(fn, step) / every) * every;
    return Math.max(min, f(start * expf32(f(-rate * t))));
  };
}

/** The checked parameters of a schedule from `start` to `end` in `steps` steps. */
function span(fn: string, params: SpanParams): SpanParams {
  checkParams(`anneal.${fn}`, params, SPAN_KEYS);
  const start = positive(fn, "start", params.start);
  const end = positive(fn, "end", params.end);
  if (!Number.isSafeInteger(params.steps) || params.steps < 1) throw new RangeError(`anneal.${fn}: steps must be an integer >= 1, got ${params.steps}`);
  return { start, end, steps: params.steps };
}

/** From `start` to `end` in `steps` steps on a straight line, then `end`. */
function linear(params: SpanParams): Schedule {
  const fn = "linear";
  const { start, end, steps } = span(fn, params);
  return (step) => {
    const u = Math.min(stepOf(fn, step), steps) / steps;
    return u === 1 ? end : f(start + f(f(end - start) * f(u)));
  };
}

/** From `start` to `end` in `steps` steps along half a cosine (slow, fast, slow), then `end`. */
function cosine(params: SpanParams): Schedule {
  const fn = "cosine";
  const { start, end, steps } = span(fn, params);
  return (step) => {
    const u = Math.min(stepOf(fn, step), steps) / steps;
    if (u === 0) return start;
    if (u === 1) return end;
    return f(end + f(f(start - end) * f(f(1 + cosPi(u)) * 0.5)));
  };
}

/**
 * Temperature schedules: `exponential` (Jang et al. 2017), `linear`, `cosine`. Each takes a
 * params object of exactly its keys: another key is a TypeError (`anneal.linear: unknown
 * parameter "min" (did you mean "end"?)`).
 */
export const anneal = { exponential, linear, cosine };
