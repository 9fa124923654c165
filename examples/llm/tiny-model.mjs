// A tiny causal language model that transformers.js and onnxruntime load from local files, with
// no network: a bigram model, whose logits for the next token depend only on the last token.
// It is written here, as ONNX, with its config and tokenizer files, so that the examples, the
// tests and the benchmark run a real `generate()` (or a real onnxruntime session) on it.
//
//   table: logits = T[last token], T a vocab x vocab float32 table (one `Gather`): the exact
//          logits are known to the test, row by row.
//   low-rank (rank r > 0): logits = E[last token] @ W + b, E vocab x r, W r x vocab (a `Gather`
//          and a `MatMul` and an `Add`): 2 r vocab weights, so V = 128256 fits in a few MB and a
//          model step costs little beside the sampler.
//
// Files written to `dir` (what `AutoModelForCausalLM.from_pretrained(dir)` and
// `AutoTokenizer.from_pretrained(dir)` read with `env.localModelPath`/`local_files_only`):
//   config.json, generation_config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx
//
// The tokenizer is a word-level one (WordPiece over whole words, split on whitespace): token i is
// the word `w<i>`, but 0 is "<pad>" and 1 is "<unk>", which the model never emits (logit -Infinity).
//
//   import { writeTinyModel } from "./tiny-model.mjs";
//   const model = writeTinyModel("/tmp/bigram", { vocab: 16 });    // model.logits(token) -> Float32Array

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Tokens 0 ("<pad>") and 1 ("<unk>") have logit -Infinity: the model never emits them. */
export const SPECIAL = 2;

/** The word of token i. */
export const word = (i) => (i === 0 ? "<pad>" : i === 1 ? "<unk>" : `w${i}`);

/**
 * Writes the model's files to `dir` and returns its logits, as the model computes them.
 * @param {string} dir
 * @param {{ vocab: number, rank?: number, seed?: number, scale?: number, peaks?: number }} options
 *   vocab: tokens; rank: 0 (default) for the full table, else the rank of the low-rank model;
 *   seed: of the weights; scale: the logits' spread (standard deviation, default 3); peaks: the
 *   share of tokens given 12 more (LLM-like: a few likely tokens; default 0.002 low-rank, 0 table)
 */
