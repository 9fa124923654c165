// The exp/log approximations and the bits-to-Gumbel transform, against float64 in ULPs, over
// dense sweeps, on both binaries; plus SIMD == scalar bit for bit on the same sweeps.
import { describe, expect, test } from "vitest";
import { applyKernel, firstBitDifference } from "./kernels.js";
import { gumbelOfBits, testRandom, ulpError } from "./reference.js";
import { backends, load } from "./setup.js";

const N = 2_000_000;

function linspace(a: number, b: number, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = a + ((b - a) * i) / (n - 1);
  return x;
}

function worst(got: Float32Array, x: ArrayLike<number>, ref: (v: number) => number, err = ulpError) {
  let max = 0;
  let at = NaN;
  for (let i = 0; i < got.length; i++) {
    const e = err(got[i]!, ref(x[i]!));
    if (!(e <= max)) {
      max = e;
      at = x[i]!;
    }
  }
  return { max, at };
}

describe.each(backends)("%s binary", (backend) => {
  test("exp: < 1.5 ULP over the normal range [-87.33, 88.72] (2e6 points + 1e6 random)", async () => {
    const gw = await load(backend);
    const x = linspace(-87.33, 88.72, N);
    expect(worst(applyKernel(gw, "exp_f32", x), x, Math.exp).max).toBeLessThan(1.5);
    const rnd = testRandom(1);
    const y = Float32Array.from({ length: 1_000_000 }, () => -87.33 + rnd() * (88.72 + 87.33));
    expect(worst(applyKernel(gw, "exp_f32", y), y, Math.exp).max).toBeLessThan(1.5);
    // Tiny arguments, where exp(x) = 1 + x must keep x's bits.
    const t = Float32Array.from({ length: 100_000 }, (_, i) => (i - 50_000) * 1e-9);
    expect(worst(applyKernel(gw, "exp_f32", t), t, Math.exp).max).toBeLessThan(1.5);
  });

  test("exp: subnormal results within 1 unit of 2^-149; -Inf and x < -104 give +0; overflow gives +Inf", async () => {
    const gw = await load(backend);
    const x = linspace(-104, -87.34, 200_000);
    const abs = (g: number, w: number) => Math.abs(g - w) / 2 ** -149;
    expect(worst(applyKernel(gw, "exp_f32", x), x, Math.exp, abs).max).toBeLessThanOrEqual(1);
    const special = Float32Array.from([-Infinity, -1e30, -104.5, 0, -0, 89, 1e30, Infinity]);
    const got = applyKernel(gw, "exp_f32", special);
    expect(Array.from(got)).toEqual([0, 0, 0, 1, 1, Infinity, Infinity, Infinity]);
    expect(Object.is(got[0], 0)).toBe(true);
  });

  test("exp_near (the softmax passes' exp when every argument is in [-87, 0]): exp's bits there", async () => {
    const gw = await load(backend);
    // Every 1009th float32 of [-87, 0] (1.1e6 values), every float32 of [-87, -86] (where
    // k = -126 and the results are smallest), every 4099th of [-2^-10, 0] (where exp(x) = 1 + x),
    // and 1e6 random values.
    const lo = 0xc2ae0000; // bits of -87
    const bits: number[] = [];
    for (let b = 0x80000000; b <= lo; b += 1009) bits.push(b);
    for (let b = 0xc2ac0000; b <= lo; b++) bits.push(b); // [-87, -86]
    for (let b = 0x80000000; b <= 0xba800000; b += 4099) bits.push(b); // [-2^-10, 0]
    const x = new Float32Array(Uint32Array.from(bits).buffer);
    const rnd = testRandom(3);
    const y = Float32Array.from({ length: 1_000_000 }, () => -87 * rnd());
    for (const v of [x, y]) {
      const want = applyKernel(gw, "exp_f32", v);
      const got = applyKernel(gw, "exp_near_f32", v);
      const at = firstBitDifference(got, want);
      expect(at, at >= 0 ? `x = ${v[at]}: ${got[at]} vs ${want[at]}` : "").toBe(-1);
    }
    // A wrong scaling would show here: exp(-87) is 1.6e-38, just above the smallest normal float.
    expect(applyKernel(gw, "exp_near_f32", Float32Array.of(-87))[0]).toBe(applyKernel(gw, "exp_f32", Float32Array.of(-87))[0]);
  });

  test("log: < 1 ULP over [2^-149, 3.4e38] (2e6 bit patterns) and near 1; log(1) = 0", async () => {
    const gw = await load(backend);
    const bits = new Uint32Array(N);
    for (let i = 0; i < N; i++) bits[i] = 1 + Math.floor(i * (0x7f7fffff / N));
    const x = new Float32Array(bits.buffer);
    expect(worst(applyKernel(gw, "log_f32", x), x, Math.log).max).toBeLessThan(1);
    const near1 = linspace(0.5, 1.5, 1_000_000);
    expect(worst(applyKernel(gw, "log_f32", near1), near1, Math.log).max).toBeLessThan(1);
    const edges = Float32Array.from([1, 2 ** -149, 2 ** -126, 3.4028234663852886e38, 2 ** -33, 22.873857]);
    const got = applyKernel(gw, "log_f32", edges);
    expect(got[0]).toBe(0);
    expect(worst(got, edges, Math.log).max).toBeLessThan(1);
  });

  test("Gumbel transform: within 4e-6 of -log(-log1p(-w)) for 2e6 words and both tails", async () => {
    const gw = await load(backend);
    const bits = new Uint32Array(N + 200_000);
    for (let i = 0; i < N; i++) bits[i] = Math.floor(i * (4294967296 / N));
    // The tails, word by word: the smallest words (upper Gumbel tail), the largest (lower).
    for (let i = 0; i < 100_000; i++) {
      bits[N + i] = i;
      bits[N + 100_000 + i] = 0xffffffff - i;
    }
    const g = applyKernel(gw, "gumbel_from_bits", bits);
    const abs = (a: number, b: number) => Math.abs(a - b);
    expect(worst(g, bits, gumbelOfBits, abs).max).toBeLessThanOrEqual(4e-6);
  });

  test("gumbelMax's screen bound is above the noise of every word (2e6 words and both tails), and by how much", async () => {
    const gw = await load(backend);
    const bits = new Uint32Array(N + 200_000);
    for (let i = 0; i < N; i++) bits[i] = Math.floor(i * (4294967296 / N)) + (i % 7);
    for (let i = 0; i < 100_000; i++) {
      bits[N + i] = i;
      bits[N + 100_000 + i] = 0xffffffff - i;
    }
    const g = applyKernel(gw, "gumbel_from_bits", bits);
    const u = applyKernel(gw, "noise_upper", bits);
    let minGap = Infinity;
    let maxLow = 0; // words 16 .. 2^31 - 1: -ln w against the noise, plus log2's gap
    let maxSmall = 0; // words 2 .. 15: w against (x >>> 1) 2^-31 adds up to ln(3.5 / 2)
    let maxHigh = -Infinity; // words >= 2^31, whose noise is at most -ln(ln 2) = 0.3665
    for (let i = 0; i < bits.length; i++) {
      const gap = u[i]! - g[i]!;
      minGap = Math.min(minGap, gap);
      if (bits[i]! >= 2 ** 31) maxHigh = Math.max(maxHigh, u[i]!); // the bound itself
      else if (bits[i]! >= 16) maxLow = Math.max(maxLow, gap);
      else if (bits[i]! >= 2) maxSmall = Math.max(maxSmall, gap);
    }
    expect(minGap).toBeGreaterThan(0);
    expect(maxLow).toBeLessThan(0.4);
    expect(maxSmall).toBeLessThan(0.6);
    expect(maxHigh).toBeLessThan(0.76);
    // Words 0 and 1 share the bound 158 ln 2 + 0.001, above the largest noise (22.87).
    const top = applyKernel(gw, "noise_upper", Uint32Array.from([0, 1]));
    expect(Array.from(top, (v) => Math.abs(v - (158 * Math.LN2 + 0.001)) < 1e-4)).toEqual([true, true]);
  });

  test("Gumbel transform: the extreme words map to finite values at the documented bounds", async () => {
    const gw = await load(backend);
    const g = applyKernel(gw, "gumbel_from_bits", Uint32Array.from([0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]));
    for (const v of g) expect(Number.isFinite(v)).toBe(true);
    // Upper end 33 ln 2 = 22.8739 (past 22: float32 -log(-log u) stops near 16.6), lower end -log(33 ln 2).
    expect(g[0]).toBeCloseTo(33 * Math.LN2, 5);
    expect(g[0]!).toBeGreaterThan(22);
    expect(g[5]).toBeCloseTo(-Math.log(33 * Math.LN2), 5);
    expect(g[1]!).toBeLessThan(g[0]!);
    expect(g[4]!).toBeGreaterThan(g[5]!);
    expect(Math.max(...g)).toBe(g[0]);
    expect(Math.min(...g)).toBe(g[5]);
    // The documented range, as printed in the README: [-3.1300, 22.874].
    expect(g[0]!).toBeLessThan(22.874);
    expect(g[5]!).toBeGreaterThan(-3.1300);
  });
});

