// gumbel-wasm for Cloudflare Workers (workerd): Workers refuse to compile WebAssembly from bytes
// at run time, so the binaries are imported as modules, which the platform compiles at deploy
// time (wrangler and miniflare do this for `.wasm` imports by default).

import simd from "../build/gumbel-simd.wasm";
import scalar from "../build/gumbel-scalar.wasm";
import { initWith, type BinaryName, type InitOptions } from "./init.js";
import type { GumbelWasm } from "./gumbel.js";

/** Workers have no threads (`threads` falls back to 1), so only the single-memory binaries. */
function ownBinary(name: BinaryName): WebAssembly.Module {
  return name.startsWith("simd") ? simd : scalar;
}

/**
 * Returns a ready instance on the best binary this runtime validates (SIMD, else scalar).
 * @example
 * const gw = await init();
 * gw.gumbelSoftmax([1, 2, 3], { cols: 3, tau: 0.5, seed: 42 });
 */
export function init(options: InitOptions = {}): Promise<GumbelWasm> {
  return initWith(options, ownBinary, undefined, { workers: null, sharedBinaries: false, cores: () => 1 });
}

export * from "./public.js";
