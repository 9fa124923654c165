// Property tests (fast-check) over the public calls: random shapes, values (NaN, +/-Inf, -0,
// subnormals, 1e38), options (tau 0, negative, NaN, Infinity, 1e-30, 1e30; seeds negative,
// fractional, past 2^64; huge offsets) and wrong types. For each call an oracle written here
// says whether the arguments are valid; valid ones must give the float64 reference's answer,
// invalid ones a TypeError or RangeError naming the call and the argument, with the caller's
// output buffers untouched. The same instance serves every run, so each run also checks that
// the errors before it left the instance working.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Categorical, Gumbel, init, Tensor, type GumbelWasm } from "../src/node.js";
import { init as initBuilt } from "../dist/node.js"; // threads: the workers run dist/worker-node.js
import { applyKernel, firstBitDifference } from "./kernels.js";
import { gumbelOfBits, streamBitsRef } from "./reference.js";

const gw: GumbelWasm = await init({ seed: 3 });
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
// Fixed by default (a failure replays exactly); PROPERTY_SEED explores other cases.
const SEED = Number(process.env.PROPERTY_SEED ?? 0);
const F32_MAX = 3.4028234663852886e38;

// ---------------------------------------------------------------- arbitraries

const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, 1e38, -1e38, 1e-45, -1e-40, 1.17e-38, 1e30, -1e30);
const ordinary = fc.double({ min: -30, max: 30, noNaN: true });
/** Mostly ordinary values, sometimes special ones (so that many rows stay valid). */
const value = fc.oneof({ weight: 40, arbitrary: ordinary }, { weight: 1, arbitrary: special });
const colsArb = fc.constantFrom(1, 2, 3, 5, 8, 17, 64, 300);
const rowsArb = fc.integer({ min: 0, max: 4 });
/** Mostly valid choices, sometimes invalid ones: each run usually fails on one thing at most. */
function mostly<T>(valid: T[], invalid: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}
const tauArb = mostly<unknown>([undefined, 1, 0.5, 2, 1e-30, 1e30], [0, -1, Number.NaN, Infinity, 1e-50, "1", null]);
const seedArb = mostly<unknown>([0, 42, 2 ** 53 - 1, 2n ** 64n - 1n, 7n], [-1, 1.5, 2 ** 64, 2n ** 64n, -3n, "7", null]);
const offsetArb = mostly<unknown>([undefined, 0, 5, 2 ** 32 + 3, 2n ** 63n], [2n ** 64n - 1n, -1, 0.5, 2n ** 64n, "0"]);
/** How the caller hands the input over: the accepted kinds, and wrong ones. */
const kindArb = mostly(["f32", "array", "f64", "tensor"], ["string", "null", "object"]);
const outArb = mostly(["none", "f32", "tensor"], ["f32-wrong-length", "f64", "tensor-int32"]);

// ---------------------------------------------------------------- oracle helpers

const ERROR_NAMES = /^(TypeError|RangeError)$/;

/** Builds the input the way `kind` says; returns it and the float32 values the call sees. */
function makeInput(kind: string, values: number[], cols: number): { input: unknown; f32: Float32Array | null; tensor: Tensor | null } {
  const f32 = Float32Array.from(values); // what any numeric input becomes (fround)
  switch (kind) {
    case "f32":
      return { input: f32.slice(), f32, tensor: null };
    case "array":
      return { input: values.slice(), f32, tensor: null };
    case "f64":
      return { input: Float64Array.from(values), f32, tensor: null };
    case "tensor": {
      const t = gw.tensorFrom(f32, values.length === 0 ? cols : cols);
      return { input: t, f32, tensor: t };
    }
    case "string":
      return { input: "1,2,3", f32: null, tensor: null };
    case "null":
      return { input: null, f32: null, tensor: null };
    default:
      return { input: { length: values.length }, f32: null, tensor: null };
  }
}

/** An output buffer filled with a sentinel, to check it is untouched after an error. */
function makeOut(kind: string, length: number, dtype: "float32" | "int32" = "float32"): { out: unknown; snapshot(): number[]; valid: boolean; free(): void } {
  const fill = (a: { fill(v: number): unknown }) => (a.fill(dtype === "int32" ? 77 : 7.5), a);
  const T = dtype === "int32" ? Int32Array : Float32Array;
  switch (kind) {
    case "f32": {
      const a = fill(new T(length)) as Float32Array | Int32Array;
      return { out: a, snapshot: () => Array.from(a), valid: true, free: () => undefined };
    }
    case "f32-wrong-length": {
      const a = fill(new T(length + 1)) as Float32Array | Int32Array;
      return { out: a, snapshot: () => Array.from(a), valid: false, free: () => undefined };
    }
    case "f64": {
      const a = fill(new Float64Array(length)) as Float64Array;
      return { out: a, snapshot: () => Array.from(a), valid: false, free: () => undefined };
    }
    case "tensor":
    case "tensor-int32": {
      const wantInt = kind === "tensor-int32";
      const t = gw.tensor(1, Math.max(length, 1), wantInt ? "int32" : "float32");
      fill(t.data);
      const ok = (wantInt ? "int32" : "float32") === dtype && length > 0;
      return { out: t, snapshot: () => Array.from(t.data), valid: ok, free: () => t.free() };
    }
    default:
      return { out: undefined, snapshot: () => [], valid: true, free: () => undefined };
  }
}

