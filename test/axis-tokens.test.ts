// sampleTokens along a non-last axis, at the kernel: sample_tokens_axis (lines of `classes`
// values `inner` apart, per-line records in planes) against sample_tokens on the JS-transposed
// rows (per-line streams: the same tokens, exactly; one stream: line (o, j) draws from the
// stream element of its class 0, offset + o * cols + j, and where its token is the inverse CDF
// over a list in index order, the float64 reference's token from that line's first random
// block), against the exact filtered distribution (chi-square), its validation (the first bad
// line, nothing written), and slices cut by the launcher (records and outputs move with them).
// Then through the façade: sampleTokens and topK with `shape` / `axis` (axis last: the bits of
// `cols`; a non-last axis: the transposed call with per-line seeds and offsets, or with one
// seed, offsets at the flat index of each line's class 0; without filters the law of
// gumbelMax; topK: the noise at flat indices), async on two threads (the synchronous bits),
// and errors named in the shape, nothing written.
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF, FAULT_SCALE } from "../src/abi.js";
import { sliceArgs } from "../src/launch.js";
import { init, type GumbelWasm } from "../src/node.js";
// The workers run the built package (dist/worker-node.js): the async tests use dist/.
import { init as initBuilt, type GumbelWasm as BuiltGumbelWasm } from "../dist/node.js";
import { Pool } from "../dist/pool.js";
import { SAMPLE_TOKENS_AXIS } from "../src/specs.js";
import { chiSquareTest, testRandom } from "./reference.js";
import { FILTER_CASES, filteredProbs, inverseCdfRef, keptRef, llmLogits, tokenBlockRef, u53Ref, type Filters } from "./reference-tokens.js";
import { toRows } from "./reference-axis.js";
import { backends, load } from "./setup.js";

const CASES: Filters[] = [
  ...FILTER_CASES,
  { temperature: 0 },];

/** One line's record: its filters and its stream (key, first counter). */
interface Line extends Filters {
  seed: bigint;
  counter: bigint;
}

const M32 = 0xffffffffn;

/** sample_tokens' records, PARAM_BYTES (8 words) per line, as src/tokens.ts packs them. */
function records(lines: Line[]): ArrayBuffer {
  const buf = new ArrayBuffer(lines.length * 32);
  const f = new Float32Array(buf);
  const i = new Int32Array(buf);
  const u = new Uint32Array(buf);
  lines.forEach((l, r) => {
    f[8 * r] = l.temperature ?? 1;
    i[8 * r + 1] = l.topK ?? 0;
    f[8 * r + 2] = l.topP ?? 1;
    f[8 * r + 3] = l.minP ?? 0;
    u[8 * r + 4] = Number(l.seed & M32);
    u[8 * r + 5] = Number((l.seed >> 32n) & M32);
    u[8 * r + 6] = Number(l.counter & M32);
    u[8 * r + 7] = Number((l.counter >> 32n) & M32);
  });
  return buf;
}

/** The records in planes: field f of line l at word f * lines + l. */
function planes(rec: ArrayBuffer): Uint32Array {
  const u = new Uint32Array(rec);
  const n = u.length / 8;
  const out = new Uint32Array(u.length);
  for (let l = 0; l < n; l++) for (let f = 0; f < 8; f++) out[f * n + l] = u[8 * l + f]!;
  return out;
}

interface Run {
  tokens: number[];
  bad: number;
  fault: number;
}

/** Copies `words` into a fresh tensor of the instance. */
function words(gw: GumbelWasm, n: number, fill?: Uint32Array) {
  const t = gw.tensor(1, Math.max(n, 1), "int32");
  if (fill) new Uint32Array(gw.memory.buffer, t.byteOffset, fill.length).set(fill);
  return t;
}

/**
 * sample_tokens_axis on x ([outer, classes, inner]) with per-line records, in slices cut as
 * the launcher cuts them (`cuts`: the slices' first rows after 0; a workspace each).
 */
function runAxis(gw: GumbelWasm, x: Float32Array, outer: number, classes: number, inner: number, lines: Line[], cuts: number[] = []): Run {
  const n = outer * inner;
  const cols = classes * inner;
  const xs = gw.tensorFrom(x);
  const dst = words(gw, n);
  dst.data.fill(-7);
  const params = words(gw, 8 * n, planes(records(lines)));
  const wBytes = Math.ceil(gw.kernels.sample_tokens_axis_work(classes) / 16) * 16;
  const bounds = [0, ...cuts, outer];
  const work = bounds.slice(1).map(() => words(gw, wBytes / 4));
  const args = [xs.byteOffset, dst.byteOffset, outer, cols, inner, params.byteOffset, n, work[0]!.byteOffset];
  let bad = -1;
  for (let p = 0; p + 1 < bounds.length && bad < 0; p++) {
    const a = sliceArgs(args, SAMPLE_TOKENS_AXIS, bounds[p]!, bounds[p + 1]!, cols, new Array<number>(args.length));
    a[SAMPLE_TOKENS_AXIS.work] = work[p]!.byteOffset;
    bad = (gw.kernels.sample_tokens_axis as (...a: number[]) => number)(...a);
  }
  const r = { tokens: Array.from(dst.data), bad, fault: gw.kernels.check_fault() };
  for (const t of [xs, dst, params, ...work]) t.free();
  return r;
}

