// Estimator bias and variance on a problem whose exact gradient is known (./estimators.mjs
// says what the problem and every estimator are).
//
//   npm run example:estimators                 # the full run: 10^6 estimates per row
//   node examples/estimators/run.mjs --quick   # 20 000 estimates per row (what CI checks)
//   node examples/estimators/run.mjs [--samples N] [--seed S] [--out DIR]
//
// Prints the markdown table to stdout and progress (with the time left) to stderr; writes
// results.json, results.md and estimators.svg to --out (default: this folder for a full run, a
// temporary folder for --quick, so that a quick run does not overwrite the committed results).

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { init } from "gumbel-wasm";
import { DEFAULT_SAMPLES, DEFAULT_SEED, QUICK_SAMPLES, Z_LIMIT, runEstimators } from "./estimators.mjs";
import { renderFigure } from "./figure.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));

const { values } = parseArgs({
  options: {
    samples: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    quick: { type: "boolean", default: false },
  },
});
const samples = values.samples ? Number(values.samples) : values.quick ? QUICK_SAMPLES : DEFAULT_SAMPLES;
const seed = values.seed ? Number(values.seed) : DEFAULT_SEED;
if (!Number.isInteger(samples) || samples < 2) throw new RangeError(`--samples must be an integer >= 2, got ${values.samples}`);
if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`--seed must be a non-negative integer, got ${values.seed}`);
const out = values.out ?? (values.quick || values.samples ? join(tmpdir(), "gumbel-wasm-estimators") : HERE);

/** @param {number} s */
const clock = (s) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(s < 10 ? 1 : 0)} s`);

const gw = await init();
const started = performance.now();
let sampling = started; // when the sampling began (after the exact references)
let lastPrint = 0;
process.stderr.write(`estimators: exact references (enumeration, quadrature)...\n`);
const result = runEstimators(gw, {
  samples,
  seed,
  onProgress(done, total) {
    const now = performance.now();
    if (done === 0) {
      sampling = now;
      lastPrint = now;
      process.stderr.write(`estimators: references in ${clock((now - started) / 1000)}; sampling ${total.toLocaleString("en")} estimates per row\n`);
      return;
    }
    if (done < total && now - lastPrint < 2000 && lastPrint !== sampling) return; // the first chunk, then every 2 s
    lastPrint = now;
    const elapsed = (now - started) / 1000;
    const rate = done / ((now - sampling) / 1000);
    const left = done < total ? `, about ${clock((total - done) / rate)} left` : "";
    process.stderr.write(`estimators: ${done.toLocaleString("en")} of ${total.toLocaleString("en")} estimates per row (${((100 * done) / total).toFixed(0)}%), ${clock(elapsed)}${left}\n`);
  },
});
const seconds = (performance.now() - started) / 1000;
const report = {
  ...result,
  date: new Date().toISOString(),
  seconds,
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, backend: gw.backend },
};

/** @param {number} x */
const sig = (x) => (x === 0 ? "0" : Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(3));

/** The table (markdown) of a report. @param {typeof report} r */
function table(r) {
  const norm = r.problem.gradientNorm;
  const lines = [
    "| estimator | unbiased for | bias, measured | max \\|z\\| vs exact gradient | bias, exact | max \\|z\\| vs its exact mean | variance | RMSE | verdict |",
    "|---|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const row of r.rows) {
    const target = row.unbiasedFor === "discrete" ? "∇L" : row.unbiasedFor === "relaxed" ? `∇R_τ (relaxed)` : "—";
    const exact = row.expectation ? sig(row.expectation.exactBias / norm) : "?";
    const own = row.expectation ? sig(row.expectation.maxZ) : row.vsSTGS != null ? `${sig(row.vsSTGS)} (vs ST-GS, paired)` : "";
    const verdict = row.maxZ >= r.zLimit ? "biased" : "no bias detected";
    lines.push(
      `| ${row.label} | ${target} | ${sig(row.biasNorm / norm)} | ${sig(row.maxZ)} | ${exact} | ${own} | ${sig(row.traceVar / norm ** 2)} | ${sig(Math.sqrt(row.mse) / norm)} | ${verdict} |`,
    );
  }
  return lines.join("\n");
}

const md = [
  `Estimator bias and variance, K = ${report.problem.K}, loss ||e_z - t||^2: N = ${samples.toLocaleString("en")} estimates per row, seed ${seed}.`,
  `Exact gradient ∇L by enumeration, |∇L| = ${report.problem.gradientNorm.toPrecision(4)}; bias and RMSE relative to |∇L|, variance (trace of the covariance of one estimate) to |∇L|^2.`,
  `A row is "biased" when its mean is more than ${Z_LIMIT} standard errors from ∇L in some coordinate.`,
  `${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}, ${report.machine.backend} binary: ${clock(seconds)} (${report.date.slice(0, 10)}).`,
  "",
  table(report),
  "",
].join("\n");

mkdirSync(out, { recursive: true });
writeFileSync(join(out, "results.json"), `${JSON.stringify(report, null, 1)}\n`);
writeFileSync(join(out, "results.md"), md);
writeFileSync(join(out, "estimators.svg"), renderFigure(report));
process.stdout.write(`${md}`);
process.stderr.write(`estimators: done in ${clock(seconds)}; wrote results.json, results.md and estimators.svg to ${out}\n`);
