// gumbel-wasm/transformers: transformers.js's `generate()` samples its tokens with
// `sampleTokens` — temperature, top-k, top-p and min-p, one seed per request — through a
// LogitsProcessor (a subclass of transformers.js's own). `@huggingface/transformers` is an
// optional peer dependency, imported here and nowhere else, so nothing of it reaches the main
// entry.
//
// How it fits in `generate()` (transformers.js 4.x): at every step generate runs its own logits
// processors, then the ones passed as `logits_processor`, then its sampler (greedy with
// `do_sample: false`). This processor, last in the list, samples a token per row and leaves only
// that token's logit finite, so the greedy sampler emits exactly it.

import { LogitsProcessor, LogitsProcessorList, type Tensor as HfTensor } from "@huggingface/transformers";
import { describe, parseU64, type Words } from "./checks.js";
import { GumbelWasm } from "./gumbel.js";
import { checkOptions, optionKeys } from "./options.js";
import { TokenParams } from "./tokens.js";
import type { PerRow, SampleTokensOptions, U64 } from "./types.js";

const NAME = "SampleTokensProcessor";

/** What a `SampleTokensProcessor` samples with: `sampleTokens`' filters and streams. */
export interface SampleTokensProcessorOptions {
  /** T >= 0, finite; default 1. 0 is greedy (the first largest logit). One number, or one per request. */
  temperature?: PerRow;
  /** Keep the k largest logits (and ties); 0 (default) keeps all. One number, or one per request. */
  topK?: PerRow;
  /** Nucleus, in (0, 1]; default 1 (off). One number, or one per request. */
  topP?: PerRow;
  /** Keep tokens with probability >= minP * the largest, in [0, 1]; default 0 (off). One number, or one per request. */
  minP?: PerRow;
  /**
   * One seed per request (per row of the batch): the t-th new token of request r draws elements
   * `offset + t * vocab + k` of `seeds[r]`'s stream, whatever else is in the batch.
   */
  seeds?: ArrayLike<U64>;
  /** One stream for the whole batch: the t-th new token of row r draws elements `offset + (t * rows + r) * vocab + k`. */
  seed?: U64;
  /** First stream element (with `seeds` or `seed`); default 0. */
  offset?: U64;
}

const KEYS = optionKeys<SampleTokensProcessorOptions>(
  { temperature: true, topK: true, topP: true, minP: true, seeds: true, seed: true, offset: true },
  {
    notes: {
      offsets: "the t-th new token of request r starts at offset + t * vocab of seeds[r]: give each request its own seed",
      cols: "the vocabulary is the logits' last dimension, read at each step",
      dosample: "do_sample is generate()'s option: see generateOptions",
      numbeams: "num_beams is generate()'s option: see generateOptions",
    },
  },
);

/** generate() options that would undo or fight the processor: refused by `generateOptions`. */
const REFUSED: Record<string, string> = {
  temperature: "set temperature on the processor: with do_sample false transformers.js applies none",
  top_k: "set topK on the processor",
  top_p: "set topP on the processor",
  min_p: "set minP on the processor",
  penalty_alpha: "contrastive search ranks candidates the processor has already ruled out",
  num_return_sequences: "the processor draws one sequence per request: repeat the request, with its own seed, for more",
};

/**
 * A transformers.js `LogitsProcessor` that samples each row of the logits with `sampleTokens`
 * and leaves only the sampled token finite.
 *
 * ```js
 * const sampler = new SampleTokensProcessor(gw, { temperature: 0.7, topP: 0.9, seeds: [42, 7] });
 * const ids = await model.generate(sampler.generateOptions({ ...inputs, max_new_tokens: 32 }));
 * // the same as: model.generate({ ...inputs, max_new_tokens: 32, do_sample: false, num_beams: 1, logits_processor: [sampler] })
 * ```
 */
