// Every public call that takes an options (or params) object, written out independently of
// src/: its name in errors, the keys it takes, and a way to call it on a harness of buffers
// filled with sentinels. Shared by test/options.test.ts and test/properties-options.test.ts.
import {
  anneal, Categorical, Gumbel, init, RelaxedBernoulli, RelaxedOneHotCategorical, Tensor, type GumbelRng, type GumbelWasm,
} from "../src/node.js";

const SENTINEL = 12345;
/** A valid 2 x 3 batch of logits. */
export const X6 = [0.5, -1, 2, 0, 0.25, 1];

/** The buffers a call may read or write, each filled beforehand; `untouched()` checks them all. */
export interface Harness {
  gw: GumbelWasm;
  /** Logits, 2 x 3 (a tensor: options may omit cols). */
  x: Tensor<"float32">;
  /** Softmax of x, 2 x 3 (a tensor). */
  y: Tensor<"float32">;
  /** An upstream gradient / tangent, 6 values. */
  dy: Float32Array;
  /** The logits as a plain array (for the distributions' params). */
  xs: number[];
  out6: Float32Array;
  out2: Float32Array;
  soft6: Float32Array;
  idx2: Int32Array;
  rng: GumbelRng;
  cat: Categorical;
  gum: Gumbel;
  rel: RelaxedOneHotCategorical;
  bern: RelaxedBernoulli;
  /** The first buffer (or stream position) that differs from when the harness was made, or "". */
  changed(): string;
  free(): void;
}

export function harness(gw: GumbelWasm): Harness {
  const x = gw.tensorFrom(X6, 3);
  const y = gw.softmax(x);
  const h = {
    gw, x, y,
    dy: Float32Array.from([0.25, -0.5, 1, 0, 2, -1]),
    xs: X6.slice(),
    out6: new Float32Array(6).fill(SENTINEL),
    out2: new Float32Array(2).fill(SENTINEL),
    soft6: new Float32Array(6).fill(SENTINEL),
    idx2: new Int32Array(2).fill(SENTINEL),
    rng: gw.rng(5, 100),
    cat: new Categorical(gw, { logits: X6, cols: 3 }),
    gum: new Gumbel(gw, { loc: 1, scale: 2 }),
    rel: new RelaxedOneHotCategorical(gw, { logits: X6, cols: 3, temperature: 0.5 }),
    bern: new RelaxedBernoulli(gw, { logits: X6, temperature: 0.5 }),
  };
  const buffers: Record<string, () => ArrayLike<number>> = {
    x: () => h.x.data, y: () => h.y.data, dy: () => h.dy, xs: () => h.xs, out6: () => h.out6, out2: () => h.out2, soft6: () => h.soft6,
    idx2: () => h.idx2, "Categorical.logits": () => h.cat.probs, "RelaxedBernoulli.logits": () => h.bern.logits,
  };
  const before = Object.fromEntries(Object.entries(buffers).map(([k, f]) => [k, Array.from(f())]));
  return {
    ...h,
    changed() {
      if (h.rng.offset !== 100n) return `rng.offset (${h.rng.offset})`;
      for (const [k, f] of Object.entries(buffers)) {
        const now = Array.from(f());
        if (now.some((v, i) => !Object.is(v, before[k]![i]))) return k;
      }
      return "";
    },
    free() {
      x.free();
      y.free();
    },
  };
}

export interface Entry {
  /** The call as a user writes it (distinct for the async forms). */
  name: string;
  /** The call as its errors name it (the async forms give their synchronous call's errors). */
  fn: string;
  noun: "option" | "parameter";
  /** Every key the call takes. */
  keys: readonly string[];
  /** Valid options for the harness: the call succeeds with them. */
  base(h: Harness): Record<string, unknown>;
  /** Calls it with these options (a promise for the async ones). */
  call(h: Harness, options: unknown): unknown;
  /** Whether `undefined` options are fine (a call with defaults for every option). */
  optional: boolean;
  /** Draws from the instance's own stream when given no seed. */
  draws: boolean;
  async?: boolean;
}

const STREAM = ["seed", "offset"] as const;
const o = (v: unknown) => v as never;

function entry(e: Omit<Entry, "fn" | "noun" | "optional" | "draws"> & Partial<Entry>): Entry {
  return { fn: e.name, noun: "option", optional: true, draws: false, ...e };
}

