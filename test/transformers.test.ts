// gumbel-wasm/transformers in real generate() calls of transformers.js (no mock): a tiny bigram
// causal LM (examples/llm/tiny-model.mjs: an ONNX table lookup written here, with its config
// and tokenizer files) loaded by AutoModelForCausalLM from a temp folder, no network.
// - the tokens follow the exact filtered distribution (chi-square against test/reference-tokens.ts,
//   the float64 reference of the filters), at the first and at a later step;
// - the stream layout: the t-th new token of request r is sampleTokens' draw at offset + t * vocab
//   of seeds[r] (seed: offset + (t * rows + r) * vocab), whatever the prompt lengths;
// - a seed replays; a request's tokens do not depend on its batch (left padding, order, others);
// - greedy rows are the argmax; only the sampled token stays finite; the guards and errors.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AutoModelForCausalLM, AutoTokenizer, env, LogitsProcessorList, pipeline, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { init, type GumbelWasm } from "gumbel-wasm";
import { SampleTokensProcessor } from "gumbel-wasm/transformers";
// @ts-expect-error: an example's JS module, untyped
import { writeTinyModel } from "../examples/llm/tiny-model.mjs";
import { chiSquareTest, softmaxRef } from "./reference.js";
import { filteredProbs, keptRef, type Filters } from "./reference-tokens.js";

const V = 12;
const root = mkdtempSync(join(tmpdir(), "gumbel-transformers-"));
const tiny = writeTinyModel(join(root, "bigram"), { vocab: V, seed: 3 }) as { logits: (t: number) => Float32Array };
let gw: GumbelWasm;
let model: PreTrainedModel;
let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  env.allowRemoteModels = false;
  env.localModelPath = `${root}/`;
  gw = await init();
  model = await AutoModelForCausalLM.from_pretrained("bigram", { dtype: "fp32" });
  tokenizer = await AutoTokenizer.from_pretrained("bigram");
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A [rows, len] batch of prompts given as token ids, left-padded with 0 as the tokenizer does. */
function prompts(rows: number[][]): { input_ids: Tensor; attention_mask: Tensor } {
  const len = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * len);
  const mask = new BigInt64Array(rows.length * len);
  rows.forEach((r, i) => r.forEach((t, j) => {
    ids[i * len + len - r.length + j] = BigInt(t);
    mask[i * len + len - r.length + j] = 1n;
  }));
  return { input_ids: new Tensor("int64", ids, [rows.length, len]), attention_mask: new Tensor("int64", mask, [rows.length, len]) };
}

/** The new tokens of each row of generate()'s output. */
async function generate(p: SampleTokensProcessor, rows: number[][], tokens: number, more: object = {}): Promise<number[][]> {
  const out = (await model.generate(p.generateOptions({ ...prompts(rows), max_new_tokens: tokens, ...more }))) as Tensor;
  return (out.tolist() as bigint[][]).map((r) => r.slice(-tokens).map(Number));
}

/** The argmax of a row, the first of equal maxima (numpy's and sampleTokens' greedy rule). */
function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < x.length; k++) if (x[k]! > x[best]!) best = k;
  return best;
}

