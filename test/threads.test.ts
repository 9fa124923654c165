// The worker pool (init({ threads })): async calls split rows across workers on one shared
// memory and must give the same bits as one thread for any thread count; small batches stay on
// the calling thread; errors reject and leave the pool usable; close() ends the workers and an
// idle pool does not keep Node alive; memory may grow while workers run.
//
// The workers run the built package (dist/worker-node.js), so these tests import dist/.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { init, type GumbelWasm, type Tensor } from "../dist/node.js";
import { Pool } from "../dist/pool.js";
import { PARALLEL_MIN_ELEMENTS } from "../dist/launch.js";
import { testRandom } from "./reference.js";

const run = promisify(execFile);
let single: GumbelWasm;
const pools: GumbelWasm[] = [];

beforeAll(async () => {
  single = await init({ backend: "simd" });
  // threadThreshold 0: every batch of two rows or more is split, however small.
  for (const threads of [1, 2, 3, 4]) pools.push(await init({ backend: "simd", threads, threadThreshold: 0 }));
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

/** Bits of every array in a result, for exact comparison. */
function bits(r: unknown): unknown {
  if (r instanceof Float32Array) return Array.from(new Uint32Array(r.slice().buffer));
  if (r instanceof Int32Array) return Array.from(r);
  if (r && typeof r === "object" && "data" in r) return bits((r as { data: Float32Array | Int32Array }).data);
  if (r && typeof r === "object") return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, bits(v)]));
  return r;
}

/** `bits`, with each array as its length and a SHA-1 of its bytes: big results compare fast. */
function digest(r: unknown): unknown {
  if (r instanceof Float32Array || r instanceof Int32Array) return `${r.length}: ${createHash("sha1").update(r).digest("hex")}`;
  if (r && typeof r === "object" && "data" in r) return digest((r as { data: Float32Array | Int32Array }).data);
  if (r && typeof r === "object") return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, digest(v)]));
  return r;
}

// Shapes that split unevenly, from under the threshold to well over it.
const SHAPES: Array<[number, number]> = [[7, 5003], [4099, 10], [3, 20000], [64, 1000], [2, 16]];

