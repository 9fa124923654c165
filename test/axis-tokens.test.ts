// sampleTokens along a non-last axis, at the kernel: sample_tokens_axis (lines of `classes`
// values `inner` apart, per-line records in planes) against sample_tokens on the JS-transposed
// rows (per-line streams: the same tokens, exactly), against the reference filter plus the
// noise gw.gumbelNoise gives at flat indices (one stream: exactly), against the exact filtered
// distribution (chi-square), its validation (the first bad line, nothing written), and slices
// cut by the launcher (records and outputs move with them).
import { describe, expect, test } from "vitest";
import { FAULT_ALL_NEG_INF, FAULT_NAN, FAULT_POS_INF, FAULT_SCALE } from "../src/abi.js";
import { sliceArgs } from "../src/launch.js";
import type { GumbelWasm } from "../src/node.js";
import { SAMPLE_TOKENS_AXIS } from "../src/specs.js";
import { chiSquareTest, testRandom } from "./reference.js";
import { filteredProbs, maskedRow, type Filters } from "./reference-tokens.js";
import { backends, load } from "./setup.js";

/** LLM-like logits: a few large, a long tail, some masked (as test/tokens.test.ts). */
function llmLogits(n: number, seed: number, masked = 0): Float32Array {
  const rnd = testRandom(seed);
  const x = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const u = rnd();
    x[k] = -4 + 3 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * u);
    if (rnd() < 0.002) x[k]! += 12;
    if (masked && rnd() < masked) x[k] = -Infinity;
  }
  return x;
}

const CASES: Filters[] = [
  {},
  { temperature: 0.7 },
  { topK: 1 },
  { topK: 50 },
  { topK: 50, temperature: 1.3 },
  { topP: 0.9 },
  { topP: 0.5, temperature: 0.6 },
  { minP: 0.05 },
  { topK: 40, topP: 0.8, minP: 0.02, temperature: 0.9 },
  { topK: 2000, topP: 0.99 },
  { topP: 0.999, temperature: 3 },
  { temperature: 0 },
];

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

/** x as [outer, classes, inner] moved to [outer * inner, classes]: line l = o * inner + j as a row. */
function transpose(x: Float32Array, outer: number, classes: number, inner: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < classes; c++) for (let j = 0; j < inner; j++) t[(o * inner + j) * classes + c] = x[(o * classes + c) * inner + j]!;
  }
  return t;
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
function runAxis(gw: GumbelWasm, x: Float32Array, outer: number, classes: number, inner: number, lines: Line[], step: number, cuts: number[] = []): Run {
  const n = outer * inner;
  const cols = classes * inner;
  const xs = gw.tensorFrom(x);
  const dst = words(gw, n);
  dst.data.fill(-7);
  const params = words(gw, 8 * n, planes(records(lines)));
  const wBytes = Math.ceil(gw.kernels.sample_tokens_axis_work(classes) / 16) * 16;
  const bounds = [0, ...cuts, outer];
  const work = bounds.slice(1).map(() => words(gw, wBytes / 4));
  const args = [xs.byteOffset, dst.byteOffset, outer, cols, inner, params.byteOffset, n, step, work[0]!.byteOffset];
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
        const got = runAxis(gw, x, outer, classes, inner, lines, 1);
        const want = runRows(gw, transpose(x, outer, classes, inner), n, classes, lines);
        expect(got.bad).toBe(-1);
        expect(want.bad).toBe(-1);
        expect([inner, shift, got.tokens]).toEqual([inner, shift, want.tokens]);
      }
    }
  });

  test("inner 1: sample_tokens itself (rows are lines), with either step", async () => {
    const gw = await load(backend);
    const rows = 12, cols = 300;
    const x = llmLogits(rows * cols, 3, 0.05);
    const lines = perLine(rows, testRandom(8));
    const want = runRows(gw, x, rows, cols, lines).tokens;
    expect(runAxis(gw, x, rows, cols, 1, lines, 1).tokens).toEqual(want);
    expect(runAxis(gw, x, rows, cols, 1, lines, 1, [5, 6]).tokens).toEqual(want);
  });

  test.each([
    [10, 5],
    [63, 4],
    [200, 6],
    [3000, 3],
    [5000, 8],
  ])("one stream: the token of each line maximises its reference-filtered values + gumbelNoise at the flat indices, %i classes, inner %i", async (classes, inner) => {
    const gw = await load(backend);
    const outer = 2;
    const cols = classes * inner;
    const seed = 2n ** 35n + 3n, offset = 2n ** 33n + 5n;
    const x = llmLogits(outer * cols, 40 + classes + inner, 0.05);
    const noise = gw.gumbelNoise(outer * cols, { seed, offset }) as Float32Array;
    for (const [i, f] of CASES.entries()) {
      // Line (o, j) starts at offset + o * cols + j, its classes inner apart: step = inner.
      const lines = Array.from({ length: outer * inner }, (_, l) => ({
        ...f,
        seed,
        counter: offset + BigInt(Math.floor(l / inner) * cols + (l % inner)),
      }));
      const got = runAxis(gw, x, outer, classes, inner, lines, inner, [1]);
      expect(got.bad).toBe(-1);
      const want: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) {
          const line = Float32Array.from({ length: classes }, (_, c) => x[o * cols + c * inner + j]!);
          const masked = maskedRow(line, f);
          let best = -1;
          let top = -Infinity;
          for (let c = 0; c < classes; c++) {
            if (f.temperature === 0) continue;
            const s = Math.fround(masked[c]! + noise[o * cols + c * inner + j]!);
            if (s > top) [top, best] = [s, c];
          }
          if (f.temperature === 0) best = line.indexOf(Math.max(...line));
          want.push(best);
        }
      }
      expect([i, got.tokens]).toEqual([i, want]);
    }
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
    const got = runAxis(gw, x, outer, classes, inner, lines, inner);
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
    ];
    for (const [what, spoil, line, fault] of cases) {
      const x = base.slice();
      const ls = lines.map((l) => ({ ...l }));
      spoil(x, ls);
      const got = runAxis(gw, x, outer, classes, inner, ls, inner);
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
    const greedy = runAxis(gw, big, outer, classes, inner, lines.map((l) => ({ ...l, temperature: 0 })), inner);
    expect(greedy.bad).toBe(-1);
    expect(greedy.tokens[7]).toBe(3);
  });

  test("slices cut as the launcher cuts them: the tokens of one call", async () => {
    const gw = await load(backend);
    const outer = 5, classes = 700, inner = 6;
    const x = llmLogits(outer * classes * inner, 21, 0.02);
    for (const step of [1, inner]) {
      const lines = perLine(outer * inner, testRandom(step));
      const whole = runAxis(gw, x, outer, classes, inner, lines, step);
      expect(runAxis(gw, x, outer, classes, inner, lines, step, [1, 3]).tokens).toEqual(whole.tokens);
      expect(runAxis(gw, x, outer, classes, inner, lines, step, [4]).tokens).toEqual(whole.tokens);
    }
  });
});

test("simd and scalar binaries draw the same tokens", async () => {
  const [a, b] = await Promise.all([load("simd"), load("scalar")]);
  const outer = 3, classes = 1500, inner = 7;
  const x = llmLogits(outer * classes * inner, 99, 0.03);
  for (const step of [1, inner]) {
    const lines = perLine(outer * inner, testRandom(50 + step));
    expect(runAxis(a, x, outer, classes, inner, lines, step).tokens).toEqual(runAxis(b, x, outer, classes, inner, lines, step).tokens);
  }
});
