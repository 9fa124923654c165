// Run (in Node) in place of the browser suites when no Chromium was found: one failing test that
// says how to get one. See test/chromium.ts.
import { expect, test } from "vitest";

test("the browser suites need a Chromium", () => {
  expect.fail(process.env.NO_CHROMIUM ?? "no Chromium found");
});
