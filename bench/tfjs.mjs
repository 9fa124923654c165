// TensorFlow.js as benchmark peers (used by ./peers/tfjs-wasm.mjs and ./peers/tfjs-cpu.mjs; it
// lives outside ./peers so that the harness does not load it as a peer itself).
//
// What a tfjs user writes: Gumbel-Softmax composed of tfjs ops, one tensor per intermediate.
//
//   noise     g = -log(-log(u)), u = tf.randomUniform(shape, U_MIN, U_MAX, "float32", seed)
//   max       tf.argMax(logits + g, -1)
//   soft      tf.softmax((logits + g) / tau)
//   hard      tf.cast(tf.oneHot(tf.argMax(logits + g, -1), cols), "float32")
//   backward  dx = y * (dy - sum(dy * y, -1, keepDims)) / tau, dtau = -sum(dx * log(y), -1)
//   backward-dx  dx alone
//
// plus, on the wasm backend, `tf.multinomial(logits, 1, seed)`, tfjs's own categorical sampler,
// as a second implementation of `max` (id tfjs-wasm-mn): the same law, softmax(logits), by
// another algorithm (inverse CDF, one uniform per row) and another random stream. Not on the
// cpu backend: its Multinomial kernel reseeds its generator for every row, so all rows of a call
// share one uniform, and the harness's z-test rejects its draws (z = 12.9 at 4096x10).
//
// Input tensors are made once in prepare; a call runs the ops inside tf.tidy (which frees the
// intermediates) and reads the result back with dataSync(), so nothing is left pending.
//
// tfjs has a single global engine with one active backend, and both tfjs peers live in this
// process: each call first makes its own backend the active one (a no-op unless the other tfjs
// peer ran last, which happens only at task boundaries). Tensors stay on the backend they were
// made on, so there is never a copy between backends inside the timed code.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

/** @typedef {import("./run.mjs").Impl} Impl */
/** @typedef {import("./run.mjs").Prepared} Prepared */
/** @typedef {import("./run.mjs").Input} Input */
/** @typedef {import("./run.mjs").OpName} OpName */

const require = createRequire(import.meta.url);

/**
 * Bounds of the uniforms fed to -log(-log(u)). alea's doubles are multiples of 2^-32 in [0, 1);
 * stored as float32, 0 gives -inf and anything above 1 - 2^-25 rounds to 1 and gives +inf (and
 * then NaN out of softmax), about 3% of 8x128256 calls. [2^-32, 1 - 2^-24] keeps every value
 * finite, like the open interval (0, 1) of ours and of the JS baseline.
 */
const U_MIN = 2 ** -32;
const U_MAX = 1 - 2 ** -24;

/** Smallest normal float32: log(y) of an underflowed y = 0 stays finite (its dx is 0 anyway). */
const FLT_MIN = 2 ** -126;

/** @type {Promise<typeof import("@tensorflow/tfjs-core")> | undefined} */
let loading;

/**
 * Loads tfjs-core with both backends registered, once. The wasm backend is told where its .wasm
 * files are (the package's dist folder), and production mode is on: no per-op debug checks and
 * no console warning about tfjs-node on the first tensor.
 */
export function loadTf() {
  loading ??= (async () => {
    const tf = await import("@tensorflow/tfjs-core");
    await import("@tensorflow/tfjs-backend-cpu");
    const { setWasmPaths } = await import("@tensorflow/tfjs-backend-wasm");
    setWasmPaths(`${wasmDir()}/`);
    tf.enableProdMode();
    return tf;
  })();
  return loading;
}

/** The folder with tfjs-backend-wasm's .wasm binaries (next to its Node entry point). */
function wasmDir() {
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
}

/** @param {string} pkg */
function version(pkg) {
  return JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")).version;
}

/**
 * Makes `name` the active backend and fails loudly if it cannot be (e.g. tfjs-backend-wasm could
 * not find or compile its .wasm): the harness reports a thrown create() as a failed check.
 * @param {typeof import("@tensorflow/tfjs-core")} tf @param {"wasm" | "cpu"} name
 * @returns {Promise<string>} what was loaded, for the report
 */
export async function startBackend(tf, name) {
  let ok = false;
  /** @type {unknown} */
  let why;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    why = err;
  }
  if (!ok || tf.getBackend() !== name) {
    const detail = why instanceof Error ? why.message : why ? JSON.stringify(why) : "setBackend returned false";
    const where = name === "wasm" ? ` (wasm files looked up in ${wasmDir()})` : "";
    throw new Error(`tfjs backend ${name} did not start${where}: ${detail}`);
  }
  const core = `tfjs-core ${version("@tensorflow/tfjs-core")}`;
  if (name === "cpu") return `${core}, tfjs-backend-cpu ${version("@tensorflow/tfjs-backend-cpu")}, prod mode`;
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  // Which binary init() picked: tfjs never uses its threaded build in Node.
  const file = simd && threads
    ? "tfjs-backend-wasm-threaded-simd.wasm"
    : simd ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm";
  const buf = readFileSync(join(wasmDir(), file));
  const backend = /** @type {any} */ (tf.backend());
  const nThreads = backend.wasm?.tfjs?.getThreadsCount?.() ?? "?";
  return (
    `${core}, tfjs-backend-wasm ${version("@tensorflow/tfjs-backend-wasm")}, prod mode, ${file} ` +
    `(${buf.length} B, ${gzipSync(buf, { level: 9 }).length} B gzipped), ${nThreads} thread(s)`
  );
}