export class SampleTokensProcessor extends LogitsProcessor {
  readonly #gw: GumbelWasm;
  readonly #opts: SampleTokensOptions;
  /** The batch size the per-request options fix, or 0 when every option is one number. */
  readonly #rows: number;
  readonly #seeds: readonly U64[] | undefined;
  readonly #seed: U64 | undefined;
  readonly #offset: bigint;
  /**
   * Each generate() call's progress, keyed by the list of sequences it passes (the same array at
   * every step of one call): calls that share the processor, one after another or at once
   * (generate awaits the model between steps), each count their own tokens.
   */
  #calls = new WeakMap<object, { length: number; step: number }>();
  #step = 0;
  #out = new Int32Array(0);

  constructor(gw: GumbelWasm, options: SampleTokensProcessorOptions = {}) {
    super();
    if (!(gw instanceof GumbelWasm)) throw new TypeError(`${NAME}: gw must be a GumbelWasm instance (from init()), got ${describe(gw)}`);
    checkOptions(NAME, options, KEYS);
    const { temperature, topK, topP, minP, seeds, seed, offset } = options;
    if (seeds !== undefined && seed !== undefined) throw new TypeError(`${NAME}: give seeds (one per request) or seed (one for the batch), not both`);
    if (offset !== undefined && seeds === undefined && seed === undefined) {
      throw new TypeError(`${NAME}: offset needs seeds or seed (without them the instance's own stream is used)`);
    }
    // The batch size the per-request options fix: every array must agree.
    let rows = 0;
    let from = "";
    const lengths: [string, unknown][] = [["temperature", temperature], ["topK", topK], ["topP", topP], ["minP", minP], ["seeds", seeds]];
    for (const [name, v] of lengths) {
      if (v === undefined || typeof v === "number" || typeof v !== "object" || v === null || !("length" in v)) continue;
      const n = (v as ArrayLike<unknown>).length;
      if (rows === 0) [rows, from] = [n, name];
      else if (n !== rows) throw new RangeError(`${NAME}: ${name} has ${n} values but ${from} has ${rows}: give one per request`);
    }
    if (rows === 0 && seeds !== undefined) throw new TypeError(`${NAME}: seeds must be an array (one seed per request), got ${describe(seeds)}`);
    // Validate every value now, as sampleTokens would, so that a bad option fails here and not
    // in the middle of generate().
    const params = new TokenParams();
    const probe: SampleTokensOptions = { temperature, topK, topP, minP, seeds, seed, offset };
    params.fill(NAME, probe, Math.max(rows, 1));
    params.perRowStreams(NAME, { ...probe, seed: seeds === undefined && seed === undefined ? 0 : seed }, Math.max(rows, 1), 1);
    const w: Words = { lo: 0, hi: 0 };
    parseU64(NAME, "offset", offset ?? 0, w);
    this.#gw = gw;
    this.#opts = { temperature: copy(temperature), topK: copy(topK), topP: copy(topP), minP: copy(minP) };
    this.#rows = rows;
    this.#seeds = seeds === undefined ? undefined : Array.from(seeds);
    this.#seed = seed;
    this.#offset = (BigInt(w.hi) << 32n) | BigInt(w.lo);
  }

  /** New tokens sampled so far in the generate() call that last ran a step. */
  get step(): number {
    return this.#step;
  }

