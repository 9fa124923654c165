// Property tests (fast-check) of the sample shapes, in the style of properties-relaxed.test.ts:
// every distribution class's sample calls on random batches (masks included), with a random
// `n` (valid and not), seed and offset (up to the end of the stream). An oracle written here
// says whether a call is valid. A valid call gives n draws of the batch, draw-major, draw i
// exactly the n = 1 call at offset + i * (the stream elements one draw consumes); split in two
// calls it replays; without a seed it equals n calls of a twin instance and moves the stream as
// they do; logProb of the draws gives each draw's own values; mode() is the reference's first
// largest. An invalid call throws a TypeError or RangeError naming the call, and draws nothing.
import fc from "fast-check";
import { expect, test } from "vitest";
import { Categorical, init, RelaxedBernoulli, RelaxedOneHotCategorical, type GumbelWasm } from "../src/node.js";
import { argmaxRef } from "./reference.js";

const gw: GumbelWasm = await init({ seed: 21 });
const twin: GumbelWasm = await init({ seed: 21 });
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
// Fixed by default (a failure replays exactly); PROPERTY_SEED explores other cases.
const SEED = Number(process.env.PROPERTY_SEED ?? 0);
const TWO64 = 2n ** 64n;
/** The most stream elements one sample call may draw in all (n * batch elements). */
const MAX_DRAWN = 2 ** 29 - 1;

type Kind = "Categorical" | "RelaxedOneHotCategorical" | "RelaxedBernoulli";
type Method = "sample" | "rsample" | "sampleHard";
type Dist = Categorical | RelaxedOneHotCategorical | RelaxedBernoulli;

/** The class's distribution on `g` for a batch of `rows` x `cols` logits (RelaxedBernoulli: rows * cols elements). */
function make(g: GumbelWasm, kind: Kind, logits: Float32Array, cols: number, temperature: number | number[]): Dist {
  if (kind === "Categorical") return new Categorical(g, { logits, cols });
  if (kind === "RelaxedOneHotCategorical") return new RelaxedOneHotCategorical(g, { logits, cols, temperature });
  return new RelaxedBernoulli(g, { logits, temperature: typeof temperature === "number" ? temperature : logits.length === temperature.length ? temperature : temperature[0]! });
}

/** The values a draw gives (hard and soft side by side for sampleHard). */
function call(d: Dist, method: Method, options: unknown): number[] {
  const r = (d as unknown as Record<Method, (o: unknown) => unknown>)[method](options);
  if (r instanceof Int32Array || r instanceof Float32Array) return Array.from(r);
  const { hard, soft } = r as { hard: Float32Array; soft: Float32Array };
  return [...hard, ...soft];
}

/** Draw-major halves of sampleHard's [hard, soft] (or the values as they are): the draws i0 .. i1 - 1 of per values each. */
function draws(values: number[], method: Method, n: number, per: number, i0: number, i1: number): number[] {
  if (method !== "sampleHard") return values.slice(i0 * per, i1 * per);
  const soft = values.slice(n * per);
  return [...values.slice(i0 * per, i1 * per), ...soft.slice(i0 * per, i1 * per)];
}

/** The hard and soft halves of each of `parts` (draws of consecutive calls), joined as one call gives them. */
function joined(parts: number[][], method: Method): number[] {
  if (method !== "sampleHard") return parts.flat();
  const halves = parts.map((p) => [p.slice(0, p.length / 2), p.slice(p.length / 2)]);
  return [...halves.flatMap((h) => h[0]!), ...halves.flatMap((h) => h[1]!)];
}

/** The streams of gw and its twin are at the same element. */
function inStep(): boolean {
  const [a, b] = [gw.randomBits(2), twin.randomBits(2)];
  return a[0] === b[0] && a[1] === b[1];
}

