// The distribution classes' async forms (`Categorical.sampleAsync`, `Gumbel.sampleAsync`, the
// relaxed classes' `rsampleAsync` / `sampleAsync` / `sampleHardAsync`, every `logProbAsync`,
// `logProbGradAsync` and `RelaxedBernoulli.cdfAsync`): the synchronous call's bits on pools of
// 1, 2, 3 and 4 threads (with n > 1, batches split across kernel calls, the stream counter's low
// word wrapping), the instance's own stream moved as the synchronous calls move it (also for
// calls in flight together), each call in flight its own bits, and the synchronous call's
// errors as rejections: nothing drawn, nothing written, nothing left allocated. A property test
// runs random batches, temperatures, n, seeds and offsets (valid and not) through both forms.
//
// The workers run the built package (dist/worker-node.js), so these tests import dist/.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, expectTypeOf, test, vi } from "vitest";
import { Categorical, Gumbel, init, RelaxedBernoulli, RelaxedOneHotCategorical, type GumbelWasm, type HardSample, type RelaxedLogProbGrad } from "../dist/node.js";
import { Pool, WorkerLost } from "../dist/pool.js";
import { testRandom } from "./reference.js";

let single: GumbelWasm;
const pools: GumbelWasm[] = [];

beforeAll(async () => {
  single = await init({ backend: "simd" });
  // threadThreshold 0: every batch of two units or more is split, however small.
  for (const threads of [1, 2, 3, 4]) pools.push(await init({ backend: "simd", threads, threadThreshold: 0 }));
  // The workers start (their scratch areas allocated) before any test counts the live bytes.
  for (const gw of pools) await (gw as unknown as { pool: Pool | null }).pool?.warm();
});
afterAll(async () => {
  for (const gw of pools) await gw.close();
});

function logits(seed: number, n: number): Float32Array {
  const rnd = testRandom(seed);
  const x = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * 5);
  for (let i = 0; i < n; i += 13) x[i] = -Infinity;
  return x;
}

/** Each array of a result as its length and a SHA-1 of its bytes (objects key by key): exact and quick to compare. */
function digest(r: unknown): unknown {
  if (r instanceof Float32Array || r instanceof Int32Array) return `${r.length}: ${createHash("sha1").update(r).digest("hex")}`;
  if (r && typeof r === "object") return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, digest(v)]));
  return r;
}

/** The four classes over one batch: `rows` x `cols` logits (Bernoulli: each element a distribution). */
interface Dists {
  cat: Categorical;
  catProbs: Categorical;
  gumbel: Gumbel;
  relaxed: RelaxedOneHotCategorical;
  relaxedPerRow: RelaxedOneHotCategorical;
  bern: RelaxedBernoulli;
  bernPerElement: RelaxedBernoulli;
}

function dists(gw: GumbelWasm, rows: number, cols: number, x: Float32Array): Dists {
  const probs = new Float32Array(rows * cols);
  const p = single.softmax(x, { cols }) as Float32Array;
  probs.set(p);
  const taus = Array.from({ length: rows }, (_, r) => [0.5, 1, 2][r % 3]!);
  const finite = x.map((v) => (v === -Infinity ? -30 : v));
  return {
    cat: new Categorical(gw, { logits: x, cols }),
    catProbs: new Categorical(gw, { probs, cols, normalize: true }),
    gumbel: new Gumbel(gw, { loc: 0.5, scale: 1.7 }),
    relaxed: new RelaxedOneHotCategorical(gw, { logits: x, cols, temperature: 0.6 }),
    relaxedPerRow: new RelaxedOneHotCategorical(gw, { logits: x, cols, temperature: taus }),
    bern: new RelaxedBernoulli(gw, { logits: finite, temperature: 0.8 }),
    bernPerElement: new RelaxedBernoulli(gw, { probs: finite.map((v) => 1 / (1 + Math.exp(-v))), temperature: finite.map((_, i) => [0.3, 1, 1.5][i % 3]!) }),
  };
}

