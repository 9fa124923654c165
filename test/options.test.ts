// No silent mistakes in options (DESIGN.md, contract 8): every public call refuses a key it does
// not know, and an options argument that is not a plain object, with a TypeError naming the call
// and the key, before it writes or draws anything; the message suggests the right name where the
// key is a near miss or another call's word for it. TypeScript refuses the same keys at compile
// time (the @ts-expect-error lines below fail `npm run typecheck` if a typo type-checks).
import { beforeAll, describe, expect, test } from "vitest";
import {
  anneal, Categorical, Gumbel, init, RelaxedBernoulli, RelaxedOneHotCategorical, type BackwardOptions, type CategoricalParams,
  type GappedSTOptions, type GumbelParams, type GumbelRaoOptions, type GumbelSoftmaxOptions, type GumbelWasm, type InitOptions,
  type ModeOptions, type OutOption, type RelaxedBernoulliParams, type RelaxedBernoulliSampleOptions, type RelaxedCategoricalParams,
  type SampleOptions, type ShapeOptions, type StraightForward, type StreamOptions, type TauOptions,
} from "../src/node.js";
import type { SampleTokensOptions } from "../src/tokens.js";
import { dispose, ENTRIES, esc, harness, settle, X6, type Entry } from "./options-entries.js";

const INIT_SEED = 4242;
/** The instance every refused call goes to. */
let gw: GumbelWasm;
/** An instance with the same seed, drawing alongside `gw`: the two streams stay in step. */
let twin: GumbelWasm;
/** The instance of the calls that succeed (which draw). */
let ok: GumbelWasm;
beforeAll(async () => {
  gw = await init({ seed: INIT_SEED });
  twin = await init({ seed: INIT_SEED });
  ok = await init({ seed: 1 });
});

/** The stream of `gw` has not moved relative to its twin's. */
function inStep(): void {
  expect(Array.from(gw.randomBits(4)), "the instance's stream moved").toEqual(Array.from(twin.randomBits(4)));
}

/** Calls `e` with `options` on a fresh harness: it must fail with a TypeError matching `re`, touching nothing. */
async function refused(e: Entry, options: unknown, re: RegExp): Promise<Error> {
  const h = harness(gw);
  try {
    const r = await settle(e, () => e.call(h, options));
    if (!("error" in r)) {
      await dispose(r.ok);
      throw new Error(`${e.name} accepted ${String(options)}`);
    }
    const err = r.error as Error;
    expect(err.constructor, String(err)).toBe(TypeError);
    expect(err.message).toMatch(re);
    expect(h.changed(), "a buffer was written").toBe("");
    return err;
  } finally {
    h.free();
  }
}

/** A plain object with `key` as an own enumerable key (even "__proto__"). */
function withKey(base: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const o = { ...base };
  Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
  return o;
}

class Opts {
  cols = 3;
}
const NOT_PLAIN: Array<[string, unknown]> = [
  ["a number", 5], ["a string", "tau"], ["a boolean", true], ["a bigint", 3n], ["null", null], ["an array", [1, 2]],
  ["a Map", new Map([["tau", 1]])], ["a class instance", new Opts()], ["a Float32Array", new Float32Array(2)], ["a function", () => 1],
  ["a Date", new Date(0)],
];

