// A minimal M2 model (Kingma, Rezende, Mohamed and Welling 2014, "Semi-supervised learning with
// deep generative models"), with M2's sizes: MLPs of one hidden layer of 500 ReLU units and a
// 50-dimensional Gaussian z. Classifier q(y | x): 784-500-K; encoder q(z | x, y): (784 + K)-500-(2 x 50);
// decoder p(x | y, z): (K + 50)-500-784 Bernoulli logits; priors p(y) uniform, p(z) = N(0, I).
//
// One training step on a batch of unlabeled images, two ways (Jang et al. 2017, section 3.3):
//   marginal  U(x) = sum_y q(y | x) L(x, y) - H(q(y | x)): the encoder and the decoder run on
//             all K classes of every image (K B rows), cost O(D + K (I + G));
//   gs        one Gumbel-Softmax sample y ~ q(y | x) (relaxed, tau given), the encoder and the
//             decoder run once (B rows), cost O(D + I + G); KL(q(y | x) || uniform) in closed form.
// with L(x, y) = -log p(x | y, z) + KL(q(z | x, y) || N(0, I)) + log K, z reparameterized.

import { tfOps } from "../lib/gumbel.mjs";
import { PIXELS } from "../lib/mnist.mjs";
import { bernoulliNll, mlp, oneHot } from "../lib/nn.mjs";

export const HIDDEN = 500;
export const ZDIM = 50;

/**
 * @typedef {typeof import("@tensorflow/tfjs-core")} Tf
 * @typedef {import("@tensorflow/tfjs-core").Tensor} Tensor
 */

/**
 * @param {Tf} tf @param {import("gumbel-wasm").GumbelWasm} gw
 * @param {{ classes: number, batch: number, lr?: number, seed?: number }} options
 */
export function createM2(tf, gw, { classes: K, batch: B, lr = 3e-4, seed = 11 }) {
  const classifier = mlp(tf, [PIXELS, HIDDEN, K], seed, "classifier");
  const encoder = mlp(tf, [PIXELS + K, HIDDEN, 2 * ZDIM], seed + 10, "encoder");
  const decoder = mlp(tf, [K + ZDIM, HIDDEN, PIXELS], seed + 20, "decoder");
  const variables = [...classifier.variables, ...encoder.variables, ...decoder.variables];
  const optimizer = tf.train.adam(lr);
  const ops = tfOps(gw);
  const logK = Math.log(K);
  let t = 0;

  /** L(x, y) per row, for rows of images x and class vectors y. @param {Tensor} x @param {Tensor} y */
  function bound(x, y) {
    const rows = x.shape[0];
    const h = encoder.apply(tf.concat([x, y], 1));
    const mu = tf.slice(h, [0, 0], [rows, ZDIM]);
    const logvar = tf.slice(h, [0, ZDIM], [rows, ZDIM]);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.randomNormal([rows, ZDIM], 0, 1, "float32", seed + t)));
    const klz = tf.mul(-0.5, tf.sum(tf.sub(tf.add(1, logvar), tf.add(tf.square(mu), tf.exp(logvar))), 1));
    return tf.add(tf.add(bernoulliNll(tf, x, decoder.apply(tf.concat([y, z], 1))), klz), logK);
  }

  /**
   * One Adam step on unlabeled images x (a [B, 784] tensor of 0/1), marginalising y or sampling it.
   * @param {Tensor} x @param {"marginal" | "gs"} how @param {number} [tau] @returns {number} the loss
   */
  function step(x, how, tau = 1) {
    const offset = t++ * B * K;
    const loss = tf.tidy(() =>
      optimizer.minimize(() => {
        const logits = classifier.apply(x);
        const logq = tf.logSoftmax(logits);
        const q = tf.exp(logq);
        if (how === "gs") {
          const y = ops.gumbelSoftmax(logits, { tau, seed: seed + 1, offset });
          const kly = tf.sum(tf.mul(q, tf.add(logq, logK)), 1);
          return tf.mean(tf.add(tf.sub(bound(x, y), logK), kly));
        }
        // Rows k B + b: image b with class k.
        const xs = tf.tile(x, [K, 1]);
        const ys = oneHot(tf, tf.tensor1d(Int32Array.from({ length: K * B }, (_, i) => Math.floor(i / B)), "int32"), K);
        const L = tf.transpose(tf.reshape(bound(xs, ys), [K, B])); // [B, K]
        return tf.mean(tf.add(tf.sum(tf.mul(q, L), 1), tf.sum(tf.mul(q, logq), 1))); // sum_y q L - H(q)
      }, true, variables),
    );
    const v = /** @type {Tensor} */ (loss).dataSync()[0];
    /** @type {Tensor} */ (loss).dispose();
    return v;
  }

  return { step, variables };
}
