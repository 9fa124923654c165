// The quick path of gumbelSoftmax, gumbelMax, gumbelNoise and uniform (src/sampling.ts: a tensor
// in, a tensor out, checked without the Call's slots) against the full preparation, on random calls mixing valid
// and invalid arguments: the public call (quick path, falling back to the full one) and the full
// preparation alone, on two instances with the same seed, must throw the same error or write the
// same bits, leave every buffer the same, and keep the instances' own streams in step. And the
// quick path does take the common call (else the comparison would prove nothing).
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { init, type GumbelWasm, type Tensor } from "../src/node.js";
import type { Call } from "../src/marshal.js";
import type { DType } from "../src/memory.js";
import type { Launcher } from "../src/launch.js";
import {
  GUMBEL_MAX_KEYS, GUMBEL_SOFTMAX_KEYS, prepareGumbelMax, prepareGumbelSoftmax, prepareNoise, quickGumbelMax, quickGumbelSoftmax, quickNoise,
  STREAM_OUT_KEYS,
} from "../src/sampling.js";
import type { Streams } from "../src/streams.js";

type Fn = "gumbelSoftmax" | "gumbelMax";

/** The full preparation and launch, as the public call ran them before it had a quick path. */
function full(gw: GumbelWasm, fn: Fn, x: unknown, o: unknown): unknown {
  const g = gw as unknown as { call: Call; launcher: Launcher; streams: Streams };
  const c = g.call.begin(fn);
  if (fn === "gumbelSoftmax") prepareGumbelSoftmax(c, g.streams, x, o as never);
  else prepareGumbelMax(c, g.streams, x, o as never);
  return g.launcher.sync(c);
}

/** Inputs and outputs made alike on each instance, named by the generator. */
interface Fixtures {
  x: Record<string, unknown>;
  /** out candidates for input `name`, by kind. */
  out(name: string, kind: string, fn: Fn): unknown;
  all: Array<Tensor<DType>>;
}

const SHAPES: Record<string, number[]> = { x1x10: [1, 10], x3x5: [3, 5], x10: [10], x2x3x4: [2, 3, 4], x0x4: [0, 4], x4x0: [4, 0], scalar: [], x1x13: [1, 13], x2x16: [2, 16] };
const X_NAMES = [...Object.keys(SHAPES), "nan", "negInf", "posInf", "int32", "freed", "foreign", "array", "view"];
const OUT_KINDS = ["same", "flat", "longer", "int32", "float32", "freed", "foreign", "overlap", "array", "none"];

