// Temperature schedules: the formulas, their steps and clamps, and float32 arithmetic that is
// the same in every engine (expf32 is the kernels' exp, bit for bit).
import { describe, expect, test } from "vitest";
import { anneal, expf32 } from "../src/node.js";
import { applyKernel } from "./kernels.js";
import { load } from "./setup.js";

describe("anneal", () => {
  test("expf32 is the wasm exp, bit for bit, over its whole range", async () => {
    const gw = await load("simd");
    const xs = new Float32Array(200_003);
    for (let i = 0; i < xs.length; i++) xs[i] = -110 + (200 * i) / (xs.length - 1);
    xs.set([0, -0, 1, -1, 88.7, 89, 89.5, -87.3, -103.9, -104, -104.5, Number.NaN, Infinity, -Infinity], 0);
    const wasm = applyKernel(gw, "exp_f32", xs) as Float32Array;
    const js = Float32Array.from(xs, expf32);
    const a = new Uint32Array(wasm.buffer, wasm.byteOffset, wasm.length);
    const b = new Uint32Array(js.buffer);
    let diff = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(wasm[i]) && Number.isNaN(js[i]))) diff++;
    expect(diff).toBe(0);
  });

  test("exponential: max(min, start * exp(-rate * t)), t moving in steps of `every` (Jang et al. 2017)", () => {
    const tau = anneal.exponential({ start: 1, min: 0.5, rate: 1e-4, every: 1000 });
    expect(tau(0)).toBe(1);
    expect(tau(999)).toBe(1);
    for (const step of [1000, 2500, 5000, 6999]) {
      const t = Math.floor(step / 1000) * 1000;
      expect(Math.abs(tau(step) - Math.exp(-1e-4 * t))).toBeLessThan(2e-7);
    }
    expect(tau(6000)).toBeCloseTo(Math.exp(-0.6), 6);
    expect(tau(7000)).toBe(0.5); // exp(-0.7) = 0.497: below min
    expect(tau(100_000)).toBe(0.5); // clamped at min
    const dflt = anneal.exponential({ rate: 3e-5 });
    expect(dflt(1)).toBe(Math.fround(expf32(Math.fround(-3e-5))));
  });

  test("linear and cosine: exact ends, monotone in between, then constant", () => {
    for (const make of [anneal.linear, anneal.cosine]) {
      const tau = make({ start: 2, end: 0.25, steps: 100 });
      expect(tau(0)).toBe(2);
      expect(tau(100)).toBe(0.25);
      expect(tau(1000)).toBe(0.25);
      let prev = Infinity;
      for (let s = 0; s <= 100; s++) {
        expect(tau(s)).toBeLessThanOrEqual(prev);
        prev = tau(s);
      }
      expect(Math.abs(tau(50) - 1.125)).toBeLessThan(1e-6); // both pass the midpoint at half way
    }
    const cos = anneal.cosine({ start: 2, end: 0.25, steps: 100 });
    for (const s of [10, 25, 75, 90]) expect(Math.abs(cos(s) - (0.25 + 1.75 * (1 + Math.cos((Math.PI * s) / 100)) / 2))).toBeLessThan(1e-6);
  });

  test("bad parameters and steps are refused, naming them", () => {
    expect(() => anneal.exponential({ rate: -1 })).toThrow(/^anneal.exponential: rate must be a finite number >= 0, got -1$/);
    expect(() => anneal.exponential({ rate: 1, min: 0 })).toThrow(/^anneal.exponential: min must be positive and finite, got 0$/);
    expect(() => anneal.exponential({ rate: 1, every: 0 })).toThrow(/^anneal.exponential: every must be an integer >= 1, got 0$/);
    expect(() => anneal.linear({ start: 1, end: 0.5, steps: 0 })).toThrow(/^anneal.linear: steps must be an integer >= 1, got 0$/);
    expect(() => anneal.cosine({ start: Number.NaN, end: 0.5, steps: 3 })).toThrow(/^anneal.cosine: start must be positive and finite, got NaN$/);
    const tau = anneal.linear({ start: 1, end: 0.5, steps: 10 });
    expect(() => tau(-1)).toThrow(/^anneal.linear: step must be an integer >= 0, got -1$/);
    expect(() => tau(1.5)).toThrow(/^anneal.linear: step must be an integer >= 0, got 1.5$/);
  });
});