/** sample_tokens on rows x cols with per-row records. */
function runRows(gw: GumbelWasm, x: Float32Array, rows: number, cols: number, lines: Line[]): Run {
  const xs = gw.tensorFrom(x);
  const dst = words(gw, rows);
  dst.data.fill(-7);
  const params = words(gw, 8 * rows, new Uint32Array(records(lines)));
  const work = words(gw, Math.ceil(gw.kernels.sample_tokens_work(cols) / 4));
  const bad = gw.kernels.sample_tokens(xs.byteOffset, dst.byteOffset, rows, cols, params.byteOffset, work.byteOffset);
  const r = { tokens: Array.from(dst.data), bad, fault: gw.kernels.check_fault() };
  for (const t of [xs, dst, params, work]) t.free();
  return r;
}

/** Lines with the filter cases in turn and a stream each. */
function perLine(n: number, rnd: () => number, shift = 0): Line[] {
  return Array.from({ length: n }, (_, l) => ({
    ...CASES[(l + shift) % CASES.length]!,
    seed: BigInt(Math.floor(rnd() * 2 ** 32)) * 2n ** 20n + BigInt(l),
    counter: l % 3 === 0 ? 2n ** 33n + BigInt(l) : BigInt(Math.floor(rnd() * 1e9)),
  }));
}

/**
 * The reference's kept set of a line where the filters' cut is clear (the same with topP and
 * minP loosened and tightened by 1e-5, for float rounding at a cut), else null.
 */
function clearKeep(line: ArrayLike<number>, f: Filters): boolean[] | null {
  const p = f.topP ?? 1, m = f.minP ?? 0;
  const loose = keptRef(line, { ...f, topP: Math.min(1, p * (1 + 1e-5)), minP: m * (1 - 1e-5) });
  const tight = keptRef(line, { ...f, topP: p < 1 ? p * (1 - 1e-5) : 1, minP: Math.min(1, m * (1 + 1e-5)) });
  return loose.every((v, k) => v === tight[k]) ? keptRef(line, f) : null;
}

