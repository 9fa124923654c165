// A page's script: the package by name, bundled by webpack, Rollup or esbuild for the bundlers test.
import { init } from "gumbel-wasm";
import { check } from "./check.mjs";

check(init).then(
  (result) => {
    window.result = result;
  },
  (e) => {
    window.result = { error: String((e && e.stack) || e) };
  },
);
