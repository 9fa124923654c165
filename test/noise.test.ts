// The noise is Gumbel(0, 1) and the uniforms uniform: Kolmogorov-Smirnov tests and moments
// with fixed seeds, with thresholds that a wrong transform crosses (checked below too).
import { describe, expect, test } from "vitest";
import { gumbelCdf, ksPValue, ksStatistic } from "./reference.js";
import { backends, load } from "./setup.js";

const EULER_GAMMA = 0.5772156649015329;
const GUMBEL_VAR = Math.PI ** 2 / 6;
const N = 400_000;

describe.each(backends)("%s binary", (backend) => {
  test("gumbelNoise passes a KS test against the Gumbel CDF (p > 1e-3), and a shifted sample fails it", async () => {
    const gw = await load(backend);
    for (const seed of [1, 2n ** 63n + 17n]) {
      const g = gw.gumbelNoise(N, { seed, offset: 3 }) as Float32Array;
      const d = ksStatistic(g, gumbelCdf);
      expect(ksPValue(d, N)).toBeGreaterThan(1e-3);
      // The same test rejects noise that is off by 1% of a standard deviation in location.
      const shifted = g.map((v) => v + 0.013);
      expect(ksPValue(ksStatistic(shifted, gumbelCdf), N)).toBeLessThan(1e-3);
    }
  });

  test("gumbelNoise mean ~ Euler's gamma and variance ~ pi^2/6 (within 4 standard errors)", async () => {
    const gw = await load(backend);
    const g = gw.gumbelNoise(N, { seed: 99 }) as Float32Array;
    let s = 0;
    for (const v of g) s += v;
    const mean = s / N;
    let ss = 0;
    for (const v of g) ss += (v - mean) ** 2;
    const variance = ss / (N - 1);
    expect(Math.abs(mean - EULER_GAMMA)).toBeLessThan(4 * Math.sqrt(GUMBEL_VAR / N));
    // Var(s^2) ~ sigma^4 (kurtosis - 1) / n, the Gumbel kurtosis is 5.4.
    expect(Math.abs(variance - GUMBEL_VAR)).toBeLessThan(4 * GUMBEL_VAR * Math.sqrt(4.4 / N));
    for (const v of g) if (!Number.isFinite(v)) throw new Error("non-finite noise");
  });

  test("uniform passes a KS test against U(0, 1) and never returns 0 or 1", async () => {
    const gw = await load(backend);
    const u = gw.uniform(N, { seed: 5 }) as Float32Array;
    let lo = 1;
    let hi = 0;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(2 ** -24);
    expect(hi).toBeLessThanOrEqual(1 - 2 ** -24);
    const cdf = (x: number) => Math.min(1, Math.max(0, x));
    expect(ksPValue(ksStatistic(u, cdf), N)).toBeGreaterThan(1e-3);
    expect(ksPValue(ksStatistic(u.map((v) => v * v), cdf), N)).toBeLessThan(1e-3);
  });

  test("uniforms come from the stream's words: u = ((bits >>> 9) + 0.5) / 2^23, exactly", async () => {
    const gw = await load(backend);
    const bits = gw.randomBits(1000, { seed: 8, offset: 13 });
    const u = gw.uniform(1000, { seed: 8, offset: 13 }) as Float32Array;
    for (let i = 0; i < 1000; i++) expect(u[i]).toBe(((bits[i]! >>> 9) + 0.5) / 2 ** 23);
  });
});
