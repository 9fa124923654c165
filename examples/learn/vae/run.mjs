// The categorical VAE of Jang et al. (2017, section 4.2) on binarized MNIST, trained with
// Gumbel-Softmax, straight-through Gumbel-Softmax and the score function (REINFORCE with a
// baseline) for the same number of steps; prints the test bounds beside the paper's Table 1 and
// writes the training curves as SVG. Model and estimators: ./model.mjs; data: ../lib/mnist.mjs.
//
//   npm run example:vae                      (the full run: 2000 steps per estimator, the paper's anneal; about an hour here)
//   node examples/learn/vae/run.mjs --steps 50 --train-images 5000 --every 10 --rate 1e-3 --json out.json
//
// Options (defaults in DEFAULTS): --estimators gs,st,sf  --steps  --batch  --lr  --rate and
// --every (tau = max(0.5, exp(-rate t)), t rounded down to a multiple of every: anneal.exponential)
// --train-images  --test-images  --eval-every and --eval-images (the curve: -ELBO on the first
// eval-images test images every eval-every steps)  --iw-samples and --iw-images (the
// importance-weighted bound; 0 skips it)  --backend wasm|cpu  --out (folder of vae.json and
// vae.svg; "" writes nothing)  --json (a file for the whole record, per-step losses included)
// --quiet (no progress lines).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { anneal, init } from "gumbel-wasm";
import { BINARIZE_SEED, binarize, loadMnist } from "../lib/mnist.mjs";
import { duration, machine, progress } from "../lib/progress.mjs";
import { loadTf } from "../lib/tf.mjs";
import { chart } from "./chart.mjs";
import { ESTIMATORS, batches, createVae } from "./model.mjs";

const DEFAULTS = {
  estimators: "gs,st,sf",
  steps: "2000",
  batch: "100",
  lr: "1e-3",
  rate: "1e-5", // the paper's r and N (section 4.2 selects from r in {1e-5, 1e-4}, N in {500, 1000})
  every: "500",
  "train-images": "60000",
  "test-images": "10000",
  "eval-every": "250",
  "eval-images": "1000",
  "iw-samples": "1000",
  "iw-images": "500",
  backend: "wasm",
  out: fileURLToPath(new URL("../results", import.meta.url)),
  json: "",
};

const { values: opt } = parseArgs({
  options: {
    ...Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, { type: /** @type {const} */ ("string"), default: v }])),
    quiet: { type: "boolean", default: false },
  },
  strict: true,
});
const int = (/** @type {string} */ k) => Number.parseInt(/** @type {string} */ (opt[k]), 10);
const estimators = /** @type {(keyof typeof ESTIMATORS)[]} */ (String(opt.estimators).split(","));
const steps = int("steps");
const batch = int("batch");
const evalEvery = int("eval-every");
const evalImages = int("eval-images");
const iwSamples = int("iw-samples");
const iwImages = int("iw-images");
const schedule = anneal.exponential({ rate: Number(opt.rate), every: int("every"), min: 0.5 });

const tf = await loadTf(/** @type {"wasm" | "cpu"} */ (opt.backend));
const gw = await init();
const train = loadMnist("train", int("train-images"));
const test = loadMnist("test", int("test-images"));
const trainBits = binarize(gw, train.images, BINARIZE_SEED.train);
const testBits = binarize(gw, test.images, BINARIZE_SEED.test);

// Work units for the time left: a training step is 1; evaluating one image-sample about 1/1500
// (measured: 10 000 image-samples take about 1.2 s, a step 0.3-0.4 s).
const evalUnits = (/** @type {number} */ images, /** @type {number} */ m) => (images * m) / 1500;
const curvePoints = Math.floor(steps / evalEvery) + 1;
const perEstimator = steps + curvePoints * evalUnits(evalImages, 1) + evalUnits(test.n, 1) + (iwSamples > 0 ? evalUnits(iwImages, iwSamples) : 0);
const bar = progress(estimators.length * perEstimator, { quiet: Boolean(opt.quiet) });

