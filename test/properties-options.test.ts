// Property tests (fast-check) of the options checks, in the manner of test/properties.test.ts:
// on every public call (test/options-entries.ts), a random key the call does not take (any
// string: empty, unicode, lone surrogates, "__proto__", near misses of real keys), with any
// value, alone or among valid options, is a TypeError naming the call and the key; a random
// non-object options argument is a TypeError naming the call; and either way the caller's
// inputs and outputs are untouched and the instance's stream has not moved (the next draw
// equals that of a twin instance with the same init seed). Every key the call does take, given
// as undefined, is accepted.
import fc from "fast-check";
import { expect, test } from "vitest";
import { init, type GumbelWasm } from "../src/node.js";
import { dispose, ENTRIES, esc, harness, settle, type Entry } from "./options-entries.js";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);
const SEED = Number(process.env.PROPERTY_SEED ?? 0);
const PER_CALL = Math.max(20, Math.round(RUNS / 8));

const gw: GumbelWasm = await init({ seed: 11 });
const twin: GumbelWasm = await init({ seed: 11 });
const ok: GumbelWasm = await init({ seed: 12 });

/** Near misses and other calls' words, so that the suggestions' code runs on every call too. */
const WORDS = [
  "temprature", "temperature", "tau", "Tau", "top_k", "topk", "top_p", "min_p", "k", "p", "n", "size", "sample_shape", "num_samples",
  "dim", "axis", "generator", "rng", "key", "Seed", "seeds", "offsets", "OUT", "output", "soft", "hard", "straight_through", "kappa",
  "samples", "cols", "colls", "columns", "dtau", "dtauOut", "logits", "probs", "normalise", "loc", "scale", "mu", "start", "end", "min",
  "steps", "rate", "every", "backend", "threads", "simd", "__proto__", "constructor", "toString", "valueOf", "", " ", "0", "-1",
];
const keyArb = fc.oneof(fc.constantFrom(...WORDS), fc.string(), fc.string({ unit: "binary", maxLength: 30 }), fc.string({ unit: "grapheme" }));
const notPlainArb = fc.oneof(
  fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.bigInt(), fc.constant(null), fc.array(fc.anything(), { maxLength: 3 }),
  fc.date(), fc.constant(new Map()), fc.constant(new Set()), fc.float32Array({ maxLength: 3 }), fc.constant(() => 1),
  fc.constant(new (class Options {})()), fc.constant(new Error("x")), fc.constant(Promise.resolve({})),
);

/** The streams of gw and its twin are at the same element. */
function inStep(): boolean {
  const a = Array.from(gw.randomBits(2));
  const b = Array.from(twin.randomBits(2));
  return a[0] === b[0] && a[1] === b[1];
}

/** `base` with `key: value` as an own enumerable property, first or last. */
function withKey(base: Record<string, unknown>, key: string, value: unknown, first: boolean): object {
  const o: Record<string, unknown> = {};
  const put = () => Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
  if (first) put();
  for (const [k, v] of Object.entries(base)) if (k !== key) o[k] = v;
  if (!first) put();
  return o;
}

/** Runs the call on a fresh harness of gw; what it gave, and whether anything moved. */
async function attempt(e: Entry, options: (h: ReturnType<typeof harness>) => unknown): Promise<{ error: Error | null; changed: string; inStep: boolean }> {
  const h = harness(gw);
  try {
    const r = await settle(e, () => e.call(h, options(h)));
    if ("ok" in r) await dispose(r.ok);
    return { error: "error" in r ? (r.error as Error) : null, changed: h.changed(), inStep: inStep() };
  } finally {
    h.free();
  }
}

test.each(ENTRIES.map((e) => [e.name, e] as const))("%s: a random unknown key is refused, naming call and key; nothing written or drawn", async (_, e) => {
  await fc.assert(
    fc.asyncProperty(keyArb.filter((k) => !e.keys.includes(k)), fc.anything(), fc.boolean(), fc.boolean(), async (key, value, withBase, first) => {
      const r = await attempt(e, (h) => withKey(withBase ? e.base(h) : {}, key, value, first));
      expect(r.error?.constructor).toBe(TypeError);
      expect(r.error!.message).toMatch(new RegExp(`^${esc(e.fn)}: unknown ${e.noun} ${esc(JSON.stringify(key))} \\(.+\\)$`, "s"));
      expect(r.changed).toBe("");
      expect(r.inStep).toBe(true);
    }),
    { numRuns: PER_CALL, seed: SEED + 31 },
  );
});

test.each(ENTRIES.map((e) => [e.name, e] as const))("%s: options that are not a plain object are refused, naming the call", async (_, e) => {
  const what = e.noun === "option" ? "options" : "params";
  await fc.assert(
    fc.asyncProperty(notPlainArb, async (v) => {
      const r = await attempt(e, () => v);
      expect(r.error?.constructor).toBe(TypeError);
      expect(r.error!.message).toMatch(new RegExp(`^${esc(e.fn)}: ${what} must be a plain object`));
      expect(r.changed).toBe("");
      expect(r.inStep).toBe(true);
    }),
    { numRuns: Math.max(10, Math.round(PER_CALL / 2)), seed: SEED + 32 },
  );
});

test.each(ENTRIES.map((e) => [e.name, e] as const))("%s: any subset of its own keys (as undefined, over valid options) is not refused as unknown", async (_, e) => {
  await fc.assert(
    fc.asyncProperty(fc.subarray([...e.keys]), async (keys) => {
      const h = harness(ok);
      try {
        const base = e.base(h);
        for (const k of keys) base[k] = undefined;
        const r = await settle(e, () => e.call(h, base));
        if ("ok" in r) await dispose(r.ok);
        else expect(String(r.error)).not.toMatch(/unknown (option|parameter)|plain object/);
      } finally {
        h.free();
      }
    }),
    { numRuns: Math.max(10, Math.round(PER_CALL / 2)), seed: SEED + 33 },
  );
});

test("the property checks can fail: a call that draws moves the stream; a key the call takes is not refused", async () => {
  gw.uniform(1);
  expect(inStep()).toBe(false);
  twin.uniform(1);
  expect(inStep()).toBe(true);
  const e = ENTRIES.find((x) => x.name === "gumbelSoftmax")!;
  const r = await attempt(e, (h) => withKey(e.base(h), "tau", 0.5, true)); // succeeds: draws
  expect(r.error).toBe(null);
  expect(r.changed).not.toBe("");
  expect(r.inStep).toBe(false);
});
