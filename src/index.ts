// gumbel-wasm: Gumbel noise, Gumbel-Max sampling, Gumbel-Softmax and softmax gradients in
// WebAssembly SIMD, behind a typed, zero-copy façade.

import { parseU64 } from "./args.js";
import { GumbelWasm } from "./gumbel.js";
import { compile, defaultBinaryUrl, instantiate, simdSupported, type Backend, type WasmSource } from "./loader.js";

export interface InitOptions {
  /**
   * "auto" (default): SIMD where the runtime validates it, else scalar. "simd" or "scalar"
   * force one (forcing "simd" where it does not validate throws).
   */
  backend?: Backend | "auto";
  /**
   * The binary, for hosts that serve it themselves: bytes, a compiled WebAssembly.Module, or a
   * URL; or one per backend. Default: the file beside this package.
   */
  wasm?: WasmSource | Partial<Record<Backend, WasmSource>>;
  /** Seed of the instance's own stream (calls without `seed`); default: random. */
  seed?: number | bigint;
}

function isPerBackend(w: InitOptions["wasm"]): w is Partial<Record<Backend, WasmSource>> {
  return (
    typeof w === "object" && w !== null && !(w instanceof URL) && !(w instanceof WebAssembly.Module) &&
    !ArrayBuffer.isView(w) && !(w instanceof ArrayBuffer) && ("simd" in w || "scalar" in w)
  );
}

/**
 * Loads the best binary this runtime validates and returns a ready instance.
 * @example
 * const gw = await init();
 * gw.gumbelSoftmax([1, 2, 3], { cols: 3, tau: 0.5, seed: 42 });
 */
export async function init(options: InitOptions = {}): Promise<GumbelWasm> {
  const want = options.backend ?? "auto";
  if (want !== "auto" && want !== "simd" && want !== "scalar") {
    throw new TypeError(`init: backend must be "auto", "simd" or "scalar", got ${String(want)}`);
  }
  const seed = options.seed;
  if (seed !== undefined) parseU64("init", "seed", seed, { lo: 0, hi: 0 });
  const simd = simdSupported();
  if (want === "simd" && !simd) throw new Error("init: this runtime does not support WebAssembly SIMD");
  const backend: Backend = want === "auto" ? (simd ? "simd" : "scalar") : want;
  const w = options.wasm;
  const source = w === undefined ? defaultBinaryUrl(backend) : isPerBackend(w) ? (w[backend] ?? defaultBinaryUrl(backend)) : w;
  const instance = await instantiate(await compile(source));
  return new GumbelWasm(instance, backend, seed);
}

export { GumbelWasm, simdSupported };
export type { Backend, WasmSource };
export type {
  BackwardOptions, FloatInput, GumbelSoftmaxOptions, Kernels, OutOption, ShapeOptions, StreamOptions, TauOptions, U64,
} from "./gumbel.js";
export { Tensor, type DType } from "./memory.js";
export { GumbelRng } from "./rng.js";