const runs = [];
for (const estimator of estimators) {
  const vae = createVae(tf, gw, { estimator, batch, lr: Number(opt.lr) });
  const feed = batches(gw, train.n, batch, 3);
  /** @type {number[]} */ const losses = [];
  /** @type {[number, number][]} */ const curve = [];
  const evalCurve = (/** @type {number} */ step) => {
    curve.push([step, vae.evaluate(testBits, { to: Math.min(evalImages, test.n) }).negElbo]);
    bar.tick(evalUnits(evalImages, 1), `${estimator} step ${step}/${steps}: test -ELBO ${curve.at(-1)?.[1].toFixed(1)}`);
  };
  const t0 = performance.now();
  let trainSeconds = 0;
  evalCurve(0);
  for (let s = 0; s < steps; s++) {
    const ts = performance.now();
    const tau = schedule(s);
    const { loss } = vae.step(trainBits, /** @type {Int32Array} */ (feed.next().value), tau);
    trainSeconds += (performance.now() - ts) / 1000;
    if (!Number.isFinite(loss)) throw new Error(`vae ${estimator}: loss ${loss} at step ${s}`);
    losses.push(loss);
    bar.tick(1, `${estimator} step ${s + 1}/${steps}: loss ${loss.toFixed(1)}, tau ${tau.toFixed(3)}`);
    if ((s + 1) % evalEvery === 0) evalCurve(s + 1);
  }
  const final = vae.evaluate(testBits, { to: test.n });
  bar.tick(evalUnits(test.n, 1), `${estimator}: test -ELBO ${final.negElbo.toFixed(2)}`);
  const iw = iwSamples > 0 ? vae.evaluate(testBits, { to: Math.min(iwImages, test.n), samples: iwSamples, seed: 98 }) : undefined;
  if (iw) bar.tick(evalUnits(iwImages, iwSamples), `${estimator}: test -L_${iwSamples} ${iw.negIw.toFixed(2)}`);
  runs.push({
    estimator,
    label: ESTIMATORS[estimator].label,
    paper: ESTIMATORS[estimator].paper,
    steps,
    finalTau: schedule(steps - 1),
    trainSeconds,
    secondsPerStep: trainSeconds / steps,
    totalSeconds: (performance.now() - t0) / 1000,
    testNegElbo: final.negElbo,
    testImages: final.images,
    iw: iw && { negIw: iw.negIw, negElbo: iw.negElbo, samples: iw.samples, images: iw.images },
    curve,
    losses,
  });
  for (const v of vae.variables) v.dispose();
}

const record = {
  ...machine(tf),
  config: { steps, batch, lr: Number(opt.lr), rate: Number(opt.rate), every: int("every"), trainImages: train.n, testImages: test.n, evalEvery, evalImages, iwSamples, iwImages },
  runs,
};

// The table (stdout).
const iwHead = iwSamples > 0 ? ` | test -L_${iwSamples} (first ${Math.min(iwImages, test.n)}) ` : " ";
console.log(`\nCategorical VAE (20 x 10 latents) on binarized MNIST, ${steps} steps of ${batch} per estimator, tfjs ${record.backend} backend`);
console.log(`| estimator | steps | final tau | s / step | test -ELBO (${test.n} images)${iwHead}| paper, Table 1 |`);
console.log(`|---|---:|---:|---:|---:|${iwSamples > 0 ? "---:|" : ""}---:|`);
for (const r of runs) {
  const iwCell = r.iw ? ` ${r.iw.negIw.toFixed(1)} |` : "";
  console.log(`| ${r.label} | ${r.steps} | ${r.finalTau.toFixed(3)} | ${r.secondsPerStep.toFixed(3)} | ${r.testNegElbo.toFixed(1)} |${iwCell} ${r.paper} |`);
}
console.log(`(${record.cpu}, ${record.cores} cores, Node ${record.node}; whole run ${duration(bar.elapsed())})`);

if (opt.json) writeFileSync(String(opt.json), JSON.stringify(record));
if (opt.out) {
  mkdirSync(String(opt.out), { recursive: true });
  // The per-step losses only in --json.
  writeFileSync(join(String(opt.out), "vae.json"), `${JSON.stringify({ ...record, runs: runs.map(({ losses, ...r }) => r) }, null, 1)}\n`);
  writeFileSync(join(String(opt.out), "vae.svg"), chart(record));
}
