// Shared by the tests: one instance per backend, loaded once per test file.
import { init, type GumbelWasm } from "../src/node.js";

export const backends = ["simd", "scalar"] as const;

const instances = new Map<string, Promise<GumbelWasm>>();

/** A fresh-per-file instance of the given backend. */
export function load(backend: "simd" | "scalar"): Promise<GumbelWasm> {
  let p = instances.get(backend);
  if (!p) {
    p = init({ backend });
    instances.set(backend, p);
  }
  return p;
}