test("sample shapes: n draws of the batch, draw-major, on the stream's layout; n and the stream checked; logProb and mode", () => {
  const counts = { valid: 0, invalid: 0 };
  const logit = fc.oneof({ weight: 10, arbitrary: fc.double({ min: -20, max: 20, noNaN: true }) }, { weight: 2, arbitrary: fc.constant(-Infinity) }, {
    weight: 1, arbitrary: fc.constantFrom(0, -0, 1e30, -1e30),
  });
  const nArb = fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 1, max: 5 }) },
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom<unknown>(0, -1, 1.5, Number.NaN, Infinity, 2 ** 40, "2", null, 2n) },
  );
  const seedArb = fc.oneof({ weight: 8, arbitrary: fc.nat(1000) }, { weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 1.5, "1") });
  // Offsets: none, small, or within a few batches of the end of the stream (as a bigint).
  const offsetArb = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: fc.nat(1 << 20) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 200 }).map((k) => TWO64 - BigInt(k)) },
  );
  fc.assert(
    fc.property(
      fc.constantFrom<Kind>("Categorical", "RelaxedOneHotCategorical", "RelaxedBernoulli"), fc.constantFrom<Method>("sample", "rsample", "sampleHard"),
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.array(logit, { minLength: 15, maxLength: 15 }),
      fc.oneof(fc.constantFrom(0.3, 1, 4), fc.array(fc.constantFrom(0.5, 2), { minLength: 15, maxLength: 15 })),
      nArb, seedArb, offsetArb, fc.nat(100),
      (kind, method0, rows, cols, pool, tauPool, n, seed, offset, cut) => {
        const method: Method = kind === "Categorical" ? "sample" : method0;
        const logits = Float32Array.from(pool.slice(0, rows * cols));
        // Rows are valid: at least one class unmasked (RelaxedBernoulli takes -Inf as a point mass).
        for (let r = 0; r < rows; r++) if (logits.subarray(r * cols, (r + 1) * cols).every((v) => v === -Infinity)) logits[r * cols] = 0;
        const temperature = typeof tauPool === "number" ? tauPool : tauPool.slice(0, kind === "RelaxedBernoulli" ? rows * cols : rows);
        const d = make(gw, kind, logits, cols, temperature);
        const dt = make(twin, kind, logits, cols, temperature);
        const bern = kind === "RelaxedBernoulli";
        const perDraw = kind === "Categorical" ? rows : rows * cols; // values one draw gives
        const batch = bern ? 2 * rows * cols : rows * cols; // stream elements one draw consumes
        const min = bern ? 0 : 1;
        const max = Math.max(min, Math.floor(MAX_DRAWN / batch));
        // The oracle.
        const nOk = n === undefined || (typeof n === "number" && Number.isInteger(n) && n >= min && n <= max);
        const draws_ = nOk ? ((n as number | undefined) ?? 1) : 0;
        const seedOk = seed === undefined ? offset === undefined : typeof seed === "number" && Number.isInteger(seed) && seed >= 0;
        const start = offset === undefined ? 0n : BigInt(offset);
        const streamOk = seed === undefined || start + BigInt(draws_ * batch) <= TWO64;
        const valid = nOk && seedOk && streamOk;
        counts[valid ? "valid" : "invalid"]++;
        const options = { ...(seed === undefined ? {} : { seed }), ...(offset === undefined ? {} : { offset }), ...(n === undefined ? {} : { n }) };
        const fn = `${kind}.${method}`;
        let got: number[];
        try {
          got = call(d, method, options);
        } catch (e) {
          if (valid) throw e;
          expect((e as Error).name).toMatch(/^(TypeError|RangeError)$/);
          expect((e as Error).message.startsWith(`${fn}: `), (e as Error).message).toBe(true);
          expect(inStep(), "a refused call drew nothing").toBe(true);
          return;
        }
        if (!valid) throw new Error(`${fn} accepted ${JSON.stringify(options, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`);
        expect(got.length).toBe(draws_ * perDraw * (method === "sampleHard" ? 2 : 1));
        if (seed === undefined) {
          // The instance's stream: n calls of the twin, one draw each, give the same and move it as far.
          expect(got).toEqual(joined(Array.from({ length: draws_ }, () => call(dt, method, {})), method));
        } else {
          // Draw i is the n = 1 call at offset + i * batch; two calls split at `cut` give the same.
          for (let i = 0; i < draws_; i++) {
            expect(draws(got, method, draws_, perDraw, i, i + 1)).toEqual(call(d, method, { seed, offset: start + BigInt(i * batch) }));
          }
          const j = draws_ <= 1 ? draws_ : 1 + (cut % (draws_ - 1));
          if (j > 0 && (j < draws_ || bern)) {
            const parts = [call(d, method, { seed, offset: start, n: j }), call(d, method, { seed, offset: start + BigInt(j * batch), n: draws_ - j })];
            expect(joined(parts, method)).toEqual(got);
          }
        }
        expect(inStep(), "the instance's stream moved as the twin's").toBe(true);
        // logProb of the draws: draw-major, each draw's own.
        const values = method === "sampleHard" ? got.slice(draws_ * perDraw) : got;
        const lp = (d as { logProb(v: ArrayLike<number>): Float32Array }).logProb(values);
        const lpPer = kind === "RelaxedOneHotCategorical" ? rows : perDraw;
        expect(lp.length).toBe(draws_ * lpPer);
        lp.forEach((v) => expect(Number.isNaN(v)).toBe(false));
        for (let i = 0; i < draws_; i++) {
          const one = (d as { logProb(v: ArrayLike<number>): Float32Array }).logProb(values.slice(i * perDraw, (i + 1) * perDraw));
          expect(Array.from(lp.subarray(i * lpPer, (i + 1) * lpPer))).toEqual(Array.from(one));
        }
        // The mode: the reference's first largest logit of each row.
        if (!bern) {
          const want = argmaxRef(logits, cols);
          const mode = d instanceof Categorical ? d.mode() : argmaxRef((d as RelaxedOneHotCategorical).mode(), cols);
          expect(Array.from(mode)).toEqual(Array.from(want));
          if (d instanceof Categorical) expect(argmaxRef(d.mode({ oneHot: true }), cols)).toEqual(want);
        }
      },
    ),
    { numRuns: RUNS, seed: SEED + 61 },
  );
  expect(counts.valid).toBeGreaterThan(RUNS / 4);
  expect(counts.invalid).toBeGreaterThan(RUNS / 8);
});