function validTau(tau: unknown): number | null {
  if (tau === undefined) return 1;
  if (typeof tau !== "number") return null;
  const f = Math.fround(tau);
  return f > 0 && f !== Infinity ? f : null;
}

function validU64(v: unknown): bigint | null {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : null;
  if (typeof v === "bigint") return v >= 0n && v < 2n ** 64n ? v : null;
  return null;
}

/** Rows are valid when no value is NaN or +Inf and not every value is -Inf. */
function rowsValid(x: Float32Array, cols: number): boolean {
  for (let r = 0; r * cols < x.length; r++) {
    let any = false;
    for (let k = 0; k < cols; k++) {
      const v = x[r * cols + k]!;
      if (Number.isNaN(v) || v === Infinity) return false;
      if (v !== -Infinity) any = true;
    }
    if (!any) return false;
  }
  return true;
}

/** Rows of probabilities are valid when every value is >= 0 and finite (-0 is a 0) and one per row is positive. */
function probsValid(x: Float32Array, cols: number): boolean {
  for (let r = 0; r * cols < x.length; r++) {
    let any = false;
    for (let k = 0; k < cols; k++) {
      const v = x[r * cols + k]!;
      if (!(v >= 0 && v < Infinity)) return false;
      if (v > 0) any = true;
    }
    if (!any) return false;
  }
  return true;
}

/** softmax((x - max) / tau) per row in float64, stable for any finite scale (tau 1e-30, logits 1e38). */
function softmaxStable(x: ArrayLike<number>, cols: number, tau: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r * cols < x.length; r++) {
    let m = -Infinity;
    for (let k = 0; k < cols; k++) m = Math.max(m, x[r * cols + k]!);
    let s = 0;
    for (let k = 0; k < cols; k++) {
      const i = r * cols + k;
      // The kernels scale by float32(1/tau), capped at the largest float32.
      const z = x[i] === -Infinity ? -Infinity : (x[i]! - m) * Math.min(Math.fround(1 / tau), F32_MAX);
      out[i] = Math.exp(z);
      s += out[i]!;
    }
    for (let k = 0; k < cols; k++) out[r * cols + k]! /= s;
  }
  return out;
}

/** Checks a thrown error: the right class, naming the call. */
function expectNamedError(e: unknown, fn: string): void {
  expect((e as Error).name).toMatch(ERROR_NAMES);
  expect((e as Error).message.startsWith(`${fn}: `)).toBe(true);
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) ? !Number.isNaN(g) : Math.abs(g - w) > tol + 1e-6 * Math.abs(w)) {
      throw new Error(`${what}: element ${i} is ${g}, expected ${w}`);
    }
  }
}

/** Valid and invalid cases per property: both kinds must be well represented. */
const seen = { valid: 0, invalid: 0 };
function tally(valid: boolean): void {
  if (valid) seen.valid++;
  else seen.invalid++;
}
function expectBothKinds(): void {
  expect(seen.valid, "valid cases").toBeGreaterThan(RUNS / 8);
  expect(seen.invalid, "invalid cases").toBeGreaterThan(RUNS / 8);
  seen.valid = seen.invalid = 0;
}

/** Frees a fresh result tensor (not the caller's own out tensor). */
function freeResult(r: unknown, out: unknown): void {
  if (r instanceof Tensor && r !== out) r.free();
}

const dataOf = (r: unknown): ArrayLike<number> => (r instanceof Tensor ? r.data : (r as ArrayLike<number>));

/**
 * Runs one generated call: invalid arguments must give a TypeError or RangeError naming the call
 * with the output untouched; valid ones must not throw and must pass `verify`.
 */
function outcome<R>(
  fn: string, valid: boolean, out: { out: unknown; snapshot(): number[]; free(): void }, input: Tensor | null,
  call: () => R, verify: (r: R) => void,
): void {
  const before = out.snapshot();
  try {
    let r: R;
    try {
      r = call();
    } catch (e) {
      if (valid) throw e;
      expectNamedError(e, fn);
      expect(out.snapshot()).toEqual(before);
      return;
    }
    if (!valid) throw new Error(`${fn} accepted invalid arguments`);
    verify(r);
    const main = r && typeof r === "object" && "dlogits" in r ? (r as unknown as { dlogits: unknown; dtau: unknown }) : null;
    if (main) {
      freeResult(main.dlogits, out.out);
      freeResult(main.dtau, null);
    } else freeResult(r, out.out);
  } finally {
    input?.free();
    out.free();
  }
}

// ---------------------------------------------------------------- properties

