// Property tests (fast-check) of the relaxed distributions, in the style of properties.test.ts:
// random shapes, logits (with masks and specials), temperatures (numbers and per-row arrays,
// valid and not), values on and off the simplex / [0, 1], handed over as arrays, typed arrays or
// tensors. An oracle written here says whether a call is valid; valid calls must match the
// float64 reference (never NaN), invalid ones throw a TypeError or RangeError naming the call,
// with the caller's inputs untouched.
import fc from "fast-check";
import { expect, test } from "vitest";
import { init, RelaxedBernoulli, RelaxedOneHotCategorical, type GumbelWasm } from "../src/node.js";
import { relaxedBernoulliCdfRef, relaxedBernoulliLogProbRef, relaxedLogProbRef } from "./reference-relaxed.js";

const gw: GumbelWasm = await init({ seed: 5 });
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
// Fixed by default (a failure replays exactly); PROPERTY_SEED explores other cases.
const SEED = Number(process.env.PROPERTY_SEED ?? 0);

const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, 1e38, -1e38, 1e-45, 1e30, -1e30);
const ordinary = fc.double({ min: -30, max: 30, noNaN: true });
const value = fc.oneof({ weight: 30, arbitrary: ordinary }, { weight: 2, arbitrary: fc.constant(-Infinity) }, { weight: 1, arbitrary: special });
function mostly<T>(valid: T[], invalid: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}
const tauNumber = mostly<unknown>([1, 0.5, 2, 1e-3, 30, 1e6], [0, -1, Number.NaN, Infinity, 1e-50, "1", null]);
const kindArb = mostly(["f32", "array", "f64", "tensor"], ["string", "object"]);
/** How a value is spoiled (mostly not). */
const spoilArb = mostly(["none"], ["negative", "above1", "nan", "offsum", "length"]);

function validTau(t: unknown): number | null {
  if (typeof t !== "number") return null;
  const f = Math.fround(t);
  return f > 0 && f !== Infinity ? f : null;
}

/** The input as `kind` hands it over, a snapshot of it, and what frees it. */
function handOver(kind: string, values: number[]): { input: unknown; snapshot(): unknown; free(): void; ok: boolean } {
  switch (kind) {
    case "f32": {
      const a = Float32Array.from(values);
      return { input: a, snapshot: () => Array.from(a), free: () => undefined, ok: true };
    }
    case "array": {
      const a = values.slice();
      return { input: a, snapshot: () => a.slice(), free: () => undefined, ok: true };
    }
    case "f64": {
      const a = Float64Array.from(values);
      return { input: a, snapshot: () => Array.from(a), free: () => undefined, ok: true };
    }
    case "tensor": {
      const t = gw.tensorFrom(values, 1);
      return { input: t, snapshot: () => Array.from(t.data), free: () => t.free(), ok: true };
    }
    case "string":
      return { input: "0.5,0.5", snapshot: () => "s", free: () => undefined, ok: false };
    default:
      return { input: { length: values.length }, snapshot: () => "o", free: () => undefined, ok: false };
  }
}

/** got (float32) against the float64 reference: infinities exactly, finite within 1e-6 relative. */
function expectNear(got: number, want: number, what: string): void {
  const w = Math.fround(want);
  if (Number.isNaN(got)) throw new Error(`${what}: NaN, expected ${want}`);
  if (!Number.isFinite(w)) {
    if (got !== w) throw new Error(`${what}: ${got}, expected ${want}`);
  } else if (Math.abs(got - want) > 1e-6 * Math.max(1, Math.abs(want))) throw new Error(`${what}: ${got}, expected ${want}`);
}

/** Runs a call; the oracle's verdict decides whether it must succeed or throw a named error. */
function outcome<R>(fn: string, valid: boolean, snapshots: Array<() => unknown>, call: () => R, verify: (r: R) => void): void {
  const before = snapshots.map((s) => s());
  let r: R;
  try {
    r = call();
  } catch (e) {
    if (valid) throw e;
    expect((e as Error).name).toMatch(/^(TypeError|RangeError)$/);
    expect((e as Error).message.startsWith(`${fn}: `), (e as Error).message).toBe(true);
    expect(snapshots.map((s) => s())).toEqual(before);
    return;
  }
  if (!valid) throw new Error(`${fn} accepted invalid arguments`);
  verify(r);
  expect(snapshots.map((s) => s())).toEqual(before);
}