type Case = [name: string, run: (d: Dists) => unknown];

/** The densities' values: synchronous draws on `s` (the one-thread instance's distributions), the Bernoulli ends clamped in. */
function values(s: Dists, n: number): { k: Int32Array; y: Float32Array; b: Float32Array } {
  const b = s.bern.rsample({ seed: 4, n }).map((v, i) => (i % 97 === 0 ? 0 : i % 89 === 0 ? 1 : v));
  return { k: s.cat.sample({ seed: 2, n }), y: s.relaxed.rsample({ seed: 3, n }), b };
}

/** Every sampling and density call, synchronous or async, with the stream options given; the densities at `v`. */
function cases(async: boolean, rows: number, cols: number, n: number, v: ReturnType<typeof values>): Case[] {
  const seed = 2n ** 63n + 5n;
  const offset = 2 ** 32 - 1000; // the counter's low word wraps inside the draws
  const o = { seed, offset, n };
  const call = (d: object, m: string, ...args: unknown[]) =>
    (d as Record<string, (...a: unknown[]) => unknown>)[async ? `${m}Async` : m]!.call(d, ...args);
  return [
    ["Categorical.sample", (d) => call(d.cat, "sample", o)],
    ["Categorical.sample (probs, n = 1)", (d) => call(d.catProbs, "sample", { seed: 9 })],
    ["Categorical.logProb", (d) => call(d.cat, "logProb", v.k)],
    ["Gumbel.sample", (d) => call(d.gumbel, "sample", n * rows * cols + 3, { seed, offset })],
    ["Gumbel.sample (n = 0)", (d) => call(d.gumbel, "sample", 0, { seed })],
    ["RelaxedOneHotCategorical.rsample", (d) => call(d.relaxed, "rsample", o)],
    ["RelaxedOneHotCategorical.sample", (d) => call(d.relaxed, "sample", { seed: 1 })],
    ["RelaxedOneHotCategorical.sampleHard", (d) => call(d.relaxed, "sampleHard", o)],
    ["RelaxedOneHotCategorical.rsample (per-row temperature)", (d) => call(d.relaxedPerRow, "rsample", o)],
    ["RelaxedOneHotCategorical.sampleHard (per-row temperature)", (d) => call(d.relaxedPerRow, "sampleHard", { seed: 5, n: 2 })],
    ["RelaxedOneHotCategorical.logProb", (d) => call(d.relaxed, "logProb", v.y)],
    ["RelaxedOneHotCategorical.logProbGrad", (d) => call(d.relaxedPerRow, "logProbGrad", v.y)],
    ["RelaxedBernoulli.rsample", (d) => call(d.bern, "rsample", o)],
    ["RelaxedBernoulli.sample", (d) => call(d.bernPerElement, "sample", { seed: 6, n })],
    ["RelaxedBernoulli.sampleHard", (d) => call(d.bernPerElement, "sampleHard", o)],
    ["RelaxedBernoulli.sampleHard (n = 0)", (d) => call(d.bern, "sampleHard", { seed: 1, n: 0 })],
    ["RelaxedBernoulli.logProb", (d) => call(d.bern, "logProb", v.b)],
    ["RelaxedBernoulli.logProbGrad", (d) => call(d.bernPerElement, "logProbGrad", v.b)],
    ["RelaxedBernoulli.cdf", (d) => call(d.bernPerElement, "cdf", v.b)],
  ];
}

async function runAll(d: Dists, list: Case[]): Promise<Record<string, unknown>> {
  const got: Record<string, unknown> = {};
  for (const [name, run] of list) got[name] = digest(await run(d));
  return got;
}

