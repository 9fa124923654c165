// The demo page, built by a real bundler (Vite) from the packed package, served with the
// headers cross-origin isolation needs and a Content-Security-Policy without 'unsafe-eval', and
// driven in headless Chromium: its numbers must be Node's for the same settings, bit for bit,
// before and after moving the temperature slider. Saves the screenshot of the README to a temp
// folder (examples/demo.png only with DEMO_SCREENSHOT=1, so a test run leaves the checkout clean).
import { cpSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { init, type GumbelWasm } from "../dist/node.js";
// @ts-expect-error: plain .mjs/.js modules without types
import { headers } from "../examples/demo/vite.config.mjs";
// @ts-expect-error: plain .mjs/.js modules without types
import { DRAWS, TAUS, compute, parseLogits } from "../examples/demo/model.js";
import { CHROMIUM_ARGS, findChromium } from "./chromium.js";
import { serve, type Served } from "./runtimes/serve.js";

const fixture = inject("fixture");
const root = fileURLToPath(new URL("../", import.meta.url));
let server: Served;
let browser: Browser;
let page: Page;
let gw: GumbelWasm;
const errors: string[] = [];

interface PageState {
  backend: string;
  crossOriginIsolated: boolean;
  logits: number[];
  tau: number;
  seed: string;
  draws: number;
  probsBits: string;
  sampleBits: string;
  peak: number[];
  hard: number[];
  noise: number[];
}

beforeAll(async () => {
  gw = await init();
  // The page's sources in the throwaway project, so that `gumbel-wasm` resolves to the packed package.
  const src = join(fixture.dir, "demo");
  mkdirSync(src, { recursive: true });
  for (const f of ["index.html", "main.js", "model.js", "style.css"]) cpSync(join(root, "examples/demo", f), join(src, f));
  const out = join(src, "dist");
  await build({ root: src, configFile: false, logLevel: "silent", build: { outDir: out, target: "es2022", emptyOutDir: true } });
  server = await serve(out, headers);
  browser = await chromium.launch({ executablePath: (await findChromium()).path, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1200, height: 860 } });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(server.url);
  await page.waitForFunction(() => (window as unknown as { demo?: unknown }).demo !== undefined, null, { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const state = () => page.evaluate(() => (window as unknown as { demo: { state(): PageState } }).demo.state());

/** What Node computes for the page's settings, in the page's terms. */
function nodeState(s: PageState): Omit<PageState, "backend" | "crossOriginIsolated"> {
  const r = compute(gw, { logits: parseLogits(s.logits.join(",")), tau: s.tau, seed: BigInt(s.seed), draws: s.draws });
  delete r.probs;
  delete r.sample;
  return r;
}

/** Waits until the page has redrawn `after` times since `before`. */
async function redrawn(before: string | undefined): Promise<void> {
  await page.waitForFunction((v) => document.body.dataset.version !== v, before);
}

describe("demo page in Chromium (Vite bundle of the packed package)", () => {
  test("loads SIMD, cross-origin isolated, under a CSP without unsafe-eval, and shows Node's numbers", async () => {
    const s = await state();
    expect(s.backend).toBe("simd");
    expect(s.crossOriginIsolated).toBe(true);
    const { backend: _b, crossOriginIsolated: _c, ...shown } = s;
    expect(shown).toEqual(nodeState(s));
    // 200 000 noise values binned; the hard draws all counted.
    expect(s.noise.reduce((a, b) => a + b, 0)).toBeGreaterThan(199_000);
    expect(s.hard.reduce((a, b) => a + b, 0)).toBe(s.draws);
    expect(errors).toEqual([]);
  });

  test("moving the temperature slider moves the samples between one-hot and uniform", async () => {
    const cold = await state();
    let v = await page.evaluate(() => document.body.dataset.version);
    await page.locator("#tau").fill("0"); // tau = 0.05
    await redrawn(v);
    const colder = await state();
    expect(colder.tau).toBe(TAUS[0]);
    expect(colder.peak).not.toEqual(cold.peak);
    // Nearly every soft sample is nearly one-hot: the top bin holds most of them.
    expect(colder.peak.at(-1)!).toBeGreaterThan(0.9 * colder.peak.reduce((a, b) => a + b, 0));
    const { backend: _b, crossOriginIsolated: _c, ...shown } = colder;
    expect(shown).toEqual(nodeState(colder));

    v = await page.evaluate(() => document.body.dataset.version);
    await page.locator("#tau").fill(String(TAUS.length - 1)); // tau = 10
    await redrawn(v);
    const hot = await state();
    expect(hot.tau).toBe(10);
    // Nearly uniform: every largest entry below 0.5 (K = 5, uniform is 0.2).
    expect(hot.peak.slice(Math.floor(hot.peak.length / 2)).every((c) => c === 0)).toBe(true);
    expect(nodeState(hot)).toEqual((({ backend: _b, crossOriginIsolated: _c, ...rest }) => rest)(hot));
    expect(errors).toEqual([]);
  });

  test("presets, more draws, and masked classes: never drawn; bad logits give the library's error", async () => {
    let v = await page.evaluate(() => document.body.dataset.version);
    await page.locator("#preset").selectOption("masked");
    await redrawn(v);
    v = await page.evaluate(() => document.body.dataset.version);
    await page.locator("#draws").fill("5");
    await redrawn(v);
    const s = await state();
    expect(s.draws).toBe(DRAWS[4]);
    s.logits.forEach((l, k) => {
      if (l === null || l === -Infinity) expect(s.hard[k]).toBe(0);
    });
    const { backend: _b, crossOriginIsolated: _c, ...shown } = s;
    expect(shown).toEqual(nodeState(s));

    v = await page.evaluate(() => document.body.dataset.version);
    await page.locator("#logits").fill("1, nan, 2");
    await redrawn(v);
    expect(await page.evaluate(() => document.body.dataset.error)).toMatch(/NaN/);

    // Back to the first preset at tau 0.5 for the picture in the README.
    v = await page.evaluate(() => document.body.dataset.version);
    await page.locator("#preset").selectOption("paper");
    await redrawn(v);
    v = await page.evaluate(() => document.body.dataset.version);
    await page.locator("#tau").fill(String(TAUS.indexOf(0.5)));
    await redrawn(v);
    await page.locator("#draws").fill("4");
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const shot = process.env.DEMO_SCREENSHOT === "1" ? join(root, "examples/demo.png") : join(tmpdir(), `gumbel-wasm-demo-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    expect(errors).toEqual([]);
  });
});
