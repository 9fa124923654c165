// The instance's own stream (calls without a seed), and outputs that are views on wasm memory.
import { describe, expect, test } from "vitest";
import { init } from "../src/node.js";
import { firstBitDifference } from "./kernels.js";
import { backends } from "./setup.js";

describe.each(backends)("%s binary", (backend) => {
  test("calls without a seed draw consecutive elements of defaultSeed's stream; a failed call draws nothing", async () => {
    const gw = await init({ backend });
    const seed = gw.defaultSeed;
    const a = gw.gumbelNoise(5);
    expect(() => gw.gumbelSoftmax([0, NaN, 1], { cols: 3 })).toThrow(RangeError);
    expect(() => gw.gumbelMax([0, 1, 2], { cols: 2 })).toThrow(RangeError);
    const b = gw.gumbelMax([0, 1, 2, 3], { cols: 4 });
    const c = gw.gumbelNoise(3);
    expect(a).toEqual(gw.gumbelNoise(5, { seed, offset: 0 }));
    expect(b).toEqual(gw.gumbelMax([0, 1, 2, 3], { cols: 4, seed, offset: 5 }));
    expect(c).toEqual(gw.gumbelNoise(3, { seed, offset: 9 }));
  });

  test("init({ seed }) fixes the default stream; two instances with the same seed agree, others differ", async () => {
    const [g1, g2, g3] = await Promise.all([init({ backend, seed: 7n }), init({ backend, seed: 7 }), init({ backend, seed: 8 })]);
    expect(g1.defaultSeed).toBe(7n);
    const x = g1.gumbelSoftmax([1, 2, 3, 4], { cols: 2, tau: 0.5 });
    expect(g2.gumbelSoftmax([1, 2, 3, 4], { cols: 2, tau: 0.5 })).toEqual(x);
    expect(g3.gumbelSoftmax([1, 2, 3, 4], { cols: 2, tau: 0.5 })).not.toEqual(x);
    await expect(init({ backend, seed: -1 })).rejects.toThrow(/^init: seed/);
  });

  test("an out that is a view on wasm memory is written in place and returned live, even when the call grows the memory", async () => {
    const gw = await init({ backend });
    const n = 1 << 20;
    const o = gw.tensor(n / 8, 8);
    const view = o.data;
    const src = Float32Array.from({ length: n }, (_, i) => (i % 8) - 3);
    const bytes = gw.memory.buffer.byteLength;
    const r = gw.softmax(src, { cols: 8, out: view }); // stages 4 MiB of input: grows the memory
    expect(gw.memory.buffer.byteLength).toBeGreaterThan(bytes);
    expect(r.buffer).toBe(gw.memory.buffer); // not the detached view
    expect(r.byteOffset).toBe(o.byteOffset);
    expect(r.length).toBe(n);
    expect(firstBitDifference(r, o.data)).toBe(-1);
    expect(firstBitDifference(r.subarray(0, 8), gw.softmax(src.subarray(0, 8), { cols: 8 }))).toBe(-1);
    o.free();
  });
});
