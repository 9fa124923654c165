// TensorFlow.js on its WebAssembly backend (@tensorflow/tfjs-backend-wasm: C++ kernels in wasm, the
// SIMD binary, one thread: tfjs does not run its threaded build in Node). Two implementations:
// Gumbel-Softmax composed of tfjs ops (`tfjs-wasm`), and tf.multinomial as gumbelMax
// (`tfjs-wasm-mn`). See ../tfjs.mjs.

import { createTfjs } from "../tfjs.mjs";

/** @returns {Promise<import("../run.mjs").Impl[]>} */
export function create() {
  return createTfjs("wasm");
}
