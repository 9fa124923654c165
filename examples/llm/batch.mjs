// One decoding step for a batch of requests, shared by the onnxruntime example (onnxruntime.mjs)
// and the sampling service (service.mjs): the tiny model in an onnxruntime-node session, run on
// the rows' last tokens, and every row sampled in ONE `sampleTokens` call with its own settings
// and its own stream (seed, and offset = index of the token being generated * vocab).
//
// Not run by itself:
//   import { openModel, decodeStep } from "./batch.mjs";
//   const model = await openModel();                       // the tiny model, vocab 32000, rank 8
//   const next = await decodeStep(gw, model, rows);        // rows: [{ last, step, seed, temperature, ... }]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { writeTinyModel } from "./tiny-model.mjs";

/** The model the examples run: LLM-sized vocabulary, low rank, so a step costs little. */
export const VOCAB = 32000;
export const RANK = 8;

/** Requests with different settings, as a service sees them (seeds chosen by the requests). */
export const SETTINGS = [
  { name: "nucleus", temperature: 0.7, topP: 0.9, seed: 42 },
  { name: "greedy", temperature: 0, seed: 7 },
  { name: "top-k", topK: 40, seed: 1234 },
  { name: "min-p", temperature: 1.2, minP: 0.05, seed: 99 },
];

/**
 * Writes the tiny model to `dir` (default: a temporary folder, removed by `close()`) and opens an
 * onnxruntime-node session on it. One intra-op thread: the model is small, and a service has other
 * work for the other cores (more threads made a step slower on 2 cores).
 * @param {{ dir?: string, vocab?: number, rank?: number, threads?: number }} [options]
 */
export async function openModel({ dir, vocab = VOCAB, rank = RANK, threads = 1 } = {}) {
  const temporary = dir === undefined;
  const folder = dir ?? mkdtempSync(join(tmpdir(), "gumbel-llm-"));
  const tiny = writeTinyModel(folder, { vocab, rank });
  const session = await ort.InferenceSession.create(join(folder, "onnx", "model.onnx"), { intraOpNumThreads: threads });
  return {
    dir: folder,
    vocab,
    rank,
    session,
    /** The model's logits for a token, computed in JS (float64 sums): a reference for tests. */
    reference: tiny.logits,
    async close() {
      await session.release();
      if (temporary) rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * Runs the model on each row's last token and returns its logits, rows x vocab, as the Float32Array
 * onnxruntime returned (no copy). A bigram needs only the last token, so input_ids is [rows, 1];
 * a real model would feed the new token with its KV cache (past_key_values) instead.
 * @param {Awaited<ReturnType<typeof openModel>>} model
 * @param {ArrayLike<number>} last the last token of each row
 * @returns {Promise<Float32Array>}
 */
export async function runModel(model, last) {
  const ids = new BigInt64Array(last.length);
  for (let r = 0; r < last.length; r++) ids[r] = BigInt(last[r]);
  const { logits } = await model.session.run({ input_ids: new ort.Tensor("int64", ids, [last.length, 1]) });
  // [rows, 1, vocab] float32 is rows x vocab, contiguous: sampleTokens takes it as it is.
  return /** @type {Float32Array} */ (logits.data);
}

/**
 * @typedef {{ temperature?: number, topK?: number, topP?: number, minP?: number, seed: number }} Settings
 * @typedef {Settings & { step: number }} Row  a request at its `step`-th new token (0 for the first)
 */

/**
 * Samples every row of `logits` (rows x vocab) in one `sampleTokens` call: each row its own
 * settings (absent ones at sampleTokens' defaults) and its own stream, `seeds[r] = seed` and
 * `offsets[r] = step * vocab`, so a row's token does not depend on the other rows.
 * @param {import("gumbel-wasm").GumbelWasm} gw
 * @param {Float32Array} logits
 * @param {number} vocab
 * @param {Row[]} rows
 * @returns {Int32Array} one token a row
 */
export function sampleRows(gw, logits, vocab, rows) {
  const n = rows.length;
  // float64, so a value reaches sampleTokens as the request gave it (it rounds to float32 itself)
  const temperature = new Float64Array(n);
  const topK = new Float64Array(n);
  const topP = new Float64Array(n);
  const minP = new Float64Array(n);
  const seeds = new Array(n);
  const offsets = new Array(n);
  for (let r = 0; r < n; r++) {
    const q = rows[r];
    temperature[r] = q.temperature ?? 1;
    topK[r] = q.topK ?? 0;
    topP[r] = q.topP ?? 1;
    minP[r] = q.minP ?? 0;
    seeds[r] = q.seed;
    offsets[r] = q.step * vocab;
  }
  return gw.sampleTokens(logits, { cols: vocab, temperature, topK, topP, minP, seeds, offsets });
}

/**
 * One decoding step: the model on the rows' last tokens, then one sampleTokens call.
 * @param {import("gumbel-wasm").GumbelWasm} gw
 * @param {Awaited<ReturnType<typeof openModel>>} model
 * @param {(Row & { last: number })[]} rows
 */
export async function decodeStep(gw, model, rows) {
  const logits = await runModel(model, rows.map((r) => r.last));
  return sampleRows(gw, logits, model.vocab, rows);
}