describe.each(backends)("%s", (backend) => {
  test.each([
    [10, [1, 3, 4, 6]],
    [63, [2, 4, 5]],
    [200, [1, 4, 7]],
    [4096, [3, 4]],
  ] as [number, number[]][])("a stream per line: the tokens of sample_tokens on the transposed rows, %i classes", async (classes, inners) => {
    const gw = await load(backend);
    for (const inner of inners) {
      const outer = classes >= 4096 ? 2 : 3;
      const n = outer * inner;
      const x = llmLogits(outer * classes * inner, classes + inner, inner % 2 ? 0.1 : 0);
      for (const shift of [0, 5]) {
        const lines = perLine(n, testRandom(inner * 31 + shift), shift);
        const got = runAxis(gw, x, outer, classes, inner, lines);
        const want = runRows(gw, toRows(x, { outer, classes, inner }), n, classes, lines);
        expect(got.bad).toBe(-1);
        expect(want.bad).toBe(-1);
        expect([inner, shift, got.tokens]).toEqual([inner, shift, want.tokens]);
      }
    }
  });

  test("inner 1: sample_tokens itself (rows are lines)", async () => {
    const gw = await load(backend);
    const rows = 12, cols = 300;
    const x = llmLogits(rows * cols, 3, 0.05);
    const lines = perLine(rows, testRandom(8));
    const want = runRows(gw, x, rows, cols, lines).tokens;
    expect(runAxis(gw, x, rows, cols, 1, lines).tokens).toEqual(want);
    expect(runAxis(gw, x, rows, cols, 1, lines, [5, 6]).tokens).toEqual(want);
  });

  test.each([
    [10, 5],
    [63, 4],
    [200, 6],
    [3000, 3],
    [5000, 8],
  ])("one stream: line (o, j) draws the token of its transposed row with the stream element of its class 0 (offset + o * cols + j), %i classes, inner %i", async (classes, inner) => {
    const gw = await load(backend);
    const outer = 2;
    const n = outer * inner;
    const cols = classes * inner;
    const seed = 2n ** 35n + 3n, offset = 2n ** 33n + 5n;
    const x = llmLogits(outer * cols, 40 + classes + inner, 0.05);
    const rows = toRows(x, { outer, classes, inner });
    let listed = 0;
    let checked = 0;
    for (const [i, f] of CASES.entries()) {
      const jLine = (l: number) => offset + BigInt(Math.floor(l / inner) * cols + (l % inner));
      const lines = Array.from({ length: n }, (_, l) => ({ ...f, seed, counter: jLine(l) }));
      const got = runAxis(gw, x, outer, classes, inner, lines, [1]);
      expect(got.bad).toBe(-1);
      expect([i, got.tokens]).toEqual([i, runRows(gw, rows, n, classes, lines).tokens]);
      // Where the line's token is the inverse CDF over a list in index order (top-k, or no
      // filter on a short line: draw 0 of the line's stream), the float64 reference's token.
      const t = f.temperature ?? 1;
      const topK = f.topK !== undefined && f.topK > 0 && f.topK < classes;
      const unfiltered = !topK && (f.topP ?? 1) >= 1 && !f.minP && classes <= 256;
      for (let l = 0; l < n; l++) {
        const line = rows.subarray(l * classes, (l + 1) * classes);
        if (t === 0) {
          expect([i, l, got.tokens[l]]).toEqual([i, l, line.indexOf(Math.max(...line))]);
          continue;
        }
        if (!topK && !unfiltered) continue;
        const keep = clearKeep(line, f);
        if (keep === null) continue;
        listed++;
        const ref = inverseCdfRef(line, keep, t, u53Ref(tokenBlockRef(seed, jLine(l), 0)));
        if (ref.margin <= 1e-5) continue;
        checked++;
        expect([i, l, got.tokens[l]]).toEqual([i, l, ref.token]);
      }
    }
    // At least four of the cases are lists at every size (no filter, T 0.7, top-k 1 and 50, or top-k with the others).
    expect(checked).toBeGreaterThanOrEqual(Math.floor(0.95 * listed));
    expect(listed).toBeGreaterThanOrEqual(4 * n);
  });

  test.each([
    ["no filter", {}],
    ["top-k 4", { topK: 4 }],
    ["top-p 0.7 at T 0.8", { topP: 0.7, temperature: 0.8 }],
    ["all three", { topK: 8, topP: 0.9, minP: 0.1, temperature: 0.8 }],
  ] as [string, Filters][])("one stream along a middle axis: frequencies match the exact filtered distribution, %s", async (_, f) => {
    const gw = await load(backend);
    const row = [2.1, 1.7, 1.6, 1.2, 0.9, 0.8, 0.5, 0.1, -0.3, -Infinity, -0.8, -1.5];
    const classes = row.length, inner = 37, outer = 700;
    const cols = classes * inner;
    const x = new Float32Array(outer * cols);
    for (let o = 0; o < outer; o++) for (let c = 0; c < classes; c++) x.fill(row[c]!, o * cols + c * inner, o * cols + (c + 1) * inner);
    const seed = 2024n, offset = 11n;
    const lines = Array.from({ length: outer * inner }, (_, l) => ({ ...f, seed, counter: offset + BigInt(Math.floor(l / inner) * cols + (l % inner)) }));
    const got = runAxis(gw, x, outer, classes, inner, lines);
    const counts = new Array(classes).fill(0);
    for (const k of got.tokens) counts[k]++;
    const probs = filteredProbs(Float32Array.from(row), f);
    expect(chiSquareTest(counts, probs).p).toBeGreaterThan(1e-4);
    // Lines j and j + 4 (the same SIMD lane) and j, j + 1 (neighbours) are not the same draws.
    const t = got.tokens;
    let same = 0;
    for (let l = 0; l + 1 < t.length; l++) if (t[l] === t[l + 1]) same++;
    const p2 = probs.reduce((a, p) => a + p * p, 0);
    expect(Math.abs(same / (t.length - 1) - p2)).toBeLessThan(0.02);
  });

  test("validation: the first bad line (o * inner + j) and why, nothing written", async () => {
    const gw = await load(backend);
    const outer = 3, classes = 5, inner = 6;
    const cols = classes * inner;
    const at = (o: number, c: number, j: number) => o * cols + c * inner + j;
    const base = llmLogits(outer * cols, 1);
    const lines = perLine(outer * inner, testRandom(2)).map((l) => ({ ...l, temperature: 1 }));
    const cases: [string, (x: Float32Array, ls: Line[]) => void, number, number][] = [
      ["NaN in the scalar tail", (x) => (x[at(1, 2, 5)] = NaN), 11, FAULT_NAN],
      ["+Inf in a SIMD lane", (x) => (x[at(2, 0, 1)] = Infinity), 13, FAULT_POS_INF],
      ["a line all -Inf", (x) => { for (let c = 0; c < classes; c++) x[at(0, c, 2)] = -Infinity; }, 2, FAULT_ALL_NEG_INF],
      ["lmax / T overflowing float32", (x, ls) => { x[at(1, 3, 1)] = 3e38; ls[7]!.temperature = 0.1; }, 7, FAULT_SCALE],
      ["the earlier of two", (x, ls) => { x[at(2, 4, 2)] = NaN; x[at(1, 0, 3)] = 3e38; ls[9]!.temperature = 0.5; }, 9, FAULT_SCALE],
      ["NaN before +Inf in one line", (x) => { x[at(0, 1, 4)] = Infinity; x[at(0, 3, 4)] = NaN; }, 4, FAULT_NAN],
      ["NaN in a SIMD lane, beside +Inf", (x) => { x[at(2, 4, 3)] = NaN; x[at(2, 0, 3)] = Infinity; }, 15, FAULT_NAN],
    ];
    for (const [what, spoil, line, fault] of cases) {
      const x = base.slice();
      const ls = lines.map((l) => ({ ...l }));
      spoil(x, ls);
      const got = runAxis(gw, x, outer, classes, inner, ls);
      expect([what, got.bad, got.fault]).toEqual([what, line, fault]);
      expect(got.tokens.every((t) => t === -7)).toBe(true);
      // The check alone says the same.
      const xs = gw.tensorFrom(x);
      const params = words(gw, 8 * outer * inner, planes(records(ls)));
      expect([what, gw.kernels.sample_tokens_axis_check(xs.byteOffset, outer, cols, inner, params.byteOffset), gw.kernels.check_fault()]).toEqual([what, line, fault]);
      xs.free();
      params.free();
    }
    // Temperature 0 is greedy whatever the logits' size; a fine batch checks as -1.
    const big = base.slice();
    big[at(1, 3, 1)] = 3e38;
    const greedy = runAxis(gw, big, outer, classes, inner, lines.map((l) => ({ ...l, temperature: 0 })));
    expect(greedy.bad).toBe(-1);
    expect(greedy.tokens[7]).toBe(3);
  });

  test("slices cut as the launcher cuts them: the tokens of one call", async () => {
    const gw = await load(backend);
    const outer = 5, classes = 700, inner = 6;
    const x = llmLogits(outer * classes * inner, 21, 0.02);
    const lines = perLine(outer * inner, testRandom(1));
    const whole = runAxis(gw, x, outer, classes, inner, lines);
    expect(whole.bad).toBe(-1);
    expect(runAxis(gw, x, outer, classes, inner, lines, [1, 3]).tokens).toEqual(whole.tokens);
    expect(runAxis(gw, x, outer, classes, inner, lines, [4]).tokens).toEqual(whole.tokens);
  });
});

