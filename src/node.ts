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
 * The pool worker's code, worker-node.js, loaded by an `import()` evaluated in the worker
 * rather than as the worker's main file, and with the options a worker gets by default (no
 * `execArgv`, no `env`). Measured on Node 20:
 * - an explicit `execArgv` is validated strictly: per-process and V8 flags the process runs with
 *   (`--max-old-space-size`, `--max-semi-space-size`, `--stack-size`, `--expose-gc`, `--title`)
 *   make `new Worker` throw ERR_WORKER_INVALID_EXEC_ARGV;
 * - `execArgv: []` starts the worker outside the permission model (`--experimental-permission
 *   --allow-worker`) and still re-reads NODE_OPTIONS (and its `--input-type`) in the worker;
 * - the default hands the worker the process's own options, unvalidated (V8 and per-process
 *   flags are process-wide anyway), but `--input-type` (`node --input-type=module -e`, or in
 *   NODE_OPTIONS) then refuses a worker's main file (ERR_INPUT_TYPE_NOT_ALLOWED). An evaluated
 *   `import()` is not a main file, and is the same code as a CommonJS script and as a module.
 *   `--require` preloads run in it (as in every worker), `--import` ones do not (they run in a
 *   file worker only); a preload that throws in a worker stops the pool (see startThreads).
 * A load failure is rethrown from a timer, so that the pool gets it as the worker's error (under
 * `--unhandled-rejections=warn` the rejection alone only ends the worker with code 0).
 */
const bootstrap = `import(${JSON.stringify(new URL("./worker-node.js", import.meta.url).href)}).catch((e) => setTimeout(() => { throw e; }));`;

/** node:worker_threads workers; an idle one does not keep the process alive. */
const threading: Threading = {
  workers: ({ message, failed }) => {
    const w = new Worker(bootstrap, { eval: true });
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
