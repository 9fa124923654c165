// The distribution calls against what a user writes by hand, in one process, rounds rotated,
// medians of per-round ratios (like bench/run.mjs):
// - topK (Gumbel-top-k, k = 50) at 8x32000 and 8x128256: ours against hand-written JS (a
//   xorshift generator, Math.log noise, and a full sort of each row);
// - Categorical.sample at 4096x10 and 64x32000 against the same JS drawing by the inverse cdf;
// - Gumbel cdf and logPdf on 10^6 values against JS loops with Math.exp;
// - RelaxedOneHotCategorical.logProb at 4096x10 and 64x1000, RelaxedBernoulli rsample and
//   logProb on 10^6 values, against JS loops of the same formulas in float64;
// - gumbelRao (10 draws) and gappedST forwards at 256x1000 against JS written from the
//   reference code (a softmax per draw).
//
//   node bench/distributions.mjs [--rounds 5] [--time 150] [--out bench/results/distributions.json]

import { cpus } from "node:os";
import { Categorical, Gumbel, init, RelaxedBernoulli, RelaxedOneHotCategorical } from "gumbel-wasm";

import { benchOptions, median, rotatedRounds, writeResults, xorshift } from "./rounds.mjs";

const { rounds: ROUNDS, time: TIME, out: OUT } = benchOptions("distributions");
const gw = await init({ backend: "simd" });

function logitsOf(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = xorshift() * 6 - 3;
  return x;
}

/** Hand-written Gumbel-top-k: noise with Math.log, then a sort of each row. */
function jsTopK(x, rows, cols, k, out) {
  const idx = new Int32Array(cols);
  const key = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      key[j] = x[r * cols + j] - Math.log(-Math.log(xorshift()));
      idx[j] = j;
    }
    idx.sort((a, b) => key[b] - key[a]);
    for (let i = 0; i < k; i++) out[r * k + i] = idx[i];
  }
}

/** Hand-written categorical sampling: softmax with Math.exp, then the inverse cdf. */
function jsCategorical(x, rows, cols, out) {
  const p = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[r * cols + j]);
    let z = 0;
    for (let j = 0; j < cols; j++) z += p[j] = Math.exp(x[r * cols + j] - m);
    let u = xorshift() * z;
    let j = 0;
    while (j < cols - 1 && (u -= p[j]) > 0) j++;
    out[r] = j;
  }
}

const cases = [];
for (const [rows, cols] of [[8, 32000], [8, 128256]]) {
  const x = logitsOf(rows * cols);
  const t = gw.tensorFrom(x, cols);
  const out = new Int32Array(rows * 50);
  let i = 0;
  cases.push({ name: `topK k=50 ${rows}x${cols}`, n: rows * cols, impls: {
    ours: () => gw.topK(t, 50, { seed: 1, offset: (i++ * rows * cols) % 2 ** 40 }).free(),
    js: () => jsTopK(x, rows, cols, 50, out),
  } });
}
for (const [rows, cols] of [[4096, 10], [64, 32000]]) {
  const x = logitsOf(rows * cols);
  const d = new Categorical(gw, { logits: x, cols });
  const out = new Int32Array(rows);
  let i = 0;
  cases.push({ name: `Categorical.sample ${rows}x${cols}`, n: rows * cols, impls: {
    ours: () => d.sample({ seed: 2, offset: (i++ * rows * cols) % 2 ** 40 }),
    js: () => jsCategorical(x, rows, cols, out),
  } });
}
{
  const n = 1_000_000;
  const x = logitsOf(n);
  const g = new Gumbel(gw, { loc: 0.5, scale: 2 });
  const out = new Float64Array(n);
  cases.push({ name: "Gumbel.cdf 1e6", n, impls: {
    ours: () => g.cdf(x),
    js: () => {
      for (let i = 0; i < n; i++) out[i] = Math.exp(-Math.exp(-(x[i] - 0.5) / 2));
    },
  } });
  cases.push({ name: "Gumbel.logPdf 1e6", n, impls: {
    ours: () => g.logPdf(x),
    js: () => {
      for (let i = 0; i < n; i++) {
        const z = (x[i] - 0.5) / 2;
        out[i] = -(z + Math.exp(-z)) - Math.log(2);
      }
    },
  } });
}

/** Hand-written RelaxedOneHotCategorical log-density (the density TFP and PyTorch use), float64. */
function jsRelaxedLogProb(l, y, rows, cols, tau, out) {
  let lg = 0;
  for (let i = 2; i < cols; i++) lg += Math.log(i);
  const x = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    let sumL = 0, sumA = 0, m = -Infinity;
    for (let k = 0; k < cols; k++) {
      const a = Math.log(y[r * cols + k]);
      sumL += l[r * cols + k];
      sumA += a;
      x[k] = l[r * cols + k] - tau * a;
      m = Math.max(m, x[k]);
    }
    let z = 0;
    for (let k = 0; k < cols; k++) z += Math.exp(x[k] - m);
    out[r] = lg + (cols - 1) * Math.log(tau) + sumL - (tau + 1) * sumA - cols * (m + Math.log(z));
  }
}

/** The hand-written peers' Gumbel-Max of the row at o: [argmax_k(l_k + g_k), max_k l_k]. */
function jsArgmaxRow(l, o, cols) {
  let i = 0, best = -Infinity, m = -Infinity;
  for (let k = 0; k < cols; k++) {
    const t = l[o + k] - Math.log(-Math.log(xorshift()));
    if (t > best) { best = t; i = k; }
    m = Math.max(m, l[o + k]);
  }
  return [i, m];
}

