// Runs in Chromium only: the core suites there load the browser entry (src/index.ts: fetch of
// the .wasm beside it); this checks that it is really so, and that SIMD, the scalar binary and
// the fallback a browser without SIMD takes give the same bits.
import { expect, test } from "vitest";
import { init } from "../../src/node.js"; // aliased to src/index.ts in the chromium project
// @ts-expect-error: a plain .mjs module without types
import { check } from "../runtimes/check.mjs";

test("a real Chromium, the browser entry, SIMD; scalar and the no-SIMD fallback give the same bits", async () => {
  expect(navigator.userAgent).toMatch(/Chrome\//);
  expect(typeof (globalThis as { process?: unknown }).process === "undefined" || !("versions" in (globalThis as { process: object }).process)).toBe(true);
  expect(init.toString()).not.toMatch(/readFile/);
  const result = await check(init);
  expect(result.backend).toBe("simd");
  expect(result.fallbackBackend).toBe("scalar");
  expect(result.scalar).toEqual(result.default);
  expect(result.fallback).toEqual(result.default);
});