  /**
   * generate()'s options with this processor last in `logits_processor` (a LogitsProcessorList
   * holding the caller's processors, then this one), `do_sample: false` and
   * `num_beams: 1` (set here, since a model's generation_config.json may turn sampling or beam
   * search on). Refuses what would fight the processor: `do_sample: true` (transformers.js
   * would apply its own temperature and top-k first), `num_beams > 1` (beam search keeps the
   * best continuations by their scores, and the processor leaves one finite score a row),
   * `temperature`/`top_k`/`top_p`/`min_p` (set them on the processor), `num_return_sequences`
   * and contrastive search.
   */
  generateOptions<O extends object = Record<never, never>>(options?: O): O & { do_sample: false; num_beams: 1; logits_processor: LogitsProcessorList } {
    const o = (options ?? {}) as Record<string, unknown>;
    if (typeof o !== "object" || o === null) throw new TypeError(`${NAME}.generateOptions: options must be an object, got ${describe(options)}`);
    if (o.do_sample !== undefined && o.do_sample !== false) {
      throw new RangeError(`${NAME}.generateOptions: do_sample must be false (or left out): the processor samples; with do_sample true transformers.js would apply its own temperature and top-k first`);
    }
    if (o.num_beams !== undefined && o.num_beams !== 1) {
      throw new RangeError(`${NAME}.generateOptions: num_beams must be 1, got ${typeof o.num_beams === "number" ? o.num_beams : describe(o.num_beams)}: beam search keeps the best continuations by score, and the processor leaves one finite score per row`);
    }
    for (const key in REFUSED) {
      if (o[key] === undefined || (key === "num_return_sequences" && o[key] === 1)) continue;
      throw new TypeError(`${NAME}.generateOptions: ${key} is not a generate() option here: ${REFUSED[key]}`);
    }
    const given = o.logits_processor;
    if (given !== undefined && given !== null && !isIterable(given)) {
      throw new TypeError(`${NAME}.generateOptions: logits_processor must be a list of processors, got ${describe(given)}`);
    }
    const list = given === undefined || given === null ? [] : [...(given as Iterable<unknown>)];
    if (list.includes(this)) throw new TypeError(`${NAME}.generateOptions: logits_processor already holds this processor`);
    const processors = new LogitsProcessorList();
    processors.extend([...(list as LogitsProcessor[]), this]);
    return { ...(o as O), do_sample: false, num_beams: 1, logits_processor: processors };
  }

  /** Called by generate() at each step: samples each row, leaves only its token finite. */
  override _call(inputIds: bigint[][], logits: HfTensor): HfTensor {
    const dims = logits.dims;
    if (logits.type !== "float32" || !(logits.data instanceof Float32Array) || dims.length !== 2) {
      throw new TypeError(`${NAME}: logits must be a float32 [batch, vocab] tensor (as generate() passes them), got ${logits.type} [${dims.join(", ")}]`);
    }
    const [rows, vocab] = dims as [number, number];
    if (!Array.isArray(inputIds) || inputIds.length !== rows) {
      throw new TypeError(`${NAME}: input_ids must hold one sequence per row of the logits (${rows}), got ${describe(inputIds)}`);
    }
    if (this.#rows !== 0 && rows !== this.#rows) {
      throw new RangeError(
        `${NAME}: generate() passed ${rows} rows but the processor has options for ${this.#rows} requests: ` +
        "num_return_sequences and beam search expand the batch, and a processor is made for one batch",
      );
    }
    const length = (inputIds[0] as unknown[] | undefined)?.length ?? 0;
    let call = this.#calls.get(inputIds);
    if (call === undefined) {
      // A new generate() call: its first new token is token 0 of every request.
      call = { length, step: 0 };
      this.#calls.set(inputIds, call);
    } else if (length !== call.length + 1) {
      throw new RangeError(`${NAME}: the sequences grew from ${call.length} to ${length} tokens between two steps of one generate() call; expected one token a step`);
    }
    const step = call.step;
    if (this.#out.length < rows) this.#out = new Int32Array(rows);
    const out = this.#out.subarray(0, rows);
    const data = logits.data;
    const o: SampleTokensOptions = { ...this.#opts, cols: vocab, out };
    if (this.#seeds !== undefined) {
      o.seeds = this.#seeds;
      o.offset = this.#offset + BigInt(step) * BigInt(vocab);
    } else if (this.#seed !== undefined) {
      o.seed = this.#seed;
      o.offset = this.#offset + BigInt(step) * BigInt(rows) * BigInt(vocab);
    }
    this.#gw.sampleTokens(data, o);
    for (let r = 0; r < rows; r++) {
      const start = r * vocab;
      const t = start + out[r]!;
      data.fill(-Infinity, start, t);
      data.fill(-Infinity, t + 1, start + vocab);
    }
    call.length = length;
    this.#step = call.step = step + 1;
    return logits;
  }
}

/** A frozen copy of a per-request option, so that later changes by the caller do not leak in. */
function copy(v: PerRow | undefined): PerRow | undefined {
  return v === undefined || typeof v === "number" ? v : Float64Array.from(v);
}

function isIterable(v: unknown): v is Iterable<unknown> {
  // A LogitsProcessorList is callable: a function object.
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function";
}
