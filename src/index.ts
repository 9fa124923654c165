// gumbel-wasm for browsers, bundlers, Deno and other fetch-based runtimes: the binaries are
// fetched from beside this module. Each `new URL("...wasm", import.meta.url)` is written out in
// full so that Vite, webpack 5, esbuild and Rollup see the file and emit it with the bundle.
// No Node built-in is reachable from here.

import { initWith, type InitOptions } from "./core.js";
import type { GumbelWasm } from "./gumbel.js";
import type { Backend } from "./loader.js";

function ownBinary(backend: Backend): URL {
  return backend === "simd"
    ? new URL("../build/gumbel-simd.wasm", import.meta.url)
    : new URL("../build/gumbel-scalar.wasm", import.meta.url);
}

/**
 * Loads the best binary this runtime validates (SIMD, else scalar) and returns a ready instance.
 * @example
 * const gw = await init();
 * gw.gumbelSoftmax([1, 2, 3], { cols: 3, tau: 0.5, seed: 42 });
 */
export function init(options: InitOptions = {}): Promise<GumbelWasm> {
  return initWith(options, ownBinary);
}

export * from "./core.js";
