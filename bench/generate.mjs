// transformers.js's generate() on a tiny model, sampling with transformers.js's own sampler or
// with gumbel-wasm/transformers' SampleTokensProcessor: tokens per second, and the sampler's
// share of a step. In one process, rounds rotated, medians of per-round ratios (like
// bench/tokens.mjs, which times the samplers alone on one row).
//
// The model is examples/llm/tiny-model.mjs' bigram LM (ONNX low-rank: Gather, MatMul, Add; rank
// 8), at V = 32000 and V = 128256, written to a temporary folder and run by onnxruntime-node:
// its step costs little, so what generate() pays to sample shows. Batch 1, a prompt of 4
// tokens, 32 new tokens a call. Configurations, for each V:
// - greedy (`do_sample: false`, no processor): the floor, the model step plus generate()'s own
//   work (slicing the logits, its greedy argmax, stopping criteria), no sampling;
// - transformers.js's MultinomialSampler (`do_sample: true`: `topk`, a softmax, a weighted draw)
//   with `top_k: 0` (the full vocabulary) and `top_k: 50` (its default);
// - the processor, `seeds: [1]`, full vocabulary (temperature 1, no filters), top-k 50 and
//   top-p 0.9 (transformers.js has no top-p: its TopPLogitsWarper is unimplemented in 4.3.1).
// Every configuration's tokens are checked once against the model's exact logits before timing.
//
//   node bench/generate.mjs [--rounds 21] [--time 300] [--out bench/results/generate.json]
//
// The figure goes next to the JSON (generate.svg); bench/generate-report.mjs prints the table and
// redraws the figure from a JSON.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env } from "@huggingface/transformers";
import { init } from "gumbel-wasm";
import { SampleTokensProcessor } from "gumbel-wasm/transformers";
import { writeTinyModel } from "../examples/llm/tiny-model.mjs";
import { duration, progress } from "../examples/learn/lib/progress.mjs";
import { fmt } from "./chart.mjs";
import { markdownTable, NO_TOPP, renderGenerateChart, STEP_MS } from "./generate-report.mjs";
import { benchOptions, median, rotatedRounds, writeResults } from "./rounds.mjs";

const { rounds: ROUNDS, time: TIME, out: OUT } = benchOptions("generate", { rounds: 21, time: 300 });
const VOCABS = [32000, 128256];
const RANK = 8;
const NEW_TOKENS = 32;
const PROMPT = "w5 w17 w42 w99";
// A generate() call takes 5 ms to a second: one sample a round is enough (tinybench's default
// minimums, 64 samples and 16 warmups, would take minutes), and no warmup (the checks ran every
// configuration twice, and the rounds keep them warm). Many short rounds rather than a few long
// ones: load from other processes moves slowly, and a per-round ratio compares tasks run close in time.
const TINYBENCH = { iterations: 1, warmup: false };

const require = createRequire(import.meta.url);
/** A package's folder (neither package exports its package.json): up from its entry to the package.json of that name. */
function packageDir(name) {
  let d = dirname(require.resolve(name));
  while (!existsSync(join(d, "package.json")) || JSON.parse(readFileSync(join(d, "package.json"), "utf8")).name !== name) d = dirname(d);
  return d;
}
const version = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
const hfDir = packageDir("@huggingface/transformers");
const hfVersion = version(hfDir);
const ortVersion = version(packageDir("onnxruntime-node"));
// generate()'s greedy argmax (transformers.js's max(), a JS loop), timed alone: both the greedy
// floor and the processor's runs pay it, transformers.js's sampler replaces it.
const { max: hfMax } = await import(pathToFileURL(`${hfDir}/src/utils/maths.js`).href);

const gw = await init({ backend: "simd" });

/** @typedef {{ id: string, configuration: string, sampler: "none" | "transformers.js" | "processor", generate?: object, processor?: object, vs?: string }} Config */
/** @type {Config[]} */
const CONFIGS = [
  { id: "greedy", configuration: "greedy (`do_sample: false`), the floor", sampler: "none", generate: { do_sample: false } },
  { id: "tjs-full", configuration: "full vocabulary", sampler: "transformers.js", generate: { do_sample: true, top_k: 0 } },
  { id: "proc-full", configuration: "full vocabulary", sampler: "processor", processor: { temperature: 1 }, vs: "tjs-full" },
  { id: "tjs-top50", configuration: "top-k 50", sampler: "transformers.js", generate: { do_sample: true, top_k: 50 } },
  { id: "proc-top50", configuration: "top-k 50", sampler: "processor", processor: { topK: 50 }, vs: "tjs-top50" },
  { id: "proc-topp", configuration: "top-p 0.9", sampler: "processor", processor: { topP: 0.9 } },
];

