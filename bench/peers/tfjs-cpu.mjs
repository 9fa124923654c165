// TensorFlow.js on its plain JavaScript backend (@tensorflow/tfjs-backend-cpu): Gumbel-Softmax
// composed of tfjs ops (`tfjs-cpu`). No tf.multinomial here: the cpu kernel's rows are not
// independent (see ../tfjs.mjs).

import { createTfjs } from "../tfjs.mjs";

/** @returns {Promise<import("../run.mjs").Impl[]>} */
export function create() {
  return createTfjs("cpu");
}
