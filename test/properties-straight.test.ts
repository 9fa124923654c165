// Property tests (fast-check) of the straight-through calls, gumbelRao, gappedST and their
// backwards, in the manner of test/properties.test.ts: random shapes, values (NaN, +/-Inf, -0,
// subnormals), options (tau, per-row tau, seed, offset, samples, kappa; valid and not) and
// input/output kinds. An oracle written here says whether the arguments are valid; valid calls
// must match the float64 references of test/reference-straight.ts, invalid ones must throw a
// TypeError or RangeError naming the call, with the caller's out and soft buffers untouched.
//
// Logits stay within +/-30 (and the specials): past that the float32 sums l + g lose the noise
// and no float64 reference of the float32 answer is meaningful.
import fc from "fast-check";
import { expect, test } from "vitest";
import { init, Tensor, type GumbelWasm } from "../src/node.js";
import { gappedSTSoftRef, gumbelMaxRef, gumbelRaoDrawsRef, gumbelRaoGradRef, meanOfDraws } from "./reference-straight.js";

const gw: GumbelWasm = await init({ seed: 5 });
const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const SEED = Number(process.env.PROPERTY_SEED ?? 0);

function mostly<T>(valid: T[], invalid: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}
const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, -Infinity, -0, 0, 1e-45, -1e-40);
const value = fc.oneof({ weight: 30, arbitrary: fc.double({ min: -30, max: 30, noNaN: true }) }, { weight: 1, arbitrary: special });
const colsArb = fc.constantFrom(1, 2, 3, 5, 8, 17, 64, 130);
const tauArb = mostly<unknown>([undefined, 1, 0.5, 0.1, 3, 1e-30, 1e30, "per-row"], [0, -1, Number.NaN, Infinity, "1", null, "per-row-short"]);
const seedArb = mostly<unknown>([0, 42, 2 ** 53 - 1, 2n ** 64n - 1n, undefined], [-1, 1.5, 2n ** 64n, "7", null]);
const offsetArb = mostly<unknown>([undefined, 0, 5, 2 ** 32 - 3, 2n ** 63n], [2n ** 64n - 1n, -1, 0.5, "0"]);
const samplesArb = mostly<unknown>([undefined, 1, 2, 3], [0, -1, 1.5, 2 ** 21, "2", null]);
const kappaArb = mostly<unknown>([undefined, 0, 0.5, 1, 2, "adaptive"], [-1, Number.NaN, Infinity, "p", null]);
const kindArb = mostly(["f32", "array", "tensor"], ["string", "null"]);
const outArb = mostly(["none", "f32", "tensor"], ["f32-wrong-length", "f64"]);
const opArb = fc.constantFrom("gumbelRao", "gappedST", "gumbelRaoBackward", "gappedSTBackward");

/** The call's input as `kind` says (null when it is not an accepted kind). */
function input(kind: string, x: Float32Array, cols: number): { arg: unknown; tensor: Tensor | null } {
  if (kind === "f32") return { arg: x.slice(), tensor: null };
  if (kind === "array") return { arg: Array.from(x), tensor: null };
  if (kind === "tensor") {
    const t = gw.tensorFrom(x, cols);
    return { arg: t, tensor: t };
  }
  return { arg: kind === "string" ? "1,2" : null, tensor: null };
}

/** An output buffer of `kind` holding a sentinel; null for none. */
function output(kind: string, n: number): { arg: unknown; data: () => number[]; valid: boolean; free: () => void } | null {
  if (kind === "none") return null;
  if (kind === "tensor") {
    const t = gw.tensor(1, Math.max(n, 1));
    t.data.fill(7.5);
    return { arg: t, data: () => Array.from(t.data), valid: n > 0, free: () => t.free() };
  }
  const a = kind === "f64" ? new Float64Array(n).fill(7.5) : new Float32Array(kind === "f32" ? n : n + 1).fill(7.5);
  return { arg: a, data: () => Array.from(a), valid: kind === "f32", free: () => undefined };
}

function tauOf(tau: unknown, rows: number): { arg: unknown; value: number | Float32Array | null } {
  if (tau === "per-row" || tau === "per-row-short") {
    const n = tau === "per-row" ? rows : rows + 1;
    const t = Float32Array.from({ length: n }, (_, r) => 0.25 + r * 0.5);
    return { arg: t, value: tau === "per-row" ? t : null };
  }
  if (tau === undefined) return { arg: tau, value: 1 };
  if (typeof tau !== "number") return { arg: tau, value: null };
  const f = Math.fround(tau);
  return { arg: tau, value: f > 0 && f !== Infinity ? f : null };
}

/** A valid seed or offset as a bigint, else null. */
const u64 = (v: unknown): bigint | null =>
  (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) || (typeof v === "bigint" && v >= 0n && v < 2n ** 64n) ? BigInt(v) : null;

function rowsValid(x: Float32Array, cols: number): boolean {
  for (let r = 0; r * cols < x.length; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    if (row.some((v) => Number.isNaN(v) || v === Infinity) || row.every((v) => v === -Infinity)) return false;
  }
  return true;
}

/** |got - want| <= tol(row) elementwise; tol gets the row index. */
function close(got: ArrayLike<number>, want: ArrayLike<number>, cols: number, tol: (r: number) => number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let j = 0; j < want.length; j++) {
    if (!(Math.abs(got[j]! - want[j]!) <= tol(Math.floor(j / cols)))) throw new Error(`${what}: element ${j} is ${got[j]}, expected ${want[j]}`);
  }
}

const seen = { valid: 0, invalid: 0 };