describe("same bits on 1, 2, 3 and 4 threads as on one thread", () => {
  for (const [rows, cols] of SHAPES) {
    test(`${rows} x ${cols}`, async () => {
      const n = rows * cols;
      const x = logits(rows * 31 + cols, n);
      const dy = logits(cols, n);
      const seed = 2n ** 63n + 5n;
      const offset = 2 ** 32 - 1000; // the counter's low word wraps inside the batch
      const y = single.softmax(x, { cols, tau: 0.8 });
      const expect1 = {
        soft: bits(single.gumbelSoftmax(x, { cols, tau: 0.4, seed, offset })),
        hard: bits((() => {
          const soft = new Float32Array(n);
          return { out: single.gumbelSoftmax(x, { cols, tau: 0.4, seed, offset, hard: true, soft }), soft };
        })()),
        max: bits(single.gumbelMax(x, { cols, seed, offset })),
        noise: bits(single.gumbelNoise(n + 3, { seed, offset: offset + 1 })),
        softmax: bits(single.softmax(x, { cols, tau: 0.8 })),
        logSoftmax: bits(single.logSoftmax(x, { cols, tau: 0.8 })),
        backward: bits(single.softmaxBackward(y, dy, { cols, tau: 0.8, dtau: true })),
        backwardDx: bits(single.softmaxBackward(y, dy, { cols, tau: 0.8 })),
      };
      for (const gw of pools) {
        const soft = new Float32Array(n);
        const got = {
          soft: bits(await gw.gumbelSoftmaxAsync(x, { cols, tau: 0.4, seed, offset })),
          hard: bits({ out: await gw.gumbelSoftmaxAsync(x, { cols, tau: 0.4, seed, offset, hard: true, soft }), soft }),
          max: bits(await gw.gumbelMaxAsync(x, { cols, seed, offset })),
          noise: bits(await gw.gumbelNoiseAsync(n + 3, { seed, offset: offset + 1 })),
          softmax: bits(await gw.softmaxAsync(x, { cols, tau: 0.8 })),
          logSoftmax: bits(await gw.logSoftmaxAsync(x, { cols, tau: 0.8 })),
          backward: bits(await gw.softmaxBackwardAsync(y, dy, { cols, tau: 0.8, dtau: true })),
          backwardDx: bits(await gw.softmaxBackwardAsync(y, dy, { cols, tau: 0.8 })),
        };
        expect(got, `${gw.threads} threads`).toEqual(expect1);
      }
    });
  }

  test("tensors in and out (zero-copy), and calls in flight together", async () => {
    const rows = 96, cols = 3000;
    for (const gw of pools) {
      const t = gw.tensorFrom(logits(5, rows * cols), cols);
      const outs = [gw.tensor(rows, cols), gw.tensor(rows, cols), gw.tensor(rows, cols)];
      const idx = gw.tensor(rows, 1, "int32");
      await Promise.all([
        gw.gumbelSoftmaxAsync(t, { seed: 1, out: outs[0] }),
        gw.gumbelSoftmaxAsync(t, { seed: 2, out: outs[1], tau: 3 }),
        gw.softmaxAsync(t, { out: outs[2] }),
        gw.gumbelMaxAsync(t, { seed: 3, out: idx }),
      ]);
      const x = t.data.slice();
      expect(bits(outs[0])).toEqual(bits(single.gumbelSoftmax(x, { cols, seed: 1 })));
      expect(bits(outs[1])).toEqual(bits(single.gumbelSoftmax(x, { cols, seed: 2, tau: 3 })));
      expect(bits(outs[2])).toEqual(bits(single.softmax(x, { cols })));
      expect(bits(idx)).toEqual(bits(single.gumbelMax(x, { cols, seed: 3 })));
      // A tensor input gives a fresh tensor.
      const fresh = await gw.gumbelSoftmaxAsync(t, { seed: 4 });
      expect(bits(fresh)).toEqual(bits(single.gumbelSoftmax(x, { cols, seed: 4 })));
      for (const o of [t, ...outs, idx, fresh]) o.free();
    }
  });

  test("probs: true: the log pass on the calling thread, the rows split across the workers: the synchronous bits", async () => {
    for (const [rows, cols] of [[7, 5003], [4099, 10], [64, 1000]] as const) {
      const p = logits(rows + cols, rows * cols).map((v) => (v === -Infinity ? 0 : Math.exp(v)));
      const o = { cols, probs: true, seed: 5n, offset: 2 ** 32 - 7 };
      const soft = new Float32Array(rows * cols);
      const want = {
        soft: bits(single.gumbelSoftmax(p, { ...o, tau: 0.4 })),
        hard: bits({ out: single.gumbelSoftmax(p, { ...o, hard: true, soft }), soft }),
        max: bits(single.gumbelMax(p, o)),
      };
      for (const gw of pools) {
        const t = gw.tensorFrom(p, cols);
        const s2 = new Float32Array(rows * cols);
        const got = {
          soft: bits(await gw.gumbelSoftmaxAsync(p, { ...o, tau: 0.4 })),
          hard: bits({ out: await gw.gumbelSoftmaxAsync(t, { ...o, hard: true, soft: s2 }), soft: s2 }),
          max: bits(await gw.gumbelMaxAsync(t, o)),
        };
        expect(got, `${gw.threads} threads`).toEqual(want);
        t.free();
      }
    }
    // A refused row rejects before any worker runs, naming it; the output untouched.
    const gw = pools[1]!;
    const p = new Float32Array(50 * 2000).fill(0.5);
    p.fill(0, 31 * 2000, 32 * 2000);
    const out = new Int32Array(50).fill(9);
    await expect(gw.gumbelMaxAsync(p, { cols: 2000, probs: true, seed: 1, out })).rejects.toThrow(/^gumbelMax: row 31 of probs is all zeros/);
    expect(out.every((v) => v === 9)).toBe(true);
  });

  test("the instance's own stream advances once per async call, as the sync calls do", async () => {
    const a = await init({ backend: "simd", threads: 2, seed: 77 });
    const b = await init({ backend: "simd", seed: 77 });
    const x = logits(9, 40 * 2000);
    for (let i = 0; i < 3; i++) {
      expect(bits(await a.gumbelSoftmaxAsync(x, { cols: 2000 }))).toEqual(bits(b.gumbelSoftmax(x, { cols: 2000 })));
    }
    await a.close();
  });
});