export function writeTinyModel(dir, { vocab, rank = 0, seed = 1, scale = 3, peaks } = {}) {
  if (!Number.isInteger(vocab) || vocab < 2 || vocab > 2 ** 20) throw new RangeError(`vocab: an integer in [2, 2^20], got ${vocab}`);
  if (!Number.isInteger(rank) || rank < 0 || rank > 64) throw new RangeError(`rank: an integer in [0, 64], got ${rank}`);
  const rand = normals(seed);
  const inits = [];
  const nodes = [];
  let logits;
  if (rank === 0) {
    const table = new Float32Array(vocab * vocab);
    for (let i = 0; i < table.length; i++) table[i] = i % vocab < SPECIAL ? -Infinity : scale * rand();
    inits.push(tensor("table", [vocab, vocab], table));
    nodes.push(node("Gather", ["table", "input_ids"], ["logits"]));
    logits = (t) => table.slice(t * vocab, (t + 1) * vocab);
  } else {
    const e = new Float32Array(vocab * rank);
    const w = new Float32Array(rank * vocab);
    const b = new Float32Array(vocab);
    for (let i = 0; i < e.length; i++) e[i] = rand();
    for (let i = 0; i < w.length; i++) w[i] = (scale / Math.sqrt(rank)) * rand();
    const share = peaks ?? 0.002;
    for (let j = 0; j < vocab; j++) b[j] = j < SPECIAL ? -Infinity : -4 + (uniform(seed, j) < share ? 12 : 0);
    inits.push(tensor("embed", [vocab, rank], e), tensor("head", [rank, vocab], w), tensor("bias", [vocab], b));
    nodes.push(node("Gather", ["embed", "input_ids"], ["hidden"]));
    nodes.push(node("MatMul", ["hidden", "head"], ["scores"]));
    nodes.push(node("Add", ["scores", "bias"], ["logits"]));
    // float64 sums, rounded once: onnxruntime's float32 MatMul may differ in the last bits.
    logits = (t) => {
      const out = new Float32Array(vocab);
      for (let j = 0; j < vocab; j++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += e[t * rank + k] * w[k * vocab + j];
        out[j] = s + b[j];
      }
      return out;
    };
  }
  const graph = message([
    ...nodes.map((n) => field(1, n)),
    field(2, str("bigram")),
    ...inits.map((t) => field(5, t)),
    field(11, valueInfo("input_ids", INT64, ["batch_size", "sequence_length"])),
    field(12, valueInfo("logits", FLOAT, ["batch_size", "sequence_length", vocab])),
  ]);
  const model = message([
    varintField(1, 8), // ir_version
    field(2, str("gumbel-wasm examples/llm/tiny-model.mjs")), // producer_name
    field(7, graph),
    field(8, message([field(1, str("")), varintField(2, 17)])), // opset_import: ai.onnx 17
  ]);

  mkdirSync(join(dir, "onnx"), { recursive: true });
  writeFileSync(join(dir, "onnx", "model.onnx"), model);
  const json = (name, value) => writeFileSync(join(dir, name), JSON.stringify(value, null, 1));
  json("config.json", {
    model_type: "llama",
    architectures: ["LlamaForCausalLM"],
    vocab_size: vocab,
    hidden_size: Math.max(rank, 1),
    num_hidden_layers: 1,
    num_attention_heads: 1,
    num_key_value_heads: 1,
    max_position_embeddings: 1 << 20,
    pad_token_id: 0,
    bos_token_id: null,
    eos_token_id: null,
  });
  json("generation_config.json", { pad_token_id: 0 });
  const words = {};
  for (let i = 0; i < vocab; i++) words[word(i)] = i;
  json("tokenizer.json", {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [0, 1].map((id) => ({ id, content: word(id), single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: { type: "WordPiece", prefix: "##", cleanup: false },
    model: { type: "WordPiece", unk_token: "<unk>", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab: words },
  });
  json("tokenizer_config.json", {
    tokenizer_class: "PreTrainedTokenizerFast",
    pad_token: "<pad>",
    unk_token: "<unk>",
    padding_side: "left",
    model_max_length: 1 << 20,
  });
  return { dir, vocab, rank, logits };
}

// --- a few lines of protobuf: the fields of onnx.proto this model needs ---
const FLOAT = 1;
const INT64 = 7;
const enc = new TextEncoder();

function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Uint8Array.from(out);
}
function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}
const str = (s) => enc.encode(s);
const message = (fields) => concat(fields);
/** A length-delimited field (wire type 2): a string, bytes or a message. */
const field = (n, bytes) => concat([varint((n << 3) | 2), varint(bytes.length), bytes]);
/** A varint field (wire type 0). */
const varintField = (n, v) => concat([varint(n << 3), varint(v)]);

function tensor(name, dims, data) {
  return message([
    ...dims.map((d) => varintField(1, d)),
    varintField(2, FLOAT),
    field(8, str(name)),
    field(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)), // raw_data, little-endian
  ]);
}
function node(op, inputs, outputs) {
  return message([...inputs.map((i) => field(1, str(i))), ...outputs.map((o) => field(2, str(o))), field(3, str(`${op}_${outputs[0]}`)), field(4, str(op))]);
}
function valueInfo(name, elemType, dims) {
  const shape = message(dims.map((d) => field(1, typeof d === "number" ? varintField(1, d) : field(2, str(d)))));
  return message([field(1, str(name)), field(2, message([field(1, message([varintField(1, elemType), field(2, shape)]))]))]);
}

// --- seeded weights (xorshift32, Box-Muller): the same model from the same seed everywhere ---
function normals(seed) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}
function uniform(seed, j) {
  let h = (Math.imul(j + 1, 0x9e3779b1) ^ Math.imul(seed, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}
