// gumbel-wasm for browsers, bundlers, Deno and other fetch-based runtimes: the binaries are
// fetched from beside this module. Each `new URL("...wasm", import.meta.url)` is written out in
// full so that Vite, webpack 5, esbuild and Rollup see the file and emit it with the bundle.
// No Node built-in is reachable from here.

import { initWith, type BinaryName, type InitOptions, type Threading } from "./init.js";
import type { GumbelWasm } from "./gumbel.js";
import type { WorkerFactory } from "./pool.js";

function ownBinary(name: BinaryName): URL {
  switch (name) {
    case "simd":
      return new URL("../build/gumbel-simd.wasm", import.meta.url);
    case "scalar":
      return new URL("../build/gumbel-scalar.wasm", import.meta.url);
    case "simd-shared":
      return new URL("../build/gumbel-simd-shared.wasm", import.meta.url);
    default:
      return new URL("../build/gumbel-scalar-shared.wasm", import.meta.url);
  }
}

/**
 * Module Web Workers (browsers, Deno). Written as `new Worker(new URL(...), { type: "module" })`
 * so that Vite and webpack bundle worker.js as a worker; worker.js is one self-contained file
 * (bundled at build time), so bundlers that copy it as an asset (Rollup with an
 * import.meta.url plugin, or by hand for esbuild) work too.
 */
const webWorkers: WorkerFactory = ({ message, failed }) => {
  const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  w.onmessage = (event) => message(event.data);
  w.onerror = (event) => {
    event.preventDefault();
    failed(new Error(event.message || "worker error"));
  };
  return { post: (m) => w.postMessage(m), hold: () => undefined, terminate: () => w.terminate() };
};

const threading: Threading = {
  workers: typeof (globalThis as { Worker?: unknown }).Worker === "function" ? webWorkers : null,
  sharedBinaries: true,
  cores: () => (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1,
};

/**
 * Loads the best binary this runtime validates (SIMD, else scalar) and returns a ready instance.
 * @example
 * const gw = await init();
 * gw.gumbelSoftmax([1, 2, 3], { cols: 3, tau: 0.5, seed: 42 });
 */
export function init(options: InitOptions = {}): Promise<GumbelWasm> {
  return initWith(options, ownBinary, undefined, threading);
}

export * from "./public.js";
