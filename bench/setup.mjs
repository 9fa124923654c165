// Installs the benchmarks' own dependencies (bench/package.json: tfjs, transformers.js, tinybench)
// on first use, or when bench/package-lock.json changed since: they are kept out of the root
// install, which has only what the tests need. Install scripts are not run (none is needed:
// onnxruntime-node's CPU binary is in its tarball, and its script would try to download CUDA).
//
//   node bench/setup.mjs     (npm run bench runs it first)

import { installFolder } from "../tools/install-folder.mjs";

installFolder(new URL(".", import.meta.url), "bench", "the benchmark peers into bench/node_modules (about 550 MB, under a minute)");
