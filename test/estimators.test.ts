// The estimator example (examples/estimators), short: `run.mjs --quick` as a user runs it (a child
// process, 20 000 estimates per row, fixed seed), then its results checked against gradients
// known exactly. The unbiased rows must stay within 4 standard errors of the exact gradient in
// every coordinate, and the biased ones must be shown biased at the same sample size; every
// check is also shown to fail where it should (a wrong gradient, a wrong temperature).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { init, type GumbelWasm } from "../dist/node.js";
// @ts-expect-error: plain .mjs modules without types
import * as example from "../examples/estimators/estimators.mjs";
// @ts-expect-error: plain .mjs modules without types
import { relaxedObjective } from "../examples/estimators/relaxed.mjs";

interface Row {
  key: string;
  family: string;
  tau?: number;
  samples?: number;
  unbiasedFor: "discrete" | "relaxed" | null;
  n: number;
  mean: number[];
  se: number[];
  traceVar: number;
  maxZ: number;
  expectation: { value: number[]; exactBias: number; maxZ: number } | null;
  vsSTGS: number | null;
}
interface Report {
  samples: number;
  seed: number;
  problem: { theta: number[]; target: number[]; p: number[]; c: number[]; objective: number; gradient: number[] };
  rows: Row[];
}
interface Relaxed {
  value: number;
  gradient: number[];
  mean: number[];
  checks: { sumMean: number; sumGradient: number };
}
const { QUICK_SAMPLES, Z_LIMIT, compare, runEstimators } = example as {
  QUICK_SAMPLES: number;
  Z_LIMIT: number;
  compare: (row: { mean: ArrayLike<number>; se: ArrayLike<number> }, reference: ArrayLike<number>) => { maxZ: number; z: number[] };
  runEstimators: (gw: GumbelWasm, options: { samples: number; seed?: number; keys?: string[] }) => Report;
};
const relaxed = relaxedObjective as (theta: ArrayLike<number>, t: ArrayLike<number>, tau: number, o?: { refine?: number }) => Relaxed;

const root = fileURLToPath(new URL("../", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "gumbel-wasm-estimators-"));
let report: Report;
let table: string;
let gw: GumbelWasm;
const row = (key: string): Row => {
  const r = report.rows.find((x) => x.key === key);
  if (!r) throw new Error(`no row ${key}`);
  return r;
};

