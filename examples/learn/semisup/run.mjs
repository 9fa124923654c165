// The cost of a semi-supervised training step (Jang et al. 2017, section 4.3 and Figure 5): one
// step on unlabeled images that marginalises the class over K values (Kingma et al. 2014, M2)
// against one that uses a single Gumbel-Softmax sample, for K = 10, 20, 50, 100. Model:
// ./model.mjs. Each K gets a fresh model; after warm-up the two kinds of step alternate (the
// order swapped every round) and each kind's time is the median over the rounds.
//
//   npm run example:semisup
//   node examples/learn/semisup/run.mjs --classes 50 --batch 20 --rounds 3 --json out.json
//
// Options: --classes 10,20,50,100  --batch 100  --rounds 7  --warmup 2  --backend wasm|cpu
// --out (folder of semisup.json and semisup.svg; "" writes nothing)  --json  --quiet

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { init } from "gumbel-wasm";
import { BINARIZE_SEED, PIXELS, loadMnist } from "../lib/mnist.mjs";
import { duration, machine, progress } from "../lib/progress.mjs";
import { lineChart } from "../lib/svg.mjs";
import { loadTf } from "../lib/tf.mjs";
import { HIDDEN, ZDIM, createM2 } from "./model.mjs";

/** Jang et al. (2017), Figure 5 and section 4.3: how many times as fast Gumbel-Softmax trains (GTX Titan X). */
const PAPER = { 10: 2, 100: 9.9 };

/**
 * The time ratio that multiply-adds alone predict, (D + K (I + G)) / (D + I + G), with D, I, G the
 * multiply-adds per row of the classifier, encoder and decoder (the backward pass costs each about
 * twice its forward, so the ratio is the same). @param {number} K
 */
function macRatio(K) {
  const D = PIXELS * HIDDEN + HIDDEN * K;
  const I = (PIXELS + K) * HIDDEN + HIDDEN * 2 * ZDIM;
  const G = (K + ZDIM) * HIDDEN + HIDDEN * PIXELS;
  return (D + K * (I + G)) / (D + I + G);
}

const { values: opt } = parseArgs({
  options: {
    classes: { type: "string", default: "10,20,50,100" },
    batch: { type: "string", default: "100" },
    rounds: { type: "string", default: "7" },
    warmup: { type: "string", default: "2" },
    backend: { type: "string", default: "wasm" },
    out: { type: "string", default: fileURLToPath(new URL("../results", import.meta.url)) },
    json: { type: "string", default: "" },
    quiet: { type: "boolean", default: false },
  },
  strict: true,
});
const classes = String(opt.classes).split(",").map(Number);
const batch = Number(opt.batch);
const rounds = Number(opt.rounds);
const warmup = Number(opt.warmup);

const tf = await loadTf(/** @type {"wasm" | "cpu"} */ (opt.backend));
const gw = await init();
// Unlabeled images, dynamically binarized as in the paper's section 4.3 (a fresh draw per step).
const { images } = loadMnist("train", batch * 10);

/** A batch of freshly binarized images. @param {number} i */
function batchAt(i) {
  const n = batch * PIXELS;
  const at = (i % 10) * n;
  const u = gw.uniform(n, { seed: BINARIZE_SEED.train + 1, offset: i * n });
  const x = new Float32Array(n);
  for (let j = 0; j < n; j++) x[j] = u[j] * 255 < images[at + j] ? 1 : 0;
  return tf.tensor2d(x, [batch, PIXELS]);
}

// Work units for the time left: a step on B rows is 1 + K (marginal) or 2 (gs).
const bar = progress(classes.reduce((a, k) => a + (warmup + rounds) * (k + 3), 0), { quiet: opt.quiet, every: 5 });
const results = [];
for (const K of classes) {
  const model = createM2(tf, gw, { classes: K, batch });
  /** @type {{ marginal: number[], gs: number[] }} */
  const times = { marginal: [], gs: [] };
  const losses = { marginal: NaN, gs: NaN };
  let i = 0;
  for (let r = 0; r < warmup + rounds; r++) {
    const order = /** @type {const} */ (r % 2 ? ["gs", "marginal"] : ["marginal", "gs"]);
    for (const how of order) {
      const x = batchAt(i++);
      const t0 = performance.now();
      losses[how] = model.step(x, how, 1);
      const ms = performance.now() - t0;
      x.dispose();
      if (!Number.isFinite(losses[how])) throw new Error(`semisup K=${K} ${how}: loss ${losses[how]}`);
      if (r >= warmup) times[how].push(ms);
      bar.tick(how === "gs" ? 2 : 1 + K, `K=${K} round ${r + 1}/${warmup + rounds} ${how}: ${ms.toFixed(0)} ms`);
    }
  }
  const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const marginal = median(times.marginal);
  const gs = median(times.gs);
  results.push({ classes: K, marginalMs: marginal, gsMs: gs, ratio: marginal / gs, macRatio: macRatio(K), paper: PAPER[/** @type {10 | 100} */ (K)] ?? null, times, losses });
  for (const v of model.variables) v.dispose();
}

const record = {
  ...machine(tf),
  config: { batch, rounds, warmup, hidden: HIDDEN, zdim: ZDIM },
  results,
  seconds: bar.elapsed(),
};

console.log(`\nSemi-supervised M2, one training step on ${batch} unlabeled images, tfjs ${record.backend} backend, median of ${rounds}`);
console.log("| K | marginalise y (ms / step) | one Gumbel-Softmax sample (ms / step) | ratio | ratio of multiply-adds | Jang et al. Figure 5 (GPU) |");
console.log("|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  console.log(`| ${r.classes} | ${r.marginalMs.toFixed(1)} | ${r.gsMs.toFixed(1)} | ${r.ratio.toFixed(1)}x | ${r.macRatio.toFixed(1)}x | ${r.paper ? `${r.paper}x` : ""} |`);
}
console.log(`(${record.cpu}, ${record.cores} cores, Node ${record.node}; whole run ${duration(record.seconds)})`);

if (opt.json) writeFileSync(String(opt.json), JSON.stringify(record));
if (opt.out) {
  mkdirSync(String(opt.out), { recursive: true });
  writeFileSync(join(String(opt.out), "semisup.json"), `${JSON.stringify(record, null, 1)}\n`);
  writeFileSync(
    join(String(opt.out), "semisup.svg"),
    lineChart({
      title: "Semi-supervised M2: a marginalising step's time / a Gumbel-Softmax step's time",
      subtitle: `one step on ${batch} unlabeled images, median of ${rounds} · tfjs ${record.backend} (1 thread), ${record.cpu}`,
      note: "higher: Gumbel-Softmax saves more. Hollow: Jang et al. (2017) Figure 5, on a GTX Titan X GPU.",
      xLabel: "classes K",
      yLabel: "time ratio (marginalise / Gumbel-Softmax)",
      yMin: 0,
      xMin: 0,
      xMax: Math.max(...classes, 100),
      xTicks: [0, 10, 20, 50, 100],
      legend: "left",
      series: [
        { label: "ours (tfjs, CPU)", points: results.map((r) => [r.classes, r.ratio]) },
        { label: "ratio of multiply-adds", dashed: true, markers: false, colour: "#888888", points: results.map((r) => [r.classes, r.macRatio]) },
        { label: "Jang et al. Figure 5 (GPU)", hollow: true, colour: "#D55E00", points: [[10, 2], [100, 9.9]] },
      ],
    }),
  );
}