describe("sampleTokens, topK, the straight-through estimators and softmaxJvp: same bits on 1 to 4 threads", () => {
  type Calls = Record<string, (...args: unknown[]) => unknown>;
  /** A call by name, its arguments made fresh for each run (an output array in them is compared too). */
  type Case = [fn: string, args: () => unknown[]];

  /** Each case's result (and `soft`, when its options have one), the sync call or its async form. */
  async function runAll(gw: GumbelWasm, cases: Case[], async: boolean): Promise<Record<string, unknown>> {
    const calls = gw as unknown as Calls;
    const got: Record<string, unknown> = {};
    for (const [i, [fn, args]] of cases.entries()) {
      const a = args();
      const r = async ? await calls[`${fn}Async`]!.call(gw, ...a) : calls[fn]!.call(gw, ...a);
      const soft = (a.at(-1) as { soft?: Float32Array }).soft;
      got[`${i} ${fn}`] = digest(soft ? { r, soft } : r);
    }
    return got;
  }

  function cases(rows: number, cols: number, x: Float32Array, y: Float32Array, dy: Float32Array): Case[] {
    const n = rows * cols;
    const seed = 2n ** 63n + 11n;
    const offset = 2 ** 32 - 999; // the counter's low word wraps inside the batch
    const per = <T>(f: (r: number) => T): T[] => Array.from({ length: rows }, (_, r) => f(r));
    const taus = Float32Array.from(per((r) => [0.5, 1, 2][r % 3]!));
    return [
      ["sampleTokens", () => [x, { cols, temperature: 0.7, topP: 0.9, seed, offset }]],
      ["sampleTokens", () => [x, { cols, topK: 50, minP: 0.02, seed }]],
      [
        "sampleTokens",
        () => [x, {
          cols, temperature: per((r) => [0, 0.5, 1, 1.3][r % 4]!), topK: per((r) => [0, 1, 5, 40][r % 4]!),
          topP: per((r) => [1, 0.8, 0.95, 0.5][r % 4]!), minP: per((r) => [0, 0.05, 0, 0.1][r % 4]!),
          seeds: per((r) => BigInt(r) * 7n + 1n), offsets: per((r) => r * cols + 2 ** 32 - 5),
        }],
      ],
      ["sampleTokens", () => [x, { cols, temperature: 0.9, topK: 20, seed: 9, offsets: per((r) => 1000 * r) }]],
      ["topK", () => [x, Math.min(5, cols - Math.ceil(cols / 13)), { cols, seed, offset }]],
      ["gumbelRao", () => [x, { cols, tau: 0.5, samples: 3, seed, offset, soft: new Float32Array(n) }]],
      ["gumbelRao", () => [x, { cols, tau: taus, samples: 2, seed }]],
      ["gumbelRaoBackward", () => [x, dy, { cols, tau: 0.5, samples: 3, seed, offset }]],
      ["gappedST", () => [x, { cols, tau: 0.7, seed, offset, soft: new Float32Array(n) }]],
      ["gappedST", () => [x, { cols, kappa: "adaptive", seed }]],
      ["gappedSTBackward", () => [x, dy, { cols, tau: 0.7, kappa: 2, seed, offset }]],
      ["softmaxJvp", () => [y, dy, { cols, tau: 0.8 }]],
      ["softmaxJvp", () => [y, dy, { cols, tau: taus }]],
    ];
  }

  // Uneven splits, a short row (Gumbel-Rao's backward draws in its workspace row), one row, a big vocabulary.
  const MORE: Array<[number, number]> = [[7, 5003], [4099, 10], [5, 1000], [1, 70000], [3, 128256], [2, 16]];
  for (const [rows, cols] of MORE) {
    test(`${rows} x ${cols}`, async () => {
      const n = rows * cols;
      const x = logits(rows * 17 + cols, n);
      const dy = logits(cols + 1, n);
      const y = single.softmax(x, { cols, tau: 0.8 });
      const want = await runAll(single, cases(rows, cols, x, y, dy), false);
      for (const gw of pools) expect(await runAll(gw, cases(rows, cols, x, y, dy), true), `${gw.threads} threads`).toEqual(want);
    });
  }

  test("without a seed, the instance's stream advances as the sync calls' do; per-row seeds leave it", async () => {
    const a = await init({ backend: "simd", threads: 2, seed: 77, threadThreshold: 0 });
    const b = await init({ backend: "simd", seed: 77 });
    const rows = 40, cols = 2000;
    const x = logits(9, rows * cols);
    const seeds = Array.from({ length: rows }, (_, r) => r + 1);
    for (let i = 0; i < 2; i++) {
      expect(bits(await a.sampleTokensAsync(x, { cols, temperature: 0.8 }))).toEqual(bits(b.sampleTokens(x, { cols, temperature: 0.8 })));
      expect(bits(await a.sampleTokensAsync(x, { cols, seeds }))).toEqual(bits(b.sampleTokens(x, { cols, seeds })));
      expect(bits(await a.topKAsync(x, 4, { cols }))).toEqual(bits(b.topK(x, 4, { cols })));
      expect(bits(await a.gumbelRaoAsync(x, { cols, samples: 2 }))).toEqual(bits(b.gumbelRao(x, { cols, samples: 2 })));
      expect(bits(await a.gappedSTAsync(x, { cols }))).toEqual(bits(b.gappedST(x, { cols })));
    }
    // In flight together: each call's stream is taken when it is made, in call order.
    const together = await Promise.all([
      a.sampleTokensAsync(x, { cols, topP: 0.5 }), a.topKAsync(x, 2, { cols }), a.gappedSTAsync(x, { cols }), a.gumbelRaoAsync(x, { cols, samples: 1 }),
    ]);
    expect(bits(together)).toEqual(bits([
      b.sampleTokens(x, { cols, topP: 0.5 }), b.topK(x, 2, { cols }), b.gappedST(x, { cols }), b.gumbelRao(x, { cols, samples: 1 }),
    ]));
    expect(Array.from(a.randomBits(4))).toEqual(Array.from(b.randomBits(4)));
    await a.close();
  });

  test("calls in flight together (tensors in and out, each with its own records and work space)", async () => {
    const rows = 24, cols = 3000, n = rows * cols;
    const x = logits(21, n);
    const dy = logits(22, n);
    const temperature = Array.from({ length: rows }, (_, r) => 0.5 + (r % 5) / 4);
    for (const gw of pools) {
      const t = gw.tensorFrom(x, cols);
      const g = gw.tensorFrom(dy, cols);
      const idx = [gw.tensor(rows, 1, "int32"), gw.tensor(rows, 1, "int32")] as const;
      const outs = [gw.tensor(rows, cols), gw.tensor(rows, cols)] as const;
      const soft = gw.tensor(rows, cols);
      const [, , topk, , , , jvp] = await Promise.all([
        gw.sampleTokensAsync(t, { temperature, topK: 30, seed: 1, out: idx[0] }),
        gw.sampleTokensAsync(t, { topP: 0.7, seeds: temperature.map((_, r) => r), out: idx[1] }),
        gw.topKAsync(t, 3, { seed: 2 }),
        gw.gumbelRaoBackwardAsync(t, g, { tau: 0.5, samples: 4, seed: 3, out: outs[0] }),
        gw.gumbelRaoBackwardAsync(t, g, { tau: 2, samples: 2, seed: 4, out: outs[1] }),
        gw.gappedSTAsync(t, { seed: 5, soft }),
        gw.softmaxJvpAsync(t, g, { tau: 0.7 }),
      ]);
      expect(bits(idx[0])).toEqual(bits(single.sampleTokens(x, { cols, temperature, topK: 30, seed: 1 })));
      expect(bits(idx[1])).toEqual(bits(single.sampleTokens(x, { cols, topP: 0.7, seeds: temperature.map((_, r) => r) })));
      expect(bits(topk)).toEqual(bits(single.topK(x, 3, { cols, seed: 2 })));
      expect(bits(outs[0])).toEqual(bits(single.gumbelRaoBackward(x, dy, { cols, tau: 0.5, samples: 4, seed: 3 })));
      expect(bits(outs[1])).toEqual(bits(single.gumbelRaoBackward(x, dy, { cols, tau: 2, samples: 2, seed: 4 })));
      const softWant = new Float32Array(n);
      single.gappedST(x, { cols, seed: 5, soft: softWant });
      expect(bits(soft)).toEqual(bits(softWant));
      expect(bits(jvp)).toEqual(bits(single.softmaxJvp(x, dy, { cols, tau: 0.7 })));
      expect((topk as Tensor<"int32">).cols).toBe(3); // a tensor input gives a fresh tensor, as the sync call does
      for (const o of [t, g, ...idx, ...outs, soft, topk, jvp] as Array<{ free(): void }>) o.free();
    }
  });
});

