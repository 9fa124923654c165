// What a server needs besides correct numbers: the memory's limits reached cleanly, no way to
// hand a kernel an address outside the memory, and nothing the package can touch beyond its
// own memory (binaries import nothing, no eval, no install script but the build).
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { init, Tensor } from "../src/node.js";

const root = new URL("../", import.meta.url);

describe("memory limits", () => {
  test("allocating past the shared memory's 2 GiB raises a clear RangeError; nothing is allocated and the instance goes on", async () => {
    const gw = await init({ seed: 1 });
    expect(gw.sharedMemory).toBe(true);
    const bytes = gw.memory.buffer.byteLength;
    const live = gw.heap.liveBytes();
    expect(() => gw.tensor(40000, 15000)).toThrow(/^cannot allocate 2400000000 bytes: the wasm memory would exceed its maximum of 2 GiB; nothing was allocated$/);
    expect(gw.memory.buffer.byteLength).toBe(bytes);
    expect(gw.heap.liveBytes()).toBe(live);
    // The next calls work, and give what a new instance gives.
    const out = new Float32Array(4).fill(3);
    const x = gw.gumbelSoftmax(Float32Array.from([1, 2, 3, 4]), { cols: 2, seed: 5, out });
    expect(x).toBe(out);
    const again = await init({ seed: 1 });
    expect(gw.gumbelSoftmax(Float32Array.from([1, 2, 3, 4]), { cols: 2, seed: 5 })).toEqual(again.gumbelSoftmax(Float32Array.from([1, 2, 3, 4]), { cols: 2, seed: 5 }));
  });

  test("an ordinary memory refuses more than 4 GiB up front", async () => {
    const gw = await init({ sharedMemory: false });
    expect(gw.sharedMemory).toBe(false);
    expect(() => gw.tensor(40000, 30000)).toThrow(/^tensor: 40000 x 30000 does not fit in 4 GiB$/);
    expect(gw.softmax(Float32Array.from([0, 0]), { cols: 2 })).toEqual(Float32Array.from([0.5, 0.5]));
  });

  test("no address outside the memory reaches a kernel: forged and foreign tensors are refused", async () => {
    const gw = await init();
    const forged = { byteOffset: 2 ** 31, length: 10, rows: 1, cols: 10, dtype: "float32" };
    expect(() => gw.softmax(forged as never, { cols: 10 })).toThrow(/^softmax: x must be a Float32Array, an array of numbers or a Tensor, got an object \(Object\)$/);
    const fake = Object.create(Tensor.prototype) as Tensor;
    Object.assign(fake, { byteOffset: 2 ** 31, length: 10, rows: 1, cols: 10, dtype: "float32" });
    expect(() => gw.softmax(fake)).toThrow(/^softmax: x is a tensor of another gumbel-wasm instance$/);
    const t = gw.tensor(1, 4);
    t.free();
    expect(() => gw.softmax(t)).toThrow(/^softmax: x is a freed tensor$/);
    expect(() => t.free()).toThrow(/already been freed/);
    expect(() => t.data).toThrow(/has been freed/);
  });
});

describe("what the package can touch", () => {
  test("the binaries import nothing (the shared ones only the memory they are given)", () => {
    for (const name of ["simd", "scalar"]) {
      const m = new WebAssembly.Module(readFileSync(new URL(`build/gumbel-${name}.wasm`, root)));
      expect(WebAssembly.Module.imports(m)).toEqual([]);
      const shared = new WebAssembly.Module(readFileSync(new URL(`build/gumbel-${name}-shared.wasm`, root)));
      expect(WebAssembly.Module.imports(shared)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
    }
  });

  test("no eval or new Function in the shipped JavaScript; no install script but the build", () => {
    const dist = new URL("dist/", root);
    const files = readdirSync(dist).filter((f) => f.endsWith(".js"));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const code = readFileSync(new URL(f, dist), "utf8");
      expect(code, f).not.toMatch(/\beval\s*\(|new\s+Function\s*\(|Function\s*\(\s*["'`]/);
    }
    const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));
    expect(Object.keys(pkg.scripts).filter((s) => /^(pre|post)?install$/.test(s))).toEqual([]);
    expect(pkg.scripts.prepare).toBe("npm run build");
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});