function fixtures(gw: GumbelWasm, other: GumbelWasm): Fixtures {
  const all: Array<Tensor<DType>> = [];
  const keep = <T extends Tensor<DType>>(t: T): T => (all.push(t), t);
  const x: Record<string, unknown> = {};
  let seed = 1;
  for (const [name, shape] of Object.entries(SHAPES)) {
    const t = keep(gw.tensor(shape));
    t.data.set(Float32Array.from({ length: t.length }, (_, i) => Math.sin(i * 1.3 + seed) * 3));
    x[name] = t;
    seed++;
  }
  const bad = (v: number) => {
    const t = keep(gw.tensor(2, 6));
    t.data.set(Float32Array.from({ length: 12 }, (_, i) => (i === 8 ? v : i * 0.1)));
    return t;
  };
  x.nan = bad(NaN);
  x.posInf = bad(Infinity);
  const neg = keep(gw.tensor(2, 6));
  neg.data.fill(-Infinity, 6);
  x.negInf = neg;
  x.int32 = keep(gw.tensor(1, 10, "int32"));
  const freed = gw.tensor(1, 10);
  freed.free();
  x.freed = freed;
  x.foreign = other.tensor(1, 10);
  x.array = Float32Array.from({ length: 10 }, (_, i) => i * 0.5);
  const host = keep(gw.tensor(1, 20));
  x.view = host.data.subarray(0, 10);
  const shapeOf = (name: string): number[] => SHAPES[name] ?? (name === "nan" || name === "posInf" || name === "negInf" ? [2, 6] : [1, 10]);
  const outs = new Map<string, unknown>();
  return {
    x,
    all,
    out(name, kind, fn) {
      const key = `${name} ${kind} ${fn}`;
      if (outs.has(key)) return outs.get(key);
      const shape = shapeOf(name);
      const n = shape.reduce((a, b) => a * b, 1);
      const rows = shape.length === 0 ? 1 : n / (shape[shape.length - 1]! || 1);
      const dtype = fn === "gumbelMax" ? "int32" : "float32";
      const len = fn === "gumbelMax" ? (shape[shape.length - 1] === 0 ? 0 : rows) : n;
      let v: unknown;
      switch (kind) {
        case "same": v = keep(gw.tensor(fn === "gumbelMax" ? (shape.length ? shape.slice(0, -1) : []) : shape, dtype)); break;
        case "flat": v = keep(gw.tensor(1, len, dtype)); break;
        case "longer": v = keep(gw.tensor(1, len + 1, dtype)); break;
        case "int32": v = keep(gw.tensor(1, len, "int32")); break;
        case "float32": v = keep(gw.tensor(1, len, "float32")); break;
        case "freed": { const t = gw.tensor(1, len, dtype); t.free(); v = t; break; }
        case "foreign": v = other.tensor(1, len, dtype); break;
        case "overlap": v = x[name]; break;
        case "array": v = dtype === "int32" ? new Int32Array(len) : new Float32Array(len); break;
        default: v = undefined;
      }
      outs.set(key, v);
      return v;
    },
  };
}

/** Every tensor's bytes (and the out array's), to see what a call wrote. */
function snapshot(f: Fixtures, out: unknown): number[][] {
  const s = f.all.filter((t) => !t.isFreed).map((t) => Array.from(new Uint32Array(t.data.buffer, t.byteOffset, t.length)));
  if (ArrayBuffer.isView(out)) s.push(Array.from(new Uint32Array((out as Float32Array).slice().buffer)));
  return s;
}

const TAUS = [undefined, 0.5, 1, 1e-30, 1e-50, -1, 0, NaN, Infinity, 3.5e38, "0.5", [0.5, 0.5], null];
const SEEDS = [undefined, 0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, 1.5, 5n, 2n ** 64n - 1n, "1", null];
const OFFSETS = [undefined, 0, 7, 2 ** 32 - 1, 2 ** 32, 2 ** 64 - 2 ** 12, -3, 2n ** 64n - 1n, 2n ** 64n - 10n, 1.5, "7"];
const FLAGS = [undefined, true, false, null, 1];
const EXTRAS = [{}, { bogus: 1 }, { cols: 10 }, { axis: -1 }, { axis: 0 }, { shape: [1, 10] }, { keepDims: false }, { keepDims: 1 }];

/** Values from `all`, four times in five from its first `valid` (the common kinds of call). */
function mostly<T>(all: readonly T[], valid: number): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: fc.constantFrom(...all.slice(0, valid)), weight: 4 }, { arbitrary: fc.constantFrom(...all), weight: 1 });
}

let a: GumbelWasm;
let b: GumbelWasm;
let fa: Fixtures;
let fb: Fixtures;
beforeAll(async () => {
  const other = await init({ backend: "simd" });
  [a, b] = await Promise.all([init({ backend: "simd", seed: 99 }), init({ backend: "simd", seed: 99 })]);
  fa = fixtures(a, other);
  fb = fixtures(b, other);
});

/** The outcome of a call: its error, or the bits of what it returned. */
function outcome(run: () => unknown): { error: string } | { bits: number[] } {
  try {
    const r = run() as Float32Array | Int32Array | Tensor<"float32"> | Tensor<"int32">;
    const v = ArrayBuffer.isView(r) ? r : r.data;
    return { bits: Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length)) };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