describe("every call: a correct result or a named TypeError/RangeError, the output untouched", () => {
  test("softmax, logSoftmax, logSumExp", () => {
    fc.assert(
      fc.property(rowsArb, colsArb, fc.array(value, { maxLength: 1200 }), tauArb, kindArb, outArb, fc.constantFrom(0, 1, 2), mostly([true], [false]),
        (rows, cols, pool, tau, kind, outKind, op, colsGiven) => {
          const values = Array.from({ length: rows * cols }, (_, i) => pool[i % Math.max(pool.length, 1)] ?? 0.5);
          const fn = ["softmax", "logSoftmax", "logSumExp"][op]!;
          const { input, f32, tensor } = makeInput(kind, values, cols);
          const outLen = op === 2 ? rows : rows * cols;
          const out = makeOut(outKind, outLen);
          const t = validTau(tau);
          const colsOk = colsGiven || kind === "tensor";
          const valid = f32 !== null && t !== null && out.valid && colsOk && rowsValid(f32, cols) && !(outKind.startsWith("tensor") && outLen === 0);
          tally(valid);
          const opts = { ...(colsGiven ? { cols } : {}), tau, ...(outKind === "none" ? {} : { out: out.out }) } as never;
          const call = op === 0 ? gw.softmax : op === 1 ? gw.logSoftmax : gw.logSumExp;
          outcome(fn, valid, out, tensor, () => call.call(gw, input as never, opts), (r) => {
            const y = dataOf(r);
            const ref = softmaxStable(f32!, cols, t!);
            if (op === 0) expectClose(y, ref, 1e-6, fn);
            else if (op === 1) {
              // log_softmax where the reference probability is not 0: within 5e-7 relative to max(1, |ref|)
              for (let i = 0; i < ref.length; i++) {
                const want = Math.log(ref[i]!);
                if (want > -80) expect(Math.abs(y[i]! - want)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want)));
                else expect(y[i]! < -80 || y[i] === -Infinity).toBe(true);
              }
            } else {
              for (let row = 0; row < rows; row++) {
                let m = -Infinity;
                for (let k = 0; k < cols; k++) m = Math.max(m, f32![row * cols + k]!);
                // lse = max/tau + log(sum exp((x - max)/tau)); compare relative to max(1, |lse|)
                let sum = 0;
                const inv = Math.min(Math.fround(1 / t!), F32_MAX);
                for (let k = 0; k < cols; k++) {
                  const v = f32![row * cols + k]!;
                  if (v !== -Infinity) sum += Math.exp((v - m) * inv);
                }
                const want = m * inv + Math.log(sum);
                // Past the float32 range the float32 answer is +/-Inf (overflow), as it should be.
                if (!Number.isFinite(Math.fround(want))) expect(y[row]).toBe(Math.fround(want));
                else expect(Math.abs(y[row]! - want)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want)));
              }
            }
          });
        }),
      { numRuns: RUNS, seed: SEED + 1 },
    );
    expectBothKinds();
  });

  test("gumbelSoftmax (soft and hard) and gumbelMax, on logits and (probs: true) on probabilities", () => {
    // Probabilities: mostly ordinary weights and zeros, sometimes values that are not
    // probabilities, or round to 0 or +Inf in float32 (1e-46, 1e39).
    const weight = fc.oneof(
      { weight: 30, arbitrary: fc.double({ min: 0, max: 50, noNaN: true }) },
      { weight: 8, arbitrary: fc.constantFrom(0, -0) },
      { weight: 2, arbitrary: fc.constantFrom(1e-45, 1e-46, 1e38, 3e38, 2 ** -149, 1e-300) },
      { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -1, -1e-30, 1e39) },
    );
    const pools = fc.tuple(fc.boolean(), fc.array(value, { maxLength: 1200 }), fc.array(weight, { maxLength: 1200 }));
    fc.assert(
      fc.property(rowsArb, colsArb, pools, tauArb, seedArb, offsetArb, kindArb, outArb, fc.constantFrom("soft", "hard", "max"),
        (rows, cols, [probs, logitPool, weightPool], tau, seed, offset, kind, outKind, mode) => {
          const n = rows * cols;
          const pool = probs ? weightPool : logitPool;
          const values = Array.from({ length: n }, (_, i) => pool[i % Math.max(pool.length, 1)] ?? 0.5);
          const fn = mode === "max" ? "gumbelMax" : "gumbelSoftmax";
          const { input, f32, tensor } = makeInput(kind, values, cols);
          const out = makeOut(outKind, mode === "max" ? rows : n, mode === "max" ? "int32" : "float32");
          const t = mode === "max" ? 1 : validTau(tau);
          const s = seed === undefined ? null : validU64(seed);
          const o = offset === undefined ? 0n : validU64(offset);
          const streamOk = s !== null && o !== null && o + BigInt(n) <= 2n ** 64n;
          const outLen = mode === "max" ? rows : n;
          const rowsOk = f32 !== null && (probs ? probsValid(f32, cols) : rowsValid(f32, cols));
          const valid = t !== null && out.valid && streamOk && rowsOk && !(outKind.startsWith("tensor") && outLen === 0);
          tally(valid);
          const base = { cols, seed, ...(offset === undefined ? {} : { offset }), ...(mode === "max" ? {} : { tau }), ...(mode === "hard" ? { hard: true } : {}) };
          const opts = { ...base, ...(probs ? { probs } : {}), ...(outKind === "none" ? {} : { out: out.out }) } as never;
          outcome(fn, valid, out, tensor, () => (mode === "max" ? gw.gumbelMax(input as never, opts) : gw.gumbelSoftmax(input as never, opts)), (r) => {
            if (probs) {
              // Exactly the logits call on our wasm log p (log_f32, the same logf; 0 -> -Inf).
              const logs = applyKernel(gw, "log_f32", f32!.map((v) => (v > 0 ? v : 1))).map((l, i) => (f32![i]! > 0 ? l : -Infinity));
              const want = mode === "max" ? gw.gumbelMax(logs, base as never) : gw.gumbelSoftmax(logs, base as never);
              expect(firstBitDifference(dataOf(r) as Float32Array, want)).toBe(-1);
              return;
            }
            // The noise of these elements, from the reference generator.
            const bitsRef = streamBitsRef(s!, o!, n);
            const sum = Float32Array.from(f32!, (l, i) => l + gumbelOfBits(bitsRef[i]!)); // float32(l + g)
            const y = dataOf(r);
            if (mode === "soft") expectClose(y, softmaxStable(sum, cols, t!), 2e-6, fn);
            else {
              for (let row = 0; row < rows; row++) {
                let best = -Infinity;
                let idx = -1;
                for (let k = 0; k < cols; k++) if (sum[row * cols + k]! > best) (best = sum[row * cols + k]!), (idx = k);
                // The reference noise is float64; a near-tie may round either way in float32.
                const got = mode === "max" ? y[row]! : Array.from({ length: cols }, (_, k) => y[row * cols + k]).indexOf(1);
                if (got !== idx) expect(Math.abs(sum[row * cols + got]! - best)).toBeLessThanOrEqual(4e-6 * Math.max(1, Math.abs(best)));
              }
            }
          });
        }),
      { numRuns: RUNS, seed: SEED + 2 },
    );
    expectBothKinds();
  });

  test("gumbelNoise, uniform, randomBits: counts, seeds and offsets", () => {
    const counts = fc.constantFrom<unknown>(0, 1, 7, 33, 1000, -1, 1.5, Number.NaN, "3", 2 ** 31, null);
    fc.assert(
      fc.property(counts, seedArb, offsetArb, fc.constantFrom("noise", "uniform", "bits"), (n, seed, offset, what) => {
        const fn = what === "noise" ? "gumbelNoise" : what === "uniform" ? "uniform" : "randomBits";
        const s = validU64(seed);
        const o = offset === undefined ? 0n : validU64(offset);
        const count = typeof n === "number" && Number.isInteger(n) && n >= 0 && n < 2 ** 29 ? n : null;
        const valid = count !== null && s !== null && o !== null && o + BigInt(count) <= 2n ** 64n;
        tally(valid);
        const opts = { seed, ...(offset === undefined ? {} : { offset }) } as never;
        try {
          const r = (what === "noise" ? gw.gumbelNoise(n as number, opts) : what === "uniform" ? gw.uniform(n as number, opts) : gw.randomBits(n as number, opts)) as unknown as ArrayLike<number>;
          expect(valid, `${fn} accepted invalid arguments`).toBe(true);
          const bitsRef = streamBitsRef(s!, o!, count!);
          if (what === "bits") expect(Array.from(r)).toEqual(Array.from(bitsRef));
          else if (what === "noise") expectClose(r, Array.from(bitsRef, gumbelOfBits), 4e-6, fn);
          else expectClose(r, Array.from(bitsRef, (x) => ((x >>> 9) + 0.5) * 2 ** -23), 0, fn);
        } catch (e) {
          if ((e as Error).message?.includes("accepted invalid")) throw e;
          if (valid) throw e;
          expectNamedError(e, fn);
        }
      }),
      { numRuns: RUNS, seed: SEED + 3 },
    );
    expectBothKinds();
  });

  test("softmaxBackward and softmaxJvp: finite inputs against the reference, wrong shapes and types refused; dtau only when asked", () => {
    const finite = fc.double({ min: -4, max: 4, noNaN: true });
    // How softmaxBackward is asked for dtau: not at all, dtau: true / false, a dtauOut (alone or
    // with dtau: true); and wrong ways (a string, a number, null, an array as dtau, false with a dtauOut).
    const askArb = mostly(["none", "true", "false", "out", "true+out"], ["string", "number", "null", "array", "false+out"]);
    const ASK: Record<string, { dtau?: unknown; out?: boolean; valid: boolean }> = {
      none: { valid: true }, true: { dtau: true, valid: true }, false: { dtau: false, valid: true }, out: { out: true, valid: true },
      "true+out": { dtau: true, out: true, valid: true }, string: { dtau: "yes", valid: false }, number: { dtau: 1, valid: false },
      null: { dtau: null, valid: false }, array: { dtau: new Float32Array(1), valid: false }, "false+out": { dtau: false, out: true, valid: false },
    };
    fc.assert(
      fc.property(rowsArb, colsArb, fc.array(finite, { maxLength: 1200 }), tauArb, kindArb, outArb, fc.boolean(), mostly([false], [true]), askArb,
        (rows, cols, pool, tau, kind, outKind, jvp, mismatched, askKind) => {
          const n = rows * cols;
          const values = Array.from({ length: n }, (_, i) => pool[i % Math.max(pool.length, 1)] ?? 0.5);
          const fn = jvp ? "softmaxJvp" : "softmaxBackward";
          const ask = jvp ? ASK.none! : ASK[askKind]!;
          const t = validTau(tau);
          const yv = t === null ? values : Array.from(softmaxStable(Float32Array.from(values), cols, 1));
          const { input, f32, tensor } = makeInput(kind, yv, cols);
          const dy = Float32Array.from({ length: mismatched ? n + 1 : n }, (_, i) => Math.sin(i));
          const out = makeOut(outKind, n);
          const dtauOut = ask.out ? new Float32Array(rows).fill(7.5) : undefined;
          const valid = f32 !== null && t !== null && out.valid && !mismatched && !(outKind.startsWith("tensor") && n === 0) && ask.valid;
          tally(valid);
          const asked = ask.valid && (ask.dtau === true || ask.out === true);
          const opts = {
            cols, tau, ...(outKind === "none" ? {} : { out: out.out }), ...("dtau" in ask ? { dtau: ask.dtau } : {}), ...(dtauOut ? { dtauOut } : {}),
          } as never;
          // dtauOut must be untouched on an error too
          const both = { ...out, snapshot: () => [...out.snapshot(), ...(dtauOut ?? [])] };
          outcome(fn, valid, both, tensor, () => (jvp ? gw.softmaxJvp(input as never, dy, opts) : gw.softmaxBackward(input as never, dy, opts)), (r) => {
            const got = dataOf(jvp ? r : (r as { dlogits: unknown }).dlogits);
            const want = new Float64Array(n);
            const dtauWant = new Float64Array(rows);
            const dtauTol = new Float64Array(rows);
            for (let row = 0; row < rows; row++) {
              let dot = 0;
              let dmax = 0;
              for (let k = 0; k < cols; k++) dot += f32![row * cols + k]! * dy[row * cols + k]!;
              for (let k = 0; k < cols; k++) dmax = Math.max(dmax, Math.abs(dy[row * cols + k]!));
              for (let k = 0; k < cols; k++) {
                const i = row * cols + k;
                want[i] = (f32![i]! * (dy[i]! - dot)) / t!;
                // dtau = -<dlogits, log y> over the unmasked classes; tolerance from dlogits' own error
                if (f32![i]! > 0) {
                  const l = Math.log(f32![i]!);
                  dtauWant[row]! -= want[i]! * l;
                  dtauTol[row]! += 1e-5 * Math.abs(l) * (Math.abs(want[i]!) + (f32![i]! * dmax) / t!);
                }
              }
            }
            expectClose(got, want, 2e-6 / Math.min(t!, 1), fn);
            if (jvp) return;
            const d = (r as { dtau: unknown }).dtau;
            if (!asked) {
              expect(d).toBe(undefined);
              return;
            }
            if (dtauOut) expect(d).toBe(dtauOut);
            const dv = dataOf(d);
            expect(dv.length).toBe(rows);
            for (let row = 0; row < rows; row++) {
              if (!(Math.abs(dv[row]! - dtauWant[row]!) <= dtauTol[row]! + 1e-6)) throw new Error(`${fn}: dtau[${row}] is ${dv[row]}, expected ${dtauWant[row]}`);
            }
          });
        }),
      { numRuns: RUNS, seed: SEED + 4 },
    );
    expectBothKinds();
  });

  test("tensor: shapes and dtypes", () => {
    const dim = mostly<unknown>([0, 1, 3, 1000], [-1, 1.5, Number.NaN, "2", null, 2 ** 31]);
    fc.assert(
      fc.property(dim, dim, mostly<unknown>([undefined, "float32", "int32"], ["float64", 3]), (rows, cols, dtype) => {
        const ok = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
        const valid = ok(rows) && ok(cols) && (dtype === undefined || dtype === "float32" || dtype === "int32") && (rows as number) * (cols as number) * 4 <= 2 ** 31;
        tally(valid);
        try {
          const t = gw.tensor(rows as number, cols as number, dtype as never);
          expect(valid).toBe(true);
          expect(t.length).toBe((rows as number) * (cols as number));
          t.free();
        } catch (e) {
          if (valid) throw e;
          expectNamedError(e, "tensor");
        }
      }),
      { numRuns: RUNS, seed: SEED + 5 },
    );
    expectBothKinds();
  });
});