describe("the other async calls' errors", () => {
  test("reject with the synchronous call's named error; nothing written, drawn or left allocated", async () => {
    const rows = 6, cols = 3000, n = rows * cols;
    const clean = logits(31, n);
    const at = (r: number, k: number, v: number) => {
      const x = clean.slice();
      x[r * cols + k] = v;
      return x;
    };
    const masked = clean.slice();
    masked.fill(-Infinity, 2 * cols, 3 * cols);
    const fewer = clean.slice();
    fewer.fill(-Infinity, 3 * cols, 4 * cols - 2);
    const out = () => new Int32Array(rows).fill(7);
    const fout = () => new Float32Array(n).fill(7);
    const big = at(5, 3, 3e38);
    const cases: Array<[string, () => unknown[]]> = [
      ["sampleTokens", () => [at(4, 17, Number.NaN), { cols, seed: 1, out: out() }]],
      ["sampleTokens", () => [at(1, 5, Infinity), { cols, temperature: 0.5, out: out() }]],
      ["sampleTokens", () => [masked, { cols, topK: 3, out: out() }]],
      ["sampleTokens", () => [big, { cols, temperature: 0.01, out: out() }]],
      ["sampleTokens", () => [big, { cols, temperature: [1, 1, 1, 1, 1, 0.001], seeds: [1, 2, 3, 4, 5, 6], out: out() }]],
      ["sampleTokens", () => [clean, { cols, temperature: [1, 1, 1, -1, 1, 1], out: out() }]],
      ["sampleTokens", () => [clean, { cols, seeds: [1, 2, 3], out: out() }]],
      ["topK", () => [fewer, 3, { cols }]],
      ["topK", () => [at(2, 0, Number.NaN), 3, { cols }]],
      ["gumbelRao", () => [at(3, 9, Number.NaN), { cols, samples: 2, out: fout(), soft: fout() }]],
      ["gumbelRaoBackward", () => [clean, clean, { cols }]],
      ["gumbelRaoBackward", () => [masked, clean, { cols, seed: 1, out: fout() }]],
      ["gappedST", () => [at(0, 0, Infinity), { cols, out: fout() }]],
      ["gappedSTBackward", () => [at(5, 2999, Number.NaN), clean, { cols, seed: 2, out: fout() }]],
      ["softmaxJvp", () => [clean, clean.subarray(1), { cols }]],
      ["softmaxJvp", () => [clean, clean, { cols, tau: 0, out: fout() }]],
    ];
    const calls = (gw: GumbelWasm) => gw as unknown as Record<string, (...args: unknown[]) => unknown>;
    /** The options without their outputs (a tensor input gets fresh ones). */
    const fresh = (v: unknown) => {
      if (!v || typeof v !== "object" || ArrayBuffer.isView(v)) return v;
      const o: Record<string, unknown> = { ...v };
      delete o.out;
      delete o.soft;
      return o;
    };
    for (const threads of [1, 3]) {
      const gw = await init({ backend: "simd", threads, seed: 5, threadThreshold: 0 });
      const twin = await init({ backend: "simd", seed: 5 });
      const live = gw.heap.liveBytes();
      for (const [fn, args] of cases) {
        let want: Error | null = null;
        try {
          calls(single)[fn]!(...args());
        } catch (e) {
          want = e as Error;
        }
        expect(want, fn).not.toBeNull();
        const a = args();
        const outputs = a.flatMap((v) => (v && typeof v === "object" && !ArrayBuffer.isView(v) ? Object.values(v) : [])).filter((v) => ArrayBuffer.isView(v) && (v as Int32Array).every((e) => e === 7));
        const p = calls(gw)[`${fn}Async`]!(...a) as Promise<unknown>;
        await expect(p, `${fn} on ${gw.threads} threads`).rejects.toThrow(want!.message);
        await p.catch((e: unknown) => expect((e as Error).constructor).toBe(want!.constructor));
        for (const o of outputs) expect((o as Int32Array).every((e) => e === 7), `${fn}: an output was written`).toBe(true);
        // A tensor input: the fresh output is freed.
        const t = gw.tensorFrom(a[0] as Float32Array, cols);
        const before = gw.heap.liveBytes();
        await expect(calls(gw)[`${fn}Async`]!(t, ...a.slice(1).map(fresh))).rejects.toThrow(want!.message);
        expect(gw.heap.liveBytes(), `${fn}: a block was left`).toBe(before);
        t.free();
      }
      expect(gw.heap.liveBytes()).toBe(live);
      expect(Array.from(gw.randomBits(4)), "the stream moved").toEqual(Array.from(twin.randomBits(4)));
      await gw.close();
    }
  });
});