describe("the synchronous call's bits on 1, 2, 3 and 4 threads", () => {
  // Uneven splits; one row; short rows with many draws (n * batch past 2^18 stream elements: several kernel calls).
  const SHAPES: Array<[rows: number, cols: number, n: number]> = [[7, 503, 3], [1, 3000, 4], [4099, 10, 2], [5, 16, 7], [3, 1000, 90], [2, 3, 1]];
  for (const [rows, cols, n] of SHAPES) {
    test(`${rows} x ${cols}, n = ${n}`, async () => {
      const x = logits(rows * 31 + cols, rows * cols);
      const s = dists(single, rows, cols, x);
      const v = values(s, n);
      const want = await runAll(s, cases(false, rows, cols, n, v));
      for (const gw of pools) {
        const d = dists(gw, rows, cols, x);
        const live = gw.heap.liveBytes();
        expect(await runAll(d, cases(true, rows, cols, n, v)), `${gw.threads} threads`).toEqual(want);
        expect(gw.heap.liveBytes(), `${gw.threads} threads: a block was left`).toBe(live);
      }
    });
  }

  test("values as tensors of the instance (read in place) and arrays on its memory", async () => {
    const rows = 40, cols = 300;
    const x = logits(8, rows * cols);
    const s = dists(single, rows, cols, x);
    const y = s.relaxed.rsample({ seed: 1, n: 2 });
    const v = s.bern.rsample({ seed: 2, n: 2 });
    const want = digest([s.relaxed.logProb(y), s.relaxed.logProbGrad(y), s.bern.logProb(v), s.bern.cdf(v)]);
    for (const gw of pools) {
      const d = dists(gw, rows, cols, x);
      const ty = gw.tensorFrom(y, cols);
      const tv = gw.tensorFrom(v, rows * cols);
      const got = await Promise.all([d.relaxed.logProbAsync(ty), d.relaxed.logProbGradAsync(ty.data), d.bern.logProbAsync(tv), d.bern.cdfAsync(tv.data)]);
      expect(digest(got), `${gw.threads} threads`).toEqual(want);
      ty.free();
      tv.free();
    }
  });
});

