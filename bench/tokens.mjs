// sampleTokens against the samplers a JS LLM stack has, one row (one request) at a time, at
// vocabularies of 32000 (Llama 2, Mistral) and 128256 (Llama 3), in one process, rounds
// rotated, medians of per-round ratios (like bench/run.mjs):
// - transformers.js (@huggingface/transformers, generation/logits_sampler.js): its
//   MultinomialSampler, full vocabulary (top_k 0) and top_k 50, on a [1, V] tensor. Its
//   TopPLogitsWarper has no implementation (4.3.1), so it has no top-p to compare;
// - tf.multinomial(logits, 1) on tfjs's wasm backend (full vocabulary, no filters);
// - hand-written JS for top-p 0.9: softmax with Math.exp, a sort, the cumulative sum, the
//   inverse cdf (what one writes without a library).
// - the floor: copying the row (Float32Array.set into wasm memory), in the same rounds, so
//   each configuration's time is also given as a multiple of the copy (machines differ);
// - llama.cpp's sampler (native C++, -O3 -march=native, this machine kind): its figures from
//   ../shared/PERF-NOTES.md (measured 2026-12-01 in a separate native run), as a reference.
// Logits are LLM-like: N(-4, 3^2) with a few tokens 12 higher.
//
//   node bench/tokens.mjs [--rounds 5] [--time 150] [--out bench/results/tokens.json]

import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { init, TOKEN_STREAM_LAYOUT } from "gumbel-wasm";
import { benchOptions, median, rotatedRounds, writeResults, xorshift } from "./rounds.mjs";
import { loadTf, startBackend } from "./tfjs.mjs";

const { rounds: ROUNDS, time: TIME, out: OUT } = benchOptions("tokens");
const gw = await init({ backend: "simd" });

// transformers.js's sampler is not exported by the package: load its source modules.
const require = createRequire(import.meta.url);
const hfDir = dirname(dirname(require.resolve("@huggingface/transformers"))); // .../dist/x.cjs
const hfPkg = `${hfDir}/package.json`;
const hf = (p) => import(pathToFileURL(`${hfDir}/src/${p}`).href);
const { LogitsSampler } = await hf("generation/logits_sampler.js");
const { GenerationConfig } = await hf("generation/configuration_utils.js");
const { Tensor: HfTensor } = await hf("utils/tensor.js");
const hfVersion = JSON.parse(readFileSync(hfPkg, "utf8")).version;

const tf = await loadTf();
await startBackend(tf, "wasm");

function llmLogits(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(xorshift())) * Math.cos(2 * Math.PI * xorshift());
    x[i] = -4 + 3 * g + (xorshift() < 0.002 ? 12 : 0);
  }
  return x;
}

/** Hand-written top-p: softmax, a sort by probability, the nucleus, the inverse cdf. */
function jsTopP(x, p) {
  const n = x.length;
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, x[j]);
  const e = new Float64Array(n);
  let z = 0;
  for (let j = 0; j < n; j++) z += e[j] = Math.exp(x[j] - m);
  const idx = new Int32Array(n).map((_, j) => j);
  idx.sort((a, b) => e[b] - e[a]);
  let c = 0;
  let kept = 0;
  while (kept < n && c < p * z) c += e[idx[kept++]];
  let u = xorshift() * c;
  let i = 0;
  while (i < kept - 1 && (u -= e[idx[i]]) > 0) i++;
  return idx[i];
}

/** llama.cpp's µs per call (PERF-NOTES.md, medians of its ranges), by case and V. */
const LLAMA = {
  full: { 32000: 258, 128256: 1030 },
  topK: { 32000: 31, 128256: 110 },
  topP: { 32000: 313, 128256: 1255 },
  minP: { 32000: 50, 128256: 202 },
  all: { 32000: 31, 128256: 110 },
};

