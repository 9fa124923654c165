// What every entry point shares: init() given a way to find the package's own binaries, and the
// public API. The entry points (index.ts for browsers and bundlers, node.ts for Node, Deno and
// Bun, workerd.ts for Cloudflare Workers) differ only in how they find the `.wasm` files.

import { parseU64 } from "./args.js";
import { GumbelWasm } from "./gumbel.js";
import { compile, fetchUrl, instantiate, simdSupported, type Backend, type UrlReader, type WasmSource } from "./loader.js";

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
    !ArrayBuffer.isView(w) && !(w instanceof ArrayBuffer) && !(typeof Response !== "undefined" && w instanceof Response) &&
    ("simd" in w || "scalar" in w)
  );
}

/** Where an entry point finds the package's own binary for a backend. */
export type BinaryLocator = (backend: Backend) => WasmSource | Promise<WasmSource>;

/** init() of an entry point: `own` finds the package's binaries in that runtime. */
export async function initWith(options: InitOptions, own: BinaryLocator, read: UrlReader = fetchUrl): Promise<GumbelWasm> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`init: options must be an object, got ${options === null ? "null" : typeof options}`);
  }
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
  if (w === null) throw new TypeError("init: wasm must be bytes, a WebAssembly.Module, a URL, a Response or { simd, scalar }, got null");
  const given = w === undefined ? undefined : isPerBackend(w) ? w[backend] : w;
  const source = given ?? (await own(backend));
  const instance = await instantiate(await compile(source, read));
  return new GumbelWasm(instance, backend, seed);
}

export { GumbelWasm, simdSupported };
export type { Backend, WasmSource };
export type {
  BackwardOptions, FloatInput, GumbelSoftmaxOptions, Kernels, OutOption, ShapeOptions, StreamOptions, TauOptions, U64,
} from "./gumbel.js";
export { Tensor, type DType } from "./memory.js";
export { GumbelRng } from "./rng.js";