/** Counts a property's valid and invalid cases: both kinds must be well represented. */
class Kinds {
  private readonly counts = [0, 0];
  note(valid: boolean): void {
    this.counts[valid ? 0 : 1]!++;
  }
  expectBoth(): void {
    expect(this.counts, "valid and invalid cases").toSatisfy((c: number[]) => c.every((n) => n > RUNS / 8));
  }
}

/** A point of the simplex per row from weights w >= 0 (some 0): masked classes get 0. */
function simplexRows(w: number[], logits: Float32Array, cols: number): number[] {
  const y = new Array<number>(w.length).fill(0);
  for (let r = 0; r * cols < w.length; r++) {
    let s = 0;
    for (let k = 0; k < cols; k++) if (logits[r * cols + k] !== -Infinity) s += w[r * cols + k]!;
    if (s === 0) {
      // Everything on the first unmasked class (or class 0).
      let k = 0;
      while (k < cols - 1 && logits[r * cols + k] === -Infinity) k++;
      y[r * cols + k] = 1;
      continue;
    }
    for (let k = 0; k < cols; k++) if (logits[r * cols + k] !== -Infinity) y[r * cols + k] = w[r * cols + k]! / s;
  }
  return y;
}

test("RelaxedOneHotCategorical: parameters and values checked; logProb and its gradients against float64", () => {
  const kinds = new Kinds();
  const weight = fc.oneof({ weight: 6, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1e-30, 1e-45) });
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2, 3, 5, 8), fc.integer({ min: 0, max: 3 }), fc.array(value, { minLength: 40, maxLength: 40 }),
      fc.array(weight, { minLength: 40, maxLength: 40 }), fc.oneof(tauNumber, fc.array(tauNumber, { minLength: 0, maxLength: 4 })),
      kindArb, kindArb, spoilArb, fc.nat(1000),
      (cols, rows, pool, wpool, temperature, lkind, ykind, spoil, at) => {
        const n = rows * cols;
        const logitValues = pool.slice(0, n);
        const lf = Float32Array.from(logitValues);
        // Oracle for the constructor.
        let rowsOk = true;
        for (let r = 0; r < rows; r++) {
          const v = Array.from(lf.subarray(r * cols, (r + 1) * cols));
          if (v.some((x) => Number.isNaN(x) || x === Infinity) || v.every((x) => x === -Infinity)) rowsOk = false;
        }
        const taus = Array.isArray(temperature) ? temperature.map(validTau) : [validTau(temperature)];
        const tauOk = Array.isArray(temperature) ? temperature.length === rows && taus.every((t) => t !== null) : taus[0] !== null;
        const l = handOver(lkind, logitValues);
        const tauSnap = Array.isArray(temperature) ? temperature.slice() : temperature;
        const validD = l.ok && rowsOk && tauOk;
        kinds.note(validD);
        let d: RelaxedOneHotCategorical | null = null;
        try {
          outcome("RelaxedOneHotCategorical", validD, [l.snapshot],
            () => new RelaxedOneHotCategorical(gw, { logits: l.input as never, cols, temperature: temperature as never }),
            (dist) => (d = dist));
          expect(temperature).toEqual(tauSnap);
          if (!d) return;
          const dist = d as RelaxedOneHotCategorical;
          // A value: on the simplex (some zeros), or spoiled one way.
          let y = rowsOk ? simplexRows(wpool.slice(0, n), lf, cols) : wpool.slice(0, n);
          let validY = true;
          const i = n === 0 ? 0 : at % n;
          if (spoil === "length") {
            y = y.concat([0]);
            validY = false;
          } else if (n > 0 && spoil !== "none") {
            y[i] = spoil === "negative" ? -0.25 : spoil === "above1" ? 1.5 : spoil === "nan" ? Number.NaN : y[i]! + 0.01;
            validY = false;
          }
          const yv = handOver(ykind, y);
          const yf = Float32Array.from(y);
          validY = validY && yv.ok;
          kinds.note(validY);
          try {
            outcome("RelaxedOneHotCategorical.logProbGrad", validY, [yv.snapshot], () => dist.logProbGrad(yv.input as never), (g) => {
              const tauRow = (r: number) => (Array.isArray(temperature) ? taus[r]! : taus[0]!);
              for (let r = 0; r < rows; r++) {
                const want = relaxedLogProbRef(lf.subarray(r * cols, (r + 1) * cols), yf.subarray(r * cols, (r + 1) * cols), tauRow(r));
                expectNear(g.logProb[r]!, want, `logProb row ${r}`);
                expect(Number.isNaN(g.dtemperature[r]!)).toBe(false);
              }
              g.dlogits.forEach((v) => expect(Number.isFinite(v)).toBe(true));
              expect(dist.logProb(yv.input as never)).toEqual(g.logProb);
            });
          } finally {
            yv.free();
          }
        } finally {
          l.free();
        }
      },
    ),
    { numRuns: RUNS, seed: SEED + 41 },
  );
  kinds.expectBoth();
});