export const ENTRIES: Entry[] = [
  // ------------------------------------------------------------ gw.*
  entry({ name: "gumbelNoise", keys: [...STREAM, "out"], draws: true, base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.gumbelNoise(6, o(v)) }),
  entry({ name: "uniform", keys: [...STREAM, "out"], draws: true, base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.uniform(6, o(v)) }),
  entry({ name: "randomBits", keys: STREAM, draws: true, base: () => ({}), call: (h, v) => h.gw.randomBits(6, o(v)) }),
  entry({ name: "softmax", keys: ["cols", "tau", "out"], base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.softmax(h.x, o(v)) }),
  entry({ name: "logSoftmax", keys: ["cols", "tau", "out"], base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.logSoftmax(h.x, o(v)) }),
  entry({ name: "logSumExp", keys: ["cols", "tau", "out"], base: (h) => ({ out: h.out2 }), call: (h, v) => h.gw.logSumExp(h.x, o(v)) }),
  entry({
    name: "gumbelSoftmax", keys: ["cols", "tau", "hard", "soft", "probs", ...STREAM, "out"], draws: true,
    base: (h) => ({ out: h.out6, hard: true, soft: h.soft6 }), call: (h, v) => h.gw.gumbelSoftmax(h.x, o(v)),
  }),
  entry({ name: "gumbelMax", keys: ["cols", "probs", ...STREAM, "out"], draws: true, base: (h) => ({ out: h.idx2 }), call: (h, v) => h.gw.gumbelMax(h.x, o(v)) }),
  entry({ name: "topK", keys: ["cols", ...STREAM], draws: true, base: () => ({}), call: (h, v) => h.gw.topK(h.x, 2, o(v)) }),
  entry({
    name: "sampleTokens", keys: ["cols", "temperature", "topK", "topP", "minP", "seed", "seeds", "offset", "offsets", "out"], draws: true,
    base: (h) => ({ out: h.idx2, temperature: 0.7 }), call: (h, v) => h.gw.sampleTokens(h.x, o(v)),
  }),
  entry({
    name: "softmaxBackward", keys: ["cols", "tau", "out", "dtau", "dtauOut"],
    base: (h) => ({ out: h.out6, dtauOut: h.out2 }), call: (h, v) => h.gw.softmaxBackward(h.y, h.dy, o(v)),
  }),
  entry({ name: "softmaxJvp", keys: ["cols", "tau", "out"], base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.softmaxJvp(h.y, h.dy, o(v)) }),
  entry({
    name: "gumbelRao", keys: ["cols", "tau", "samples", "soft", ...STREAM, "out"], draws: true,
    base: (h) => ({ out: h.out6, soft: h.soft6, samples: 3 }), call: (h, v) => h.gw.gumbelRao(h.x, o(v)),
  }),
  entry({
    name: "gumbelRaoBackward", keys: ["cols", "tau", "samples", ...STREAM, "out"], optional: false,
    base: (h) => ({ out: h.out6, seed: 1 }), call: (h, v) => h.gw.gumbelRaoBackward(h.x, h.dy, o(v)),
  }),
  entry({
    name: "gappedST", keys: ["cols", "tau", "kappa", "soft", ...STREAM, "out"], draws: true,
    base: (h) => ({ out: h.out6, soft: h.soft6, kappa: "adaptive" }), call: (h, v) => h.gw.gappedST(h.x, o(v)),
  }),
  entry({
    name: "gappedSTBackward", keys: ["cols", "tau", "kappa", ...STREAM, "out"], optional: false,
    base: (h) => ({ out: h.out6, seed: 1 }), call: (h, v) => h.gw.gappedSTBackward(h.x, h.dy, o(v)),
  }),
  // the async forms give their synchronous call's errors, as rejections
  entry({
    name: "gumbelSoftmaxAsync", fn: "gumbelSoftmax", keys: ["cols", "tau", "hard", "soft", "probs", ...STREAM, "out"], draws: true, async: true,
    base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.gumbelSoftmaxAsync(h.x, o(v)),
  }),
  entry({
    name: "gumbelMaxAsync", fn: "gumbelMax", keys: ["cols", "probs", ...STREAM, "out"], draws: true, async: true,
    base: (h) => ({ out: h.idx2 }), call: (h, v) => h.gw.gumbelMaxAsync(h.x, o(v)),
  }),
  entry({
    name: "gumbelNoiseAsync", fn: "gumbelNoise", keys: [...STREAM, "out"], draws: true, async: true,
    base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.gumbelNoiseAsync(6, o(v)),
  }),
  entry({
    name: "softmaxAsync", fn: "softmax", keys: ["cols", "tau", "out"], async: true, base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.softmaxAsync(h.x, o(v)),
  }),
  entry({
    name: "logSoftmaxAsync", fn: "logSoftmax", keys: ["cols", "tau", "out"], async: true,
    base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.logSoftmaxAsync(h.x, o(v)),
  }),
  entry({
    name: "softmaxBackwardAsync", fn: "softmaxBackward", keys: ["cols", "tau", "out", "dtau", "dtauOut"], async: true,
    base: (h) => ({ out: h.out6, dtauOut: h.out2 }), call: (h, v) => h.gw.softmaxBackwardAsync(h.y, h.dy, o(v)),
  }),
  entry({
    name: "softmaxJvpAsync", fn: "softmaxJvp", keys: ["cols", "tau", "out"], async: true,
    base: (h) => ({ out: h.out6 }), call: (h, v) => h.gw.softmaxJvpAsync(h.y, h.dy, o(v)),
  }),
  entry({ name: "topKAsync", fn: "topK", keys: ["cols", ...STREAM], draws: true, async: true, base: () => ({}), call: (h, v) => h.gw.topKAsync(h.x, 2, o(v)) }),
  entry({
    name: "sampleTokensAsync", fn: "sampleTokens", keys: ["cols", "temperature", "topK", "topP", "minP", "seed", "seeds", "offset", "offsets", "out"],
    draws: true, async: true, base: (h) => ({ out: h.idx2, temperature: 0.7 }), call: (h, v) => h.gw.sampleTokensAsync(h.x, o(v)),
  }),
  entry({
    name: "gumbelRaoAsync", fn: "gumbelRao", keys: ["cols", "tau", "samples", "soft", ...STREAM, "out"], draws: true, async: true,
    base: (h) => ({ out: h.out6, soft: h.soft6, samples: 3 }), call: (h, v) => h.gw.gumbelRaoAsync(h.x, o(v)),
  }),
  entry({
    name: "gumbelRaoBackwardAsync", fn: "gumbelRaoBackward", keys: ["cols", "tau", "samples", ...STREAM, "out"], optional: false, async: true,
    base: (h) => ({ out: h.out6, seed: 1 }), call: (h, v) => h.gw.gumbelRaoBackwardAsync(h.x, h.dy, o(v)),
  }),
  entry({
    name: "gappedSTAsync", fn: "gappedST", keys: ["cols", "tau", "kappa", "soft", ...STREAM, "out"], draws: true, async: true,
    base: (h) => ({ out: h.out6, soft: h.soft6, kappa: "adaptive" }), call: (h, v) => h.gw.gappedSTAsync(h.x, o(v)),
  }),
  entry({
    name: "gappedSTBackwardAsync", fn: "gappedSTBackward", keys: ["cols", "tau", "kappa", ...STREAM, "out"], optional: false, async: true,
    base: (h) => ({ out: h.out6, seed: 1 }), call: (h, v) => h.gw.gappedSTBackwardAsync(h.x, h.dy, o(v)),
  }),
  // ------------------------------------------------------------ GumbelRng (the stream supplies seed and offset)
  entry({
    name: "rng.gumbelSoftmax", keys: ["cols", "tau", "hard", "soft", "probs", "out"],
    base: (h) => ({ out: h.out6, hard: true, soft: h.soft6 }), call: (h, v) => h.rng.gumbelSoftmax(h.x, o(v)),
  }),
  entry({ name: "rng.gumbelMax", keys: ["cols", "probs", "out"], base: (h) => ({ out: h.idx2 }), call: (h, v) => h.rng.gumbelMax(h.x, o(v)) }),
  // ------------------------------------------------------------ distributions
  entry({
    name: "Categorical", noun: "parameter", keys: ["logits", "probs", "cols", "normalize"], optional: false,
    base: (h) => ({ logits: h.xs, cols: 3 }), call: (h, v) => new Categorical(h.gw, o(v)),
  }),
  entry({ name: "Categorical.sample", keys: [...STREAM, "n"], draws: true, base: () => ({ n: 2 }), call: (h, v) => h.cat.sample(o(v)) }),
  entry({ name: "Categorical.mode", keys: ["oneHot"], base: () => ({ oneHot: true }), call: (h, v) => h.cat.mode(o(v)) }),
  entry({ name: "Gumbel", noun: "parameter", keys: ["loc", "scale"], base: () => ({ loc: 0.5 }), call: (h, v) => new Gumbel(h.gw, o(v)) }),
  entry({ name: "Gumbel.sample", keys: STREAM, draws: true, base: () => ({}), call: (h, v) => h.gum.sample(3, o(v)) }),
  entry({
    name: "RelaxedOneHotCategorical", noun: "parameter", keys: ["logits", "probs", "cols", "normalize", "temperature"], optional: false,
    base: (h) => ({ logits: h.xs, cols: 3, temperature: 0.5 }), call: (h, v) => new RelaxedOneHotCategorical(h.gw, o(v)),
  }),
  entry({ name: "RelaxedOneHotCategorical.rsample", keys: [...STREAM, "n"], draws: true, base: () => ({ n: 2 }), call: (h, v) => h.rel.rsample(o(v)) }),
  entry({ name: "RelaxedOneHotCategorical.sample", keys: [...STREAM, "n"], draws: true, base: () => ({ n: 2 }), call: (h, v) => h.rel.sample(o(v)) }),
  entry({ name: "RelaxedOneHotCategorical.sampleHard", keys: [...STREAM, "n"], draws: true, base: () => ({ n: 2 }), call: (h, v) => h.rel.sampleHard(o(v)) }),
  entry({
    name: "RelaxedBernoulli", noun: "parameter", keys: ["logits", "probs", "temperature"], optional: false,
    base: (h) => ({ logits: h.xs, temperature: 0.5 }), call: (h, v) => new RelaxedBernoulli(h.gw, o(v)),
  }),
  entry({ name: "RelaxedBernoulli.rsample", keys: [...STREAM, "n"], draws: true, base: () => ({ n: 2 }), call: (h, v) => h.bern.rsample(o(v)) }),
  entry({ name: "RelaxedBernoulli.sample", keys: [...STREAM, "n"], draws: true, base: () => ({ n: 2 }), call: (h, v) => h.bern.sample(o(v)) }),
  entry({ name: "RelaxedBernoulli.sampleHard", keys: [...STREAM, "n"], draws: true, base: () => ({ n: 2 }), call: (h, v) => h.bern.sampleHard(o(v)) }),
  // ------------------------------------------------------------ anneal, init
  entry({
    name: "anneal.exponential", noun: "parameter", keys: ["start", "min", "rate", "every"], optional: false,
    base: () => ({ rate: 0.1 }), call: (_, v) => anneal.exponential(o(v)),
  }),
  entry({
    name: "anneal.linear", noun: "parameter", keys: ["start", "end", "steps"], optional: false,
    base: () => ({ start: 1, end: 0.5, steps: 10 }), call: (_, v) => anneal.linear(o(v)),
  }),
  entry({
    name: "anneal.cosine", noun: "parameter", keys: ["start", "end", "steps"], optional: false,
    base: () => ({ start: 1, end: 0.5, steps: 10 }), call: (_, v) => anneal.cosine(o(v)),
  }),
  entry({
    name: "init", keys: ["backend", "wasm", "seed", "threads", "threadThreshold", "sharedMemory"], async: true,
    base: () => ({ seed: 3 }), call: (_, v) => init(o(v)),
  }),
];

/**
 * Runs an entry: its value, or the error it threw or rejected with (an error must come the way
 * the call documents: thrown by synchronous calls, a rejection for async ones).
 */
export async function settle(e: Entry, f: () => unknown): Promise<{ ok: unknown } | { error: unknown }> {
  let r: unknown;
  try {
    r = f();
  } catch (error) {
    if (e.async) throw new Error(`${e.name} threw instead of rejecting: ${String(error)}`);
    return { error };
  }
  if (!e.async) return { ok: r };
  if (!(r instanceof Promise)) throw new Error(`${e.name} did not return a promise`);
  try {
    return { ok: await r };
  } catch (error) {
    return { error };
  }
}

/** Frees what a successful call made (tensors; instances from init). */
export async function dispose(v: unknown): Promise<void> {
  if (v instanceof Tensor) v.free();
  else if (v && typeof v === "object" && typeof (v as { close?: unknown }).close === "function") await (v as GumbelWasm).close();
}

/** A regular expression for the literal text `s`. */
export function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