beforeAll(async () => {
  gw = await init();
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ["examples/estimators/run.mjs", "--quick", "--out", out], { cwd: root });
  expect(stderr).toMatch(/left\n/); // progress with the time left (one chunk at least before the last)
  table = stdout;
  report = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Report;
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("the quick run", () => {
  test("writes the table, the JSON and the figure, every row at the same sample size", () => {
    expect(report.samples).toBe(QUICK_SAMPLES);
    expect(report.rows.length).toBe(21);
    for (const r of report.rows) expect(r.n).toBe(QUICK_SAMPLES);
    expect(table.split("\n").filter((l) => l.startsWith("| ")).length).toBe(1 + 21);
    expect(readFileSync(join(out, "results.md"), "utf8")).toBe(table);
    const svg = readFileSync(join(out, "estimators.svg"), "utf8");
    expect(svg).toMatch(/^<\?xml[^]*<svg[^]*<\/svg>\n$/);
    for (const label of ["REINFORCE", "Gumbel-Softmax", "Gumbel-Rao S = 100", "Gapped ST"]) expect(svg).toContain(label);
  });

  test("the exact gradient is the objective's: enumeration agrees with -2 J t and with finite differences", () => {
    const { theta, target, p, c, objective, gradient } = report.problem;
    // -2 J t, J = diag(p) - p p^T (c_k = 1 - 2 t_k + |t|^2 and J 1 = 0).
    const pt = p.reduce((a, v, k) => a + v * target[k]!, 0);
    p.forEach((pj, j) => expect(gradient[j]).toBeCloseTo(-2 * pj * (target[j]! - pt), 14));
    const L = (th: number[]) => {
      const e = th.map(Math.exp);
      const s = e.reduce((a, b) => a + b, 0);
      return e.reduce((a, v, k) => a + (v / s) * c[k]!, 0);
    };
    expect(L(theta)).toBeCloseTo(objective, 14);
    const h = 1e-5;
    theta.forEach((_, j) => {
      const up = theta.map((v, k) => (k === j ? v + h : v));
      const down = theta.map((v, k) => (k === j ? v - h : v));
      expect(Math.abs((L(up) - L(down)) / (2 * h) - gradient[j]!)).toBeLessThan(1e-9);
    });
  });
});

describe("bias at 4 standard errors", () => {
  test("the unbiased rows, REINFORCE with and without baselines, are within 4 SE of the exact gradient in every coordinate", () => {
    const unbiased = report.rows.filter((r) => r.unbiasedFor === "discrete");
    expect(unbiased.map((r) => r.key)).toEqual(["reinforce", "reinforce-mean", "rloo"]);
    for (const r of unbiased) {
      expect(r.maxZ, r.key).toBeLessThan(Z_LIMIT);
      expect(compare(r, report.problem.gradient).maxZ).toBe(r.maxZ);
    }
  });

  test("...and that check fails on a wrong gradient: a forgotten mean term, or one coordinate off by 8 SE", () => {
    const { p, c, gradient } = report.problem;
    const noCentering = p.map((pj, j) => pj * c[j]!); // p_j c_j: the gradient without its -L p_j term
    for (const key of ["reinforce", "reinforce-mean", "rloo"]) {
      const r = row(key);
      expect(compare(r, noCentering).maxZ, key).toBeGreaterThanOrEqual(Z_LIMIT);
      // A gradient off by 8 SE in one coordinate (3-10% of |grad| here) is caught either way.
      const j = r.se.indexOf(Math.max(...r.se));
      for (const k of [8, -8]) expect(compare(r, gradient.map((g, i) => (i === j ? g + k * r.se[j]! : g))).maxZ, key).toBeGreaterThanOrEqual(Z_LIMIT);
    }
  });

  test("the biased rows are shown biased at the same sample size: straight-through, Gumbel-Softmax at tau >= 0.5, ST-GS, Gumbel-Rao and Gapped ST at tau >= 0.5, Gapped ST at 0.1", () => {
    const biased = ["st", "gs-0.5", "gs-1", "gs-2", "gs-5", "stgs-0.5", "stgs-1", "gr10-0.5", "gr10-1", "gr100-0.5", "gr100-1", "gst-0.1", "gst-0.5", "gst-1"];
    for (const key of biased) expect(row(key).maxZ, key).toBeGreaterThanOrEqual(Z_LIMIT);
    // Not by luck: where the expectation is known exactly (enumeration, quadrature) it is more
    // than 8 SE from the gradient at this sample size.
    for (const key of biased) {
      const r = row(key);
      expect(r.unbiasedFor).not.toBe("discrete");
      if (r.expectation) expect(compare({ mean: r.expectation.value, se: r.se }, report.problem.gradient).maxZ, key).toBeGreaterThan(2 * Z_LIMIT);
    }
  });

  test("rows whose expectation is known exactly agree with it: straight-through and Gapped ST by enumeration of z", () => {
    for (const key of ["st", "gst-0.1", "gst-0.5", "gst-1"]) {
      const r = row(key);
      expect(r.expectation, key).not.toBeNull();
      expect(r.expectation!.maxZ, key).toBeLessThan(Z_LIMIT);
      expect(r.expectation!.exactBias, key).toBeGreaterThan(0.1);
    }
    // Straight-through's bias is 2 J p exactly (E[2 J (e_z - t)] against -2 J t).
    const { p, gradient } = report.problem;
    const pp = p.reduce((a, v) => a + v * v, 0);
    row("st").expectation!.value.forEach((v, j) => expect(v - gradient[j]!).toBeCloseTo(2 * p[j]! * (p[j]! - pp), 12));
  });
});

describe("Gumbel-Softmax: unbiased for the relaxed objective, biased for the discrete one", () => {
  test("the relaxed objective's exact gradient (quadrature) passes its own checks", () => {
    const { theta, target } = report.problem;
    for (const tau of [1, 2]) {
      const r = relaxed(theta, target, tau);
      expect(Math.abs(r.checks.sumMean)).toBeLessThan(1e-12); // sum_k E[y_k] = 1
      expect(Math.abs(r.checks.sumGradient)).toBeLessThan(1e-12); // shift invariance
      const fine = relaxed(theta, target, tau, { refine: 2 });
      fine.gradient.forEach((g, j) => expect(Math.abs(g - r.gradient[j]!)).toBeLessThan(1e-12));
      const h = 1e-4;
      theta.forEach((_, j) => {
        const up = relaxed(theta.map((v, k) => (k === j ? v + h : v)), target, tau).value;
        const down = relaxed(theta.map((v, k) => (k === j ? v - h : v)), target, tau).value;
        expect(Math.abs((up - down) / (2 * h) - r.gradient[j]!)).toBeLessThan(1e-8);
      });
    }
  });

  test("every Gumbel-Softmax row is within 4 SE of the relaxed gradient at its temperature, and not of another temperature's", () => {
    const { theta, target } = report.problem;
    for (const tau of [0.1, 0.5, 1, 2, 5]) {
      const r = row(`gs-${tau}`);
      expect(r.unbiasedFor).toBe("relaxed");
      expect(r.expectation!.maxZ, `gs-${tau}`).toBeLessThan(Z_LIMIT);
    }
    // The check fails against the wrong temperature: gs-2's mean against the relaxed gradient at 1.5 and 3.
    for (const wrong of [1.5, 3]) expect(compare(row("gs-2"), relaxed(theta, target, wrong).gradient).maxZ).toBeGreaterThanOrEqual(Z_LIMIT);
    // The bias against the discrete gradient grows with the temperature (Jang et al.): exactly, by quadrature.
    const bias = [0.1, 0.5, 1, 2, 5].map((tau) => row(`gs-${tau}`).expectation!.exactBias);
    for (let i = 1; i < bias.length; i++) expect(bias[i]!).toBeGreaterThan(bias[i - 1]!);
    // ...and the variance falls.
    const variance = [0.1, 0.5, 1, 2, 5].map((tau) => row(`gs-${tau}`).traceVar);
    for (let i = 1; i < variance.length; i++) expect(variance[i]!).toBeLessThan(variance[i - 1]!);
  });
});

describe("Gumbel-Rao is straight-through Gumbel-Softmax Rao-Blackwellized", () => {
  test("same expectation as ST-GS at every tau (paired, the same z): within 4 SE", () => {
    for (const S of [10, 100]) for (const tau of [0.1, 0.5, 1]) expect(row(`gr${S}-${tau}`).vsSTGS!, `gr${S}-${tau}`).toBeLessThan(Z_LIMIT);
  });

  test("less variance than ST-GS at every tau, less with S = 100 than 10, and the gain largest at low tau", () => {
    // Rao-Blackwell: Var(GR_S) = Var(E[ST-GS | z]) + E[Var(ST-GS | z)] / S <= Var(ST-GS). The
    // ratios are stable across seeds (0.21-0.23, 0.60-0.62, 0.82-0.83 for S = 10 over ST-GS at
    // tau 0.1, 0.5, 1; 0.64-0.66, 0.93-0.94, 0.98 for S = 100 over S = 10, seeds 1-6).
    const ratio: number[] = [];
    for (const tau of [0.1, 0.5, 1]) {
      const st = row(`stgs-${tau}`).traceVar;
      expect(row(`gr10-${tau}`).traceVar).toBeLessThan(st);
      expect(row(`gr100-${tau}`).traceVar).toBeLessThan(row(`gr10-${tau}`).traceVar);
      ratio.push(row(`gr100-${tau}`).traceVar / st);
    }
    expect(ratio[0]!).toBeLessThan(ratio[1]!);
    expect(ratio[1]!).toBeLessThan(ratio[2]!);
  });
});

test("replay: the same seed gives the same estimates, another seed others", () => {
  const keys = ["reinforce", "gs-1", "stgs-0.5", "gr10-0.5", "gst-1"];
  const a = runEstimators(gw, { samples: 3000, seed: 5, keys });
  const b = runEstimators(gw, { samples: 3000, seed: 5, keys });
  const c = runEstimators(gw, { samples: 3000, seed: 6, keys });
  expect(a.rows.map((r) => r.mean)).toEqual(b.rows.map((r) => r.mean));
  a.rows.forEach((r, i) => expect(r.mean).not.toEqual(c.rows[i]!.mean));
});