describe("the quick path gives what the full preparation gives", () => {
  for (const fn of ["gumbelSoftmax", "gumbelMax"] as const) {
    test(`${fn}: the same error or the same bits, the same buffers, the streams in step (random calls)`, () => {
      let accepted = 0;
      fc.assert(
        fc.property(
          mostly(X_NAMES, 7), mostly(OUT_KINDS, 2), mostly(TAUS, 4), mostly(SEEDS, 5), mostly(OFFSETS, 4),
          mostly(FLAGS, 4), mostly(FLAGS, 4), fc.integer({ min: 0, max: 4 }).map((v) => v === 0), mostly(EXTRAS, 1), fc.boolean(),
          (xName, outKind, tau, seed, offset, hard, probs, withSoft, extra, plain) => {
            const make = (f: Fixtures): [unknown, Record<string, unknown> | undefined] => {
              const o: Record<string, unknown> = { ...extra };
              if (fn === "gumbelSoftmax") {
                if (tau !== undefined) o.tau = tau;
                if (hard !== undefined) o.hard = hard;
                if (withSoft) o.soft = f.out(xName, "float32", fn);
              }
              if (probs !== undefined) o.probs = probs;
              if (seed !== undefined) o.seed = seed;
              if (offset !== undefined) o.offset = offset;
              const out = f.out(xName, outKind, fn);
              if (out !== undefined) o.out = out;
              // Sometimes no options at all, sometimes a null-prototype object.
              if (!plain && Object.keys(o).length === 0) return [f.x[xName], undefined];
              return [f.x[xName], plain ? o : Object.assign(Object.create(null) as object, o)];
            };
            const [xa, oa] = make(fa);
            const [xb, ob] = make(fb);
            const ra = outcome(() => (fn === "gumbelSoftmax" ? a.gumbelSoftmax(xa as never, oa as never) : a.gumbelMax(xa as never, oa as never)));
            const rb = outcome(() => full(b, fn, xb, ob));
            expect(ra).toEqual(rb);
            expect(snapshot(fa, oa?.out)).toEqual(snapshot(fb, ob?.out));
            if ("bits" in ra && (oa?.out as Tensor | undefined)?.owner === a && xa instanceof Object && "owner" in xa) accepted++;
          },
        ),
        { numRuns: 3000, seed: 17 },
      );
      expect(Array.from(a.randomBits(4)), "the instances' own streams moved apart").toEqual(Array.from(b.randomBits(4)));
      expect(accepted, "no call of the common kind succeeded").toBeGreaterThan(20);
    });
  }

  for (const fn of ["gumbelNoise", "uniform"] as const) {
    test(`${fn}: the same error or the same bits, the same buffers, the streams in step (random calls)`, () => {
      const NS = [10, 0, 1, 16, 17, -1, 1.5, "10", NaN, undefined];
      const KINDS = ["same", "longer", "int32", "freed", "foreign", "array", "none"];
      const outs = new Map<string, unknown>();
      const outFor = (gw: GumbelWasm, f: Fixtures, n: unknown, kind: string): unknown => {
        const key = `${gw === a ? "a" : "b"} ${String(n)} ${kind}`;
        if (outs.has(key)) return outs.get(key);
        const len = typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : 3;
        let v: unknown;
        switch (kind) {
          case "same": v = f.all[f.all.push(gw.tensor(1, len)) - 1]; break;
          case "longer": v = f.all[f.all.push(gw.tensor(1, len + 1)) - 1]; break;
          case "int32": v = f.all[f.all.push(gw.tensor(1, len, "int32")) - 1]; break;
          case "freed": { const t = gw.tensor(1, len); t.free(); v = t; break; }
          case "foreign": v = (f.x.foreign as Tensor).owner === gw ? undefined : f.x.foreign; break;
          case "array": v = new Float32Array(len); break;
          default: v = undefined;
        }
        outs.set(key, v);
        return v;
      };
      let accepted = 0;
      fc.assert(
        fc.property(mostly(NS, 4), mostly(KINDS, 1), mostly(SEEDS, 5), mostly(OFFSETS, 4), mostly(EXTRAS, 1), (n, kind, seed, offset, extra) => {
          const make = (gw: GumbelWasm, f: Fixtures): Record<string, unknown> | undefined => {
            const o: Record<string, unknown> = { ...extra };
            if (seed !== undefined) o.seed = seed;
            if (offset !== undefined) o.offset = offset;
            const out = outFor(gw, f, n, kind);
            if (out !== undefined) o.out = out;
            return Object.keys(o).length === 0 ? undefined : o;
          };
          const oa = make(a, fa);
          const ob = make(b, fb);
          const g = b as unknown as { call: Call; launcher: Launcher; streams: Streams };
          const ra = outcome(() => a[fn](n as number, oa as never));
          const rb = outcome(() => {
            prepareNoise(g.call.begin(fn), g.streams, fn === "gumbelNoise", n, ob as never);
            return g.launcher.sync(g.call);
          });
          expect(ra).toEqual(rb);
          expect(snapshot(fa, oa?.out)).toEqual(snapshot(fb, ob?.out));
          if ("bits" in ra && (oa?.out as Tensor | undefined)?.owner === a) accepted++;
        }),
        { numRuns: 2000, seed: 23 },
      );
      expect(Array.from(a.randomBits(4)), "the instances' own streams moved apart").toEqual(Array.from(b.randomBits(4)));
      expect(accepted, "no call of the common kind succeeded").toBeGreaterThan(20);
    });
  }

  test("the random calls give every key each call knows (a key added to a call must be added here, and to its quick path)", () => {
    const extra = EXTRAS.flatMap((e) => Object.keys(e));
    const given = {
      gumbelSoftmax: ["tau", "hard", "soft", "probs", "seed", "offset", "out", ...extra],
      gumbelMax: ["probs", "seed", "offset", "out", ...extra],
      gumbelNoise: ["seed", "offset", "out", ...extra],
    };
    for (const [fn, keys] of [["gumbelSoftmax", GUMBEL_SOFTMAX_KEYS], ["gumbelMax", GUMBEL_MAX_KEYS], ["gumbelNoise", STREAM_OUT_KEYS]] as const) {
      for (const k of Object.keys(keys.known)) expect(given[fn], `${fn}: ${k}`).toContain(k);
    }
  });

  test("the quick path takes the common call (tensor in, tensor out, tau, seed, offset) and returns out", () => {
    const x = a.tensor(1, 10);
    x.data.set(Float32Array.from({ length: 10 }, (_, i) => i * 0.3));
    const out = a.tensor(1, 10);
    const idx = a.tensor([1], "int32");
    const s = (a as unknown as { streams: Streams }).streams;
    expect(quickGumbelSoftmax(a, s, x, { tau: 0.5, seed: 1, offset: 20, out })).toBe(out);
    expect(quickGumbelSoftmax(a, s, x, { tau: 0.5, hard: true, seed: 1, offset: 20, out })).toBe(out);
    expect(quickGumbelSoftmax(a, s, x, { tau: 0.5, out })).toBe(out);
    expect(quickGumbelMax(a, s, x, { seed: 1, offset: 20, out: idx })).toBe(idx);
    expect(quickNoise(a, s, "gumbelNoise", true, 10, { seed: 1, offset: 20, out })).toBe(out);
    expect(quickNoise(a, s, "uniform", false, 10, { out })).toBe(out);
    expect(quickNoise(a, s, "gumbelNoise", true, 10, { seed: 1 })).toBeNull();
    // and leaves the rest to the full preparation
    expect(quickGumbelSoftmax(a, s, x, { tau: 0.5, seed: 1 })).toBeNull();
    expect(quickGumbelSoftmax(a, s, x.data, { cols: 10, seed: 1, out })).toBeNull();
    expect(quickGumbelSoftmax(a, s, x, { tau: [0.5], seed: 1, out })).toBeNull();
    for (const t of [x, out, idx]) t.free();
  });
});
