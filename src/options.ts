// Options objects, checked (DESIGN.md, contract 8: no silent mistakes). Every call refuses a key
// it does not know, and an options argument that is not a plain object, with a TypeError naming
// the call and the key; when the key is a near miss of one the call knows, or another call's
// (or library's) word for one, the message suggests it:
//   sampleTokens: unknown option "temprature" (did you mean "temperature"?)
//   gumbelSoftmax: unknown option "temperature" (did you mean "tau"?)
// Each call's key list sits next to its options type (`optionKeys<T>({ ... })`), which fails to
// compile when the list and the type disagree. The check runs first in every call, so a refused
// call writes nothing and draws nothing. It allocates nothing: a `for...in` over the object, a
// key compared with the one seen at its place last time (the same string: known) or else looked
// up; the message is built only on failure.

import { describe } from "./checks.js";

/**
 * `O`, with every key that `T` does not have typed `never`: a parameter typed
 * `Exact<O, T>` with `O extends T` refuses a misspelt key at compile time, where a bare
 * `O extends T` would accept it (excess property checks do not apply to type parameters).
 */
export type Exact<O, T> = O & { [K in Exclude<keyof O, keyof T>]: never };

/** The keys a call accepts, and what to say about particular wrong ones. */
export interface OptionKeys {
  /** key -> true, on a null prototype (a lookup is cheaper than Set.has on V8's hot path). */
  readonly known: Readonly<Record<string, true>>;
  /** "option" for options, "parameter" for a constructor's or schedule's params. */
  readonly noun: "option" | "parameter";
  /** A wrong key (normalised: lower case, no `_` or `-`) -> what to say about it. */
  readonly notes: Readonly<Record<string, string>>;
  /** What to say about a sample-count key (`n`, `size`, `sample_shape`, ...), if anything. */
  readonly draws: string;
  /**
   * Known keys by their place in the last objects checked: a key that is the same string as
   * the one seen at its place is known without a lookup (V8 compares its internalised keys by
   * pointer; `known[k]` on a dictionary object is a hash probe). Only keys found in `known` go in.
   */
  readonly seen: string[];
}

/** What a call says about particular wrong keys (see `OptionKeys`). */
export interface KeyNotes {
  noun?: "option" | "parameter";
  notes?: Readonly<Record<string, string>>;
  draws?: string;
}

/**
 * The keys of the options type `T`, written out once: `optionKeys<GumbelSoftmaxOptions>({
 * cols: true, tau: true, ... })` does not compile if a key of `T` is missing or one is extra.
 */
export function optionKeys<T>(keys: { readonly [K in keyof Required<T>]: true }, more: KeyNotes = {}): OptionKeys {
  const known = Object.create(null) as Record<string, true>;
  for (const k of Object.keys(keys)) known[k] = true;
  return { known, noun: more.noun ?? "option", notes: more.notes ?? {}, draws: more.draws ?? "", seen: [] };
}

/**
 * Checks an options argument: `undefined` (no options) or a plain object (see `isPlain`) whose
 * enumerable string keys, own or inherited (but not a polluted Object.prototype's), are all in
 * `keys`. Throws a TypeError naming `fn` otherwise.
 */
export function checkOptions(fn: string, options: unknown, keys: OptionKeys): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) notPlain(fn, options, keys, true);
  // `constructor === Object` is the fast path for `{ ... }` (an own "constructor" key is
  // refused below as unknown); Object.getPrototypeOf costs more on V8.
  if ((options as { constructor?: unknown }).constructor !== Object && !isPlain(options)) notPlain(fn, options, keys, true);
  const { known, seen } = keys;
  let i = 0;
  for (const k in options) {
    if (seen[i] !== k) {
      if (known[k] === true) seen[i] = k;
      else unknownKey(fn, options, k, keys);
    }
    i++;
  }
}

/** As `checkOptions`, for a required params object: `undefined` is refused too. */
export function checkParams(fn: string, params: unknown, keys: OptionKeys): void {
  if (params === undefined) notPlain(fn, params, keys, false);
  checkOptions(fn, params, keys);
}

/**
 * A plain object, given that its constructor is not Object (the fast path above): one with a
 * null prototype, or another realm's object (an iframe's or a vm context's Object.prototype).
 * Not an array, a Map, a typed array, a function or a class instance.
 */
function isPlain(o: object): boolean {
  const p: unknown = Object.getPrototypeOf(o);
  return p === null || Object.getPrototypeOf(p) === null;
}

function notPlain(fn: string, v: unknown, keys: OptionKeys, optional: boolean): never {
  const what = keys.noun === "option" ? "options" : "params";
  throw new TypeError(`${fn}: ${what} must be a plain object ({ ... })${optional ? " or undefined" : ""}, got ${describe(v)}`);
}

