// Runs in Chromium only: the core suites there load the browser entry (src/index.ts: fetch of
// the .wasm beside it); this checks that it is really so, and that SIMD, the scalar binary and
// the fallback a browser without SIMD takes give the same bits.
import { expect, test } from "vitest";
import { init } from "../../src/node.js"; // aliased to src/index.ts in the chromium project
// @ts-expect-error: a plain .mjs module without types
import { check } from "../runtimes/check.mjs";

test("a real Chromium, the browser entry, SIMD; scalar, the no-SIMD fallback and one thread give the same bits", async () => {
  expect(navigator.userAgent).toMatch(/Chrome\//);
  expect(typeof (globalThis as { process?: unknown }).process === "undefined" || !("versions" in (globalThis as { process: object }).process)).toBe(true);
  expect(init.toString()).not.toMatch(/readFile/);
  const result = await check(init);
  expect(result.backend).toBe("simd");
  expect(result.fallbackBackend).toBe("scalar");
  expect(result.scalar).toEqual(result.default);
  expect(result.fallback).toEqual(result.default);
  // The test page is not cross-origin isolated: no SharedArrayBuffer, so threads fall back to
  // one, say why, and the async calls still work (the pages of bundlers.test.ts and the demo
  // are isolated and run two workers).
  expect(globalThis.crossOriginIsolated).toBe(false);
  expect(result.threads).toBe(1);
  expect(result.threadNote).toMatch(/SharedArrayBuffer/);
});
