// Property tests (fast-check) of sampleTokens, in the manner of test/properties.test.ts: random
// shapes, logits (NaN, +/-Inf, -0, subnormals, ties), filters and temperatures (one per batch
// or per row; valid and not), streams (seed, seeds, offset, offsets) and input/output kinds. An
// oracle here says whether the arguments are valid. A valid call's token must be one the
// float64 reference keeps (with the filters' parameters loosened by 1e-5, for float rounding at
// a cut); with a stream, the token that row draws alone (sampleTokens on that row with seeds
// [its seed] and offsets [its first stream element]: no row depends on another); where the
// row's token is the inverse CDF over a list in index order (top-k, or no filter on a short
// row) and loosening and tightening agree, exactly the float64 reference's inverse CDF at the
// uniform of the row's first random block (unless that uniform lies within 1e-5 of a
// boundary); greedy rows the first largest logit.
// An invalid call must throw a TypeError or RangeError naming sampleTokens, with `out` untouched.
import fc from "fast-check";
import { expect, test } from "vitest";
import { init, Tensor, type GumbelWasm } from "../src/node.js";
import { testRandom } from "./reference.js";
import { inverseCdfRef, keptRef, tokenBlockRef, u53Ref, type Filters } from "./reference-tokens.js";

const gw: GumbelWasm = await init({ seed: 9 });
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
const SEED = Number(process.env.PROPERTY_SEED ?? 0);

function mostly<T>(valid: T[], invalid: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}
const special = fc.constantFrom(Number.NaN, Infinity, -Infinity, -Infinity, -0, 1e-45, 3e38);
/** Logits: a seeded continuous draw (narrow, where filters matter; wide; or integer ties), then a few specials placed. */
const logitsArb = fc.record({
  seed: fc.integer(),
  kind: fc.constantFrom("narrow", "narrow", "wide", "ties"),
  specials: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(1199), special), { maxLength: 3 }) }),
});
function logitsOf(a: { seed: number; kind: string; specials?: readonly (readonly [number, number])[] }, n: number): Float32Array {
  const rnd = testRandom(a.seed);
  const x = Float32Array.from({ length: n }, () => (a.kind === "narrow" ? 6 * rnd() - 3 : a.kind === "wide" ? 60 * rnd() - 30 : Math.floor(7 * rnd()) - 3));
  for (const [i, v] of a.specials ?? []) if (i < n) x[i] = v;
  return x;
}
const colsArb = fc.constantFrom(1, 2, 3, 7, 16, 65, 300);
const tempArb = mostly<unknown>([undefined, 1, 0.7, 0, 2.5, 1e-3, "per-row"], [-1, Number.NaN, Infinity, "1", "per-row-short"]);
const topKArb = mostly<unknown>([undefined, 0, 1, 2, 5, 50, "per-row"], [-1, 1.5, "3", Number.NaN]);
const topPArb = mostly<unknown>([undefined, 1, 0.9, 0.5, 0.1, 1e-9, "per-row"], [0, -0.1, 1.01, Number.NaN]);
const minPArb = mostly<unknown>([undefined, 0, 0.05, 0.5, 1, "per-row"], [-0.01, 2, Number.NaN, null]);
const streamArb = mostly(["seed", "seed+offset", "seeds", "seeds+offsets", "seed+offsets", "seeds+offset", "none"], [
  "seed+seeds", "offsets-alone", "bad-seed", "bad-offsets", "offset+offsets",
]);
const kindArb = mostly(["f32", "array", "tensor"], ["string"]);
const outArb = mostly(["none", "i32", "tensor"], ["f32", "i32-short"]);

/** One value per row as fast-check drew it: a number, one per row, or a bad array. */
function perRow(v: unknown, rows: number, each: (r: number) => number): { arg: unknown; at: (r: number) => unknown } {
  if (v === "per-row") {
    const a = Array.from({ length: rows }, (_, r) => each(r));
    return { arg: a, at: (r) => a[r] };
  }
  if (v === "per-row-short") return { arg: new Float32Array(rows + 1), at: () => "bad" };
  return { arg: v, at: () => v };
}

