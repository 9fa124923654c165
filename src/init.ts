// init() given a way to find the package's own binaries, shared by every entry point (index.ts
// for browsers and bundlers, node.ts for Node, Deno and Bun, workerd.ts for Cloudflare Workers),
// which differ only in how they find the `.wasm` files.

import { parseU64 } from "./checks.js";
import { GumbelWasm } from "./gumbel.js";
import { compile, fetchUrl, instantiate, simdSupported, type UrlReader, type WasmSource } from "./loader.js";
import { checkOptions, optionKeys } from "./options.js";
import { Pool, type WorkerFactory } from "./pool.js";
import type { Backend } from "./types.js";

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
  /**
   * Worker threads for the async calls (`gumbelSoftmaxAsync`, ...): a number, or "auto" for the
   * machine's cores; default 1 (no workers). The workers start before init() resolves. Needs
   * SharedArrayBuffer (in browsers: a cross-origin isolated page) and workers that start;
   * without them the instance runs on one thread and `gw.threadNote` says why.
   */
  threads?: number | "auto";
  /**
   * With threads: async calls on fewer elements than this run on the calling thread, where
   * handing them to workers would cost more than it saves. Default 65536 (measured: see the
   * README); 0 sends every batch of two rows or more to the workers.
   */
  threadThreshold?: number;
  /**
   * Put the instance on a shared WebAssembly.Memory (the package's shared-memory binaries),
   * where the runtime has SharedArrayBuffer: then growing the memory never detaches a view,
   * so a `tensor.data` held across any call stays valid. Default true; false (or a runtime
   * without SharedArrayBuffer, or the `wasm` option) gives an ordinary memory, whose growth
   * detaches views taken before it. Threads need it.
   */
  sharedMemory?: boolean;
}

/** Largest shared memory, in 64 KiB pages (2 GiB); the shared binaries declare the same. */
const SHARED_MAX_PAGES = 32768;

/** What an entry point knows about threads in its runtime. */
export interface Threading {
  /** Starts a worker, or null where the runtime has none. */
  workers: WorkerFactory | null;
  /** Whether the entry point can load the shared-memory binaries. */
  sharedBinaries: boolean;
  /** Logical cores, for threads: "auto". */
  cores(): number;
}

function isPerBackend(w: InitOptions["wasm"]): w is Partial<Record<Backend, WasmSource>> {
  return (
    typeof w === "object" && w !== null && !(w instanceof URL) && !(w instanceof WebAssembly.Module) &&
    !ArrayBuffer.isView(w) && !(w instanceof ArrayBuffer) && !(typeof Response !== "undefined" && w instanceof Response) &&
    ("simd" in w || "scalar" in w)
  );
}

/** Where an entry point finds the package's own binary for a backend. */
export type BinaryLocator = (name: BinaryName) => WasmSource | Promise<WasmSource>;

/** The package's binaries: one per backend, and their shared-memory variants for threads. */
export type BinaryName = Backend | "simd-shared" | "scalar-shared";

/** How many threads `threads` asks for (validated). */
function wantedThreads(threads: unknown, threading: Threading | null): number {
  if (threads === undefined) return 1;
  if (threads === "auto") return Math.max(1, threading ? threading.cores() : 1);
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new RangeError(`init: threads must be "auto" or an integer from 1 to 256, got ${String(threads)}`);
  }
  return threads;
}

/** A shared memory, or why there is none. */
function sharedMemory(): WebAssembly.Memory | string {
  if (typeof SharedArrayBuffer === "undefined") {
    return "SharedArrayBuffer is not available (in a browser: serve the page cross-origin isolated, with COOP/COEP headers)";
  }
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
  } catch (e) {
    return `a shared WebAssembly.Memory could not be made: ${(e as Error).message}`;
  }
}

/**
 * init() of an entry point: `own` finds the package's binaries in that runtime (with the
 * `-shared` variants for threads), `read` reads URLs, `threading` starts workers.
 */
export async function initWith(
  options: InitOptions,
  own: BinaryLocator,
  read: UrlReader = fetchUrl,
  threading: Threading | null = null,
): Promise<GumbelWasm> {
  // Every key of InitOptions, and only those (an unknown key is a TypeError; see src/options.ts).
  const backendNote = 'choose the binary with backend: "auto", "simd" or "scalar"';
  checkOptions("init", options, optionKeys<InitOptions>(
    { backend: true, wasm: true, seed: true, threads: true, threadThreshold: true, sharedMemory: true },
    { notes: { simd: backendNote, scalar: backendNote } },
  ));
  const want = options.backend ?? "auto";
  if (want !== "auto" && want !== "simd" && want !== "scalar") {
    throw new TypeError(`init: backend must be "auto", "simd" or "scalar", got ${String(want)}`);
  }
  const seed = options.seed;
  if (seed !== undefined) parseU64("init", "seed", seed, { lo: 0, hi: 0 });
  const simd = simdSupported();
  if (want === "simd" && !simd) throw new Error("init: this runtime does not support WebAssembly SIMD");
  const backend: Backend = want === "auto" ? (simd ? "simd" : "scalar") : want;
  const threads = wantedThreads(options.threads, threading);
  const threshold = options.threadThreshold;
  if (threshold !== undefined && (typeof threshold !== "number" || !(threshold >= 0) || !Number.isFinite(threshold))) {
    throw new RangeError(`init: threadThreshold must be a number of elements >= 0, got ${String(threshold)}`);
  }
  const wantShared = options.sharedMemory ?? true;
  if (typeof wantShared !== "boolean") throw new TypeError(`init: sharedMemory must be a boolean, got ${String(wantShared)}`);
  let note = "";
  let memory: WebAssembly.Memory | null = null;
  let pooled = false;
  const canShare = options.wasm === undefined && threading?.sharedBinaries === true;
  if (threads > 1) {
    if (!threading?.workers) note = "this runtime has no workers";
    else if (options.wasm !== undefined) note = "threads need the package's shared-memory binaries: drop the wasm option";
    else if (!wantShared) note = "threads need shared memory: drop sharedMemory: false";
  }
  if (canShare && wantShared) {
    const m = sharedMemory();
    if (typeof m === "string") {
      if (threads > 1 && !note) note = m;
    } else {
      memory = m;
      pooled = threads > 1 && !note;
    }
  }
  if (memory) {
    // The shared-memory binary: on one thread views never detach; with a pool, workers share it.
    const module = await compile(await own(`${backend}-shared`), read);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const shared = memory;
    const gw = new GumbelWasm(instance, backend, seed, {
      note,
      threshold,
      startPool: pooled
        ? (gw) => {
            // One scratch area per worker, kept if the worker is replaced.
            const scratch: number[] = [];
            return new Pool(threads, threading!.workers!, (i) => ({
              type: "start",
              module,
              memory: shared,
              scratch: (scratch[i] ??= gw.heap.alloc(gw.kernels.scratch_bytes())),
            }));
          }
        : undefined,
    });
    // The workers start now: if one cannot (a runtime that refuses workers, a worker file that
    // does not load, ...), the instance runs on the calling thread and threadNote says why.
    await gw.startThreads();
    return gw;
  }
  const w = options.wasm;
  if (w === null) throw new TypeError("init: wasm must be bytes, a WebAssembly.Module, a URL, a Response or { simd, scalar }, got null");
  const given = w === undefined ? undefined : isPerBackend(w) ? w[backend] : w;
  const source = given ?? (await own(backend));
  const instance = await instantiate(await compile(source, read));
  return new GumbelWasm(instance, backend, seed, { note });
}
