// Installs the benchmarks' own dependencies (bench/package.json: tfjs's backends, tinybench) on
// first use, or when bench/package-lock.json changed since: they are kept out of the root
// install, which has only what the tests need (transformers.js, which the tests of
// gumbel-wasm/transformers need, comes from there). Install scripts are not run.
//
//   node bench/setup.mjs     (npm run bench runs it first)

import { installFolder } from "../tools/install-folder.mjs";

installFolder(new URL(".", import.meta.url), "bench", "the benchmark peers into bench/node_modules (about 70 MB, a few seconds)");
