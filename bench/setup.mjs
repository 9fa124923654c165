// Installs the benchmarks' own dependencies (bench/package.json: tfjs, transformers.js, tinybench)
// on first use, or when bench/package-lock.json changed since: they are kept out of the root
// install, which has only what the tests need. Install scripts are not run (none is needed:
// onnxruntime-node's CPU binary is in its tarball, and its script would try to download CUDA).
//
//   node bench/setup.mjs     (npm run bench runs it first)

import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const lock = `${here}package-lock.json`;
const installed = `${here}node_modules/.package-lock.json`;

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  process.stderr.write("bench: installing the benchmark peers into bench/node_modules (about 550 MB, under a minute) ...\n");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: here, stdio: "inherit", shell: process.platform === "win32" });
  if (r.status !== 0) {
    process.stderr.write("bench: `npm ci` in bench/ failed\n");
    process.exit(r.status ?? 1);
  }
}