describe("dispatch", () => {
  test(`batches under ${PARALLEL_MIN_ELEMENTS} elements (or of one row) run on the calling thread, larger ones on every worker`, async () => {
    const gw = await init({ backend: "simd", threads: 2 }); // the default threshold
    expect(gw.threadThreshold).toBe(PARALLEL_MIN_ELEMENTS);
    const calls = vi.spyOn(Pool.prototype, "call");
    await gw.gumbelSoftmaxAsync(logits(1, Math.floor((PARALLEL_MIN_ELEMENTS - 1) / 10) * 10), { cols: 10 });
    await gw.gumbelSoftmaxAsync(logits(1, 100_000), { cols: 100_000 });
    expect(calls).toHaveBeenCalledTimes(0);
    await gw.gumbelSoftmaxAsync(logits(1, PARALLEL_MIN_ELEMENTS), { cols: 16 });
    expect(calls).toHaveBeenCalledTimes(2);
    calls.mockRestore();
    await gw.close();
  });

  test("the other async calls alike; topK's noise is split by elements", async () => {
    const gw = await init({ backend: "simd", threads: 2 });
    const calls = vi.spyOn(Pool.prototype, "call");
    const row = logits(2, 100_000);
    await gw.sampleTokensAsync(row, { cols: 100_000, topP: 0.9 });
    await gw.gumbelRaoBackwardAsync(row, row, { cols: 100_000, seed: 1 });
    await gw.softmaxJvpAsync(row, row, { cols: 100_000 });
    await gw.topKAsync(row, 3, { cols: 100_000 });
    await gw.gappedSTAsync(logits(2, 6000), { cols: 1000 });
    expect(calls).toHaveBeenCalledTimes(0);
    await gw.sampleTokensAsync(logits(2, 80_000), { cols: 10_000, topK: 5 });
    expect(calls).toHaveBeenCalledTimes(2);
    await gw.topKAsync(logits(2, 80_000), 3, { cols: 40_000 });
    expect(calls).toHaveBeenCalledTimes(4);
    calls.mockRestore();
    await gw.close();
  });

  test("threads: 'auto' takes the cores; bad values are refused; one thread has no pool", async () => {
    const os = await import("node:os");
    const auto = await init({ threads: "auto" });
    expect(auto.threads).toBe(os.availableParallelism());
    await auto.close();
    const one = await init({ threads: 1 });
    expect(one.threads).toBe(1);
    expect(one.threadNote).toBe("");
    for (const bad of [0, -1, 1.5, "2", 1000]) {
      await expect(init({ threads: bad as never })).rejects.toThrow(/^init: threads must be "auto" or an integer from 1 to 256/);
    }
    for (const bad of [-1, Number.NaN, Infinity, "0"]) {
      await expect(init({ threads: 2, threadThreshold: bad as never })).rejects.toThrow(/^init: threadThreshold must be a number of elements >= 0/);
    }
    const given = await init({ threads: 2, wasm: new URL("../build/gumbel-simd.wasm", import.meta.url) });
    expect(given.threads).toBe(1);
    expect(given.threadNote).toMatch(/shared-memory binaries/);
  });
});

