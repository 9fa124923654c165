// Short runs of the training examples (examples/learn: their own package, installed here on
// first use, as `npm run examples:setup` does). Each runs in a child Node process, as users run it,
// and reports JSON:
// - the categorical VAE (examples/learn/vae/run.mjs), 50 steps of 100 images for each of the three
//   estimators (Gumbel-Softmax, straight-through, score function), on the first 5000 training
//   images, with a faster anneal than the full run (rate 1e-3 every 10 steps); the mean loss of
//   the last 10 steps must be at least LOSS_DROP nats below that of the first 10. (The issue asks
//   for a few hundred steps; at about 0.35 s a step on tfjs-wasm here, 3 x 50 is what fits in the
//   suite's budget of about 90 s for these checks.)
// - the semi-supervised step (examples/learn/semisup/run.mjs) at K = 50 on 10 images: the step
//   that marginalises the class must take more than twice as long as the Gumbel-Softmax step.
// If the install fails the suite fails, saying so: nothing is skipped.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const run = promisify(execFile);
const learn = new URL("../examples/learn/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "gumbel-examples-"));

/** Nats the mean loss must fall by, from the first 10 steps to the last 10 (it falls by about 250). */
const LOSS_DROP = 100;
const STEPS = 50;

beforeAll(async () => {
  try {
    await run(process.execPath, [join(learn, "setup.mjs")], { timeout: 600_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`examples: installing examples/learn's dependencies (npm ci) failed, so the examples cannot be tested:\n${err.stderr ?? err.message}`);
  }
}, 600_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface VaeRun {
  estimator: string;
  losses: number[];
  testNegElbo: number;
  secondsPerStep: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("examples/learn", () => {
  test(`categorical VAE: the loss falls by at least ${LOSS_DROP} nats in ${STEPS} steps, for each estimator`, async () => {
    const out = join(dir, "vae.json");
    const args = ["--steps", String(STEPS), "--train-images", "5000", "--test-images", "500", "--rate", "1e-3", "--every", "10"];
    args.push("--eval-every", String(STEPS), "--eval-images", "200", "--iw-samples", "0", "--out", "", "--json", out, "--quiet");
    await run(process.execPath, [join(learn, "vae/run.mjs"), ...args], { timeout: 240_000 });
    const runs = (JSON.parse(readFileSync(out, "utf8")) as { runs: VaeRun[] }).runs;
    expect(runs.map((r) => r.estimator)).toEqual(["gs", "st", "sf"]);
    for (const r of runs) {
      expect(r.losses).toHaveLength(STEPS);
      const first = mean(r.losses.slice(0, 10));
      const last = mean(r.losses.slice(-10));
      expect(last, `${r.estimator}: mean loss ${first.toFixed(1)} -> ${last.toFixed(1)}`).toBeLessThanOrEqual(first - LOSS_DROP);
      expect(Number.isFinite(r.testNegElbo)).toBe(true);
      expect(r.testNegElbo).toBeLessThan(first);
    }
  }, 240_000);

  test("semi-supervised M2 at K = 50: marginalising the class costs more than twice a Gumbel-Softmax step", async () => {
    const out = join(dir, "semisup.json");
    const args = ["--classes", "50", "--batch", "10", "--rounds", "3", "--warmup", "1", "--out", "", "--json", out, "--quiet"];
    await run(process.execPath, [join(learn, "semisup/run.mjs"), ...args], { timeout: 120_000 });
    const [r] = (JSON.parse(readFileSync(out, "utf8")) as { results: { classes: number; marginalMs: number; gsMs: number; ratio: number }[] }).results;
    expect(r?.classes).toBe(50);
    expect(r?.ratio, `marginal ${r?.marginalMs.toFixed(1)} ms, gs ${r?.gsMs.toFixed(1)} ms`).toBeGreaterThan(2);
  }, 120_000);
});
