// The packed package bundled for a page by webpack 5, Rollup (with an import.meta.url assets
// plugin) and esbuild (the .wasm files copied beside the bundle, as the README says), each page
// served with COOP/COEP and a CSP without 'unsafe-eval', run in headless Chromium: the probe's
// bits must be Node's. (Vite is tested by the demo page.)
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error: the plugin's types are not reachable through its exports map
import { importMetaAssets } from "@web/rollup-plugin-import-meta-assets";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import * as esbuild from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { rollup } from "rollup";
import webpack from "webpack";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { init } from "../dist/node.js"; // the built package: its workers run dist/worker-node.js
// @ts-expect-error: plain .mjs modules without types
import { headers } from "../examples/demo/vite.config.mjs";
// @ts-expect-error: plain .mjs modules without types
import { check } from "./runtimes/check.mjs";
import { CHROMIUM_ARGS, findChromium } from "./chromium.js";
import { serve, type Served } from "./runtimes/serve.js";

const fixture = inject("fixture");
const root = join(fixture.dir, "bundles");
const entry = join(fixture.dir, "bundle-entry.mjs");
let server: Served;
let browser: Browser;
let expected: unknown;

function page(dir: string, script: string, module: boolean): void {
  writeFileSync(
    join(root, dir, "index.html"),
    `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>${dir}</title><script ${module ? 'type="module" ' : ""}src="${script}"></script>`,
  );
}

const bundlers: Record<string, () => Promise<void>> = {
  async webpack() {
    const out = join(root, "webpack");
    const stats = await new Promise<webpack.Stats>((resolve, reject) =>
      webpack(
        {
          mode: "production",
          context: fixture.dir,
          entry,
          target: "web",
          devtool: false,
          optimization: { minimize: false },
          performance: { hints: false },
          output: { path: out, filename: "main.js" },
        },
        (err, s) => (err || !s ? reject(err) : resolve(s)),
      ),
    );
    if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
    page("webpack", "main.js", false);
  },
  async rollup() {
    const out = join(root, "rollup");
    const bundle = await rollup({ input: entry, plugins: [nodeResolve({ browser: true }), importMetaAssets()], logLevel: "silent" });
    await bundle.write({ dir: out, format: "es", entryFileNames: "main.js" });
    await bundle.close();
    page("rollup", "main.js", true);
  },
  async esbuild() {
    const out = join(root, "esbuild");
    await esbuild.build({
      entryPoints: [entry], bundle: true, format: "esm", platform: "browser", outfile: join(out, "js/main.js"), logLevel: "silent",
    });
    // esbuild leaves new URL("../build/...", import.meta.url) and new URL("./worker.js", ...)
    // as they are: the files go there (as the README says).
    mkdirSync(join(out, "build"), { recursive: true });
    for (const f of ["gumbel-simd.wasm", "gumbel-scalar.wasm", "gumbel-simd-shared.wasm", "gumbel-scalar-shared.wasm"]) {
      copyFileSync(join(fixture.dir, "node_modules/gumbel-wasm/build", f), join(out, "build", f));
    }
    copyFileSync(join(fixture.dir, "node_modules/gumbel-wasm/dist/worker.js"), join(out, "js/worker.js"));
    page("esbuild", "js/main.js", true);
  },
};

beforeAll(async () => {
  expected = await check(init);
  mkdirSync(root, { recursive: true });
  for (const build of Object.values(bundlers)) await build();
  server = await serve(root, headers);
  browser = await chromium.launch({ executablePath: (await findChromium()).path, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("bundlers", () => {
  for (const name of Object.keys(bundlers)) {
    test(`${name}: the page runs the bundle in Chromium and gives Node's bits`, async () => {
      // The bundle emitted (or, for esbuild, was given) the four .wasm files: two backends and
      // their shared-memory variants for threads.
      const files = readdirSync(join(root, name), { recursive: true }).map(String);
      expect(files.filter((f) => f.endsWith(".wasm")).length).toBe(4);
      const p = await browser.newPage();
      const errors: string[] = [];
      p.on("pageerror", (e) => errors.push(e.message));
      p.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      await p.goto(`${server.url}${name}/`);
      await p.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 30_000 });
      const result = await p.evaluate(() => (window as unknown as { result: unknown }).result);
      await p.close();
      expect(errors).toEqual([]);
      expect(result).toEqual(expected);
    });
  }
});