test("simd and scalar binaries draw the same tokens", async () => {
  const [a, b] = await Promise.all([load("simd"), load("scalar")]);
  const outer = 3, classes = 1500, inner = 7;
  const x = llmLogits(outer * classes * inner, 99, 0.03);
  const lines = perLine(outer * inner, testRandom(51));
  const simd = runAxis(a, x, outer, classes, inner, lines);
  expect(simd.bad).toBe(-1);
  expect(simd.tokens).toEqual(runAxis(b, x, outer, classes, inner, lines).tokens);
});

// ---------------------------------------------------------------- through the façade

/** Per-line options and streams, as arrays of `n`. */
function lineOptions(n: number, seed: number) {
  const rnd = testRandom(seed);
  const pick = <T>(xs: T[]) => Array.from({ length: n }, () => xs[Math.floor(rnd() * xs.length)]!);
  return {
    temperature: pick([1, 0.7, 1.3, 0]),
    topK: pick([0, 1, 5, 50]),
    topP: pick([1, 0.9, 0.5]),
    minP: pick([0, 0.05]),
    seeds: Array.from({ length: n }, (_, l) => BigInt(Math.floor(rnd() * 2 ** 32)) * 2n ** 21n + BigInt(l)),
    offsets: Array.from({ length: n }, (_, l) => (l % 2 ? 2n ** 40n + BigInt(l) : BigInt(Math.floor(rnd() * 1e6)))),
  };
}