const cases = [];
for (const V of [32000, 128256]) {
  const x = llmLogits(V);
  const t = gw.tensorFrom(x, V);
  const dst = gw.tensor([V]);
  const copy = () => dst.data.set(x);
  const hx = new HfTensor("float32", x, [1, V]);
  const full = LogitsSampler.getSampler(new GenerationConfig({ do_sample: true, top_k: 0 }));
  const top50 = LogitsSampler.getSampler(new GenerationConfig({ do_sample: true, top_k: 50 }));
  const tx = tf.tensor2d(x, [1, V]);
  let i = 0;
  const next = () => (i++ * V) % 2 ** 40;
  cases.push({ name: `full vocabulary, V = ${V}`, V, llama: LLAMA.full[V], impls: {
    ours: () => gw.sampleTokens(t, { seed: 1, offset: next() }).free(),
    copy,
    "transformers.js": async () => { await full(hx); },
    "tf.multinomial": () => tf.tidy(() => tf.multinomial(tx, 1, 7).dataSync()),
  } });
  cases.push({ name: `T 0.7, V = ${V}`, V, impls: {
    ours: () => gw.sampleTokens(t, { temperature: 0.7, seed: 1, offset: next() }).free(),
    copy,
  } });
  cases.push({ name: `top-k 50, V = ${V}`, V, llama: LLAMA.topK[V], impls: {
    ours: () => gw.sampleTokens(t, { topK: 50, seed: 1, offset: next() }).free(),
    copy,
    "transformers.js": async () => { await top50(hx); },
  } });
  cases.push({ name: `top-p 0.9, V = ${V}`, V, llama: LLAMA.topP[V], impls: {
    ours: () => gw.sampleTokens(t, { topP: 0.9, seed: 1, offset: next() }).free(),
    copy,
    "JS (sort)": () => jsTopP(x, 0.9),
  } });
  cases.push({ name: `top-p 0.9, T 0.7, V = ${V}`, V, impls: {
    ours: () => gw.sampleTokens(t, { topP: 0.9, temperature: 0.7, seed: 1, offset: next() }).free(),
    copy,
  } });
  cases.push({ name: `min-p 0.05, T 0.7, V = ${V}`, V, llama: LLAMA.minP[V], impls: {
    ours: () => gw.sampleTokens(t, { temperature: 0.7, minP: 0.05, seed: 1, offset: next() }).free(),
    copy,
  } });
  cases.push({ name: `T 0.7, top-k 50, top-p 0.9, min-p 0.05, V = ${V}`, V, llama: LLAMA.all[V], impls: {
    ours: () => gw.sampleTokens(t, { temperature: 0.7, topK: 50, topP: 0.9, minP: 0.05, seed: 1, offset: next() }).free(),
    copy,
  } });
  // A flat row (uniform logits in [0, 3)): a nucleus of most of the vocabulary, the exact mass.
  const f = Float32Array.from({ length: V }, () => 3 * xorshift());
  const ft = gw.tensorFrom(f, V);
  cases.push({ name: `top-p 0.9, a flat row, V = ${V}`, V, impls: {
    ours: () => gw.sampleTokens(ft, { topP: 0.9, seed: 1, offset: next() }).free(),
    copy: () => dst.data.set(f),
    "JS (sort)": () => jsTopP(f, 0.9),
  } });
}

const results = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  peers: `@huggingface/transformers ${hfVersion} (onnxruntime-node top_k); tfjs-backend-wasm for tf.multinomial; the copy of the row (Float32Array.set into wasm memory) in the same rounds; llama.cpp's figures from PERF-NOTES.md (native, measured separately)`,
  tokenStreamLayout: TOKEN_STREAM_LAYOUT,
  rows: [],
};
console.log("| case | ours µs | copy µs | ours / copy | llama.cpp µs (PERF-NOTES) | peer | peer µs | ours vs peer |\n|---|---:|---:|---:|---:|---|---:|---:|");
const started = performance.now();
for (const [ci, c] of cases.entries()) {
  const names = Object.keys(c.impls);
  // µs per call
  const perRound = (await rotatedRounds(c.impls, ROUNDS, TIME)).map((r) => Object.fromEntries(names.map((n) => [n, r[n] * 1e3])));
  const ours = median(perRound.map((r) => r.ours));
  const copyUs = median(perRound.map((r) => r.copy));
  const overCopy = median(perRound.map((r) => r.ours / r.copy));
  const peers = names.filter((n) => n !== "ours" && n !== "copy");
  const base = { case: c.name, V: c.V, ours, copy: copyUs, overCopy, llamaCpp: c.llama ?? null };
  const head = `| ${c.name} | ${ours.toFixed(1)} | ${copyUs.toFixed(1)} | ${overCopy.toFixed(2)}x | ${c.llama ?? ""} |`;
  if (peers.length === 0) {
    results.rows.push(base);
    console.log(`${head} | | |`);
  }
  for (const p of peers) {
    const row = { ...base, peer: p, peerUs: median(perRound.map((r) => r[p])), speedup: median(perRound.map((r) => r[p] / r.ours)) };
    results.rows.push(row);
    console.log(`${head} ${p} | ${row.peerUs.toFixed(1)} | ${row.speedup.toFixed(1)}x |`);
  }
  const spent = (performance.now() - started) / 1e3;
  const left = (spent / (ci + 1)) * (cases.length - ci - 1);
  console.error(`[${ci + 1}/${cases.length}] ${c.name}: ${spent.toFixed(0)} s so far, about ${left.toFixed(0)} s left`);
}
console.log(`\n${results.cpu} (${results.cores} cores), Node ${results.node}; ${results.peers}; medians over ${ROUNDS} rounds; µs per call of one row.`);
writeResults(OUT, results);