describe("streams and calls in flight", () => {
  test("without a seed, each async call takes the instance's stream when made, as the synchronous calls do", async () => {
    const rows = 30, cols = 700;
    const x = logits(5, rows * cols);
    for (const threads of [1, 3]) {
      const a = await init({ backend: "simd", threads, seed: 77, threadThreshold: 0 });
      const b = await init({ backend: "simd", seed: 77 });
      const [da, db] = [dists(a, rows, cols, x), dists(b, rows, cols, x)];
      const one = (d: Dists, async: boolean): Array<() => unknown> => {
        const m = (o: object, name: string, ...args: unknown[]) => () => (o as Record<string, (...a: unknown[]) => unknown>)[async ? `${name}Async` : name]!.call(o, ...args);
        return [
          m(d.cat, "sample", { n: 3 }), m(d.gumbel, "sample", 5001), m(d.relaxed, "rsample", { n: 2 }), m(d.relaxedPerRow, "sampleHard", {}),
          m(d.relaxed, "sample", {}), m(d.bern, "sample", { n: 4 }), m(d.bernPerElement, "sampleHard", { n: 1 }), m(d.bern, "rsample", { n: 0 }),
          m(d.catProbs, "sample", {}),
        ];
      };
      // One after the other.
      for (const [i, f] of one(da, true).entries()) expect(digest(await f()), `${threads} threads, call ${i}`).toEqual(digest(one(db, false)[i]!()));
      // In flight together: the same draws as the same calls made one after another.
      const together = await Promise.all(one(da, true).map((f) => f()));
      expect(digest(together), `${threads} threads, together`).toEqual(digest(one(db, false).map((f) => f())));
      expect(Array.from(a.randomBits(4)), `${threads} threads: the stream moved as the sync calls moved it`).toEqual(Array.from(b.randomBits(4)));
      await a.close();
    }
  });

  test("several calls in flight at once give each their own bits", async () => {
    const rows = 64, cols = 1000;
    const x = logits(6, rows * cols);
    const s = dists(single, rows, cols, x);
    const y = s.relaxed.rsample({ seed: 11 });
    const v = s.bern.rsample({ seed: 12, n: 3 });
    const want = digest([
      s.cat.sample({ seed: 1, n: 5 }), s.cat.sample({ seed: 2, n: 5 }), s.relaxed.rsample({ seed: 1 }), s.relaxed.sampleHard({ seed: 2, n: 2 }),
      s.relaxedPerRow.rsample({ seed: 3 }), s.bern.sample({ seed: 1, n: 3 }), s.bern.sampleHard({ seed: 2 }), s.gumbel.sample(70000, { seed: 4 }),
      s.relaxed.logProb(y), s.relaxed.logProbGrad(y), s.bern.logProbGrad(v), s.bernPerElement.cdf(v),
    ]);
    for (const gw of pools) {
      const d = dists(gw, rows, cols, x);
      const got = await Promise.all([
        d.cat.sampleAsync({ seed: 1, n: 5 }), d.cat.sampleAsync({ seed: 2, n: 5 }), d.relaxed.rsampleAsync({ seed: 1 }), d.relaxed.sampleHardAsync({ seed: 2, n: 2 }),
        d.relaxedPerRow.rsampleAsync({ seed: 3 }), d.bern.sampleAsync({ seed: 1, n: 3 }), d.bern.sampleHardAsync({ seed: 2 }), d.gumbel.sampleAsync(70000, { seed: 4 }),
        d.relaxed.logProbAsync(y), d.relaxed.logProbGradAsync(y), d.bern.logProbGradAsync(v), d.bernPerElement.cdfAsync(v),
      ]);
      expect(digest(got), `${gw.threads} threads`).toEqual(want);
    }
  });

  test("draws split across async calls replay one call's draws (the stream layout)", async () => {
    const rows = 20, cols = 50, size = rows * cols;
    const x = logits(7, size);
    const gw = pools[2]!;
    const d = dists(gw, rows, cols, x);
    const whole = await d.relaxed.rsampleAsync({ seed: 3, n: 5 });
    const parts = await Promise.all([d.relaxed.rsampleAsync({ seed: 3, n: 2 }), d.relaxed.rsampleAsync({ seed: 3, offset: 2 * size, n: 3 })]);
    expect(digest(whole)).toEqual(digest(Float32Array.from([...parts[0], ...parts[1]])));
    const bw = await d.bern.rsampleAsync({ seed: 3, n: 5 });
    const bp = await Promise.all([d.bern.rsampleAsync({ seed: 3, n: 3 }), d.bern.rsampleAsync({ seed: 3, offset: 3 * 2 * size, n: 2 })]);
    expect(digest(bw)).toEqual(digest(Float32Array.from([...bp[0], ...bp[1]])));
  });
});

