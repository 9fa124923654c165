// What `probs: true` costs: gumbelSoftmax and gumbelMax on probabilities against the same calls
// on logits, tensors in and out (nothing copied), interleaved round by round (bench/rounds.mjs);
// and the log pass alone (the `log_probs` kernel: validation and log, into a tensor).
// Inputs: logits from N(0, 1), probs = their exp (unnormalised weights: the same law).
//
//   npm run build && node bench/setup.mjs && node bench/probs.mjs [--rounds 5] [--time 150]

import { init } from "../dist/node.js";
import { benchOptions, median, rotatedRounds, xorshift } from "./rounds.mjs";

const { rounds, time } = benchOptions("probs");
const gw = await init({ backend: "simd", seed: 1 });
const SHAPES = [[1, 10], [4096, 10], [256, 1000], [64, 32000], [8, 128256]];
/** Calls per timed sample for short ones, so that a sample is not just timer noise. */
const batchOf = (n) => Math.max(1, Math.floor(4096 / n));

const rows = [];
for (const [r, c] of SHAPES) {
  const n = r * c;
  const logits = gw.tensor(r, c);
  for (let i = 0; i < n; i++) logits.data[i] = Math.sqrt(-2 * Math.log(xorshift())) * Math.cos(2 * Math.PI * xorshift());
  const probs = gw.tensorFrom(logits.data.map(Math.exp), c);
  const out = gw.tensor(r, c);
  const idx = gw.tensor(r, 1, "int32");
  const logs = gw.tensor(r, c);
  const batch = batchOf(n);
  let j = 0;
  const repeat = (f) => () => {
    for (let i = 0; i < batch; i++) f();
  };
  const cases = {
    "soft, logits": repeat(() => gw.gumbelSoftmax(logits, { tau: 0.5, seed: 1, offset: j++ * n, out })),
    "soft, probs": repeat(() => gw.gumbelSoftmax(probs, { tau: 0.5, probs: true, seed: 1, offset: j++ * n, out })),
    "max, logits": repeat(() => gw.gumbelMax(logits, { seed: 1, offset: j++ * n, out: idx })),
    "max, probs": repeat(() => gw.gumbelMax(probs, { probs: true, seed: 1, offset: j++ * n, out: idx })),
    "log pass": repeat(() => gw.kernels.log_probs(probs.byteOffset, logs.byteOffset, r, c)),
  };
  const per = await rotatedRounds(cases, rounds, time);
  const us = (name) => (median(per.map((p) => p[name])) / batch) * 1e3;
  const row = { shape: `${r}x${c}` };
  for (const name of Object.keys(cases)) row[name] = us(name);
  rows.push(row);
  process.stderr.write(`${row.shape} done\n`);
  for (const t of [logits, probs, out, idx, logs]) t.free();
}

const f = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
console.log("| shape | soft: logits | soft: probs | ratio | max: logits | max: probs | ratio | log pass alone | log pass, ns per element |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const n = r.shape.split("x").reduce((a, b) => a * Number(b), 1);
  console.log(
    `| ${r.shape} | ${f(r["soft, logits"])} | ${f(r["soft, probs"])} | ${(r["soft, probs"] / r["soft, logits"]).toFixed(2)}x ` +
      `| ${f(r["max, logits"])} | ${f(r["max, probs"])} | ${(r["max, probs"] / r["max, logits"]).toFixed(2)}x | ${f(r["log pass"])} | ${((r["log pass"] * 1e3) / n).toFixed(2)} |`,
  );
}
console.log(`\nµs per call, medians over ${rounds} rounds of ${time} ms per case; SIMD binary, tensors in and out; Node ${process.version}`);
