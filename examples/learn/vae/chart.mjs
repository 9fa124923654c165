// The figure of the VAE example: test -ELBO against the training step, one line per estimator,
// the paper's figures dashed. run.mjs writes it at the end of a run; to redraw it from a record:
//
//   node examples/learn/vae/chart.mjs [examples/learn/results/vae.json] [examples/learn/results/vae.svg]

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { lineChart } from "../lib/svg.mjs";

const COLOURS = ["#0072B2", "#D55E00", "#009E73"];

/**
 * The curves: test -ELBO (hard samples) on the first eval-images test images against the step.
 * @param {any} r the record run.mjs writes (results/vae.json)
 * @returns {string} an SVG document
 */
export function chart(r) {
  const ends = r.runs.map((x) => x.curve.at(-1)?.[1] ?? 0);
  return lineChart({
    title: "Categorical VAE on binarized MNIST: test -ELBO during training (lower is better)",
    subtitle: `20 x 10 latents, batch ${r.config.batch}, Adam ${r.config.lr}, tau = max(0.5, exp(-${r.config.rate} t)) every ${r.config.every} steps · tfjs ${r.backend}, ${r.cpu}`,
    note: `nats on the first ${Math.min(r.config.evalImages, r.config.testImages)} test images, one exact one-hot posterior sample each, KL in closed form; dashed: Jang et al. Table 1`,
    xLabel: "training step",
    yLabel: "test -ELBO (nats)",
    yMin: Math.floor(Math.min(...ends, ...r.runs.map((/** @type {{ paper: number }} */ x) => x.paper)) / 10) * 10 - 10,
    yMax: Math.max(200, Math.ceil(Math.max(...ends) / 10) * 10 + 60),
    series: [
      ...r.runs.map((/** @type {any} */ x, /** @type {number} */ k) => ({ label: x.label, colour: COLOURS[k], points: x.curve.slice(1) })),
      ...r.runs.map((/** @type {any} */ x, /** @type {number} */ k) => ({
        label: `paper, Table 1: ${x.paper}`,
        dashed: true,
        markers: false,
        colour: COLOURS[k],
        points: /** @type {[number, number][]} */ ([[0, x.paper], [r.config.steps, x.paper]]),
      })),
    ],
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [json = fileURLToPath(new URL("../results/vae.json", import.meta.url)), svg = json.replace(/\.json$/, ".svg")] = process.argv.slice(2);
  writeFileSync(svg, chart(JSON.parse(readFileSync(json, "utf8"))));
}