/** Hand-written Gumbel-Rao forward (nshepperd's gumbel_rao): D, then S conditional draws averaged. */
function jsGumbelRao(l, rows, cols, tau, S, hard, soft) {
  const z = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const [i, m] = jsArgmaxRow(l, o, cols);
    let s = 0;
    for (let k = 0; k < cols; k++) s += Math.exp(l[o + k] - m);
    const logZ = m + Math.log(s);
    for (let k = 0; k < cols; k++) { soft[o + k] = 0; hard[o + k] = k === i ? 1 : 0; }
    for (let d = 0; d < S; d++) {
      const zi = logZ - Math.log(-Math.log(xorshift()));
      let zm = -Infinity;
      for (let k = 0; k < cols; k++) {
        const t = l[o + k] - Math.log(-Math.log(xorshift()));
        z[k] = k === i ? zi : -Math.log(Math.exp(-zi) + Math.exp(-t));
        zm = Math.max(zm, z[k]);
      }
      let zs = 0;
      for (let k = 0; k < cols; k++) zs += z[k] = Math.exp((z[k] - zm) / tau);
      for (let k = 0; k < cols; k++) soft[o + k] += z[k] / zs / S;
    }
  }
}

/** Hand-written Gapped ST forward (gst_mover of Fan et al.'s code, kappa = 1). */
function jsGappedST(l, rows, cols, tau, hard, soft) {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const [i, m] = jsArgmaxRow(l, o, cols);
    let zs = 0;
    for (let k = 0; k < cols; k++) {
      const v = k === i ? m : Math.min(l[o + k], m - 1);
      zs += soft[o + k] = Math.exp((v - m) / tau);
      hard[o + k] = k === i ? 1 : 0;
    }
    for (let k = 0; k < cols; k++) soft[o + k] /= zs;
  }
}

for (const [rows, cols] of [[4096, 10], [64, 1000]]) {
  const x = logitsOf(rows * cols);
  const d = new RelaxedOneHotCategorical(gw, { logits: x, cols, temperature: 0.7 });
  const y = d.rsample({ seed: 3 });
  const out = new Float64Array(rows);
  cases.push({ name: `RelaxedOneHotCategorical.logProb ${rows}x${cols}`, n: rows * cols, impls: {
    ours: () => d.logProb(y),
    js: () => jsRelaxedLogProb(x, y, rows, cols, 0.7, out),
  } });
}
{
  const n = 1_000_000;
  const x = logitsOf(n);
  const b = new RelaxedBernoulli(gw, { logits: x, temperature: 0.5 });
  const y = b.rsample({ seed: 4 });
  const out = new Float64Array(n);
  let i = 0;
  cases.push({ name: "RelaxedBernoulli.rsample 1e6", n, impls: {
    ours: () => b.rsample({ seed: 5, offset: (i++ * 2 * n) % 2 ** 40 }),
    js: () => {
      for (let j = 0; j < n; j++) {
        const u = xorshift();
        out[j] = 1 / (1 + Math.exp(-(x[j] + Math.log(u) - Math.log1p(-u)) / 0.5));
      }
    },
  } });
  cases.push({ name: "RelaxedBernoulli.logProb 1e6", n, impls: {
    ours: () => b.logProb(y),
    js: () => {
      for (let j = 0; j < n; j++) {
        const a = Math.log(y[j]), c = Math.log1p(-y[j]), u = x[j] - 0.5 * (a - c), au = Math.abs(u);
        out[j] = Math.log(0.5) - a - c - au - 2 * Math.log1p(Math.exp(-au));
      }
    },
  } });
}
{
  const rows = 256, cols = 1000;
  const x = logitsOf(rows * cols);
  const t = gw.tensorFrom(x, cols);
  const hard = new Float32Array(rows * cols);
  const soft = new Float32Array(rows * cols);
  const softT = gw.tensor(rows, cols);
  let i = 0;
  cases.push({ name: `gumbelRao (10 draws) ${rows}x${cols}`, n: rows * cols, impls: {
    ours: () => gw.gumbelRao(t, { tau: 0.5, samples: 10, seed: 6, offset: (i++ * rows * cols) % 2 ** 40, soft: softT }).free(),
    js: () => jsGumbelRao(x, rows, cols, 0.5, 10, hard, soft),
  } });
  cases.push({ name: `gappedST ${rows}x${cols}`, n: rows * cols, impls: {
    ours: () => gw.gappedST(t, { tau: 0.5, seed: 6, offset: (i++ * rows * cols) % 2 ** 40, soft: softT }).free(),
    js: () => jsGappedST(x, rows, cols, 0.5, hard, soft),
  } });
}

const results = { date: new Date().toISOString(), cpu: cpus()[0]?.model, node: process.version, rows: [] };
console.log("| case | ours ns/elt | JS ns/elt | ours vs JS |\n|---|---:|---:|---:|");
for (const c of cases) {
  // ns per element
  const perRound = (await rotatedRounds(c.impls, ROUNDS, TIME)).map((r) => ({ ours: (r.ours * 1e6) / c.n, js: (r.js * 1e6) / c.n }));
  const row = { case: c.name, ours: median(perRound.map((r) => r.ours)), js: median(perRound.map((r) => r.js)), speedup: median(perRound.map((r) => r.js / r.ours)) };
  results.rows.push(row);
  console.log(`| ${c.name} | ${row.ours.toFixed(2)} | ${row.js.toFixed(2)} | ${row.speedup.toFixed(1)}x |`);
}
console.log(`\n${results.cpu}, Node ${results.node}; medians over ${ROUNDS} rounds.`);
writeResults(OUT, results);