describe.each(backends)("%s: sampleTokens and topK with shape and axis", (backend) => {
  let gw: GumbelWasm;
  beforeAll(async () => {
    gw = await load(backend);
  });

  test("axis last (-1, or its positive form): the bits of cols, per-row options and streams included", () => {
    const V = 300;
    const x = llmLogits(3 * 4 * V, 5, 0.05);
    const o = lineOptions(12, 6);
    for (const streams of [{ seeds: o.seeds, offsets: o.offsets }, { seed: 17n, offset: 2n ** 35n }]) {
      const opts = { temperature: o.temperature, topK: o.topK, topP: o.topP, minP: o.minP, ...streams };
      const want = Array.from(gw.sampleTokens(x, { cols: V, ...opts }));
      for (const layout of [{ shape: [3, 4, V] }, { shape: [3, 4, V], axis: -1 }, { shape: [3, 4, V], axis: 2 }, { shape: [3, 4, V, 1], axis: 2 }]) {
        expect([layout, Array.from(gw.sampleTokens(x, { ...layout, ...opts }))]).toEqual([layout, want]);
      }
    }
    const t = gw.tensorFrom(x, [3, 4, V]);
    const r = gw.sampleTokens(t, { seed: 3 });
    expect(r.shape).toEqual([3, 4]);
    const kept = gw.sampleTokens(t, { seed: 3, keepDims: true });
    expect(kept.shape).toEqual([3, 4, 1]);
    expect(Array.from(kept.data)).toEqual(Array.from(gw.sampleTokens(x, { cols: V, seed: 3 })));
    for (const u of [t, r, kept]) u.free();
  });

  test.each([
    [[2, 700, 3, 2], 1],
    [[700, 5], 0],
    [[3, 64, 4], -2],
    [[2, 9, 7], 1],
  ] as [number[], number][])("shape %j along axis %i, a stream per line: the tokens of the transposed call", (shape, axis) => {
    const a = axis < 0 ? axis + shape.length : axis;
    const outer = shape.slice(0, a).reduce((p, q) => p * q, 1);
    const classes = shape[a]!;
    const inner = shape.slice(a + 1).reduce((p, q) => p * q, 1);
    const n = outer * inner;
    const x = llmLogits(outer * classes * inner, classes + n, 0.05);
    const o = lineOptions(n, n + classes);
    const got = gw.sampleTokens(x, { shape, axis, ...o });
    const want = gw.sampleTokens(toRows(x, { outer, classes, inner }), { cols: classes, ...o });
    expect(Array.from(got)).toEqual(Array.from(want));
    // The same with one seed and per-line offsets (keys shared, counters per line).
    const one = { seed: 99n, offsets: o.offsets, topK: o.topK, temperature: o.temperature };
    expect(Array.from(gw.sampleTokens(x, { shape, axis, ...one }))).toEqual(Array.from(gw.sampleTokens(toRows(x, { outer, classes, inner }), { cols: classes, ...one })));
    // A tensor of that shape: the result drops the axis (or keeps it as 1).
    const t = gw.tensorFrom(x, shape);
    const r = gw.sampleTokens(t, { axis, ...o });
    expect(r.shape).toEqual(shape.filter((_, d) => d !== a));
    expect(Array.from(r.data)).toEqual(Array.from(want));
    const k = gw.sampleTokens(t, { axis, keepDims: true, ...o });
    expect(k.shape).toEqual(shape.map((v, d) => (d === a ? 1 : v)));
    for (const u of [t, r, k]) u.free();
  });

  test("one stream along a middle axis or the first: line (o, j) draws the token of its transposed row with the stream element of its class 0, exactly", () => {
    for (const [shape, axis] of [[[3, 2000, 5], 1], [[2, 3, 300, 4], -2], [[400, 6], 0]] as [number[], number][]) {
      const a = axis < 0 ? axis + shape.length : axis;
      const outer = shape.slice(0, a).reduce((p, q) => p * q, 1);
      const classes = shape[a]!;
      const inner = shape.slice(a + 1).reduce((p, q) => p * q, 1);
      const n = outer * classes * inner;
      const x = llmLogits(n, 77 + n, 0.02);
      const seed = 2n ** 50n + 1n, offset = 2n ** 34n + 3n;
      // Line l = o * inner + j: offset + the flat index of its class 0.
      const offsets = Array.from({ length: outer * inner }, (_, l) => offset + BigInt(Math.floor(l / inner) * classes * inner + (l % inner)));
      const seeds = offsets.map(() => seed);
      const rows = toRows(x, { outer, classes, inner });
      for (const f of [{}, { temperature: 0.6 }, { topK: 20 }, { topP: 0.9, temperature: 1.2 }, { minP: 0.02 }, { topK: 300, topP: 0.95, minP: 0.01 }, { temperature: 0 }] as Filters[]) {
        const got = gw.sampleTokens(x, { shape, axis, seed, offset, ...f });
        const want = gw.sampleTokens(rows, { cols: classes, seeds, offsets, ...f });
        expect([shape, f, Array.from(got)]).toEqual([shape, f, Array.from(want)]);
      }
    }
  });

  test("no filter at T = 1 along any axis: the same law as gumbelMax (softmax), and topK's first is gumbelMax's index", () => {
    for (const [shape, axis] of [[[3, 500, 6], 1], [[700, 4], 0], [[2, 3, 90, 5], 2], [[4, 65, 3], -2]] as [number[], number][]) {
      const n = shape.reduce((p, q) => p * q, 1);
      const x = llmLogits(n, n, 0.05);
      const o = { shape, axis, seed: 2n ** 45n + 7n, offset: 2n ** 33n + 1n };
      const want = Array.from(gw.gumbelMax(x, o));
      const a = axis < 0 ? axis + shape.length : axis;
      const inner = shape.slice(a + 1).reduce((p, q) => p * q, 1);
      const top = gw.topK(x, 2, o);
      expect(Array.from({ length: want.length }, (_, l) => top[Math.floor(l / inner) * 2 * inner + (l % inner)])).toEqual(want);
    }
    // The law: one row of logits repeated along axis 0 and along a middle axis, 20000 lines.
    const row = [2.1, 1.7, 1.6, 1.2, 0.9, 0.8, 0.5, 0.1, -0.3, -Infinity, -0.8, -1.5];
    const C = row.length;
    const first = new Float32Array(C * 20000);
    row.forEach((v, c) => first.fill(v, c * 20000, (c + 1) * 20000));
    const middle = new Float32Array(50 * C * 400);
    for (let o = 0; o < 50; o++) row.forEach((v, c) => middle.fill(v, (o * C + c) * 400, (o * C + c + 1) * 400));
    for (const [x, shape, axis] of [[first, [C, 20000], 0], [middle, [50, C, 400], 1]] as [Float32Array, number[], number][]) {
      for (const temperature of [1, 2]) {
        const probs = filteredProbs(Float32Array.from(row), { temperature });
        const o = { shape, axis, seed: 2n ** 45n + 7n + BigInt(temperature), offset: 2n ** 33n + 1n };
        const tokens = gw.sampleTokens(x, { ...o, temperature });
        // gumbelMax on x / T (float32): the same law.
        const gm = gw.gumbelMax(x.map((v) => Math.fround(v / temperature)), o);
        for (const drawn of [tokens, gm]) {
          const counts = new Array(C).fill(0);
          for (const k of drawn) counts[k]++;
          expect(counts[9]).toBe(0);
          expect(chiSquareTest(counts, probs).p, `shape [${shape}], T ${temperature}`).toBeGreaterThan(1e-4);
        }
      }
    }
  });

  test("without a seed: the instance's stream, moved past every element of the input", async () => {
    const a = await init({ backend, seed: 41 });
    const b = await init({ backend, seed: 41 });
    const shape = [2, 80, 6];
    const n = 2 * 80 * 6;
    const x = llmLogits(n, 12);
    a.gumbelNoise(10);
    const got = a.sampleTokens(x, { shape, axis: 1 });
    // The draw of the stream's seed at the stream's place (10: after the first call's elements).
    expect(Array.from(got)).toEqual(Array.from(gw.sampleTokens(x, { shape, axis: 1, seed: 41, offset: 10 })));
    // Then the stream goes on after every element of the input.
    const next = a.gumbelNoise(7) as Float32Array;
    const all = b.gumbelNoise(10 + n + 7) as Float32Array;
    expect(Array.from(next)).toEqual(Array.from(all.subarray(10 + n)));
    expect(Array.from(a.randomBits(4))).toEqual(Array.from(b.randomBits(4)));
  });

  test("one stream along the first axis: frequencies match the exact filtered distribution", () => {
    const row = [2.1, 1.7, 1.6, 1.2, 0.9, 0.8, 0.5, 0.1, -0.3, -Infinity, -0.8, -1.5];
    const inner = 20000;
    const x = new Float32Array(row.length * inner);
    row.forEach((v, c) => x.fill(v, c * inner, (c + 1) * inner));
    for (const f of [{ topK: 6, topP: 0.6 }, { minP: 0.2, temperature: 1.5 }] as Filters[]) {
      const got = gw.sampleTokens(x, { shape: [row.length, inner], axis: 0, seed: 2025, ...f });
      const counts = new Array(row.length).fill(0);
      for (const k of got) counts[k]++;
      expect(chiSquareTest(counts, filteredProbs(Float32Array.from(row), f)).p).toBeGreaterThan(1e-4);
    }
  });

  test("topK along a non-last axis: the k largest float32(x + noise at flat indices) of each line, in place of the axis", () => {
    const shape = [2, 30, 3];
    const [outer, classes, inner] = shape as [number, number, number];
    const n = outer * classes * inner;
    const rnd = testRandom(31);
    const x = Float32Array.from({ length: n }, (_, i) => (i % 13 === 4 ? -Infinity : rnd() * 6 - 3));
    const seed = 2n ** 40n + 9n, offset = 77n, k = 5;
    const noise = gw.gumbelNoise(n, { seed, offset }) as Float32Array;
    const got = gw.topK(x, k, { shape, axis: 1, seed, offset });
    expect(got.length).toBe(outer * k * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const at = (c: number) => (o * classes + c) * inner + j;
        const order = Array.from({ length: classes }, (_, c) => c)
          .filter((c) => x[at(c)] !== -Infinity)
          .map((c) => ({ c, s: Math.fround(x[at(c)]! + noise[at(c)]!) }))
          .sort((p, q) => q.s - p.s || p.c - q.c)
          .slice(0, k)
          .map((e) => e.c);
        expect(Array.from({ length: k }, (_, i) => got[(o * k + i) * inner + j])).toEqual(order);
      }
    }
    // Tensors: the input's shape with the axis of size k; axis last: the bits of cols.
    const t = gw.tensorFrom(x, shape);
    const r = gw.topK(t, k, { axis: 1, seed, offset });
    expect(r.shape).toEqual([2, k, 3]);
    expect(Array.from(r.data)).toEqual(Array.from(got));
    expect(Array.from(gw.topK(x, 2, { shape: [12, 15], axis: -1, seed }))).toEqual(Array.from(gw.topK(x, 2, { cols: 15, seed })));
    expect(gw.topK(x, 0, { shape, axis: 1, seed }).length).toBe(0);
    t.free();
    r.free();
  });

  test("empty batches: a zero dimension outside the axis", () => {
    expect(gw.sampleTokens(new Float32Array(0), { shape: [0, 5, 3], axis: 1, seed: 1 }).length).toBe(0);
    expect(gw.topK(new Float32Array(0), 2, { shape: [3, 5, 0], axis: 1, seed: 1 }).length).toBe(0);
  });

  test("errors name the option or the line in the shape; nothing written", () => {
    const shape = [2, 4, 3];
    const x = llmLogits(24, 4);
    const out = new Int32Array(6).fill(-7);
    const st = (o: object, data: ArrayLike<number> = x) => () => gw.sampleTokens(data, { shape, axis: 1, seed: 1, out, ...o } as never);
    const bad: [() => unknown, RegExp][] = [
      [st({ axis: 3 }), /^sampleTokens: axis must be an integer from -3 to 2 for a shape of 3 dimensions, got 3$/],
      [st({ shape: [2, 4, 4] }), /^sampleTokens: shape \[2, 4, 4\] holds 32 elements but logits has 24$/],
      [st({ cols: 4 }), /^sampleTokens: give cols or shape, not both$/],
      [st({ topP: [0.5, 0.9] }), /^sampleTokens: topP has 2 values, expected one per line \(6: shape \[2, 4, 3\] without its axis 1\)$/],
      [st({ temperature: [1, 1, 1, 1, 1, -1] }), /^sampleTokens: temperature\[5\] must be 0 \(greedy\) or positive/],
      [st({ seed: undefined, seeds: [1, 2, 3] }), /^sampleTokens: seeds has 3 values, expected one per line \(6: shape/],
      [st({ offsets: [1, 2, 3, 4, 5, 6, 7] }), /^sampleTokens: offsets has 7 values, expected one per line/],
      [st({ keepDims: 1 }), /^sampleTokens: keepDims must be a boolean/],
      [st({ out: new Int32Array(5) }), /out/],
    ];
    const spoiled = (i: number, v: number) => Float32Array.from(x, (u, q) => (q === i ? v : u));
    const allMasked = Float32Array.from(x, (u, q) => (q % 3 === 2 && q >= 12 ? -Infinity : u));
    bad.push(
      [st({}, spoiled(1 * 12 + 3 * 3 + 2, NaN)), /^sampleTokens: logits\[1, 3, 2\] is NaN$/],
      [st({}, spoiled(0 * 12 + 2 * 3 + 1, Infinity)), /^sampleTokens: logits\[0, 2, 1\] is \+Inf/],
      [st({}, allMasked), /^sampleTokens: logits\[1, :, 2\] is all -Inf: at least one class must be unmasked$/],
      [st({ temperature: [1, 1, 1, 0.1, 1, 1] }, spoiled(12 + 3 * 3, 3e38)), /^sampleTokens: logits\[1, :, 0\] divided by its temperature 0.10000000149011612 overflows float32 \(largest logit 3[0-9.]*e\+38\)$/],
    );
    for (const [f, msg] of bad) {
      expect(f).toThrow(msg);
      expect(Array.from(out)).toEqual([-7, -7, -7, -7, -7, -7]);
    }
    const tk = (k: number, o: object, data: ArrayLike<number> = x) => () => gw.topK(data, k, { shape, axis: 1, seed: 1, ...o } as never);
    expect(tk(5, {})).toThrow(/^topK: k must be an integer from 0 to 4, got 5$/);
    expect(tk(2, { axis: -4 })).toThrow(/^topK: axis must be an integer from -3 to 2/);
    expect(tk(1, {}, spoiled(5, NaN))).toThrow(/^topK: logits\[0, 1, 2\] is NaN$/);
    const fewer = Float32Array.from(x, (u, q) => (q % 3 === 1 && q >= 12 && q < 21 ? -Infinity : u));
    expect(tk(2, {}, fewer)).toThrow(/^topK: logits\[1, :, 1\] has 1 unmasked classes, fewer than k = 2$/);
  });
});

