// Compiling and instantiating the kernels from whatever the caller has. No runtime-specific
// API here: how a URL is read comes from the entry point (fetch in browsers, Deno and workerd;
// the file system for file: URLs in Node, Deno and Bun).

/** The two binaries built from assembly/ (one source, branching on ASC_FEATURE_SIMD). */
export type Backend = "simd" | "scalar";

/** Anything a binary can be given as: bytes, a compiled module, a URL (or its string), a fetch Response. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response;

/** How an entry point reads a URL: bytes, or a Response to compile while it streams. */
export type UrlReader = (url: URL) => Promise<Uint8Array | Response>;

/**
 * The smallest module that uses SIMD: `(func (result v128) (i32x4.splat (i32.const 0)))`.
 * A runtime that validates it runs the SIMD binary (as wasm-feature-detect does).
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // code: i32.const 0; i32x4.splat; end
]);

/** Whether this runtime validates WebAssembly SIMD (128-bit). */
export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** Reads a URL with fetch (browsers, Deno, workerd, Bun, and Node for http(s) URLs). */
export async function fetchUrl(url: URL): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`gumbel-wasm: fetching ${url.href} failed: HTTP ${response.status}`);
  return response;
}

/** Compiles a Response, from the bytes when the server did not send application/wasm. */
async function compileResponse(response: Response): Promise<WebAssembly.Module> {
  if (typeof WebAssembly.compileStreaming === "function" && response.headers.get("content-type")?.startsWith("application/wasm")) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles a binary from any accepted source; compiled modules of URLs are cached. */
export function compile(source: WasmSource, read: UrlReader = fetchUrl): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  if (typeof Response !== "undefined" && source instanceof Response) return compileResponse(source);
  if (typeof source === "string" || source instanceof URL) {
    const url = typeof source === "string" ? new URL(source, import.meta.url) : source;
    let p = compiled.get(url.href);
    if (!p) {
      p = read(url).then((data) =>
        data instanceof Uint8Array ? WebAssembly.compile(data as Uint8Array<ArrayBuffer>) : compileResponse(data),
      );
      compiled.set(url.href, p);
      p.catch(() => compiled.delete(url.href));
    }
    return p;
  }
  if (!(source instanceof ArrayBuffer) && !ArrayBuffer.isView(source)) {
    throw new TypeError(
      `init: wasm must be bytes, a WebAssembly.Module, a URL or a Response, got ${source === null ? "null" : typeof source}`,
    );
  }
  return WebAssembly.compile(source);
}

/** Instantiates a compiled module: the kernels import nothing. */
export async function instantiate(module: WebAssembly.Module): Promise<WebAssembly.Instance> {
  return WebAssembly.instantiate(module, {});
}