describe("errors", () => {
  test("reject with the synchronous call's error; nothing drawn, written or left allocated", async () => {
    const rows = 6, cols = 3000, size = rows * cols;
    const x = logits(31, size);
    const end = 2n ** 64n - 10n;
    const bad = (s: Dists) => {
      const y = s.relaxed.rsample({ seed: 1 });
      const v = s.bern.rsample({ seed: 1 });
      const at = (a: Float32Array, i: number, val: number) => {
        const c = a.slice();
        c[i] = val;
        return c;
      };
      const offRow = at(y, 4 * cols + 7, y[4 * cols + 7]! + 0.01);
      return { y, v, outside: at(y, 3 * cols + 5, -0.25), nan: at(v, 17000, Number.NaN), offRow };
    };
    const cases: Array<[string, (d: Dists, v: ReturnType<typeof bad>) => Array<[object, string, unknown[]]>]> = [
      ["Categorical", (d) => [
        [d.cat, "sample", [{ n: 0 }]], [d.cat, "sample", [{ n: "2" }]], [d.cat, "sample", [{ offset: 1 }]], [d.cat, "sample", [{ seed: -1 }]],
        [d.cat, "sample", [{ tau: 1 }]], [d.cat, "sample", [null]], [d.cat, "sample", [{ seed: 1, offset: end, n: 2 }]],
        [d.cat, "logProb", [[1, 2, 3, 4, 5, 3000]]], [d.cat, "logProb", [[1, 2]]], [d.cat, "logProb", ["x"]],
      ]],
      ["Gumbel", (d) => [
        [d.gumbel, "sample", [-1]], [d.gumbel, "sample", [1.5]], [d.gumbel, "sample", [10, { offset: 1 }]], [d.gumbel, "sample", [10, { n: 3 }]],
        [d.gumbel, "sample", [10, { seed: 2n ** 64n }]], [d.gumbel, "sample", [100, { seed: 1, offset: end }]],
      ]],
      ["RelaxedOneHotCategorical", (d, { outside, offRow }) => {
        return [
          [d.relaxed, "rsample", [{ n: 0 }]], [d.relaxed, "sample", [{ seed: "1" }]], [d.relaxed, "sampleHard", [{ hard: true }]],
          [d.relaxedPerRow, "sampleHard", [{ offset: 2 }]], [d.relaxed, "logProb", [outside]], [d.relaxed, "logProb", [outside.subarray(1)]],
          [d.relaxed, "logProbGrad", [offRow]], [d.relaxedPerRow, "logProbGrad", ["x"]],
        ];
      }],
      ["RelaxedBernoulli", (d, { nan, v }) => {
        return [
          [d.bern, "rsample", [{ n: -1 }]], [d.bern, "sampleHard", [{ offset: 3 }]], [d.bernPerElement, "sample", [{ seed: 1, offset: end }]],
          [d.bern, "logProb", [nan]], [d.bern, "cdf", [v.subarray(1)]], [d.bernPerElement, "logProbGrad", [nan]], [d.bern, "cdf", [{}]],
        ];
      }],
    ];
    for (const threads of [1, 3]) {
      const gw = await init({ backend: "simd", threads, seed: 5, threadThreshold: 0 });
      const twin = await init({ backend: "simd", seed: 5 });
      const d = dists(gw, rows, cols, x);
      const s = dists(twin, rows, cols, x);
      const v = bad(s);
      const live = gw.heap.liveBytes();
      for (const [cls, list] of cases) {
        const syncCalls = list(s, v);
        for (const [i, [obj, method, args]] of list(d, v).entries()) {
          const [sObj] = syncCalls[i]!;
          let want: Error | null = null;
          try {
            (sObj as Record<string, (...a: unknown[]) => unknown>)[method]!(...args);
          } catch (e) {
            want = e as Error;
          }
          const what = `${cls}.${method}Async #${i} on ${threads} threads`;
          expect(want, what).not.toBeNull();
          const p = (obj as Record<string, (...a: unknown[]) => Promise<unknown>>)[`${method}Async`]!(...args);
          expect(p, what).toBeInstanceOf(Promise);
          const got = await p.then(() => null, (e: unknown) => e as Error);
          expect(got?.message, what).toBe(want!.message);
          expect(got?.constructor, what).toBe(want!.constructor);
        }
      }
      expect(gw.heap.liveBytes(), `${threads} threads: a block was left`).toBe(live);
      expect(Array.from(gw.randomBits(4)), `${threads} threads: the stream moved`).toEqual(Array.from(twin.randomBits(4)));
      await gw.close();
    }
  });

  /** An instance on two warmed threads, and the distributions of the same logits on it and on `single`. */
  async function twoThreads() {
    const gw = await init({ backend: "simd", threads: 2, threadThreshold: 0 });
    const pool = (gw as unknown as { pool: Pool }).pool;
    await pool.warm();
    const rows = 50, cols = 400;
    const x = logits(12, rows * cols);
    return { gw, pool, d: dists(gw, rows, cols, x), s: dists(single, rows, cols, x) };
  }

  test("a worker failing rejects with the call's name, freeing its blocks; a worker lost costs nothing", async () => {
    const { gw, pool, d, s } = await twoThreads();
    const y = s.relaxed.rsample({ seed: 1 });
    const live = gw.heap.liveBytes();
    const failing = vi.spyOn(pool, "call").mockImplementationOnce(() => Promise.reject(new Error("worker 0 failed: RuntimeError: unreachable")));
    await expect(d.relaxed.logProbAsync(y)).rejects.toThrow(/^RelaxedOneHotCategorical\.logProb: worker 0 failed: RuntimeError: unreachable$/);
    failing.mockImplementationOnce(() => Promise.reject(new Error("worker 0 failed: RuntimeError: unreachable")));
    await expect(d.gumbel.sampleAsync(5000, { seed: 1 })).rejects.toThrow(/^Gumbel\.sample: worker 0 failed: RuntimeError: unreachable$/);
    expect(gw.heap.liveBytes()).toBe(live);
    // A worker gone: its part runs on the calling thread, the same bits.
    failing.mockImplementationOnce(() => Promise.reject(new WorkerLost("worker 0 died: gone", false)));
    expect(digest(await d.bern.sampleHardAsync({ seed: 2, n: 3 }))).toEqual(digest(s.bern.sampleHard({ seed: 2, n: 3 })));
    failing.mockImplementationOnce(() => Promise.reject(new WorkerLost("worker 0 died: gone", false)));
    expect(digest(await d.relaxed.logProbGradAsync(y))).toEqual(digest(s.relaxed.logProbGrad(y)));
    failing.mockRestore();
    expect(gw.heap.liveBytes()).toBe(live);
    await gw.close();
  });

  test("a part rerun here waits for its calls still running on the lost worker (no race over its outputs)", async () => {
    const { gw, pool, d, s } = await twoThreads();
    const original = pool.call.bind(pool);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    let gated = 0;
    // Part 0's first call fails as a lost worker's; its later calls are held until released.
    const spy = vi.spyOn(pool, "call").mockImplementation((i, kernel, a) => {
      if (i === 0 && first) {
        first = false;
        return Promise.reject(new WorkerLost("worker 0 died: gone", false));
      }
      if (i !== 0) return original(i, kernel, a);
      gated++;
      return gate.then(() => original(i, kernel, a));
    });
    let done = false;
    const p = d.bern.sampleHardAsync({ seed: 2, n: 3 }).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 50));
    expect(gated).toBeGreaterThan(0); // the part had a call after the failed one
    expect(done).toBe(false); // not rerun (nor settled) while that call runs
    release();
    expect(digest(await p)).toEqual(digest(s.bern.sampleHard({ seed: 2, n: 3 })));
    spy.mockRestore();
    await gw.close();
  });
});