test("RelaxedBernoulli: parameters and values checked; logProb, cdf and samples against float64", () => {
  const kinds = new Kinds();
  const unit = fc.oneof({ weight: 6, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 1e-45, 0.5) });
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.array(value, { minLength: 6, maxLength: 6 }), fc.array(unit, { minLength: 12, maxLength: 12 }),
      fc.oneof(tauNumber, fc.array(tauNumber, { minLength: 0, maxLength: 6 })), kindArb, spoilArb, fc.nat(1000),
      (size, asProbs, pool, upool, temperature, ykind, spoil, at) => {
        // Parameters: logits from the value pool, or probs in [0, 1] (spoiled with the pool's specials).
        const params = asProbs ? pool.slice(0, size).map((v, i) => (Number.isFinite(v) ? upool[i]! : v)) : pool.slice(0, size);
        const pf = Float32Array.from(params);
        const paramsOk = asProbs ? Array.from(pf).every((v) => v >= 0 && v <= 1) : Array.from(pf).every((v) => !Number.isNaN(v));
        const taus = Array.isArray(temperature) ? temperature.map(validTau) : [validTau(temperature)];
        const tauOk = Array.isArray(temperature) ? temperature.length === size && taus.every((t) => t !== null) : taus[0] !== null;
        const validD = paramsOk && tauOk;
        kinds.note(validD);
        let d: RelaxedBernoulli | null = null;
        outcome("RelaxedBernoulli", validD, [() => params.slice()],
          () => new RelaxedBernoulli(gw, { [asProbs ? "probs" : "logits"]: params, temperature: temperature as never } as never),
          (dist) => (d = dist));
        if (!d) return;
        const dist = d as RelaxedBernoulli;
        const draws = 2;
        let y = upool.slice(0, size * draws);
        let validY = true;
        if (spoil === "length") {
          y = y.concat([0.5]);
          validY = y.length % size === 0; // a multiple of the batch is a batch of draws
        } else if (spoil !== "none") {
          y[at % y.length] = spoil === "negative" ? -0.25 : spoil === "above1" ? 1.5 : spoil === "nan" ? Number.NaN : 1 + 1e-6;
          validY = false;
        }
        const yv = handOver(ykind, y);
        const yf = Float32Array.from(y);
        validY = validY && yv.ok;
        kinds.note(validY);
        const tauAt = (q: number) => (Array.isArray(temperature) ? taus[q % size]! : taus[0]!);
        try {
          outcome("RelaxedBernoulli.logProbGrad", validY, [yv.snapshot], () => dist.logProbGrad(yv.input as never), (g) => {
            const c = dist.cdf(yv.input as never);
            for (let q = 0; q < yf.length; q++) {
              const l = dist.logits[q % size]!;
              expectNear(g.logProb[q]!, relaxedBernoulliLogProbRef(l, tauAt(q), yf[q]!), `logProb ${q}`);
              expect(Math.abs(c[q]! - relaxedBernoulliCdfRef(l, tauAt(q), yf[q]!))).toBeLessThan(1e-6);
              expect(Number.isNaN(g.dlogits[q]!) || Number.isNaN(g.dtemperature[q]!)).toBe(false);
            }
          });
        } finally {
          yv.free();
        }
        // Samples: in [0, 1], hard = 1 exactly where the soft value is above 1/2 (up to its rounding).
        const { hard, soft } = dist.sampleHard({ seed: at, n: 2 });
        soft.forEach((v, q) => {
          expect(v >= 0 && v <= 1).toBe(true);
          if (v > 0.5) expect(hard[q]).toBe(1);
          if (v < 0.5) expect(hard[q]).toBe(0);
        });
        expect(dist.rsample({ seed: at, n: 2 })).toEqual(soft);
      },
    ),
    { numRuns: RUNS, seed: SEED + 42 },
  );
  kinds.expectBoth();
});

test("after the errors above, the instance still works", () => {
  const d = new RelaxedOneHotCategorical(gw, { logits: [0, 1], temperature: 1 });
  expect(Number.isFinite(d.logProb([0.5, 0.5])[0])).toBe(true);
});
