import { fileURLToPath } from "node:url";
import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";

/** Chromium from Debian (`apt-get install chromium`), as .ci/run installs it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run",
];

/** The core correctness suites, which run in Node and again inside Chromium. */
const CORE = ["approx", "philox", "noise", "softmax", "gumbel", "grad", "backends", "errors", "streams", "topk", "pertau", "tokens", "relaxed", "straight", "options"].map(
  (name) => `test/${name}.test.ts`,
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
      {
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
            provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
});