function validFilters(t: unknown, k: unknown, p: unknown, m: unknown): boolean {
  const tf = typeof t === "number" ? Math.fround(t) : t === undefined ? 1 : Number.NaN;
  if (!(tf >= 0) || tf === Infinity) return false;
  if (k !== undefined && !(typeof k === "number" && Number.isInteger(k) && k >= 0)) return false;
  if (p !== undefined && !(typeof p === "number" && p > 0 && p <= 1)) return false;
  if (m !== undefined && !(typeof m === "number" && m >= 0 && m <= 1)) return false;
  return true;
}

test("sampleTokens: valid calls draw a kept token (the row's own, as alone with its stream; the reference's inverse CDF on a list where the cut is clear); invalid ones throw, out untouched", () => {
  let referenced = 0;
  fc.assert(
    fc.property(
      colsArb, fc.integer({ min: 1, max: 4 }), logitsArb,
      tempArb, topKArb, topPArb, minPArb, streamArb, kindArb, outArb,
      (cols, rows, logits, tempV, topKV, topPV, minPV, stream, kind, outKind) => {
        const x = logitsOf(logits, rows * cols);
        const temp = perRow(tempV, rows, (r) => [1, 0, 0.5, 3][r % 4]!);
        const topK = perRow(topKV, rows, (r) => [0, 3, 1, 40][r % 4]!);
        const topP = perRow(topPV, rows, (r) => [1, 0.8, 0.3, 0.95][r % 4]!);
        const minP = perRow(minPV, rows, (r) => [0, 0.1, 0.5, 0][r % 4]!);
        const opts: Record<string, unknown> = { cols, temperature: temp.arg, topK: topK.arg, topP: topP.arg, minP: minP.arg };
        let streamOk = true;
        const seeds = Array.from({ length: rows }, (_, r) => BigInt(r * 7919 + 3));
        const offs = Array.from({ length: rows }, (_, r) => BigInt(r * 2 ** 33 + 11));
        if (stream === "seed") opts.seed = 42;
        if (stream === "seed+offset") Object.assign(opts, { seed: 42, offset: 2 ** 40 });
        if (stream === "seeds") opts.seeds = seeds;
        if (stream === "seeds+offsets") Object.assign(opts, { seeds, offsets: offs });
        if (stream === "seed+offsets") Object.assign(opts, { seed: 42, offsets: offs });
        if (stream === "seeds+offset") Object.assign(opts, { seeds, offset: 5 });
        if (stream === "seed+seeds") Object.assign(opts, { seed: 1, seeds });
        if (stream === "offsets-alone") opts.offsets = offs;
        if (stream === "bad-seed") opts.seed = -3;
        if (stream === "bad-offsets") Object.assign(opts, { seeds, offsets: offs.slice(1) });
        if (stream === "offset+offsets") Object.assign(opts, { seeds, offset: 1, offsets: offs });
        if (["seed+seeds", "offsets-alone", "bad-seed", "bad-offsets", "offset+offsets"].includes(stream)) streamOk = false;
        if (rows === 1 && stream === "bad-offsets") streamOk = false; // offsets of length 0 for 1 row
        let tensor: Tensor | null = null;
        let arg: unknown = x.slice();
        if (kind === "array") arg = Array.from(x);
        if (kind === "tensor") arg = tensor = gw.tensorFrom(x, cols);
        if (kind === "string") arg = "1,2";
        let outT: Tensor<"int32"> | null = null;
        let out: Int32Array | Float32Array | undefined;
        if (outKind === "i32") out = new Int32Array(rows).fill(-5);
        if (outKind === "i32-short") out = new Int32Array(rows + 1).fill(-5);
        if (outKind === "f32") out = new Float32Array(rows).fill(-5);
        if (outKind === "tensor") {
          outT = gw.tensor(rows, 1, "int32") as Tensor<"int32">;
          outT.data.fill(-5);
        }
        if (outKind !== "none") opts.out = outT ?? out;
        const before = outT ? Array.from(outT.data) : out ? Array.from(out) : [];
        let valid = kind !== "string" && streamOk && (outKind === "none" || outKind === "i32" || outKind === "tensor");
        for (let r = 0; r < rows && valid; r++) {
          if (!validFilters(temp.at(r), topK.at(r), topP.at(r), minP.at(r))) valid = false;
        }
        let rowsOk = valid;
        for (let r = 0; r < rows && rowsOk; r++) {
          const row = x.subarray(r * cols, (r + 1) * cols);
          if (row.some((v) => Number.isNaN(v) || v === Infinity) || row.every((v) => v === -Infinity)) rowsOk = false;
          const t = Math.fround((temp.at(r) as number | undefined) ?? 1);
          let m = -Infinity;
          for (const v of row) m = Math.max(m, v);
          if (rowsOk && t > 0 && !Number.isFinite(Math.fround(m / t))) rowsOk = false;
        }
        try {
          let got: Int32Array | null = null;
          let err: unknown = null;
          try {
            const res = gw.sampleTokens(arg as Float32Array, opts as never) as Int32Array | Tensor<"int32">;
            got = res instanceof Tensor ? Int32Array.from(res.data) : Int32Array.from(res);
            if (res instanceof Tensor && res !== outT) res.free();
          } catch (e) {
            err = e;
          }
          if (!rowsOk) {
            expect(err).toBeInstanceOf(Error);
            expect(err instanceof TypeError || err instanceof RangeError).toBe(true);
            expect((err as Error).message).toMatch(/^sampleTokens: /);
            expect(outT ? Array.from(outT.data) : out ? Array.from(out) : []).toEqual(before);
            return;
          }
          expect(err).toBeNull();
          for (let r = 0; r < rows; r++) {
            const row = x.subarray(r * cols, (r + 1) * cols);
            const k = got![r]!;
            const t = Math.fround((temp.at(r) as number | undefined) ?? 1);
            if (t === 0) {
              let m = -Infinity;
              for (const v of row) m = Math.max(m, v);
              expect(k).toBe(row.indexOf(m));
              continue;
            }
            const f: Filters = { temperature: t, topK: (topK.at(r) as number | undefined) ?? 0, topP: (topP.at(r) as number | undefined) ?? 1, minP: (minP.at(r) as number | undefined) ?? 0 };
            const loose = keptRef(row, { ...f, topP: Math.min(1, f.topP! * (1 + 1e-5)), minP: f.minP! * (1 - 1e-5) });
            const tight = keptRef(row, { ...f, topP: f.topP! < 1 ? f.topP! * (1 - 1e-5) : 1, minP: f.minP! > 0 ? Math.min(1, f.minP! * (1 + 1e-5)) : 0 });
            expect(loose[k]).toBe(true);
            if (stream === "none") continue;
            // The row's first stream element: offset + r * cols with one seed and one offset (0
            // if none), its own offset, or the one offset (0 if none) with per-row seeds.
            const seed = stream.startsWith("seeds") ? seeds[r]! : 42n;
            const offset = stream.endsWith("offsets") ? offs[r]! : stream === "seeds+offset" ? 5n : stream === "seeds" ? 0n : (stream === "seed+offset" ? 2n ** 40n : 0n) + BigInt(r * cols);
            const alone = gw.sampleTokens(row.slice(), { cols, temperature: temp.at(r), topK: topK.at(r), topP: topP.at(r), minP: minP.at(r), seeds: [seed], offsets: [offset] } as never);
            expect(k).toBe(alone[0]);
            // A list in index order (top-k cuts the row, or no filter on a short row): the
            // inverse CDF of the float64 reference at the uniform of the row's first block.
            const listed = f.topK! > 0 ? f.topK! < cols : f.topP === 1 && f.minP === 0 && cols <= 256;
            if (!listed || loose.some((v, i) => v !== tight[i])) continue;
            const ref = inverseCdfRef(row, keptRef(row, f), t, u53Ref(tokenBlockRef(seed, offset, 0)));
            if (ref.margin <= 1e-5) continue;
            referenced++;
            expect(k).toBe(ref.token);
          }
          if (outT) expect(Array.from(outT.data)).toEqual(Array.from(got!));
          else if (out) expect(Array.from(out)).toEqual(Array.from(got!));
        } finally {
          tensor?.free();
          outT?.free();
        }
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
  // Not vacuous: a fair share of the runs had rows checked against the reference.
  expect(referenced).toBeGreaterThanOrEqual(Math.floor(RUNS / 10));
});
