// The worker pool (init({ threads })): async calls split rows across workers on one shared
// memory and must give the same bits as one thread for any thread count; small batches stay on
// the calling thread; errors reject and leave the pool usable; close() ends the workers and an
// idle pool does not keep Node alive; memory may grow while workers run.
//
// The workers run the built package (dist/worker-node.js), so these tests import dist/.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { init, type GumbelWasm } from "../dist/node.js";
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