describe("async on two threads: the synchronous bits", () => {
  let gw: BuiltGumbelWasm;
  beforeAll(async () => {
    gw = await initBuilt({ backend: "simd", threads: 2, threadThreshold: 0 });
  });
  afterAll(async () => {
    await gw.close();
  });

  test("sampleTokensAsync and topKAsync along a non-last axis are split across the workers and give the synchronous result", async () => {
    const shape = [6, 1000, 7];
    const n = 6 * 1000 * 7;
    const x = llmLogits(n, 8, 0.01);
    const o = lineOptions(42, 9);
    const all = [{ ...o }, { seed: 5n, offset: 3n, topK: 40, topP: 0.9 }, { seed: 6, temperature: o.temperature, minP: 0.05 }];
    const sync = all.map((opts) => Array.from(gw.sampleTokens(x, { shape, axis: 1, ...opts })));
    const t = gw.tensorFrom(x, shape);
    const syncT = gw.sampleTokens(t, { axis: 1, seed: 4, keepDims: true });
    const k = Array.from(gw.topK(x, 3, { shape, axis: 1, seed: 8 }));
    // The synchronous calls' regions have grown to these sizes: the async calls leave nothing.
    const live = gw.heap.liveBytes();
    const calls = vi.spyOn(Pool.prototype, "call");
    for (const [i, opts] of all.entries()) {
      calls.mockClear();
      expect(Array.from(await gw.sampleTokensAsync(x, { shape, axis: 1, ...opts }))).toEqual(sync[i]);
      expect(calls).toHaveBeenCalledTimes(2);
    }
    const asyncT = await gw.sampleTokensAsync(t, { axis: 1, seed: 4, keepDims: true });
    expect(asyncT.shape).toEqual([6, 1, 7]);
    expect(Array.from(asyncT.data)).toEqual(Array.from(syncT.data));
    asyncT.free();
    calls.mockClear();
    expect(Array.from(await gw.topKAsync(x, 3, { shape, axis: 1, seed: 8 }))).toEqual(k);
    expect(calls).toHaveBeenCalledTimes(2);
    calls.mockRestore();
    expect(gw.heap.liveBytes()).toBe(live);
    t.free();
    syncT.free();
  });

  test("errors reject as the synchronous call throws, nothing written, nothing drawn", async () => {
    const shape = [4, 500, 6];
    const x = llmLogits(4 * 500 * 6, 10);
    const out = new Int32Array(24).fill(-7);
    x[(2 * 500 + 17) * 6 + 3] = NaN;
    await expect(gw.sampleTokensAsync(x, { shape, axis: 1, seed: 1, out })).rejects.toThrow(/^sampleTokens: logits\[2, 17, 3\] is NaN$/);
    x[(2 * 500 + 17) * 6 + 3] = 0;
    x[(1 * 500 + 3) * 6 + 5] = 3e38;
    const temperature = Array.from({ length: 24 }, (_, l) => (l === 11 ? 0.5 : 1));
    await expect(gw.sampleTokensAsync(x, { shape, axis: 1, seed: 1, out, temperature })).rejects.toThrow(/^sampleTokens: logits\[1, :, 5\] divided by its temperature 0.5 overflows float32/);
    await expect(gw.sampleTokensAsync(x, { shape, axis: 1, seed: 1, out, topK: [1, 2] })).rejects.toThrow(/expected one per line \(24: shape \[4, 500, 6\] without its axis 1\)$/);
    expect(Array.from(out).every((v) => v === -7)).toBe(true);
  });
});
