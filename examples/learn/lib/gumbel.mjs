// Gumbel-Softmax as a differentiable tfjs op, with the call of `gumbel-wasm/tfjs`:
//
//   const ops = tfOps(gw);
//   ops.gumbelSoftmax(logits, { tau, hard, seed, offset })   // classes on the last axis
//
// Until that subpath export lands, this adapter composes it from tfjs ops around gumbel-wasm's
// noise: g = gw.gumbelNoise(n, { seed, offset }) (element i of the logits gets noise element
// offset + i, as in gw.gumbelSoftmax), y = softmax((logits + g) / tau). With `hard`, the value
// is one_hot(argmax y) and the gradient is that of the soft y (straight-through, Jang et al.
// 2017 section 2.2): dlogits = y * (dy - <dy, y>) / tau, through tf.customGrad.

import * as tf from "@tensorflow/tfjs-core";

/**
 * @typedef {{ tau?: number | tf.Scalar, hard?: boolean, seed: number | bigint, offset?: number | bigint }} GumbelSoftmaxOptions
 */

/** @param {import("gumbel-wasm").GumbelWasm} gw */
export function tfOps(gw) {
  /**
   * A Gumbel-Softmax sample of `logits` (classes on the last axis), differentiable w.r.t. the logits.
   * @param {tf.Tensor} logits @param {GumbelSoftmaxOptions} options
   */
  function gumbelSoftmax(logits, { tau = 1, hard = false, seed, offset = 0 }) {
    const g = tf.tensor(gw.gumbelNoise(logits.size, { seed, offset }), logits.shape, "float32");
    const t = typeof tau === "number" ? tf.scalar(tau) : tau;
    if (!hard) return tf.softmax(tf.div(tf.add(logits, g), t));
    const classes = /** @type {number} */ (logits.shape.at(-1));
    // The backward may only read what `save` kept: tf.grad disposes the forward's other tensors.
    const straight = tf.customGrad((l, temp, save) => {
      const s = tf.div(tf.add(/** @type {tf.Tensor} */ (l), g), /** @type {tf.Tensor} */ (temp));
      const y = tf.softmax(s);
      save([y, s, /** @type {tf.Tensor} */ (temp)]);
      return {
        value: tf.cast(tf.oneHot(tf.argMax(y, -1), classes), "float32"), // int32, cast: see ./nn.mjs oneHot
        gradFunc: (dy, [ys, ss, ts]) => {
          const dl = tf.div(tf.mul(ys, tf.sub(dy, tf.sum(tf.mul(dy, ys), -1, true))), ts);
          return [dl, tf.neg(tf.sum(tf.mul(dl, ss)))]; // d/dtau = -<dlogits, s>
        },
      };
    });
    return straight(logits, t);
  }
  return { gumbelSoftmax };
}
