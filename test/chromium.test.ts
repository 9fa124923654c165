// The browser finder of the browser suites (test/chromium.ts): its order of preference, and an
// error rather than a silent fallback for a CHROMIUM_PATH that does not exist.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { findChromium, search } from "./chromium.js";

const saved = { ...process.env };
afterEach(() => {
  for (const k of ["CHROMIUM_PATH", "PLAYWRIGHT_BROWSERS_PATH", "GUMBEL_WASM_CHROMIUM"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

function file(dir: string, rel: string): string {
  const p = join(dir, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, "");
  return p;
}

describe.runIf(process.platform === "linux")("findChromium", () => {
  test("CHROMIUM_PATH comes first; one that does not exist is an error naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-chromium-"));
    process.env.CHROMIUM_PATH = file(dir, "my-chrome");
    expect(await findChromium()).toEqual({ path: join(dir, "my-chrome"), source: "CHROMIUM_PATH" });
    process.env.CHROMIUM_PATH = join(dir, "nothing-here");
    await expect(findChromium()).rejects.toThrow(`CHROMIUM_PATH=${join(dir, "nothing-here")} does not exist`);
  });

  test("then a system browser, then Playwright's cache (newest build), then the npm one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-chromium-"));
    const cache = join(dir, "cache");
    process.env.PLAYWRIGHT_BROWSERS_PATH = cache;
    const system = file(dir, "usr/bin/chromium");
    file(cache, "chromium-1100/chrome-linux/chrome");
    const newest = file(cache, "chromium-1200/chrome-linux/chrome");
    expect(await search([join(dir, "absent"), system])).toEqual({ path: system, source: "system" });
    expect(await search([join(dir, "absent")])).toEqual({ path: newest, source: "playwright" });
    process.env.PLAYWRIGHT_BROWSERS_PATH = join(dir, "empty");
    const npm = await search([]);
    if (process.arch === "x64" || process.arch === "arm64") expect(npm?.source).toBe("@sparticuz/chromium");
    else expect(npm).toBeNull();
  });
});
