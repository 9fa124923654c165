// The categorical VAE of Jang, Gu and Poole (2017), section 4.2, on tfjs-core: 20 categorical
// latents of 10 classes each, a uniform prior, encoder 784-512-256-(20x10) logits and decoder
// (20x10)-256-512-784 Bernoulli logits (ReLU MLPs, as in the authors' notebook), Adam.
//
// One training step, per estimator of the encoder's gradient:
//   gs  Gumbel-Softmax: z = softmax((logits + g) / tau), relaxed, into the decoder.
//   st  straight-through Gumbel-Softmax: z = one_hot(argmax(logits + g)) forward, the gradient
//       of the relaxed z backward.
//   sf  score function (REINFORCE) with a baseline: z = one_hot(Gumbel-Max sample) (gw.gumbelMax),
//       the encoder gets [(f - b) grad log q(z | x) + grad KL] / s with f = -log p(x | z), b a
//       moving average of f and s = max(1, sqrt(moving variance of f)) (the paper found this
//       variance normalisation necessary for SF; it divides the encoder's whole gradient, so that
//       the score term keeps its weight against the closed-form KL's); the decoder's gradient is
//       the usual one.
// Every estimator minimises E[-log p(x | z)] + KL(q(z | x) || uniform), the KL in closed form:
// sum over latents of sum_k q_k log(q_k K), q = softmax(logits) (as the authors' code does).
// The noise of step t is elements [t B 200, (t + 1) B 200) of the training seed's stream.
//
// Evaluation (`evaluate`): the encoder's categorical posterior sampled exactly (Gumbel-Max, i.e.
// hard one-hot samples: the paper discretizes samples to one-hot vectors for evaluation), m samples
// per image:
//   -ELBO = mean_m(-log p(x | z_m)) + KL(q || uniform)        (nats, summed over 784 pixels)
//   -L_m  = -log (1/m) sum_m p(x | z_m) p(z_m) / q(z_m | x)    (the importance-weighted bound)

import { tfOps } from "../lib/gumbel.mjs";
import { bernoulliNll, mlp, oneHot } from "../lib/nn.mjs";
import { PIXELS, gather } from "../lib/mnist.mjs";

export const LATENTS = 20;
export const CLASSES = 10;
const Z = LATENTS * CLASSES;
const LOG_K = Math.log(CLASSES);

/** The estimators, in the order of the paper's Table 1, with its categorical-VAE figures (nats). */
export const ESTIMATORS = /** @type {const} */ ({
  gs: { label: "Gumbel-Softmax", paper: 101.5 },
  st: { label: "ST Gumbel-Softmax", paper: 107.8 },
  sf: { label: "Score function (REINFORCE, baseline)", paper: 110.6 },
});

/** Decay of the score function's moving averages (baseline and variance). */
export const BASELINE_DECAY = 0.9;

/**
 * @typedef {typeof import("@tensorflow/tfjs-core")} Tf
 * @typedef {import("@tensorflow/tfjs-core").Tensor} Tensor
 * @typedef {keyof typeof ESTIMATORS} Estimator
 */

/**
 * A categorical VAE and its optimiser.
 * @param {Tf} tf @param {import("gumbel-wasm").GumbelWasm} gw
 * @param {{ estimator: Estimator, batch?: number, lr?: number, seed?: number, noiseSeed?: number }} options
 */