describe.each(ENTRIES.map((e) => [e.name, e] as const))("%s", (_, e) => {
  const what = e.noun === "option" ? "options" : "params";

  test("its valid options work (so the refusals below are about the key)", async () => {
    const h = harness(ok);
    const r = await settle(e, () => e.call(h, e.base(h)));
    expect("ok" in r ? "" : String((r as { error: unknown }).error)).toBe("");
    if ("ok" in r) await dispose(r.ok);
    h.free();
    // ... and so does every key it documents (undefined: not given), whatever else it says
    const h2 = harness(ok);
    for (const key of e.keys) {
      const r2 = await settle(e, () => e.call(h2, { ...e.base(h2), [key]: undefined }));
      if ("error" in r2) expect(String(r2.error)).not.toMatch(/unknown (option|parameter)/);
      else await dispose(r2.ok);
    }
    h2.free();
  });

  test("an unknown key: TypeError naming the call and the key; nothing written, nothing drawn", async () => {
    for (const key of ["bogus", "Tau ", "", "0", "constructor", "toString", "__proto__", "hasOwnProperty", "séed", "cols\n"]) {
      if (e.keys.includes(key)) continue;
      const err = await refused(e, withKey(e.base(harness(gw)), key, 1), new RegExp(`^${esc(e.fn)}: unknown ${e.noun} ${esc(JSON.stringify(key))} \\(`));
      expect(err.message).not.toMatch(/undefined/);
    }
    // with no other key, and with the value undefined
    await refused(e, { bogus: undefined }, new RegExp(`^${esc(e.fn)}: unknown ${e.noun} "bogus"`));
    inStep();
  });

  test(`${what} that is not a plain object: TypeError naming the call`, async () => {
    for (const [label, v] of NOT_PLAIN) {
      const err = await refused(e, v, new RegExp(`^${esc(e.fn)}: ${what} must be a plain object`));
      expect(err.message, label).toMatch(/, got /);
    }
    // undefined is no options, except where a key is required
    if (!e.optional) await refused(e, undefined, new RegExp(`^${esc(e.fn)}: (${what} must be a plain object|seed is required)`));
    inStep();
  });

  test("plain objects of any make are accepted: a null prototype, JSON.parse, Object.fromEntries", async () => {
    const h = harness(ok);
    const base = e.base(h);
    const makes: object[] = [Object.assign(Object.create(null) as object, base), Object.fromEntries(Object.entries(base))];
    if (Object.values(base).every((v) => typeof v === "number" || typeof v === "string")) makes.push(JSON.parse(JSON.stringify(base)) as object);
    for (const v of makes) {
      const r = await settle(e, () => e.call(h, v));
      expect("ok" in r ? "" : String((r as { error: unknown }).error)).toBe("");
      if ("ok" in r) await dispose(r.ok);
    }
    h.free();
  });
});

test("the checks can fail: a call that does draw moves the stream out of step; a written buffer is seen", () => {
  gw.gumbelNoise(3); // gw now 3 elements ahead of its twin
  expect(Array.from(gw.randomBits(4))).not.toEqual(Array.from(twin.randomBits(4)));
  twin.gumbelNoise(3);
  inStep();
  const h = harness(gw);
  h.out6[2] = 0;
  expect(h.changed()).toBe("out6");
  h.free();
});

