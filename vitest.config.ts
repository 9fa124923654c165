import { fileURLToPath } from "node:url";
import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { CHROMIUM_ARGS, findChromium } from "./test/chromium.js";

/** The core correctness suites, which run in Node and again inside Chromium. */
const CORE = ["approx", "philox", "noise", "softmax", "gumbel", "grad", "backends", "errors", "streams", "topk", "pertau", "tokens", "relaxed", "straight", "options"].map(
  (name) => `test/${name}.test.ts`,
);

/** The browser (test/chromium.ts says where it looks), or why there is none. */
const chromium = await findChromium().then(
  (found) => found,
  (e: Error) => e,
);

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**"],
          globalSetup: ["test/runtimes/global-setup.ts"],
        },
      },
      chromium instanceof Error
        ? {
            // No browser anywhere: the browser suites fail, saying how to get one (never a silent skip).
            extends: true,
            test: { name: "chromium", include: ["test/browser/no-chromium.spec.ts"], env: { NO_CHROMIUM: chromium.message } },
          }
        : {
            // In the browser the tests load the package's browser entry (fetch of the .wasm files
            // beside it) instead of the Node one.
            extends: true,
            resolve: {
              alias: [{ find: /^(\.\.\/)+src\/node\.js$/, replacement: fileURLToPath(new URL("src/index.ts", import.meta.url)) }],
            },
            test: {
              name: "chromium",
              include: [...CORE, "test/browser/**/*.test.ts"],
              browser: {
                enabled: true,
                headless: true,
                screenshotFailures: false,
                provider: playwright({ launchOptions: { executablePath: chromium.path, args: CHROMIUM_ARGS } }),
                instances: [{ browser: "chromium" }],
              },
            },
          },
    ],
  },
});