export function createVae(tf, gw, { estimator, batch = 100, lr = 1e-3, seed = 1, noiseSeed = 7 }) {
  if (!(estimator in ESTIMATORS)) throw new Error(`vae: unknown estimator ${estimator} (gs, st or sf)`);
  const encoder = mlp(tf, [PIXELS, 512, 256, Z], seed, "encoder");
  const decoder = mlp(tf, [Z, 256, 512, PIXELS], seed + 100, "decoder");
  const variables = [...encoder.variables, ...decoder.variables];
  const optimizer = tf.train.adam(lr);
  const ops = tfOps(gw);
  const xBuf = new Float32Array(batch * PIXELS);
  let t = 0;
  /** The score function's moving mean and variance of f; undefined before the first step. */
  let moments = /** @type {{ mean: number, variance: number } | undefined} */ (undefined);

  /** KL(q || uniform) per image, from logits [rows * LATENTS, CLASSES]. @param {Tensor} logits @param {number} rows */
  function kl(logits, rows) {
    const logq = tf.logSoftmax(logits);
    return tf.sum(tf.reshape(tf.mul(tf.exp(logq), tf.add(logq, LOG_K)), [rows, Z]), 1);
  }

  /** The decoder's -log p(x | z) per image. @param {Tensor} x @param {Tensor} z [rows * LATENTS, CLASSES] */
  function nll(x, z) {
    return bernoulliNll(tf, x, decoder.apply(tf.reshape(z, [x.shape[0], Z])));
  }

  /**
   * One Adam step on the images `idx` of `bits` at temperature `tau`.
   * @param {Uint8Array} bits @param {ArrayLike<number>} idx @param {number} tau
   * @returns {{ loss: number, negElbo: number }} the objective's value and, for the hard
   *   estimators, the same; for gs, the -ELBO of the relaxed sample (not a bound).
   */
  function step(bits, idx, tau) {
    const offset = t++ * batch * Z;
    let negElbo = NaN;
    const loss = tf.tidy(() => {
      const x = tf.tensor2d(gather(bits, idx, xBuf), [batch, PIXELS]);
      const cost = () => {
        const logits = tf.reshape(encoder.apply(x), [batch * LATENTS, CLASSES]);
        if (estimator !== "sf") {
          const z = ops.gumbelSoftmax(logits, { tau, hard: estimator === "st", seed: noiseSeed, offset });
          return tf.mean(tf.add(nll(x, z), kl(logits, batch)));
        }
        const index = gw.gumbelMax(/** @type {Float32Array} */ (logits.dataSync()), { cols: CLASSES, seed: noiseSeed, offset });
        const z = oneHot(tf, tf.tensor1d(index, "int32"), CLASSES);
        const logq = tf.sum(tf.reshape(tf.mul(z, tf.logSoftmax(logits)), [batch, Z]), 1);
        const f = nll(x, z);
        const fs = f.dataSync();
        const mean = fs.reduce((a, b) => a + b, 0) / batch;
        const variance = fs.reduce((a, b) => a + (b - mean) ** 2, 0) / batch;
        moments ??= { mean, variance }; // the first step's baseline is its own batch mean
        const scale = Math.max(1, Math.sqrt(moments.variance));
        const signal = tf.tensor1d(Array.from(fs, (v) => v - /** @type {{ mean: number }} */ (moments).mean));
        moments.mean = BASELINE_DECAY * moments.mean + (1 - BASELINE_DECAY) * mean;
        moments.variance = BASELINE_DECAY * moments.variance + (1 - BASELINE_DECAY) * variance;
        const k = kl(logits, batch);
        negElbo = mean + k.dataSync().reduce((a, b) => a + b, 0) / batch;
        // f reaches the decoder only; k and the score term the encoder only, both divided by s.
        return tf.mean(tf.add(f, tf.div(tf.add(k, tf.mul(signal, logq)), scale)));
      };
      return /** @type {Tensor} */ (optimizer.minimize(cost, true, variables));
    });
    const value = loss.dataSync()[0];
    loss.dispose();
    return { loss: estimator === "sf" ? negElbo : value, negElbo: estimator === "sf" ? negElbo : value };
  }

  /**
   * The test bounds of images `from` .. `to` of `bits` (see the top of this file), in nats per image.
   * @param {Uint8Array} bits @param {{ from?: number, to: number, samples?: number, seed?: number, rows?: number }} options
   * @returns {{ negElbo: number, negIw: number, images: number, samples: number }}
   */
  function evaluate(bits, { from = 0, to, samples = 1, seed = 99, rows = 2000 }) {
    const per = Math.max(1, Math.floor(rows / samples)); // images per chunk
    let sumElbo = 0;
    let sumIw = 0;
    for (let a = from; a < to; a += per) {
      const b = Math.min(to, a + per);
      const n = b - a;
      const idx = Array.from({ length: n * samples }, (_, i) => a + (i % n)); // sample s of image j at row s n + j
      const [elbo, iw] = tf.tidy(() => {
        const x = tf.tensor2d(gather(bits, idx), [n * samples, PIXELS]);
        const logits = tf.reshape(encoder.apply(tf.slice(x, [0, 0], [n, PIXELS])), [n * LATENTS, CLASSES]);
        const tiled = tf.tile(logits, [samples, 1]);
        const index = gw.gumbelMax(/** @type {Float32Array} */ (tiled.dataSync()), { cols: CLASSES, seed, offset: a * samples * Z });
        const z = oneHot(tf, tf.tensor1d(index, "int32"), CLASSES);
        const logq = tf.sum(tf.reshape(tf.mul(z, tf.logSoftmax(tiled)), [n * samples, Z]), 1);
        const logpx = tf.neg(nll(x, z));
        const logw = tf.reshape(tf.sub(tf.sub(logpx, LATENTS * LOG_K), logq), [samples, n]);
        const iwBound = tf.sub(tf.logSumExp(logw, 0), Math.log(samples));
        const elboBound = tf.sub(tf.mean(tf.reshape(logpx, [samples, n]), 0), kl(logits, n));
        return [tf.sum(elboBound).dataSync()[0], tf.sum(iwBound).dataSync()[0]];
      });
      sumElbo += elbo;
      sumIw += iw;
    }
    const images = to - from;
    return { negElbo: -sumElbo / images, negIw: -sumIw / images, images, samples };
  }

  return { step, evaluate, variables, get steps() { return t; } };
}

/**
 * Shuffled batches over `n` images, epoch after epoch (Fisher-Yates on gumbel-wasm's seeded bits).
 * @param {import("gumbel-wasm").GumbelWasm} gw @param {number} n @param {number} batch @param {number} seed
 */
export function* batches(gw, n, batch, seed) {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; ; epoch++) {
    const bits = gw.randomBits(n, { seed, offset: epoch * n });
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor((bits[i] / 2 ** 32) * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let at = 0; at + batch <= n; at += batch) yield order.subarray(at, at + batch);
  }
}