describe("suggestions", () => {
  const x = X6;
  const cases: Array<[string, () => unknown, RegExp]> = [
    ["sampleTokens temprature", () => gw.sampleTokens(x, { cols: 3, temprature: 0.01 } as never), /^sampleTokens: unknown option "temprature" \(did you mean "temperature"\?\)$/],
    ["gumbelSoftmax temperature", () => gw.gumbelSoftmax(x, { cols: 3, temperature: 0.5 } as never), /^gumbelSoftmax: unknown option "temperature" \(did you mean "tau"\?\)$/],
    ["gumbelSoftmax temprature", () => gw.gumbelSoftmax(x, { cols: 3, temprature: 0.5 } as never), /\(did you mean "tau"\?\)$/],
    ["sampleTokens tau", () => gw.sampleTokens(x, { cols: 3, tau: 0.5 } as never), /\(did you mean "temperature"\?\)$/],
    ["RelaxedOneHotCategorical tau", () => new RelaxedOneHotCategorical(gw, { logits: x, cols: 3, tau: 1 } as never), /^RelaxedOneHotCategorical: unknown parameter "tau" \(did you mean "temperature"\?\)$/],
    ["softmaxBackward temperature", () => gw.softmaxBackward(x, x, { cols: 3, temperature: 2 } as never), /\(did you mean "tau"\?\)$/],
    ["top_k", () => gw.sampleTokens(x, { cols: 3, top_k: 2 } as never), /unknown option "top_k" \(did you mean "topK"\?\)$/],
    ["topk", () => gw.sampleTokens(x, { cols: 3, topk: 2 } as never), /\(did you mean "topK"\?\)$/],
    ["TopK", () => gw.sampleTokens(x, { cols: 3, TopK: 2 } as never), /\(did you mean "topK"\?\)$/],
    ["top_p", () => gw.sampleTokens(x, { cols: 3, top_p: 0.9 } as never), /\(did you mean "topP"\?\)$/],
    ["min_p", () => gw.sampleTokens(x, { cols: 3, min_p: 0.1 } as never), /\(did you mean "minP"\?\)$/],
    ["k", () => gw.sampleTokens(x, { cols: 3, k: 2 } as never), /\(did you mean "topK"\?\)$/],
    ["vocab_size", () => gw.sampleTokens(x, { cols: 3, vocab_size: 3 } as never), /\(did you mean "cols"\?\)$/],
    ["rsample count", () => new RelaxedOneHotCategorical(gw, { logits: x, cols: 3, temperature: 1 }).rsample({ count: 5 } as never),
      /^RelaxedOneHotCategorical\.rsample: unknown option "count" \(did you mean "n"\? \(the number of draws of the whole batch\)\)$/],
    ["rsample sample_shape", () => new RelaxedOneHotCategorical(gw, { logits: x, cols: 3, temperature: 1 }).rsample({ sample_shape: [5] } as never),
      /unknown option "sample_shape" \(did you mean "n"\?\)$/],
    ["sampleHard num_samples", () => new RelaxedOneHotCategorical(gw, { logits: x, cols: 3, temperature: 1 }).sampleHard({ num_samples: 5 } as never),
      /unknown option "num_samples" \(did you mean "n"\?\)$/],
    ["RelaxedBernoulli sample_shape", () => new RelaxedBernoulli(gw, { logits: x, temperature: 1 }).rsample({ sample_shape: 5 } as never), /\(did you mean "n"\?\)$/],
    ["RelaxedBernoulli size", () => new RelaxedBernoulli(gw, { logits: x, temperature: 1 }).sample({ size: 5 } as never), /^RelaxedBernoulli\.sample: .*\(did you mean "n"\?\)$/],
    ["Categorical.sample size", () => new Categorical(gw, { logits: x, cols: 3 }).sample({ size: 5 } as never), /^Categorical\.sample: unknown option "size" \(did you mean "n"\?\)$/],
    ["Categorical.sample draws", () => new Categorical(gw, { logits: x, cols: 3 }).sample({ draws: 5 } as never), /unknown option "draws" \(did you mean "n"\? \(the number/],
    ["Categorical.mode one_hot", () => new Categorical(gw, { logits: x, cols: 3 }).mode({ one_hot: true } as never), /^Categorical\.mode: unknown option "one_hot" \(did you mean "oneHot"\?\)$/],
    ["gumbelSoftmax n", () => gw.gumbelSoftmax(x, { cols: 3, n: 5 } as never), /unknown option "n" \(each call draws one sample per row/],
    ["gumbelMax size", () => gw.gumbelMax(x, { cols: 3, size: 5 } as never), /unknown option "size" \(each call draws one sample per row/],
    ["sampleTokens num_samples", () => gw.sampleTokens(x, { cols: 3, num_samples: 5 } as never), /unknown option "num_samples" \(each call draws one token per row/],
    ["gumbelNoise n", () => gw.gumbelNoise(3, { n: 3 } as never), /unknown option "n" \(the count is the first argument, n\)$/],
    ["Gumbel.sample size", () => new Gumbel(gw).sample(3, { size: 3 } as never), /unknown option "size" \(the count is the first argument, n\)$/],
    ["topK n", () => gw.topK(x, 1, { cols: 3, num_samples: 2 } as never), /unknown option "num_samples" \(k, the classes drawn per row, is the second argument/],
    ["Categorical dim", () => new Categorical(gw, { logits: x, shape: [2, 3], dim: 0 } as never), /^Categorical: unknown parameter "dim" \(did you mean "axis"\?\)$/],
    ["RelaxedOneHotCategorical keepdim", () => new RelaxedOneHotCategorical(gw, { logits: x, cols: 3, temperature: 1, keepdim: true } as never), /^RelaxedOneHotCategorical: unknown parameter "keepdim" \(parameters: logits, probs, cols, shape, axis, normalize, temperature\)$/],
    ["gumbelSoftmax dim", () => gw.gumbelSoftmax(x, { cols: 3, dim: 1 } as never), /unknown option "dim" \(did you mean "axis"\?\)$/],
    ["logSumExp keepdim", () => gw.logSumExp(x, { cols: 3, keepdim: true } as never), /unknown option "keepdim" \(did you mean "keepDims"\?\)$/],
    ["generator", () => gw.gumbelSoftmax(x, { cols: 3, generator: 1 } as never), /unknown option "generator" \(did you mean "seed"\?\)$/],
    ["rng", () => gw.gumbelMax(x, { cols: 3, rng: 1 } as never), /\(did you mean "seed"\?\)$/],
    ["random_state", () => new Categorical(gw, { logits: x, cols: 3 }).sample({ random_state: 1 } as never), /\(did you mean "seed"\?\)$/],
    ["num_samples", () => gw.gumbelRao(x, { cols: 3, num_samples: 5 } as never), /^gumbelRao: unknown option "num_samples" \(did you mean "samples"\?\)$/],
    ["repeats", () => gw.gumbelRaoBackward(x, x, { cols: 3, seed: 1, repeats: 5 } as never), /\(did you mean "samples"\?\)$/],
    ["straight_through", () => gw.gumbelSoftmax(x, { cols: 3, straight_through: true } as never), /\(did you mean "hard"\?\)$/],
    ["gumbelRao hard", () => gw.gumbelRao(x, { cols: 3, hard: true } as never), /unknown option "hard" \(the output is always one-hot/],
    ["gappedSTBackward soft", () => gw.gappedSTBackward(x, x, { cols: 3, seed: 1, soft: new Float32Array(6) } as never), /unknown option "soft" \(soft is the forward call's output/],
    ["gap", () => gw.gappedST(x, { cols: 3, gap: 1 } as never), /\(did you mean "kappa"\?\)$/],
    ["gumbelMax tau", () => gw.gumbelMax(x, { cols: 3, tau: 0.5 } as never), /^gumbelMax: unknown option "tau" \(this call samples softmax\(logits\) itself, at temperature 1/],
    ["topK temperature", () => gw.topK(x, 1, { cols: 3, temperature: 0.5 } as never), /unknown option "temperature" \(this call samples softmax\(logits\) itself/],
    ["softmax seed", () => gw.softmax(x, { cols: 3, seed: 1 } as never), /unknown option "seed" \(this call is deterministic/],
    ["rng seed", () => gw.rng(1).gumbelSoftmax(x, { cols: 3, seed: 2 } as never), /^rng\.gumbelSoftmax: unknown option "seed" \(the stream supplies seed and offset/],
    ["colls", () => gw.softmax(x, { colls: 3 } as never), /\(did you mean "cols"\?\)$/],
    ["tua", () => gw.softmax(x, { cols: 3, tua: 1 } as never), /\(did you mean "tau"\?\)$/],
    ["output", () => gw.softmax(x, { cols: 3, output: new Float32Array(6) } as never), /\(did you mean "out"\?\)$/],
    ["dtau", () => gw.softmaxBackward(x, x, { cols: 3, dtau: new Float32Array(2) } as never), /\(did you mean "dtauOut"\?\)$/],
    ["normalise", () => new Categorical(gw, { probs: [0.5, 0.5], normalise: true } as never), /^Categorical: unknown parameter "normalise" \(did you mean "normalize"\?\)$/],
    ["logit", () => new Categorical(gw, { logit: x } as never), /\(did you mean "logits"\?\)$/],
    ["Gumbel mu", () => new Gumbel(gw, { mu: 1 } as never), /^Gumbel: unknown parameter "mu" \(did you mean "loc"\?\)$/],
    ["Gumbel beta", () => new Gumbel(gw, { beta: 1 } as never), /\(did you mean "scale"\?\)$/],
    ["anneal.linear min", () => anneal.linear({ start: 1, min: 0.5, steps: 10 } as never), /^anneal\.linear: unknown parameter "min" \(did you mean "end"\?\)$/],
    ["anneal.exponential end", () => anneal.exponential({ rate: 0.1, end: 0.5 } as never), /\(did you mean "min"\?\)$/],
    ["anneal.exponential anneal_rate", () => anneal.exponential({ anneal_rate: 0.1 } as never), /\(did you mean "rate"\?\)$/],
    ["no suggestion: the call's keys", () => gw.gumbelSoftmax(x, { cols: 3, foo: 1 } as never), /^gumbelSoftmax: unknown option "foo" \(options: cols, shape, axis, tau, hard, soft, probs, seed, offset, out\)$/],
    ["no suggestion for a far word", () => gw.sampleTokens(x, { cols: 3, repetition_penalty: 1.1 } as never), /unknown option "repetition_penalty" \(options: cols, shape, axis, keepDims, temperature, topK/],
  ];
  test.each(cases)("%s", (_, f, re) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(re);
  });

  test("init: threads, simd", async () => {
    await expect(init({ thread: 2 } as never)).rejects.toThrow(/^init: unknown option "thread" \(did you mean "threads"\?\)$/);
    await expect(init({ workers: 2 } as never)).rejects.toThrow(/\(did you mean "threads"\?\)$/);
    await expect(init({ simd: true } as never)).rejects.toThrow(/^init: unknown option "simd" \(choose the binary with backend/);
  });
});

test("rng.gumbelNoise and rng.uniform take only the count: a second argument is refused, the stream not advanced", () => {
  const r = gw.rng(7, 10);
  expect(() => (r.gumbelNoise as (n: number, o: unknown) => unknown)(3, { seed: 1 })).toThrow(/^rng\.gumbelNoise: takes only the count n/);
  expect(() => (r.uniform as (n: number, o: unknown) => unknown)(3, {})).toThrow(/^rng\.uniform: takes only the count n/);
  expect(r.offset).toBe(10n);
  expect(Array.from(r.gumbelNoise(3))).toEqual(Array.from(gw.gumbelNoise(3, { seed: 7, offset: 10 })));
});

test("keys inherited from the caller's own prototype are checked too: Object.create({ temprature })", () => {
  expect(() => gw.sampleTokens(X6, Object.create({ temprature: 0.01 }) as never)).toThrow(/^sampleTokens: unknown option "temprature" \(did you mean "temperature"\?\)$/);
  const inherited = Object.create({ cols: 3, tau: 0.5 }) as { cols: number; tau: number };
  expect(Array.from(gw.softmax(X6, inherited))).toEqual(Array.from(gw.softmax(X6, { cols: 3, tau: 0.5 })));
});

test("a key inherited from Object.prototype is not the caller's, and symbol keys are not options", () => {
  const proto = Object.prototype as Record<string, unknown>;
  proto.polluted = 1; // enumerable, inherited by every object
  try {
    expect(() => gw.softmax(X6, { cols: 3 })).not.toThrow();
  } finally {
    delete proto.polluted;
  }
  expect(() => gw.softmax(X6, { cols: 3, [Symbol("tag")]: 1 } as never)).not.toThrow();
});

test("every key is checked at every call, whatever earlier calls had at its place (the checks remember known keys by place)", () => {
  const x = gw.tensorFrom(X6, 3);
  const out = gw.tensor(2, 3);
  try {
    for (let i = 0; i < 3; i++) expect(() => gw.gumbelSoftmax(x, { tau: 0.5, seed: 1, offset: i, out })).not.toThrow();
    // the same places, one key misspelt; then a key in a new place; then another call's key
    expect(() => gw.gumbelSoftmax(x, { tau: 0.5, sed: 1, offset: 0, out } as never)).toThrow(/^gumbelSoftmax: unknown option "sed" \(did you mean "seed"\?\)$/);
    expect(() => gw.gumbelSoftmax(x, { tau: 0.5, seed: 1, offset: 0, out, bogus: 1 } as never)).toThrow(/^gumbelSoftmax: unknown option "bogus"/);
    expect(() => gw.gumbelSoftmax(x, { seed: 1, tau: 0.5, out } as never)).not.toThrow();
    expect(() => gw.gumbelMax(x, { tau: 0.5, seed: 1 } as never)).toThrow(/^gumbelMax: unknown option "tau"/);
    expect(() => gw.gumbelSoftmax(x, { tau: 0.5, seed: 1, offset: 0, out })).not.toThrow();
    expect(() => gw.gumbelSoftmax(x, { temperature: 0.5, seed: 1 } as never)).toThrow(/^gumbelSoftmax: unknown option "temperature"/);
  } finally {
    x.free();
    out.free();
  }
  inStep();
});

// ---------------------------------------------------------------- compile time

/** true when T has no index signature (so an excess key is a compile error). */
type NoIndex<T> = string extends keyof T ? false : true;
const noIndex: true[] = [] as unknown as [
  NoIndex<ShapeOptions>, NoIndex<TauOptions>, NoIndex<StreamOptions>, NoIndex<OutOption<Float32Array>>, NoIndex<GumbelSoftmaxOptions>,
  NoIndex<GumbelRaoOptions>, NoIndex<GappedSTOptions>, NoIndex<StraightForward>, NoIndex<BackwardOptions>, NoIndex<SampleTokensOptions>,
  NoIndex<CategoricalParams>, NoIndex<GumbelParams>, NoIndex<RelaxedCategoricalParams>, NoIndex<RelaxedBernoulliParams>,
  NoIndex<RelaxedBernoulliSampleOptions>, NoIndex<SampleOptions>, NoIndex<ModeOptions>, NoIndex<InitOptions>, NoIndex<Parameters<typeof anneal.exponential>[0]>,
  NoIndex<Parameters<typeof anneal.linear>[0]>,
];

test("TypeScript refuses the misspelt keys at compile time too (each line below is a type error)", async () => {
  expect(noIndex).toEqual([]);
  const x = gw.tensorFrom(X6, 3);
  const o = { cols: 3, temperature: 1 };
  const t = (f: () => unknown) => expect(f).toThrow(TypeError);
  // the generic calls (O extends ...Options): Exact<O, ...> restores the excess property check
  // @ts-expect-error gumbelSoftmax says tau
  t(() => gw.gumbelSoftmax(x, { cols: 3, temperature: 1 }));
  // @ts-expect-error even through a variable
  t(() => gw.gumbelSoftmax(x, o));
  // @ts-expect-error torch's word (ours is axis)
  t(() => gw.softmax(x, { cols: 3, dim: 1 }));
  // @ts-expect-error keepDims is the reductions' only
  t(() => gw.softmax(x, { cols: 3, keepDims: true }));
  // @ts-expect-error
  t(() => gw.logSoftmax(x, { tau: 1, seed: 1 }));
  // @ts-expect-error
  t(() => gw.logSumExp(x, { temperature: 1 }));
  // @ts-expect-error
  t(() => gw.softmaxJvp(x, x, { temperature: 1 }));
  // @ts-expect-error Gapped ST has no samples
  t(() => gw.gappedST(x, { samples: 3 }));
  // @ts-expect-error Gumbel-Rao has no kappa
  t(() => gw.gumbelRao(x, { kappa: 1 }));
  // @ts-expect-error always hard
  t(() => gw.gumbelRao(x, { hard: true }));
  // @ts-expect-error
  t(() => gw.gumbelRaoBackward(x, x, { seed: 1, num_samples: 3 }));
  // @ts-expect-error
  t(() => gw.gappedSTBackward(x, x, { seed: 1, soft: new Float32Array(6) }));
  // @ts-expect-error
  await expect(gw.gumbelSoftmaxAsync(x, { temperature: 1 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  await expect(gw.softmaxAsync(x, { dim: 1 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  await expect(gw.logSoftmaxAsync(x, { dim: 1 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  await expect(gw.softmaxJvpAsync(x, x, { temperature: 1 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  await expect(gw.gappedSTAsync(x, { samples: 3 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  await expect(gw.gumbelRaoAsync(x, { hard: true })).rejects.toThrow(TypeError);
  // @ts-expect-error
  await expect(gw.gumbelRaoBackwardAsync(x, x, { seed: 1, num_samples: 3 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  await expect(gw.gappedSTBackwardAsync(x, x, { seed: 1, soft: new Float32Array(6) })).rejects.toThrow(TypeError);
  // the others: object literals
  // @ts-expect-error
  t(() => gw.sampleTokens(x, { temprature: 0.01 }));
  // @ts-expect-error
  t(() => gw.sampleTokens(x, { top_k: 5 }));
  // @ts-expect-error gumbelMax has no temperature
  t(() => gw.gumbelMax(x, { tau: 0.5 }));
  // @ts-expect-error
  await expect(gw.gumbelMaxAsync(x, { tau: 0.5 })).rejects.toThrow(TypeError);
  // @ts-expect-error probs is a flag: the probabilities are the first argument
  t(() => gw.gumbelMax(x, { probs: X6 }));
  // @ts-expect-error
  t(() => gw.gumbelSoftmax(x, { prob: true }));
  // @ts-expect-error
  await expect(gw.gumbelSoftmaxAsync(x, { probs: 1 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  t(() => gw.rng(1).gumbelMax(x, { probs: "yes" }));
  // @ts-expect-error
  await expect(gw.sampleTokensAsync(x, { temprature: 0.01 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  t(() => gw.topK(x, 1, { k: 1 }));
  // @ts-expect-error
  await expect(gw.topKAsync(x, 1, { k: 1 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  t(() => gw.gumbelNoise(3, { n: 3 }));
  // @ts-expect-error
  await expect(gw.gumbelNoiseAsync(3, { n: 3 })).rejects.toThrow(TypeError);
  // @ts-expect-error
  t(() => gw.uniform(3, { size: 3 }));
  // @ts-expect-error
  t(() => gw.randomBits(3, { generator: 1 }));
  // @ts-expect-error
  t(() => gw.softmaxBackward(x, x, { dtau: new Float32Array(2) }));
  // @ts-expect-error
  await expect(gw.softmaxBackwardAsync(x, x, { dtau: new Float32Array(2) })).rejects.toThrow(TypeError);
  // @ts-expect-error
  t(() => gw.rng(1).gumbelSoftmax(x, { seed: 2 }));
  // @ts-expect-error
  t(() => gw.rng(1).gumbelMax(x, { offset: 2 }));
  // @ts-expect-error
  t(() => new Categorical(gw, { logits: X6, cols: 3, temperature: 1 }));
  const cat = new Categorical(gw, { logits: X6, cols: 3 });
  // @ts-expect-error n, as torch's and TFP's sample shape
  t(() => cat.sample({ size: 2 }));
  // @ts-expect-error
  t(() => cat.mode({ one_hot: true }));
  // @ts-expect-error
  t(() => new Gumbel(gw, { mu: 1 }));
  // @ts-expect-error
  t(() => new Gumbel(gw).sample(2, { size: 2 }));
  // @ts-expect-error
  t(() => new RelaxedOneHotCategorical(gw, { logits: X6, cols: 3, tau: 1 }));
  const rel = new RelaxedOneHotCategorical(gw, { logits: X6, cols: 3, temperature: 1 });
  // @ts-expect-error
  t(() => rel.rsample({ num_samples: 5 }));
  // @ts-expect-error
  t(() => rel.sampleHard({ sample_shape: [5] }));
  // @ts-expect-error
  t(() => new RelaxedBernoulli(gw, { logits: X6, tau: 1 }));
  const bern = new RelaxedBernoulli(gw, { logits: X6, temperature: 1 });
  // @ts-expect-error
  t(() => bern.rsample({ size: 5 }));
  // @ts-expect-error
  t(() => anneal.linear({ start: 1, min: 0.5, steps: 10 }));
  // @ts-expect-error
  t(() => anneal.exponential({ rate: 1, end: 0.5 }));
  // @ts-expect-error
  await expect(init({ thread: 2 })).rejects.toThrow(TypeError);
  // the right keys type-check, and a tensor out still gives a tensor result
  const out = gw.tensor(2, 3);
  const r = gw.gumbelSoftmax(x, { tau: 0.5, out, seed: 1 });
  expect(r.free).toBeTypeOf("function");
  // mode's result follows oneHot: the indices, or one-hot rows
  const idx: Int32Array = cat.mode();
  const hot: Float32Array = cat.mode({ oneHot: true });
  // @ts-expect-error the indices are not float32
  const wrongType: Float32Array = cat.mode({ oneHot: false });
  expect([idx.length, hot.length, wrongType.length]).toEqual([2, 6, 2]);
  const v = { cols: 3, tau: 0.5 };
  expect(gw.softmax(X6, v)).toBeInstanceOf(Float32Array);
  const p = gw.gumbelMax([0.2, 0, 0.8, 1, 2, 3], { cols: 3, probs: true, seed: 1 });
  expect(p).toBeInstanceOf(Int32Array);
  expect(gw.rng(1).gumbelSoftmax([0.2, 0, 0.8], { cols: 3, probs: true })).toBeInstanceOf(Float32Array);
  x.free();
  out.free();
});