describe("errors", () => {
  test("a bad row rejects with the row and column named, writing nothing; the pool stays usable", async () => {
    const gw = pools[1]!;
    const rows = 50, cols = 2000;
    const x = logits(3, rows * cols);
    x[37 * cols + 11] = Number.NaN;
    const out = new Float32Array(rows * cols).fill(7);
    await expect(gw.gumbelSoftmaxAsync(x, { cols, seed: 1, out })).rejects.toThrow(/^gumbelSoftmax: logits\[37, 11\] is NaN$/);
    expect(out.every((v) => v === 7)).toBe(true);
    const t = gw.tensorFrom(x, cols);
    const before = gw.heap.liveBytes();
    await expect(gw.gumbelMaxAsync(t, { seed: 1 })).rejects.toThrow(/^gumbelMax: logits\[37, 11\] is NaN$/);
    expect(gw.heap.liveBytes()).toBe(before); // the fresh output was freed
    x[37 * cols + 11] = 0;
    expect(bits(await gw.gumbelSoftmaxAsync(x, { cols, seed: 1 }))).toEqual(bits(single.gumbelSoftmax(x, { cols, seed: 1 })));
    t.free();
  });

  test("a worker that traps rejects the call naming it; a worker that dies is replaced", async () => {
    const gw = await init({ threads: 2 });
    const pool = (gw as unknown as { pool: Pool }).pool;
    // An address past the end of memory: the kernel traps inside worker 1.
    await expect(pool.call(1, "gumbel_noise", [2 ** 31, 1000, 0, 0, 0, 0])).rejects.toThrow(/^worker 1 failed: RuntimeError: memory access out of bounds/);
    const x = logits(4, 100 * 1000);
    expect(bits(await gw.gumbelSoftmaxAsync(x, { cols: 1000, seed: 2 }))).toEqual(bits(single.gumbelSoftmax(x, { cols: 1000, seed: 2 })));
    // Kill worker 0 from outside: calls on it fail, the next call starts a new one.
    const slot = (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<unknown> } | null }> }).slots[0]!;
    await slot.worker!.terminate();
    await new Promise((r) => setTimeout(r, 50));
    expect(bits(await gw.gumbelSoftmaxAsync(x, { cols: 1000, seed: 2 }))).toEqual(bits(single.gumbelSoftmax(x, { cols: 1000, seed: 2 })));
    await gw.close();
  });

  test("a worker failing inside a public call rejects it with the call's name; its fresh output is freed", async () => {
    const gw = await init({ threads: 2 });
    const pool = (gw as unknown as { pool: Pool }).pool;
    const t = gw.tensorFrom(logits(12, 100 * 1000), 1000);
    await pool.warm(); // the workers' scratch areas are allocated as they start
    const live = gw.heap.liveBytes();
    const failing = vi.spyOn(pool, "call").mockImplementationOnce(() => Promise.reject(new Error("worker 0 failed: RuntimeError: unreachable")));
    await expect(gw.gumbelSoftmaxAsync(t, { seed: 1 })).rejects.toThrow(/^gumbelSoftmax: worker 0 failed: RuntimeError: unreachable$/);
    expect(gw.heap.liveBytes()).toBe(live);
    failing.mockRestore();
    const y = await gw.gumbelSoftmaxAsync(t, { seed: 1 });
    expect(bits(y)).toEqual(bits(single.gumbelSoftmax(t.data.slice(), { cols: 1000, seed: 1 })));
    y.free();
    t.free();
    await gw.close();
  });
});