describe("tensorFrom, rng, and the async calls", () => {
  test("tensorFrom: data kinds and cols", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), mostly<unknown>([undefined, 1, 2, 3, 4], [0, -2, 1.5, "3", null]), kindArb, (values, cols, kind) => {
        const n = values.length;
        const { input, f32, tensor } = makeInput(kind === "tensor" ? "f32" : kind, values, 1);
        const c = cols === undefined ? n : cols;
        const colsOk = typeof c === "number" && Number.isInteger(c) && c >= 0 && (c === 0 ? n === 0 : n % c === 0);
        const valid = f32 !== null && colsOk;
        tally(valid);
        const none = makeOut("none", 0);
        outcome("tensorFrom", valid, none, tensor, () => gw.tensorFrom(input as never, cols as never), (t) => {
          expect(t.length).toBe(n);
          expect(Array.from(t.data)).toEqual(Array.from(f32!));
        });
      }),
      { numRuns: RUNS, seed: SEED + 6 },
    );
    expectBothKinds();
  });

  test("rng: seeds and offsets checked once; its calls draw consecutive elements and replay", () => {
    fc.assert(
      fc.property(seedArb, mostly<unknown>([0, 9, 2 ** 40, 2n ** 63n], [-1, 0.5, 2n ** 64n, "1"]), fc.integer({ min: 0, max: 40 }), (seed, offset, n) => {
        const s = validU64(seed);
        const o = validU64(offset);
        const valid = s !== null && o !== null && o + BigInt(2 * n) <= 2n ** 64n;
        tally(valid);
        outcome("rng", valid, makeOut("none", 0), null, () => {
          const rng = gw.rng(seed as never, offset as never);
          return { a: rng.gumbelNoise(n), b: rng.gumbelNoise(n), end: rng.offset };
        }, (r) => {
          const whole = gw.gumbelNoise(2 * n, { seed: seed as never, offset: offset as never });
          expect(Array.from(r.a)).toEqual(Array.from(whole.subarray(0, n)));
          expect(Array.from(r.b)).toEqual(Array.from(whole.subarray(n)));
          expect(r.end).toBe(o! + BigInt(2 * n));
        });
      }),
      { numRuns: RUNS, seed: SEED + 7 },
    );
    expectBothKinds();
  });

  test("topK: k distinct indices per row led by gumbelMax's, or a named error", () => {
    fc.assert(
      fc.property(rowsArb, colsArb, fc.array(value, { maxLength: 1200 }), mostly<unknown>([0, 1, 2, 5], [-1, 1.5, "2", 1000]), seedArb, kindArb,
        (rows, cols, pool, k, seed, kind) => {
          const n = rows * cols;
          const values = Array.from({ length: n }, (_, i) => pool[i % Math.max(pool.length, 1)] ?? 0.5);
          const { input, f32, tensor } = makeInput(kind, values, cols);
          const kOk = typeof k === "number" && Number.isInteger(k) && k >= 0 && k <= cols;
          let enough = true;
          if (f32 && kOk) {
            for (let r = 0; r < rows; r++) {
              let m = 0;
              for (let j = 0; j < cols; j++) if (f32[r * cols + j] !== -Infinity) m++;
              if (m < (k as number)) enough = false;
            }
          }
          const valid = f32 !== null && kOk && validU64(seed) !== null && rowsValid(f32, cols) && enough;
          tally(valid);
          outcome("topK", valid, makeOut("none", 0), tensor, () => gw.topK(input as never, k as never, { cols, seed } as never), (r) => {
            const idx = dataOf(r);
            const kk = k as number;
            expect(idx.length).toBe(rows * kk);
            const max = gw.gumbelMax(f32!, { cols, seed: seed as never });
            for (let row = 0; row < rows; row++) {
              const picked = Array.from(idx).slice(row * kk, (row + 1) * kk);
              expect(new Set(picked).size).toBe(kk);
              for (const j of picked) expect(f32![row * cols + j]).not.toBe(-Infinity);
              if (kk > 0) expect(picked[0]).toBe(max[row]);
            }
          });
        }),
      { numRuns: RUNS, seed: SEED + 9 },
    );
    expectBothKinds();
  });

  test("Categorical and Gumbel: parameters checked, results against float64", () => {
    const probsRow = fc.array(fc.oneof({ weight: 8, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: special }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(probsRow, fc.boolean(), mostly<unknown>([0, 1.5, -3], [Number.NaN, Infinity, "0"]), mostly<unknown>([1, 0.5, 3], [0, -1, Number.NaN, Infinity]), fc.array(value, { maxLength: 8 }),
        (raw, normalize, loc, scale, xs) => {
          // Categorical from probs: valid when every value is a finite probability and the row sums
          // to 1 within the stated tolerance (or can be normalised).
          const p = Float32Array.from(raw);
          let sum = 0;
          let finite = true;
          for (const v of p) {
            if (!(v >= 0) || v === Infinity) finite = false;
            sum += v;
          }
          const validCat = finite && (normalize ? sum > 0 : Math.abs(sum - 1) <= 1e-6 * (p.length + 1));
          tally(validCat);
          outcome("Categorical", validCat, makeOut("none", 0), null, () => new Categorical(gw, { probs: p, normalize }), (d) => {
            let total = 0;
            for (let k = 0; k < p.length; k++) {
              const want = normalize ? p[k]! / sum : p[k]! / sum;
              expect(Math.abs(d.probs[k]! - want)).toBeLessThan(2e-6);
              total += d.probs[k]!;
            }
            expect(Math.abs(total - 1)).toBeLessThan(2e-6);
            expect(d.entropy()[0]!).toBeGreaterThanOrEqual(-1e-6);
          });
          // Gumbel(loc, scale): cdf in [0, 1], quantile its inverse.
          const validG = typeof loc === "number" && Number.isFinite(loc) && typeof scale === "number" && Number.isFinite(scale) && scale > 0;
          tally(validG);
          outcome("Gumbel", validG, makeOut("none", 0), null, () => new Gumbel(gw, { loc: loc as number, scale: scale as number }), (g) => {
            const c = g.cdf(xs);
            c.forEach((v, i) => {
              if (Number.isNaN(xs[i])) expect(Number.isNaN(v)).toBe(true);
              else expect(v >= 0 && v <= 1).toBe(true);
            });
            const q = g.quantile([0.1, 0.5, 0.9]);
            const back = g.cdf(q);
            [0.1, 0.5, 0.9].forEach((pp, i) => expect(Math.abs(back[i]! - pp)).toBeLessThan(1e-5));
          });
        }),
      { numRuns: RUNS, seed: SEED + 10 },
    );
    expectBothKinds();
  });

  /** Each call by name, with its own options (gumbelMax and topK take no tau, the softmaxes and gradients no seed). */
  type Args = { n: number; cols: number; tau: unknown; seed: unknown; dy: Float32Array };
  const CALLS: Record<string, [name: string, args: (x: unknown, a: Args) => unknown[]]> = {
    soft: ["gumbelSoftmax", (x, { cols, tau, seed }) => [x, { cols, tau, seed }]],
    hard: ["gumbelSoftmax", (x, { cols, tau, seed }) => [x, { cols, tau, seed, hard: true }]],
    max: ["gumbelMax", (x, { cols, seed }) => [x, { cols, seed }]],
    softmax: ["softmax", (x, { cols, tau }) => [x, { cols, tau }]],
    logSoftmax: ["logSoftmax", (x, { cols, tau }) => [x, { cols, tau }]],
    noise: ["gumbelNoise", (_, { n, seed }) => [n, { seed }]],
    backward: ["softmaxBackward", (x, { cols, tau, dy }) => [x, dy, { cols, tau }]],
    "backward-dtau": ["softmaxBackward", (x, { cols, tau, dy }) => [x, dy, { cols, tau, dtau: true }]],
    jvp: ["softmaxJvp", (x, { cols, tau, dy }) => [x, dy, { cols, tau }]],
    tokens: ["sampleTokens", (x, { cols, tau, seed }) => [x, { cols, temperature: tau, topK: 3, seed }]],
    topK: ["topK", (x, { cols, seed }) => [x, Math.min(2, cols), { cols, seed }]],
    rao: ["gumbelRao", (x, { cols, tau, seed }) => [x, { cols, tau, seed, samples: 2 }]],
    raoBackward: ["gumbelRaoBackward", (x, { cols, tau, seed, dy }) => [x, dy, { cols, tau, seed, samples: 2 }]],
    gst: ["gappedST", (x, { cols, tau, seed }) => [x, { cols, tau, seed }]],
    gstBackward: ["gappedSTBackward", (x, { cols, tau, seed, dy }) => [x, dy, { cols, tau, seed }]],
  };

  test("every async call gives what its synchronous call gives: the same bits, or the same error", async () => {
    const threaded = (await initBuilt({ seed: 3, threads: 2, threadThreshold: 0 })) as unknown as GumbelWasm;
    expect(threaded.threads).toBe(2);
    try {
      await fc.assert(
        fc.asyncProperty(rowsArb, colsArb, fc.array(value, { maxLength: 1200 }), tauArb, seedArb, kindArb, fc.constantFrom(...Object.keys(CALLS)),
          async (rows, cols, pool, tau, seed, kind, op) => {
            const n = rows * cols;
            const values = Array.from({ length: n }, (_, i) => pool[i % Math.max(pool.length, 1)] ?? 0.5);
            const input = (g: GumbelWasm) => (kind === "tensor" ? g.tensorFrom(Float32Array.from(values), cols) : makeInput(kind, values, cols).input);
            const [name, args] = CALLS[op]!;
            const a0 = { n, cols, tau, seed, dy: Float32Array.from(values, Math.sin) };
            const call = (g: GumbelWasm, x: unknown, suffix: "" | "Async") =>
              (g as unknown as Record<string, (...a: unknown[]) => unknown>)[name + suffix]!.apply(g, args(x, a0));
            // softmaxBackward: its dlogits; with dtau: its dtau (dlogits, a tensor for tensor input, freed).
            const pick = (r: unknown) => {
              if (op !== "backward" && op !== "backward-dtau") return r;
              const { dlogits, dtau } = r as { dlogits: unknown; dtau: unknown };
              if (op === "backward") return dlogits;
              if (typeof (dlogits as { free?: unknown }).free === "function") (dlogits as { free(): void }).free();
              return dtau;
            };
            const sync = (g: GumbelWasm, x: unknown) => pick(call(g, x, ""));
            const async = async (g: GumbelWasm, x: unknown) => pick(await call(g, x, "Async"));
            const settle = async (f: () => unknown) => {
              try {
                const r = (await f()) as { data?: ArrayLike<number>; free?(): void } | ArrayLike<number>;
                // Tensors of either build (src for gw, dist for the threaded instance).
                const isTensor = typeof (r as { free?: unknown }).free === "function";
                const d = isTensor ? (r as { data: ArrayLike<number> }).data : (r as ArrayLike<number>);
                const bitsOf = Array.from(new Uint32Array(Float32Array.from(d).buffer));
                if (isTensor) (r as { free(): void }).free();
                return { ok: bitsOf };
              } catch (e) {
                return { error: `${(e as Error).name}: ${(e as Error).message}` };
              }
            };
            const xs = input(gw);
            const xa = input(threaded);
            const a = await settle(() => sync(gw, xs));
            const b = await settle(() => async(threaded, xa));
            for (const x of [xs, xa]) if (x && typeof (x as { free?: unknown }).free === "function") (x as { free(): void }).free();
            // Same message, but a tensor of the other instance is named the same way.
            expect(b).toEqual(a);
          }),
        { numRuns: Math.max(100, RUNS / 2), seed: SEED + 8 },
      );
    } finally {
      await threaded.close();
    }
  });
});