describe("dispatch and lifecycle", () => {
  test("small batches run on the calling thread, large ones on every worker", async () => {
    const gw = await init({ backend: "simd", threads: 2 }); // the default threshold
    const small = dists(gw, 10, 100, logits(2, 1000));
    const big = dists(gw, 100, 1000, logits(3, 100_000));
    const y = big.relaxed.rsample({ seed: 1 });
    const calls = vi.spyOn(Pool.prototype, "call");
    await small.relaxed.rsampleAsync({ seed: 1 });
    await small.bern.logProbAsync(small.bern.rsample({ seed: 1 }));
    await small.gumbel.sampleAsync(1000, { seed: 1 });
    await small.cat.logProbAsync([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(calls).toHaveBeenCalledTimes(0);
    await big.relaxed.logProbAsync(y);
    expect(calls).toHaveBeenCalledTimes(2);
    await big.cat.sampleAsync({ seed: 1 });
    expect(calls).toHaveBeenCalledTimes(4);
    await big.gumbel.sampleAsync(100_000, { seed: 1 });
    expect(calls.mock.calls.length).toBeGreaterThan(4);
    calls.mockRestore();
    await gw.close();
  });

  test("close() waits for the distributions' calls in flight", async () => {
    const gw = await init({ backend: "simd", threads: 2, threadThreshold: 0 });
    const x = logits(4, 100 * 1000);
    const d = dists(gw, 100, 1000, x);
    const s = dists(single, 100, 1000, x);
    const y = s.relaxed.rsample({ seed: 1 });
    const p = [d.relaxed.logProbAsync(y), d.bern.logProbAsync(y), d.gumbel.sampleAsync(100_000, { seed: 3 })];
    await gw.close();
    expect(digest(await Promise.all(p))).toEqual(digest([s.relaxed.logProb(y), s.bern.logProb(y), s.gumbel.sample(100_000, { seed: 3 })]));
    expect(gw.threads).toBe(1);
    expect(digest(await d.relaxed.sampleHardAsync({ seed: 4, n: 2 }))).toEqual(digest(s.relaxed.sampleHard({ seed: 4, n: 2 })));
  });
});

test("property: on random batches and options, the async form gives the synchronous call's bits or its error, and moves the stream as it does", async () => {
  const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
  const SEED = Number(process.env.PROPERTY_SEED ?? 0);
  const TWO64 = 2n ** 64n;
  const a = await init({ backend: "simd", threads: 3, seed: 21, threadThreshold: 0 });
  const twin = await init({ backend: "simd", seed: 21 });
  type Kind = "Categorical" | "RelaxedOneHotCategorical" | "RelaxedBernoulli";
  const make = (g: GumbelWasm, kind: Kind, logits: Float32Array, cols: number, temperature: number | number[]) =>
    kind === "Categorical" ? new Categorical(g, { logits, cols })
    : kind === "RelaxedOneHotCategorical" ? new RelaxedOneHotCategorical(g, { logits, cols, temperature })
    : new RelaxedBernoulli(g, { logits, temperature: typeof temperature === "number" ? temperature : temperature.flatMap((t) => Array<number>(cols).fill(t)) });
  const outcome = async (f: () => unknown): Promise<unknown> => {
    try {
      return digest(await f());
    } catch (e) {
      return { error: (e as Error).message, type: (e as Error).constructor.name };
    }
  };
  const inStep = () => {
    const [x, y] = [a.randomBits(2), twin.randomBits(2)];
    return x[0] === y[0] && x[1] === y[1];
  };
  const counts = { valid: 0, invalid: 0 };
  const logit = fc.oneof({ weight: 10, arbitrary: fc.double({ min: -20, max: 20, noNaN: true }) }, { weight: 2, arbitrary: fc.constant(-Infinity) });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<Kind>("Categorical", "RelaxedOneHotCategorical", "RelaxedBernoulli"), fc.constantFrom("sample", "rsample", "sampleHard"),
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.nat(1000),
      fc.oneof(fc.constantFrom(0.3, 1, 4), fc.array(fc.constantFrom(0.5, 2), { minLength: 40, maxLength: 40 })),
      fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 2, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom<unknown>(0, -1, 1.5, "2", 2 ** 40) }),
      fc.oneof({ weight: 6, arbitrary: fc.nat(1000) }, { weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, "1") }),
      fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.nat(2 ** 32) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 20000 }).map((k) => TWO64 - BigInt(k)) }),
      fc.array(logit, { minLength: 1, maxLength: 1 }),
      async (kind, method0, rows, cols, logitSeed, tauPool, n, seed, offset, [fill]) => {
        const method = kind === "Categorical" ? "sample" : method0;
        const rnd = testRandom(logitSeed);
        const logits = Float32Array.from({ length: rows * cols }, () => (rnd() < 0.1 ? fill! : (rnd() * 2 - 1) * 8));
        for (let r = 0; r < rows; r++) if (logits.subarray(r * cols, (r + 1) * cols).every((v) => v === -Infinity)) logits[r * cols] = 0;
        const temperature = typeof tauPool === "number" ? tauPool : tauPool.slice(0, rows);
        const d = make(a, kind, logits, cols, temperature) as unknown as Record<string, (o: unknown) => unknown>;
        const dt = make(twin, kind, logits, cols, temperature) as unknown as Record<string, (o: unknown) => unknown>;
        const options = { ...(seed === undefined ? {} : { seed }), ...(offset === undefined ? {} : { offset }), ...(n === undefined ? {} : { n }) };
        const want = await outcome(() => dt[method]!.call(dt, options));
        const got = await outcome(() => d[`${method}Async`]!.call(d, options));
        expect(got).toEqual(want);
        expect(inStep(), "the stream moved as the synchronous call moved it").toBe(true);
        const valid = !(want && typeof want === "object" && "error" in want);
        counts[valid ? "valid" : "invalid"]++;
        if (!valid) return;
        // The densities of the draws (with a sample dimension), and of a value off its support.
        const drawn = dt[method]!.call(dt, { seed: 1, n: typeof n === "number" && n >= 1 && n <= 6 ? n : 1 }) as Float32Array | Int32Array | HardSample;
        const v = "soft" in drawn ? drawn.soft : drawn;
        const dens = kind === "Categorical" ? ["logProb"] : ["logProb", "logProbGrad", ...(kind === "RelaxedBernoulli" ? ["cdf"] : [])];
        for (const m of dens) {
          for (const value of [v, v.subarray(1), kind === "Categorical" ? v.map(() => cols) : v.map((x, i) => (i === v.length >> 1 ? 1.5 : x))]) {
            expect(await outcome(() => d[`${m}Async`]!.call(d, value)), m).toEqual(await outcome(() => dt[m]!.call(dt, value)));
          }
        }
      },
    ),
    { numRuns: RUNS, seed: SEED + 67 },
  );
  expect(counts.valid).toBeGreaterThan(RUNS / 4);
  expect(counts.invalid).toBeGreaterThan(RUNS / 10);
  await a.close();
});

