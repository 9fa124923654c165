// gumbel-wasm for Node (and Deno and Bun through their Node compatibility): the binaries are
// read from the file system beside this module; file: URLs given to init() are read the same
// way, other URLs fetched.

import { readFile } from "node:fs/promises";
import { initWith, type InitOptions } from "./core.js";
import type { GumbelWasm } from "./gumbel.js";
import { fetchUrl, type Backend } from "./loader.js";

function ownBinary(backend: Backend): URL {
  return new URL(`../build/gumbel-${backend}.wasm`, import.meta.url);
}

async function read(url: URL): Promise<Uint8Array | Response> {
  return url.protocol === "file:" ? readFile(url) : fetchUrl(url);
}

/**
 * Loads the best binary this runtime validates (SIMD, else scalar) and returns a ready instance.
 * @example
 * const gw = await init();
 * gw.gumbelSoftmax([1, 2, 3], { cols: 3, tau: 0.5, seed: 42 });
 */
export function init(options: InitOptions = {}): Promise<GumbelWasm> {
  return initWith(options, ownBinary, read);
}

export * from "./core.js";