describe("extreme but valid inputs (as the README states)", () => {
  test("tau 1e-30: exactly one-hot; tau 1e30: exactly uniform; logits of 1e30: no overflow", () => {
    const x = Float32Array.from([1, 2, 3, 0.5, -1]);
    const cold = gw.softmax(x, { cols: 5, tau: 1e-30 });
    expect(Array.from(cold)).toEqual([0, 0, 1, 0, 0]);
    const hot = gw.softmax(x, { cols: 5, tau: 1e30 });
    expect(Array.from(hot)).toEqual(Array(5).fill(Math.fround(0.2)));
    const huge = gw.softmax(Float32Array.from([1e30, -1e30, 1e30 * 0.5, 3e38, -3e38]), { cols: 5 });
    expect(Array.from(huge)).toEqual([0, 0, 0, 1, 0]);
    const g = gw.gumbelSoftmax(Float32Array.from([1e30, 0, -1e30]), { cols: 3, seed: 1 });
    expect(Array.from(g)).toEqual([1, 0, 0]);
    expect(Array.from(gw.gumbelMax(Float32Array.from([-3e38, 3e38, -Infinity]), { cols: 3, seed: 9 }))).toEqual([1]);
  });

  test("10^6 columns in one row, 0 rows, 1 column", () => {
    const n = 1e6;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.01) * 3);
    const y = gw.softmax(x, { cols: n, tau: 0.7 });
    let s = 0;
    for (const v of y) s += v;
    expect(Math.abs(s - 1)).toBeLessThan(2 ** -23 * (4 + n / 4));
    expectClose(y.subarray(0, 1000), softmaxStable(x, n, 0.7).subarray(0, 1000), 1e-6, "softmax 1e6");
    expect(gw.gumbelMax(x, { cols: n, seed: 1 }).length).toBe(1);
    expect(gw.softmax(new Float32Array(0), { cols: 7 }).length).toBe(0);
    expect(Array.from(gw.softmax(Float32Array.from([5, -2, 0]), { cols: 1 }))).toEqual([1, 1, 1]);
    expect(Array.from(gw.gumbelMax(Float32Array.from([5, -2, 0]), { cols: 1, seed: 2 }))).toEqual([0, 0, 0]);
  });
});

describe("instances", () => {
  test("after all the errors above, this instance still gives a fresh instance's results; instances never share state", async () => {
    const fresh = await init({ seed: 3 });
    const other = await init({ seed: 99 });
    const x = Float32Array.from({ length: 64 * 100 }, (_, i) => Math.cos(i));
    const a = gw.gumbelSoftmax(x, { cols: 100, seed: 5, offset: 17 });
    other.gumbelSoftmax(x, { cols: 100, seed: 6 }); // interleaved use of another instance
    expect(a).toEqual(fresh.gumbelSoftmax(x, { cols: 100, seed: 5, offset: 17 }));
    expect(gw.gumbelMax(x, { cols: 100, seed: 8 })).toEqual(fresh.gumbelMax(x, { cols: 100, seed: 8 }));
    // Own streams: independent per instance, each a function of its own seed only.
    const s1 = gw.rng(1).gumbelNoise(10);
    other.gumbelNoise(1000);
    expect(s1).toEqual(fresh.rng(1).gumbelNoise(10));
    // A tensor of one instance is refused by another.
    const t = other.tensor(1, 3);
    expect(() => gw.softmax(t)).toThrow(/^softmax: x is a tensor of another gumbel-wasm instance$/);
    t.free();
  });
});