/**
 * The implementations on one backend: the composed ops, and on wasm tf.multinomial for `max`.
 * @param {"wasm" | "cpu"} backendName
 * @returns {Promise<Impl[]>}
 */
export async function createTfjs(backendName) {
  const tf = await loadTf();
  const details = await startBackend(tf, backendName);

  /** Makes this backend the active one; synchronous when it is initialised already. */
  const activate = () => {
    if (tf.getBackend() !== backendName) {
      // setBackend is async only for a backend that is not initialised yet; for this one, its body
      // (switch the engine to the registered instance) has run before it returns.
      void tf.setBackend(backendName);
      if (tf.getBackend() !== backendName) throw new Error(`could not switch tfjs to ${backendName}`);
    }
  };

  /**
   * Gumbel noise of the given shape; seed: a positive integer (tfjs treats 0 as "random").
   * @param {number[]} shape @param {number} seed
   */
  const gumbel = (shape, seed) => tf.neg(tf.log(tf.neg(tf.log(tf.randomUniform(shape, U_MIN, U_MAX, "float32", seed)))));

  /**
   * Runs `ops` for call i and reads its tensors back; everything the call made is freed.
   * @param {(seed: number) => import("@tensorflow/tfjs-core").Tensor[]} ops
   */
  const runner = (ops) => {
    /** @type {(Float32Array | Int32Array)[]} */
    let last = [];
    return {
      /** @param {number} i */
      call(i) {
        activate();
        const ts = tf.tidy(() => ops(i + 1));
        last = ts.map((t) => /** @type {Float32Array | Int32Array} */ (t.dataSync()));
        for (const t of ts) t.dispose();
      },
      output: () => ({ values: last[0], dtau: /** @type {Float32Array | undefined} */ (last[1]) }),
    };
  };

  /**
   * Composed ops.
   * @param {OpName} op @param {Input} input @returns {Prepared | null}
   */
  function prepareComposed(op, input) {
    const { rows, cols, n, tau } = input;
    activate();
    /** @type {import("@tensorflow/tfjs-core").Tensor[]} */
    const owned = [];
    /** @template {import("@tensorflow/tfjs-core").Tensor} T @param {T} t @returns {T} */
    const keep = (t) => (owned.push(t), t);
    const dispose = () => owned.forEach((t) => t.dispose());
    const logits = () => keep(tf.tensor2d(input.logits, [rows, cols]));
    const tauT = keep(tf.scalar(tau));
    switch (op) {
      case "noise":
        return { ...runner((seed) => [gumbel([n], seed)]), dispose };
      case "max": {
        const x = logits();
        return { ...runner((seed) => [tf.argMax(tf.add(x, gumbel([rows, cols], seed)), -1)]), dispose };
      }
      case "soft": {
        const x = logits();
        return { ...runner((seed) => [tf.softmax(tf.div(tf.add(x, gumbel([rows, cols], seed)), tauT))]), dispose };
      }
      case "hard": {
        const x = logits();
        // int32 one-hot, then cast: tfjs-backend-wasm 4.22's OneHot kernel ignores the dtype
        // argument and writes int32 bits into a float32 tensor (1 reads as 1.4e-45).
        const hard = (/** @type {number} */ seed) =>
          tf.cast(tf.oneHot(tf.argMax(tf.add(x, gumbel([rows, cols], seed)), -1), cols), "float32");
        return { ...runner((seed) => [hard(seed)]), dispose };
      }
      case "backward":
      case "backward-dx": {
        const y = keep(tf.tensor2d(input.y, [rows, cols]));
        const dy = keep(tf.tensor2d(input.dy, [rows, cols]));
        const withDtau = op === "backward";
        const backward = () => {
          const dot = tf.sum(tf.mul(dy, y), -1, true);
          const dx = tf.div(tf.mul(y, tf.sub(dy, dot)), tauT);
          if (!withDtau) return [dx];
          const dtau = tf.neg(tf.sum(tf.mul(dx, tf.log(tf.maximum(y, FLT_MIN))), -1));
          return [dx, dtau];
        };
        return { ...runner(backward), dispose };
      }
      default:
        return null;
    }
  }

  /**
   * tf.multinomial for `max` only.
   * @param {OpName} op @param {Input} input @returns {Prepared | null}
   */
  function prepareMultinomial(op, input) {
    if (op !== "max") return null;
    activate();
    const x = tf.tensor2d(input.logits, [input.rows, input.cols]);
    return { ...runner((seed) => [tf.reshape(tf.multinomial(x, 1, seed), [-1])]), dispose: () => x.dispose() };
  }

  const label = `tfjs-${backendName}`;
  /** @type {Impl[]} */
  const impls = [
    { id: label, label, stream: `${label}-alea`, compare: backendName === "wasm", details, prepare: prepareComposed },
  ];
  if (backendName === "wasm") {
    impls.push({
      id: `${label}-mn`,
      label: `${label} multinomial`,
      short: `${label} mn`,
      stream: `${label}-multinomial`,
      compare: true,
      details: `tf.multinomial(logits, 1, seed) for gumbelMax; ${details}`,
      prepare: prepareMultinomial,
    });
  }
  return impls;
}
