// `npm run demo`: the demo page from this checkout's sources, served with the headers that
// cross-origin isolation (SharedArrayBuffer, for the worker pool) needs, and a Content-Security-
// Policy that allows WebAssembly without allowing eval.
import { fileURLToPath } from "node:url";

export const headers = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Content-Security-Policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
};

export default {
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { alias: { "gumbel-wasm": fileURLToPath(new URL("../../src/index.ts", import.meta.url)) } },
  server: { headers, port: 5173, fs: { allow: [fileURLToPath(new URL("../..", import.meta.url))] } },
  preview: { headers },
  build: { target: "es2022" },
};