test("types: the async forms are Promises of the synchronous results", () => {
  const d = null as unknown as Dists;
  const run = () => {
    expectTypeOf(d.cat.sampleAsync({ n: 2 })).toEqualTypeOf<Promise<Int32Array>>();
    expectTypeOf(d.cat.logProbAsync([0])).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(d.gumbel.sampleAsync(3, { seed: 1 })).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(d.relaxed.rsampleAsync()).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(d.relaxed.sampleAsync({ seed: 1, offset: 2n, n: 3 })).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(d.relaxed.sampleHardAsync()).toEqualTypeOf<Promise<HardSample>>();
    expectTypeOf(d.relaxed.logProbAsync([1])).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(d.relaxed.logProbGradAsync([1])).toEqualTypeOf<Promise<RelaxedLogProbGrad>>();
    expectTypeOf(d.bern.rsampleAsync()).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(d.bern.sampleAsync()).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(d.bern.sampleHardAsync({ n: 0 })).toEqualTypeOf<Promise<HardSample>>();
    expectTypeOf(d.bern.logProbAsync([1])).toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(d.bern.logProbGradAsync([1])).toEqualTypeOf<Promise<RelaxedLogProbGrad>>();
    expectTypeOf(d.bern.cdfAsync([1])).toEqualTypeOf<Promise<Float32Array>>();
    // @ts-expect-error: the same options as the synchronous calls (no `out`, no `tau`)
    void d.relaxed.rsampleAsync({ tau: 1 });
    // @ts-expect-error: Gumbel.sample takes n first
    void d.gumbel.sampleAsync({ seed: 1 });
  };
  expect(typeof run).toBe("function");
});
