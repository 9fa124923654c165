// init() with the binary given by the caller (hosts that serve it themselves): bytes, an
// ArrayBuffer, a compiled WebAssembly.Module, a URL or its string, a fetch Response (streamed
// when served as application/wasm), or one of those per backend; and the SIMD fallback.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, test, vi } from "vitest";
import { init, type GumbelWasm } from "../src/node.js";

const url = (backend: string) => new URL(`../build/gumbel-${backend}.wasm`, import.meta.url);
const bytes = (backend: string) => new Uint8Array(readFileSync(url(backend)));

/** Every way of loading must give the same samples as the default instance. */
async function sameAsDefault(gw: GumbelWasm, backend: string): Promise<void> {
  expect(gw.backend).toBe(backend);
  const ref = await init({ backend: backend as "simd" | "scalar" });
  const x = Float32Array.from([1, 2, 0.5, -Infinity, 3, 0]);
  expect(gw.gumbelSoftmax(x, { cols: 3, tau: 0.3, seed: 5 })).toEqual(ref.gumbelSoftmax(x, { cols: 3, tau: 0.3, seed: 5 }));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("init({ wasm })", () => {
  for (const backend of ["simd", "scalar"] as const) {
    test(`${backend}: bytes, ArrayBuffer, Module, URL, URL string, Response (streamed or not)`, async () => {
      const b = bytes(backend);
      await sameAsDefault(await init({ backend, wasm: b }), backend);
      await sameAsDefault(await init({ backend, wasm: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) }), backend);
      await sameAsDefault(await init({ backend, wasm: new WebAssembly.Module(b) }), backend);
      await sameAsDefault(await init({ backend, wasm: url(backend) }), backend);
      await sameAsDefault(await init({ backend, wasm: url(backend).href }), backend);
      const streamed = vi.spyOn(WebAssembly, "compileStreaming");
      await sameAsDefault(await init({ backend, wasm: new Response(b, { headers: { "content-type": "application/wasm" } }) }), backend);
      expect(streamed).toHaveBeenCalledTimes(1);
      await sameAsDefault(await init({ backend, wasm: new Response(b) }), backend); // no content type: from the bytes
      expect(streamed).toHaveBeenCalledTimes(1);
    });
  }

  test("one source per backend: the chosen backend's is used, the other falls back to the package's", async () => {
    const scalarOnly = { scalar: bytes("scalar") };
    await sameAsDefault(await init({ backend: "scalar", wasm: scalarOnly }), "scalar");
    await sameAsDefault(await init({ backend: "simd", wasm: scalarOnly }), "simd");
    // The scalar binary handed over as the SIMD one runs as given (the caller's choice).
    const swapped = await init({ backend: "simd", wasm: { simd: bytes("scalar") } });
    expect(swapped.backend).toBe("simd");
  });

  test("bad sources are refused with the argument named; nothing is cached from a failure", async () => {
    await expect(init({ wasm: 42 as never })).rejects.toThrow(/^init: wasm must be bytes, a WebAssembly.Module, a URL or a Response, got number$/);
    await expect(init({ wasm: null as never })).rejects.toThrow(/^init: wasm must be .* got null$/);
    await expect(init({ wasm: new Uint8Array([0, 1, 2, 3]) })).rejects.toThrow(WebAssembly.CompileError);
    const missing = new URL("../build/no-such.wasm", import.meta.url);
    await expect(init({ wasm: missing })).rejects.toThrow(/no-such\.wasm/);
    await expect(init({ wasm: missing })).rejects.toThrow(/no-such\.wasm/); // the failure was not cached
    await expect(init("fast" as never)).rejects.toThrow(/^init: options must be a plain object .*, got the string "fast"$/);
    await expect(init(null as never)).rejects.toThrow(/^init: options must be a plain object .*, got null$/);
  });
});

describe("SIMD fallback", () => {
  test("where WebAssembly.validate refuses SIMD, auto loads the scalar binary (same bits) and forcing SIMD throws", async () => {
    const simd = await init({ backend: "simd" });
    vi.spyOn(WebAssembly, "validate").mockReturnValue(false);
    const gw = await init();
    expect(gw.backend).toBe("scalar");
    const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
    expect(gw.gumbelSoftmax(x, { cols: 8, seed: 3 })).toEqual(simd.gumbelSoftmax(x, { cols: 8, seed: 3 }));
    expect(gw.gumbelMax(x, { cols: 8, seed: 3 })).toEqual(simd.gumbelMax(x, { cols: 8, seed: 3 }));
    await expect(init({ backend: "simd" })).rejects.toThrow(/^init: this runtime does not support WebAssembly SIMD$/);
  });

  test("a validate that throws counts as no SIMD", async () => {
    vi.spyOn(WebAssembly, "validate").mockImplementation(() => {
      throw new Error("no");
    });
    expect((await init()).backend).toBe("scalar");
  });
});