describe("lifecycle and memory", () => {
  test("close() and Symbol.asyncDispose end the workers; the instance keeps working on one thread", async () => {
    const gw = await init({ threads: 2 });
    const x = logits(6, 100 * 1000);
    const p = gw.gumbelSoftmaxAsync(x, { cols: 1000, seed: 3 });
    await gw.close(); // waits for the call in flight
    expect(bits(await p)).toEqual(bits(single.gumbelSoftmax(x, { cols: 1000, seed: 3 })));
    expect(gw.threads).toBe(1);
    expect(bits(await gw.gumbelSoftmaxAsync(x, { cols: 1000, seed: 3 }))).toEqual(bits(single.gumbelSoftmax(x, { cols: 1000, seed: 3 })));
    const other = await init({ threads: 2 });
    await other[Symbol.asyncDispose]();
    expect(other.threads).toBe(1);
  });

  test("an idle pool does not keep Node alive (a `node --input-type=module -e` script ends by itself)", async () => {
    const script = `
      import { init } from ${JSON.stringify(new URL("../dist/node.js", import.meta.url).href)};
      const gw = await init({ threads: 2 });
      const y = await gw.gumbelSoftmaxAsync(new Float32Array(100 * 1000), { cols: 1000, seed: 1 });
      console.log(gw.threads, y.length);`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 });
    expect(stdout.trim()).toBe("2 100000");
  });

  test("async calls free what they allocate, on one thread as on the pool", async () => {
    const x = logits(14, 12 * 6000);
    for (const gw of pools.slice(0, 2)) {
      await gw.softmaxAsync(x, { cols: 6000 }); // the pool's workers start, with their scratch areas
      await gw.sampleTokensAsync(x, { cols: 6000 });
      const live = gw.heap.liveBytes();
      for (let i = 0; i < 3; i++) {
        await Promise.all([
          gw.softmaxAsync(x, { cols: 6000 }),
          gw.sampleTokensAsync(x, { cols: 6000, topK: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] }),
          gw.gumbelRaoBackwardAsync(x, x, { cols: 6000, seed: i }),
          gw.topKAsync(x, 2, { cols: 6000 }),
        ]);
      }
      expect(gw.heap.liveBytes(), `${gw.threads} threads`).toBe(live);
    }
  });

  test("memory grows while workers run: results intact, views re-derived", async () => {
    const gw = await init({ threads: 2 });
    const rows = 64, cols = 4000;
    const t = gw.tensorFrom(logits(8, rows * cols), cols);
    const x = t.data.slice();
    const bytes = gw.memory.buffer.byteLength;
    const p = gw.gumbelSoftmaxAsync(t, { seed: 5 });
    const big = gw.tensor(4096, 4096); // 64 MiB: the memory grows now
    expect(gw.memory.buffer.byteLength).toBeGreaterThan(bytes);
    const y = await p;
    expect(bits(y)).toEqual(bits(single.gumbelSoftmax(x, { cols, seed: 5 })));
    expect(y.data.length).toBe(rows * cols);
    big.free();
    await gw.close();
  });
});