const failures = [];
const fail = (msg) => {
  failures.push(msg);
  process.stderr.write(`CHECK FAILED: ${msg}\n`);
};
let sink = 0;

// ------------------------------------------------------------------ models and checks
const dir = mkdtempSync(join(tmpdir(), "gumbel-wasm-generate-"));
env.allowRemoteModels = false;
env.localModelPath = `${dir}/`;
const t0 = performance.now();
const cases = [];
try {
  for (const V of VOCABS) {
    const name = `bigram-${V}`;
    const tiny = writeTinyModel(join(dir, name), { vocab: V, rank: RANK });
    const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: "fp32", session_options: { intraOpNumThreads: 1 } });
    const tokenizer = await AutoTokenizer.from_pretrained(name);
    const prompt = Array.from(tokenizer(PROMPT).input_ids.data, Number);
    const ids = BigInt64Array.from(prompt, BigInt);
    // Fresh input tensors for every call.
    const inputs = () => ({
      input_ids: new Tensor("int64", ids.slice(), [1, ids.length]),
      attention_mask: new Tensor("int64", new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      max_new_tokens: NEW_TOKENS,
    });
    const calls = {};
    for (const c of CONFIGS) {
      const processor = c.processor && new SampleTokensProcessor(gw, { ...c.processor, seeds: [1] });
      calls[c.id] = async () => {
        const out = await model.generate(processor ? processor.generateOptions(inputs()) : { ...inputs(), ...c.generate });
        sink ^= Number(out.data[out.data.length - 1]);
        return out;
      };
    }
    // One call each: the new tokens against the model's exact logits; the processor's twice
    // (same seed, same tokens). The second call's time sizes the estimate of the time left.
    const callMs = {};
    for (const c of CONFIGS) {
      const first = newTokens(await calls[c.id](), prompt, `V = ${V}, ${c.id}`);
      const t = performance.now();
      const again = newTokens(await calls[c.id](), prompt, `V = ${V}, ${c.id}`);
      callMs[c.id] = performance.now() - t;
      checkTokens(tiny, c, prompt, first, `V = ${V}, ${c.id}`);
      if (c.processor && again.join() !== first.join()) fail(`V = ${V}, ${c.id}: two calls with seeds [1] gave different tokens`);
    }
    const row = tiny.logits(prompt.at(-1));
    cases.push({ V, calls, callMs, row, promptTokens: prompt.length });
    process.stderr.write(`V = ${V}: model written, loaded and checked (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }

  // ---------------------------------------------------------------- timing
  const roundMs = (c) => CONFIGS.reduce((s, { id }) => s + TIME + c.callMs[id], 0);
  const bar = progress(cases.reduce((s, c) => s + ROUNDS * roundMs(c), 0), { every: 0 });
  for (const c of cases) {
    const perRound = await rotatedRounds(c.calls, ROUNDS, TIME, TINYBENCH, (r, round) => {
      const line = CONFIGS.map(({ id }) => `${id} ${fmt(round[id] / NEW_TOKENS)}`).join(", ");
      bar.tick(roundMs(c), `V = ${c.V}, round ${r + 1}/${ROUNDS}: ${line} ms/token`);
    });
    const argmaxRounds = await rotatedRounds({ argmax: () => (sink ^= hfMax(c.row)[1]) }, ROUNDS, 100);
    c.argmaxUs = median(argmaxRounds.map((r) => r.argmax * 1e3));
    c.perRound = perRound.map((r) => Object.fromEntries(CONFIGS.map(({ id }) => [id, r[id] / NEW_TOKENS]))); // ms per token
  }
  process.stderr.write(`timed in ${duration(bar.elapsed())} (sink ${sink})\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ------------------------------------------------------------------ results
const results = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  transformersJs: hfVersion,
  onnxruntimeNode: ortVersion,
  config: { rounds: ROUNDS, timeMs: TIME, batch: 1, prompt: PROMPT, promptTokens: cases[0].promptTokens, maxNewTokens: NEW_TOKENS, rank: RANK, stepMs: STEP_MS, seeds: [1] },
  notes: [
    "msPerToken: the median over rounds of (a generate() call's median time in the round) / maxNewTokens; tokensPerSecond = 1000 / msPerToken",
    "samplerMsPerToken: the median over rounds of (config - greedy) ms per token; samplerShare: the median over rounds of (config - greedy) / config",
    "shareBesideStep: samplerMsPerToken / (samplerMsPerToken + config.stepMs), the share beside a real model's step of stepMs",
    "processorVsTransformersJs: the median over rounds of (transformers.js ms) / (processor ms), the same filter: above 1 when the processor is faster",
    "greedyArgmaxUs: generate()'s greedy argmax over one row (transformers.js's max()), timed alone: the greedy floor and the processor's runs pay it, transformers.js's sampler does not, so its samplerMsPerToken is its sampler minus this",
    `transformers.js top-p: ${NO_TOPP}`,
  ],
  failures,
  cases: cases.map(({ V, perRound, argmaxUs }) => ({
    vocab: V,
    greedyArgmaxUs: argmaxUs,
    configs: CONFIGS.map((c) => summarize(c, perRound)),
  })),
};

function summarize(c, perRound) {
  const ms = perRound.map((r) => r[c.id]);
  const msPerToken = median(ms);
  const out = { id: c.id, configuration: c.configuration, sampler: c.sampler, msPerToken, tokensPerSecond: 1000 / msPerToken };
  if (c.sampler !== "none") {
    const samplerMs = median(perRound.map((r) => r[c.id] - r.greedy));
    Object.assign(out, {
      samplerMsPerToken: samplerMs,
      samplerShare: median(perRound.map((r) => (r[c.id] - r.greedy) / r[c.id])),
      shareBesideStep: samplerMs / (samplerMs + STEP_MS),
    });
  }
  if (c.vs) out.processorVsTransformersJs = median(perRound.map((r) => r[c.vs] / r[c.id]));
  if (c.processor) out.processor = { ...c.processor, seeds: [1] };
  if (c.generate) out.generate = c.generate;
  out.rounds = { msPerToken: ms };
  return out;
}

console.log(markdownTable(results));
writeResults(OUT, results);
const svg = `${OUT.replace(/\.json$/, "")}.svg`;
writeFileSync(svg, renderGenerateChart(results));
process.stderr.write(`wrote ${svg}\n`);
if (failures.length) process.exitCode = 1;

// ------------------------------------------------------------------ checks

/** The new tokens of generate()'s output (1 row), after checking its shape and prompt. */
function newTokens(out, prompt, what) {
  const row = out.tolist()[0].map(Number);
  if (out.dims.join() !== `1,${prompt.length + NEW_TOKENS}`) fail(`${what}: output of dims [${out.dims}], expected [1, ${prompt.length + NEW_TOKENS}]`);
  if (row.slice(0, prompt.length).join() !== prompt.join()) fail(`${what}: the prompt changed`);
  return row.slice(prompt.length);
}

/**
 * Each new token against the exact logits after the token before it: in range and never a
 * special token; the largest logit for greedy; in the 50 largest for top-k 50; in the nucleus
 * for top-p 0.9 (the tokens more likely than it hold less than 0.9). Tolerances cover
 * onnxruntime's float32 MatMul.
 */
function checkTokens(tiny, c, prompt, tokens, what) {
  let prev = prompt.at(-1);
  tokens.forEach((t, k) => {
    const l = tiny.logits(prev);
    const at = `${what}, new token ${k} (${t} after ${prev})`;
    prev = t;
    if (!(Number.isInteger(t) && t >= 2 && t < l.length && Number.isFinite(l[t]))) return fail(`${at}: not a token the model emits`);
    const m = l.reduce((a, b) => Math.max(a, b), -Infinity);
    if (c.id === "greedy") {
      if (l[t] < m - 1e-3) fail(`${at}: not the largest logit`);
    } else if (c.processor?.topK === 50 || c.generate?.top_k === 50) {
      if (l[t] < Float32Array.from(l).sort().at(-50) - 1e-3) fail(`${at}: not in the 50 largest logits`);
    } else if (c.processor?.topP) {
      let z = 0;
      let above = 0;
      for (const x of l) {
        const e = Math.exp(x - m);
        z += e;
        if (x > l[t] + 1e-3) above += e;
      }
      if (above / z >= c.processor.topP + 1e-4) fail(`${at}: outside the top-p ${c.processor.topP} nucleus (${(above / z).toFixed(4)} more likely)`);
    }
  });
}
