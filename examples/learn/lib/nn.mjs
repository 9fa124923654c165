// The few network pieces the examples need, on tfjs-core ops: dense layers (Glorot-uniform
// weights, zero biases), an MLP, and the Bernoulli log-likelihood of 0/1 pixels.

/** @typedef {typeof import("@tensorflow/tfjs-core")} Tf */
/** @typedef {import("@tensorflow/tfjs-core").Tensor} Tensor */
/** @typedef {import("@tensorflow/tfjs-core").Variable} Variable */

/**
 * A dense layer's weights, `fanIn` x `fanOut`, seeded.
 * @param {Tf} tf @param {number} fanIn @param {number} fanOut @param {number} seed @param {string} name
 */
export function dense(tf, fanIn, fanOut, seed, name) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return {
    w: tf.variable(tf.randomUniform([fanIn, fanOut], -limit, limit, "float32", seed), true, `${name}/w`),
    b: tf.variable(tf.zeros([fanOut]), true, `${name}/b`),
  };
}

/**
 * An MLP: ReLU between layers, none after the last.
 * @param {Tf} tf @param {number[]} sizes e.g. [784, 512, 256, 200] @param {number} seed @param {string} name
 */
export function mlp(tf, sizes, seed, name) {
  const layers = sizes.slice(1).map((n, i) => dense(tf, sizes[i], n, seed + i, `${name}${i}`));
  return {
    layers,
    /** @type {Variable[]} */
    variables: layers.flatMap((l) => [l.w, l.b]),
    /** @param {Tensor} x */
    apply(x) {
      let h = x;
      layers.forEach((l, i) => {
        h = tf.add(tf.matMul(h, l.w), l.b);
        if (i < layers.length - 1) h = tf.relu(h);
      });
      return h;
    },
  };
}

/**
 * -log p(x | logits) of Bernoulli pixels, summed over the last axis: the binary cross-entropy
 * with logits, max(l, 0) - l x + log(1 + exp(-|l|)), stable for any l.
 * @param {Tf} tf @param {Tensor} x 0/1 @param {Tensor} logits
 */
export function bernoulliNll(tf, x, logits) {
  const e = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return tf.sum(e, -1);
}

/**
 * One-hot float32 rows of int32 class indices. (tfjs-backend-wasm 4.22's OneHot ignores a float32
 * dtype and writes the int32 bit patterns, so 1 reads as 1.4e-45: build it as int32 and cast.)
 * @param {Tf} tf @param {Tensor} index @param {number} classes
 */
export function oneHot(tf, index, classes) {
  return tf.cast(tf.oneHot(index, classes), "float32");
}
