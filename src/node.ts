// gumbel-wasm for Node (and Deno and Bun through their Node compatibility): the binaries are
// read from the file system beside this module; file: URLs given to init() are read the same
// way, other URLs fetched.

import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { initWith, type BinaryName, type InitOptions, type Threading } from "./init.js";
import type { GumbelWasm } from "./gumbel.js";
import { fetchUrl } from "./loader.js";

function ownBinary(name: BinaryName): URL {
  return new URL(`../build/gumbel-${name}.wasm`, import.meta.url);
}

/**
 * The process's Node flags minus those a worker refuses (`--input-type`, which `node -e`
 * scripts use): workers inherit the rest, as they do by default.
 */
function workerExecArgv(): string[] {
  const argv = (globalThis as { process?: { execArgv?: string[] } }).process?.execArgv ?? [];
  return argv.filter((a) => !a.startsWith("--input-type"));
}

/** node:worker_threads workers; an idle one does not keep the process alive. */
const threading: Threading = {
  workers: ({ message, failed }) => {
    const w = new Worker(new URL("./worker-node.js", import.meta.url), { execArgv: workerExecArgv() });
    w.on("message", message);
    w.on("error", failed);
    w.on("exit", (code) => failed(new Error(`exited with code ${code}`)));
    return { post: (m) => w.postMessage(m), hold: (busy) => (busy ? w.ref() : w.unref()), terminate: () => w.terminate() };
  },
  sharedBinaries: true,
  cores: () => availableParallelism(),
};

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
  return initWith(options, ownBinary, read, threading);
}

export * from "./public.js";