test("SIMD and scalar binaries give the same bits on every sweep", async () => {
  const [simd, scalar] = await Promise.all([load("simd"), load("scalar")]);
  const rnd = testRandom(9);
  const x = Float32Array.from({ length: 300_003 }, () => -110 + rnd() * 200);
  const bits = Uint32Array.from({ length: 300_003 }, () => Math.floor(rnd() * 4294967296));
  const pos = new Float32Array(Uint32Array.from({ length: 300_003 }, () => 1 + Math.floor(rnd() * 0x7f7ffffe)).buffer);
  for (const [name, input] of [["exp_f32", x], ["log_f32", pos], ["gumbel_from_bits", bits]] as const) {
    expect(firstBitDifference(applyKernel(simd, name, input), applyKernel(scalar, name, input))).toBe(-1);
  }
});

describe("float64 exp64 and log64 (inline/math64.ts, the relaxed densities' kernels)", () => {
  /** |got - want| in units of the spacing of float64 numbers at want. */
  function ulps64(got: number, want: number): number {
    if (got === want) return 0;
    const e = Math.max(Math.floor(Math.log2(Math.abs(want))), -1022);
    return Math.abs(got - want) / 2 ** (e - 52);
  }
  function run(op: 0 | 1, x: Float64Array, gw: Awaited<ReturnType<typeof load>>): Float64Array {
    const p = gw.heap.alloc(x.length * 16);
    try {
      new Float64Array(gw.memory.buffer, p, x.length).set(x);
      gw.kernels.math_f64(op, p, p + x.length * 8, x.length);
      return new Float64Array(gw.memory.buffer, p + x.length * 8, x.length).slice();
    } finally {
      gw.heap.release(p);
    }
  }

  test("within 2 ULP of V8's Math.exp and Math.log (each within 1 of the truth), with exact special values", async () => {
    const gw = await load("simd");
    const rnd = testRandom(64);
    const n = 200_000;
    const xe = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? -745 + 1455 * rnd() : 40 * rnd() - 20));
    const ge = run(0, xe, gw);
    let worstExp = 0;
    for (let i = 0; i < n; i++) if (Math.exp(xe[i]!) > 2.2250738585072014e-308) worstExp = Math.max(worstExp, ulps64(ge[i]!, Math.exp(xe[i]!)));
    expect(worstExp).toBeLessThan(2);
    const xl = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 2 ** (2000 * rnd() - 1070) : 0.5 + rnd() * 1.5));
    const gl = run(1, xl, gw);
    let worstLog = 0;
    for (let i = 0; i < n; i++) worstLog = Math.max(worstLog, ulps64(gl[i]!, Math.log(xl[i]!)));
    expect(worstLog).toBeLessThan(2);
    expect(Array.from(run(0, Float64Array.from([0, -Infinity, Infinity, 710, -746, NaN]), gw))).toEqual([1, 0, Infinity, Infinity, 0, NaN]);
    expect(Array.from(run(1, Float64Array.from([1, 0, Infinity, -1, NaN, 5e-324]), gw))).toEqual([0, -Infinity, Infinity, NaN, NaN, Math.log(5e-324)]);
  });
});