describe("SampleTokensProcessor in generate()", () => {
  test("the tokens follow the exact filtered distribution (chi-square), at the first step and given the previous token", async () => {
    const f: Filters = { temperature: 0.8, topK: 8, topP: 0.95, minP: 0.1 };
    const start = 5;
    // The filters bite on this row: top-k, top-p and min-p each drop tokens the one before kept.
    const row = Array.from(tiny.logits(start));
    const kept = (g: Filters) => keptRef(row, g).filter(Boolean).length;
    const steps = [kept({}), kept({ topK: 8 }), kept({ topK: 8, topP: 0.95, temperature: 0.8 }), kept(f)];
    expect(steps[0]).toBe(V - 2);
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeLessThan(steps[i - 1]!);
    expect(steps[3]).toBeGreaterThanOrEqual(3);

    const N = 4000;
    const seeds = Array.from({ length: N }, (_, i) => 1000 + i);
    const p = new SampleTokensProcessor(gw, { ...f, seeds });
    const got = await generate(p, Array.from({ length: N }, () => [start]), 2);
    const first = new Array<number>(V).fill(0);
    for (const r of got) first[r[0]!]!++;
    const want = filteredProbs(row, f);
    const c0 = chiSquareTest(first, want);
    expect(c0.p, `first token: chi2 ${c0.stat.toFixed(1)}, df ${c0.df}`).toBeGreaterThan(1e-4);
    // A sampler that ignored the filters, or the temperature, would fail here.
    expect(chiSquareTest(first, softmaxRef(row, V, 0.8)).p).toBeLessThan(1e-6);
    expect(chiSquareTest(first, filteredProbs(row, { ...f, temperature: 1 })).p).toBeLessThan(1e-6);
    // The second token, among the rows whose first token was the most common one: the filtered
    // distribution of that token's row of the table.
    const b = argmax(first);
    const second = new Array<number>(V).fill(0);
    for (const r of got) if (r[0] === b) second[r[1]!]!++;
    const c1 = chiSquareTest(second, filteredProbs(Array.from(tiny.logits(b)), f));
    expect(c1.p, `second token after ${b}: chi2 ${c1.stat.toFixed(1)}, df ${c1.df}`).toBeGreaterThan(1e-4);
  }, 60_000);

  test("the stream layout: token t of request r is sampleTokens' draw at offset + t * vocab of seeds[r], whatever the prompt lengths", async () => {
    const rows = [[7, 3, 9], [4], [2, 11]];
    const seeds = [11n, 2n ** 40n + 5n, 33n];
    const filters = { temperature: [0.7, 1.3, 1], topK: [0, 5, 0], topP: [0.9, 1, 1], minP: [0, 0, 0.1] };
    const offset = 123;
    const T = 8;
    const got = await generate(new SampleTokensProcessor(gw, { ...filters, seeds, offset }), rows, T);
    for (let r = 0; r < rows.length; r++) {
      let last = rows[r]!.at(-1)!;
      const want: number[] = [];
      for (let t = 0; t < T; t++) {
        const o = { cols: V, temperature: filters.temperature[r], topK: filters.topK[r], topP: filters.topP[r], minP: filters.minP[r] };
        last = gw.sampleTokens(tiny.logits(last), { ...o, seeds: [seeds[r]!], offset: offset + t * V })[0]!;
        want.push(last);
      }
      expect(got[r], `request ${r}`).toEqual(want);
    }
    // One seed for the batch: row r of token t at offset + (t * rows + r) * vocab.
    const batch = await generate(new SampleTokensProcessor(gw, { topP: 0.9, seed: 9, offset }), rows, T);
    for (let r = 0; r < rows.length; r++) {
      let last = rows[r]!.at(-1)!;
      for (let t = 0; t < T; t++) {
        last = gw.sampleTokens(tiny.logits(last), { cols: V, topP: 0.9, seed: 9, offset: offset + (t * rows.length + r) * V })[0]!;
        expect(batch[r]![t], `row ${r}, token ${t}`).toBe(last);
      }
    }
  });

  test("a seed replays (a new processor, or the same one in a new generate() call); another seed gives other tokens", async () => {
    const rows = [[3], [8, 4]];
    const T = 24;
    const p = new SampleTokensProcessor(gw, { temperature: 1.2, seeds: [5, 6] });
    const a = await generate(p, rows, T);
    expect(p.step).toBe(T);
    expect(await generate(p, rows, T)).toEqual(a);
    expect(await generate(new SampleTokensProcessor(gw, { temperature: 1.2, seeds: [5, 6] }), rows, T)).toEqual(a);
    // Calls that share the processor at once (generate awaits the model between steps) each
    // count their own tokens.
    expect(await Promise.all([generate(p, rows, T), generate(p, rows, T), generate(p, rows, T - 4)])).toEqual([a, a, a.map((r) => r.slice(0, T - 4))]);
    const other = await generate(new SampleTokensProcessor(gw, { temperature: 1.2, seeds: [7, 8] }), rows, T);
    expect(other[0]).not.toEqual(a[0]);
    expect(other[1]).not.toEqual(a[1]);
    for (const r of [...a, ...other]) for (const t of r) expect(t).toBeGreaterThanOrEqual(2); // pad and unk are -Inf
  });

  test("a request's tokens do not depend on its batch: alone, amid others, in another order, with other padding", async () => {
    const requests = [
      { prompt: [5, 7, 2], seed: 101, temperature: 0.9, topP: 0.8 },
      { prompt: [3], seed: 202, temperature: 1.5, topP: 1 },
      { prompt: [9, 4, 4, 4, 10], seed: 303, temperature: 0, topP: 1 },
      { prompt: [6, 2], seed: 404, temperature: 1, topP: 0.5 },
    ];
    const T = 12;
    const run = async (idx: number[]) => {
      const rs = idx.map((i) => requests[i]!);
      const p = new SampleTokensProcessor(gw, { seeds: rs.map((r) => r.seed), temperature: rs.map((r) => r.temperature), topP: rs.map((r) => r.topP) });
      return generate(p, rs.map((r) => r.prompt), T);
    };
    const alone = await Promise.all(requests.map((_, i) => run([i]).then((x) => x[0]!)));
    expect(await run([0, 1, 2, 3])).toEqual(alone);
    expect(await run([3, 1, 0])).toEqual([alone[3], alone[1], alone[0]]);
    expect(await run([2, 2, 1])).toEqual([alone[2], alone[2], alone[1]]);
    // Greedy (request 2): the argmax of the table's row, step after step.
    let last = 10;
    for (const t of alone[2]!) expect(t).toBe((last = argmax(tiny.logits(last))));
  });

  test("generateOptions forces do_sample false and num_beams 1 over a model's generation config; the text-generation pipeline takes it", async () => {
    const config = (model as unknown as { generation_config: Record<string, unknown> }).generation_config;
    const saved = { ...config };
    const rows = [[5], [9]];
    const want = await generate(new SampleTokensProcessor(gw, { temperature: 0.7, seeds: [1, 2] }), rows, 10);
    try {
      // A model whose generation_config.json turns sampling on, with its own temperature and top-k.
      Object.assign(config, { do_sample: true, temperature: 0.3, top_k: 2, num_beams: 3 });
      expect(await generate(new SampleTokensProcessor(gw, { temperature: 0.7, seeds: [1, 2] }), rows, 10)).toEqual(want);
    } finally {
      for (const k of Object.keys(config)) delete config[k];
      Object.assign(config, saved);
    }
    const generator = await pipeline("text-generation", "bigram", { dtype: "fp32" });
    const texts = ["w5", "w9"];
    const p = new SampleTokensProcessor(gw, { temperature: 0.7, seeds: [1, 2] });
    const out = (await generator(texts, p.generateOptions({ max_new_tokens: 10 }))) as { generated_text: string }[][];
    expect(out.map((o) => o[0]!.generated_text)).toEqual(want.map((r, i) => [texts[i], ...r.map((t) => `w${t}`)].join(" ")));
    // The tokenizer's batch (left padding) gives the same tokens.
    const enc = tokenizer(["w5 w3 w3", "w9"], { padding: true });
    const ids = (await model.generate(p.generateOptions({ ...enc, max_new_tokens: 10 }))) as Tensor;
    expect((ids.tolist() as bigint[][]).map((r) => r.slice(-10).map(Number))[1]).toEqual(want[1]);
  }, 60_000);

  test("generateOptions refuses what would fight the processor, naming it, and appends to the caller's processors", () => {
    const p = new SampleTokensProcessor(gw, { seed: 1 });
    expect(() => p.generateOptions({ do_sample: true })).toThrow(/do_sample must be false/);
    expect(() => p.generateOptions({ num_beams: 4 })).toThrow(/num_beams must be 1, got 4: beam search/);
    expect(() => p.generateOptions({ temperature: 0.7 })).toThrow(/temperature is not a generate\(\) option here: set temperature on the processor/);
    expect(() => p.generateOptions({ top_k: 50 })).toThrow(/top_k .*set topK on the processor/);
    expect(() => p.generateOptions({ top_p: 0.9 })).toThrow(/top_p .*set topP/);
    expect(() => p.generateOptions({ num_return_sequences: 2 })).toThrow(/num_return_sequences/);
    expect(() => p.generateOptions({ penalty_alpha: 0.6 })).toThrow(/contrastive search/);
    expect(() => p.generateOptions({ logits_processor: 3 })).toThrow(/logits_processor must be a list/);
    const first = new SampleTokensProcessor(gw);
    const o = p.generateOptions({ max_new_tokens: 3, num_beams: 1, do_sample: false, logits_processor: [first] });
    const { logits_processor: list, ...rest } = o;
    expect(rest).toEqual({ max_new_tokens: 3, num_beams: 1, do_sample: false });
    expect(list).toBeInstanceOf(LogitsProcessorList);
    expect([...list]).toEqual([first, p]);
    expect(() => p.generateOptions(o)).toThrow(/already holds this processor/);
    expect([...p.generateOptions().logits_processor]).toEqual([p]);
  });

  test("leaves only the sampled token finite, in place; a bad row or batch throws, naming it, and leaves the logits untouched", () => {
    const rows = 3;
    const data = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) data.set(tiny.logits(r + 4), r * V);
    const p = new SampleTokensProcessor(gw, { topK: 4, seeds: [1, 2, 3] });
    const ids = [[4n], [5n], [6n]];
    const logits = new Tensor("float32", data.slice(), [rows, V]);
    const back = p(ids, logits) as Tensor;
    expect(back).toBe(logits);
    const want = gw.sampleTokens(data, { cols: V, topK: 4, seeds: [1, 2, 3] });
    for (let r = 0; r < rows; r++) {
      const row = (logits.data as Float32Array).subarray(r * V, (r + 1) * V);
      row.forEach((v, k) => (k === want[r] ? expect(v).toBe(data[r * V + k]) : expect(v).toBe(-Infinity)));
    }
    // A NaN logit: sampleTokens' error, nothing written.
    const bad = data.slice();
    bad[V + 3] = NaN;
    const t = new Tensor("float32", bad.slice(), [rows, V]);
    expect(() => p([[4n], [5n], [6n]], t)).toThrow(/NaN/);
    expect(Array.from(t.data as Float32Array)).toEqual(Array.from(bad));
    // More rows than requests (num_return_sequences, beam search): a RangeError, nothing written.
    const four = new Tensor("float32", new Float32Array(4 * V), [4, V]);
    expect(() => p([[1n], [1n], [1n], [1n]], four)).toThrow(/passed 4 rows but the processor has options for 3 requests/);
    expect((four.data as Float32Array).every((v) => v === 0)).toBe(true);
    expect(() => p(ids, new Tensor("float32", new Float32Array(V), [1, 1, V]))).toThrow(/float32 \[batch, vocab\] tensor/);
    expect(() => p([[1n]], new Tensor("float32", data.slice(), [rows, V]))).toThrow(/one sequence per row/);
  });

  test("constructor: bad options are refused at once, naming them; the caller's arrays are copied", () => {
    expect(() => new SampleTokensProcessor({} as GumbelWasm)).toThrow(/gw must be a GumbelWasm instance/);
    expect(() => new SampleTokensProcessor(gw, { top_p: 0.9 } as object)).toThrow(/unknown option "top_p" \(did you mean "topP"\?\)/);
    expect(() => new SampleTokensProcessor(gw, { topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => new SampleTokensProcessor(gw, { temperature: [1, -1], seeds: [1, 2] })).toThrow(/temperature\[1\] must be 0 \(greedy\) or positive/);
    expect(() => new SampleTokensProcessor(gw, { topK: [1, 2], seeds: [1, 2, 3] })).toThrow(/seeds has 3 values but topK has 2/);
    expect(() => new SampleTokensProcessor(gw, { seeds: [1], seed: 2 })).toThrow(/not both/);
    expect(() => new SampleTokensProcessor(gw, { offset: 5 })).toThrow(/offset needs seeds or seed/);
    expect(() => new SampleTokensProcessor(gw, { seeds: [-1] })).toThrow(/seeds\[0\]/);
    expect(() => new SampleTokensProcessor(gw, { seeds: 5 as unknown as number[] })).toThrow(/seeds must be an array/);
    // The options are the processor's own: changing the caller's arrays later changes nothing.
    const temps = [0, 0];
    const seeds = [1, 2];
    const p = new SampleTokensProcessor(gw, { temperature: temps, seeds });
    temps[0] = 5;
    seeds[0] = 99;
    const logits = new Tensor("float32", Float32Array.from([...tiny.logits(4), ...tiny.logits(6)]), [2, V]);
    const out = p([[4n], [6n]], logits) as Tensor;
    const d = out.data as Float32Array;
    expect(argmax(d.subarray(0, V))).toBe(argmax(tiny.logits(4)));
    expect(argmax(d.subarray(V))).toBe(argmax(tiny.logits(6)));
  });
});