function unknownKey(fn: string, o: object, key: string, keys: OptionKeys): void {
  // A key inherited from a polluted Object.prototype is not the caller's mistake (one inherited
  // from a prototype of the caller's, `Object.create({ temprature: 1 })`, is).
  if (!Object.prototype.hasOwnProperty.call(o, key) && Object.prototype.propertyIsEnumerable.call(Object.prototype, key)) return;
  const hint = suggest(key, keys);
  const known = Object.keys(keys.known).join(", ");
  throw new TypeError(`${fn}: unknown ${keys.noun} ${JSON.stringify(key)} (${hint || `${keys.noun}s: ${known}`})`);
}

// ---------------------------------------------------------------- suggestions

/**
 * Other calls' and libraries' words for an option, normalised (lower case, no `_` or `-`): a
 * key is suggested when the call knows it. Spellings that differ only in case or underscores
 * (`top_k`, `topk` for `topK`) and near misses (`temprature`) need no entry.
 */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  // gumbelSoftmax, the softmaxes, the gradients and the estimators say tau; sampleTokens and
  // the relaxed distributions say temperature (as transformers and torch.distributions do).
  tau: ["temperature"],
  temperature: ["tau"],
  // sampleTokens' filters as single letters
  k: ["topK"],
  p: ["topP"],
  // the random stream: torch's generator, JAX's key, numpy's random_state
  generator: ["seed"],
  rng: ["seed"],
  key: ["seed"],
  randomstate: ["seed"],
  // how many draws: RelaxedBernoulli's n, Gumbel-Rao's samples (Fan et al.'s "repeats")
  numsamples: ["samples", "n"],
  repeats: ["samples"],
  size: ["n"],
  sampleshape: ["n"],
  // straight-through, and Gapped ST's gap
  straightthrough: ["hard"],
  gap: ["kappa"],
  // gumbelSoftmax and gumbelMax on probabilities (the flag; the distributions take the array)
  probabilities: ["probs"],
  // classes per row
  numclasses: ["cols"],
  columns: ["cols"],
  vocabsize: ["cols"],
  // where the classes are: torch's dim and keepdim, numpy's keepdims
  dim: ["axis"],
  keepdim: ["keepDims"],
  // Gumbel(mu, beta) in most texts
  mu: ["loc"],
  beta: ["scale"],
  // anneal.exponential floors at min; linear and cosine end at end
  min: ["end"],
  end: ["min"],
  annealrate: ["rate"],
  decay: ["rate"],
  // init
  workers: ["threads"],
  numthreads: ["threads"],
};

/** Notes more than one file gives. */
export const NOTES = {
  DRAWS_PER_ROW: "each call draws one sample per row: repeat the rows, or call again at the next offset, for more",
  DRAWS_COUNT: "the count is the first argument, n",
  DRAWS_N: 'did you mean "n"? (the number of draws of the whole batch)',
  TAU_ONE: "this call samples softmax(logits) itself, at temperature 1: divide the logits by the temperature first, or use sampleTokens({ temperature })",
  OWN_STREAM: "the stream supplies seed and offset: use gw.rng(seed, offset), or the gw call itself",
} as const;

/** Sample-count words: what a call says about them is its `draws` note. */
const DRAW_WORDS = ["n", "size", "samplesize", "sampleshape", "shape", "numsamples", "samples", "count", "num", "draws"];

/** o[k] when it is o's own (a key like "constructor" or "__proto__" finds nothing). */
function own<V>(o: Readonly<Record<string, V>>, k: string): V | undefined {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

function normal(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, "");
}

/** What to say about the normalised word `w`, or "" (no suggestion). */
function resolve(w: string, keys: OptionKeys): string {
  for (const k in keys.known) if (normal(k) === w) return `did you mean ${JSON.stringify(k)}?`;
  for (const a of own(ALIASES, w) ?? []) if (keys.known[a] === true) return `did you mean ${JSON.stringify(a)}?`;
  const note = own(keys.notes, w);
  if (note !== undefined) return note;
  if (keys.draws && DRAW_WORDS.includes(w)) return keys.draws;
  return "";
}

/** The suggestion for `key`: as it is, else for the nearest word that has one. */
function suggest(key: string, keys: OptionKeys): string {
  const w = normal(key);
  const direct = resolve(w, keys);
  if (direct || w.length < 3) return direct;
  const words = new Set([...Object.keys(keys.known).map(normal), ...Object.keys(ALIASES), ...Object.keys(keys.notes), ...DRAW_WORDS]);
  // Near misses: a prefix of 3 letters or more, either way round (temp, output, dtau), else
  // up to 1 edit for words of up to 5 letters, 2 up to 8, 3 beyond. The first best wins.
  const allowed = w.length <= 5 ? 1 : w.length <= 8 ? 2 : 3;
  let best = "";
  let bestScore = Infinity;
  for (const c of words) {
    const d = c.length >= 3 && (c.startsWith(w) || w.startsWith(c)) ? 0.5 : distance(w, c, allowed);
    if (d <= allowed && d < bestScore && resolve(c, keys)) {
      best = c;
      bestScore = d;
    }
  }
  return best ? resolve(best, keys) : "";
}

/** Edit distance with transpositions (optimal string alignment); anything above `cap` is cap + 1. */
function distance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return Math.min(prev[b.length]!, cap + 1);
}