test("every straight-through call: the reference's answer or a named TypeError/RangeError, buffers untouched", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 4 }), colsArb, fc.array(value, { maxLength: 600 }), opArb, tauArb, seedArb, offsetArb, samplesArb, kappaArb,
      kindArb, outArb, fc.boolean(),
      (rows, cols, pool, op, tauIn, seed, offset, samples, kappa, kind, outKind, withSoft) => {
        const n = rows * cols;
        const x = Float32Array.from({ length: n }, (_, j) => pool[j % Math.max(pool.length, 1)] ?? 0.5);
        const dy = Float32Array.from({ length: n }, (_, j) => Math.sin(j + 1));
        const backward = op.endsWith("Backward");
        const rao = op.startsWith("gumbelRao");
        const { arg, tensor } = input(kind, x, cols);
        const out = output(outKind, n);
        const soft = !backward && withSoft ? output("f32", n) : null;
        const tau = tauOf(tauIn, rows);
        const s = u64(seed);
        const o = offset === undefined ? 0n : u64(offset);
        const samplesOk = samples === undefined || (typeof samples === "number" && Number.isInteger(samples) && samples >= 1 && samples <= 2 ** 20);
        const kappaOk = kappa === undefined || kappa === "adaptive" || (typeof kappa === "number" && kappa >= 0 && Number.isFinite(Math.fround(kappa)));
        const streamOk = seed === undefined ? !backward && offset === undefined : s !== null && o !== null && o + BigInt(n) <= 2n ** 64n;
        const valid = (kind === "f32" || kind === "array" || kind === "tensor") && tau.value !== null && (out?.valid ?? true) && streamOk &&
          (rao ? samplesOk : kappaOk) && rowsValid(x, cols) && !(outKind === "tensor" && n === 0);
        if (valid) seen.valid++;
        else seen.invalid++;
        const opts = {
          cols, tau: tau.arg, seed, ...(offset === undefined ? {} : { offset }), ...(rao ? { samples } : { kappa }),
          ...(out ? { out: out.arg } : {}), ...(soft ? { soft: soft.arg } : {}),
        } as never;
        const before = [out?.data(), soft?.data()];
        let result: unknown;
        try {
          try {
            result = op === "gumbelRao" ? gw.gumbelRao(arg as never, opts)
              : op === "gappedST" ? gw.gappedST(arg as never, opts)
              : op === "gumbelRaoBackward" ? gw.gumbelRaoBackward(arg as never, dy, opts)
              : gw.gappedSTBackward(arg as never, dy, opts);
          } catch (e) {
            if (valid) throw e;
            expect((e as Error).name).toMatch(/^(TypeError|RangeError)$/);
            expect((e as Error).message.startsWith(`${op}: `)).toBe(true);
            expect([out?.data(), soft?.data()]).toEqual(before);
            return;
          }
          if (!valid) throw new Error(`${op} accepted invalid arguments`);
          const got = result instanceof Tensor ? result.data : (result as Float32Array);
          if (out) expect(result).toBe(out.arg);
          const taus = tau.value!;
          const tauAt = (r: number) => (typeof taus === "number" ? taus : taus[r]!);
          if (s === null) {
            // The instance stream: one-hot rows, never a masked class.
            for (let j = 0; j < n; j++) if (got[j] === 1) expect(x[j]).not.toBe(-Infinity);
            return;
          }
          const index = gw.gumbelMax(x, { cols, seed: s, offset: o! });
          const ref = gumbelMaxRef(x, cols, s, o!);
          for (let r = 0; r < rows; r++) if (ref.margin[r]! > 1e-4) expect(index[r]).toBe(ref.index[r]);
          const S = typeof samples === "number" ? samples : 100;
          const kap = (kappa ?? 1) as number | "adaptive";
          if (!backward) {
            for (let j = 0; j < n; j++) expect(got[j]).toBe(j % cols === index[Math.floor(j / cols)] ? 1 : 0);
            if (soft) {
              const want = rao ? meanOfDraws(gumbelRaoDrawsRef(x, cols, taus, S, s, o!, index)) : gappedSTSoftRef(x, cols, taus, kap, index);
              // float32 l + g (|l + g| < 64: 2^-18 rounding) scaled by 1/tau, plus exp/log ULPs.
              close(soft.arg as Float32Array, want, cols, (r) => 1e-6 + 4e-6 / tauAt(r), `${op} soft`);
            }
          } else {
            const want = new Float64Array(n);
            for (let r = 0; r < rows; r++) {
              const xr = x.subarray(r * cols, (r + 1) * cols);
              const at = [index[r]!];
              const draws = rao ? gumbelRaoDrawsRef(xr, cols, tauAt(r), S, s, o! + BigInt(r * cols), at) : [gappedSTSoftRef(xr, cols, tauAt(r), kap, at)];
              want.set(gumbelRaoGradRef(draws, dy.subarray(r * cols, (r + 1) * cols), cols, tauAt(r)), r * cols);
            }
            const scale = (r: number) => Math.max(...Array.from(want.subarray(r * cols, (r + 1) * cols), Math.abs));
            close(got, want, cols, (r) => 1e-5 * scale(r) + 4e-6 / tauAt(r), `${op} dlogits`);
          }
        } finally {
          if (result instanceof Tensor && result !== out?.arg) result.free();
          tensor?.free();
          out?.free();
        }
      },
    ),
    { numRuns: RUNS, seed: SEED + 11 },
  );
  expect(seen.valid, "valid cases").toBeGreaterThan(RUNS / 8);
  expect(seen.invalid, "invalid cases").toBeGreaterThan(RUNS / 8);
});
