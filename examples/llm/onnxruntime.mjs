// Decoding a batch of LLM requests with onnxruntime-node and gumbel-wasm: each request has its own
// settings (temperature, top-k, top-p, min-p) and its own seed; every step runs the model once for
// the batch and samples every row in ONE `sampleTokens` call, the model's logits passed as the
// Float32Array onnxruntime returns. Then request 0 is decoded alone: the same tokens as in the
// batch, since its stream (its seed, and offset = step * vocab) is its own.
//
// The model is examples/llm/tiny-model.mjs's bigram (vocab 32000, rank 8), written to a temporary
// folder (or to --model DIR, kept), so the example runs offline.
//
//   npm run example:onnxruntime
//   node examples/llm/onnxruntime.mjs [--tokens 16] [--model DIR] [--json FILE]
//
// Prints each request's settings and tokens; --json FILE writes them, with request 0's tokens alone.

import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { init } from "gumbel-wasm";
import * as ort from "onnxruntime-node";
import { SETTINGS, decodeStep, openModel } from "./batch.mjs";

const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "16" },
    model: { type: "string" },
    json: { type: "string" },
  },
});
const tokens = Number(values.tokens);
if (!Number.isInteger(tokens) || tokens < 1 || tokens > 100_000) throw new RangeError(`--tokens must be an integer in [1, 100000], got ${values.tokens}`);

// The requests: SETTINGS (nucleus, greedy, top-k, min-p) with a prompt each. Token ids; the
// tokenizer's word for id i is "w<i>".
const requests = SETTINGS.map((s, r) => ({ ...s, prompt: [100 + r, 2000 + 37 * r] }));

/**
 * Decodes `count` new tokens for each request, all requests in one batch.
 * @param {import("gumbel-wasm").GumbelWasm} gw
 * @param {Awaited<ReturnType<typeof openModel>>} model
 * @param {typeof requests} batch
 * @returns {Promise<number[][]>} the new tokens of each request
 */
async function decode(gw, model, batch, count) {
  const out = batch.map(() => /** @type {number[]} */ ([]));
  for (let step = 0; step < count; step++) {
    // Each row: its settings, its seed, the index of the token it generates and its last token.
    const rows = batch.map((q, r) => ({ ...q, step, last: step === 0 ? q.prompt[q.prompt.length - 1] : out[r][step - 1] }));
    const next = await decodeStep(gw, model, rows);
    for (let r = 0; r < batch.length; r++) out[r].push(next[r]);
  }
  return out;
}

const gw = await init();
const model = await openModel({ dir: values.model });
try {
  const started = performance.now();
  const batched = await decode(gw, model, requests, tokens);
  const ms = performance.now() - started;
  const [alone] = await decode(gw, model, [requests[0]], tokens);
  const same = alone.length === batched[0].length && alone.every((t, i) => t === batched[0][i]);

  const settings = (q) => ["temperature", "topK", "topP", "minP"].filter((k) => q[k] !== undefined).map((k) => `${k} ${q[k]}`).join(", ");
  const heads = requests.map((q, r) => `  ${r} ${q.name.padEnd(8)} ${settings(q).padEnd(26)} seed ${String(q.seed).padEnd(5)} prompt [${q.prompt}]`);
  const width = Math.max(...heads.map((h) => h.length));
  console.log(`onnxruntime-node ${ort.env.versions.node ?? ""}, tiny bigram model: vocab ${model.vocab}, rank ${model.rank} (${values.model ? `in ${model.dir}` : "in a temporary folder"})`);
  console.log(`${requests.length} requests, ${tokens} new tokens each: ${tokens} steps of one model run and one sampleTokens call (${ms.toFixed(1)} ms)`);
  heads.forEach((h, r) => console.log(`${h.padEnd(width)} -> ${batched[r].join(" ")}`));
  console.log(`${`  0 ${requests[0].name}, decoded alone`.padEnd(width)} -> ${alone.join(" ")}`);
  console.log(same ? `the same ${tokens} tokens alone as in the batch of ${requests.length}` : "MISMATCH: request 0 alone differs from the batch");

  if (values.json) {
    const report = {
      date: new Date().toISOString(),
      model: { vocab: model.vocab, rank: model.rank },
      tokens,
      requests: requests.map((q, r) => ({ ...q, tokens: batched[r] })),
      alone: { request: 0, tokens: alone, sameAsBatch: same },
      ms,
      machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, backend: gw.backend, onnxruntime: ort.env.versions.node ?? "" },
    };
    writeFileSync(values.json, JSON.stringify(report, null, 1));
  }
  if (!same) process.exitCode = 1;
} finally {
  await model.close();
}
