// TensorFlow.js for the examples: tfjs-core with the wasm backend (SIMD, one thread in Node) or the
// cpu backend (plain JS), and the gradients of every op registered.
//
// tfjs-core's Node bundle (dist/tf-core.node.js, what `import "@tensorflow/tfjs-core"` loads)
// registers no gradients and no chained ops (`x.add(y)`): the full `@tensorflow/tfjs` package does
// that, and pulls in tfjs-data, tfjs-layers, tfjs-converter and node-fetch. We load only
// `dist/register_all_gradients.js`, tfjs-core's own ES module, which Node cannot resolve as it is
// (its imports have no file extensions): ./esm-hook.mjs adds them. The gradients land in tfjs's
// global registry (kernel_registry.ts keeps it on the global object, like the engine), so the
// Node bundle's ops find them. The examples call ops as functions (`tf.add(x, y)`), never chained.

import { createRequire, register } from "node:module";
import { dirname } from "node:path";

const require = createRequire(import.meta.url);

/** @type {Map<string, Promise<typeof import("@tensorflow/tfjs-core")>>} */
const loaded = new Map();

/**
 * tfjs-core with `backend` active ("wasm" or "cpu") and every gradient registered.
 * @param {"wasm" | "cpu"} backend
 */
export function loadTf(backend = "wasm") {
  if (!loaded.has(backend)) loaded.set(backend, load(backend));
  return /** @type {Promise<typeof import("@tensorflow/tfjs-core")>} */ (loaded.get(backend));
}

/** @param {"wasm" | "cpu"} backend */
async function load(backend) {
  register("./esm-hook.mjs", import.meta.url);
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  await import("@tensorflow/tfjs-backend-cpu");
  const { setWasmPaths } = await import("@tensorflow/tfjs-backend-wasm");
  setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  tf.enableProdMode();
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: the ${backend} backend did not initialise`);
  await tf.ready();
  return tf;
}
