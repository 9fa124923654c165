// Finding, compiling and instantiating the kernels. No Node-only API is reached unless the
// binary's URL is a file: URL (Node, Deno and Bun, which all provide node:fs/promises).

/** The two binaries built from assembly/ (one source, branching on ASC_FEATURE_SIMD). */
export type Backend = "simd" | "scalar";

/** Anything a binary can be given as. */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string;

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

/** Where the package keeps a backend's binary, relative to this module. */
export function defaultBinaryUrl(backend: Backend): URL {
  return new URL(`../build/gumbel-${backend}.wasm`, import.meta.url);
}

async function readUrl(url: URL): Promise<Uint8Array | Response> {
  if (url.protocol === "file:") {
    const specifier = "node:fs/promises";
    const fs = (await import(/* @vite-ignore */ specifier)) as { readFile(path: URL): Promise<Uint8Array> };
    return fs.readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`gumbel-wasm: fetching ${url.href} failed: HTTP ${response.status}`);
  return response;
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles a binary from any accepted source; compiled modules of URLs are cached. */
export function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  if (typeof source === "string" || source instanceof URL) {
    const url = typeof source === "string" ? new URL(source, import.meta.url) : source;
    let p = compiled.get(url.href);
    if (!p) {
      p = readUrl(url).then((data) =>
        data instanceof Uint8Array
          ? WebAssembly.compile(data as Uint8Array<ArrayBuffer>)
          : WebAssembly.compileStreaming(data).catch(async () =>
              // Servers that do not send application/wasm: compile from the bytes instead.
              WebAssembly.compile(await (await fetch(url)).arrayBuffer()),
            ),
      );
      compiled.set(url.href, p);
      p.catch(() => compiled.delete(url.href));
    }
    return p;
  }
  return WebAssembly.compile(source);
}

/** Instantiates a compiled module: the kernels import nothing. */
export async function instantiate(module: WebAssembly.Module): Promise<WebAssembly.Instance> {
  return WebAssembly.instantiate(module, {});
}
