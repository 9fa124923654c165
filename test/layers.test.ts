// The layers of the source trees, read from their import statements (test/imports.ts): no
// import cycle anywhere, and each tree's own rule on who may import whom.
//
// src/: the façade's layers, leaves first (ARCHITECTURE.md): a file imports only from its own
// layer or those below, and no file is much over 450 lines.
//
// assembly/: leaves first. `inline/` (the inlined building blocks and the module state they
// share) imports only from `inline/`; a kernel file (assembly/*.ts, one operation each)
// imports only from `inline/`, never from another kernel file; `index.ts` only re-exports.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { findCycle, importGraph, violations, type ImportGraph } from "./imports.js";

interface Tree {
  /** Folder, relative to the repository root. */
  dir: string;
  /** null when `from` may import `to` (paths relative to `dir`), else why not. */
  rule(from: string, to: string): string | null;
}

const inInline = (path: string) => path.startsWith("inline/");

/** src/'s layers, from the leaves up: a file may import from its own layer and those below. */
const SRC_LAYERS: string[][] = [
  ["checks.ts", "abi.ts", "loader.ts", "pool.ts", "memory.ts"], // argument checks, the kernel ABI, loading, workers, memory
  ["options.ts", "specs.ts", "types.ts", "layout.ts"], // option keys, the launches' row specs, the public types, where the classes are
  ["marshal.ts", "streams.ts", "staged.ts"], // operands in and out; seed and offset; the distributions' staged kernel calls
  ["launch.ts"], // running a prepared call: here, in runs of one temperature, or on the pool
  ["softmax.ts", "sampling.ts", "straight.ts", "topk.ts", "tokens.ts"], // each call's preparation
  ["rng.ts", "anneal.ts"], // streams as objects; temperature schedules
  ["gumbel-sync.ts"], // the public class's synchronous calls
  ["gumbel.ts"], // the public class: the async calls and the pool's lifecycle
  ["draws.ts", "distributions.ts", "relaxed-kernels.ts", "relaxed.ts"], // distribution classes over the class (draws.ts: their sample shapes, async draws and mode; relaxed-kernels.ts: the relaxed kernels run here or on the pool)
  ["tfjs-args.ts", "tfjs-relaxed.ts"], // gumbel-wasm/tfjs: tensor arguments, the relaxed densities as tfjs ops
  ["init.ts"], // init()
  ["public.ts"], // the export list
  ["index.ts", "node.ts", "workerd.ts", "worker.ts", "worker-node.ts", "tfjs.ts", "transformers.ts"], // entry points (tfjs.ts: gumbel-wasm/tfjs, transformers.ts: gumbel-wasm/transformers), and the workers'
];
const layerOf = new Map(SRC_LAYERS.flatMap((files, i) => files.map((f) => [f, i] as const)));

const TREES: Tree[] = [
  {
    dir: "src",
    rule(from, to) {
      const a = layerOf.get(from);
      const b = layerOf.get(to);
      if (a === undefined || b === undefined) return `${a === undefined ? from : to} is in no layer of SRC_LAYERS (test/layers.test.ts)`;
      return b <= a ? null : `${to} is in a layer above ${from}'s`;
    },
  },
  {
    dir: "assembly",
    rule(from, to) {
      if (inInline(from)) return inInline(to) ? null : "inline/ imports only from inline/";
      if (from === "index.ts") return null;
      return inInline(to) ? null : "a kernel file imports only from inline/ (never another kernel file)";
    },
  },
];

for (const tree of TREES) {
  describe(`${tree.dir}/ layers`, () => {
    const graph = importGraph(fileURLToPath(new URL(`../${tree.dir}/`, import.meta.url)));

    test("no import cycle", () => {
      expect(findCycle(graph)).toBeNull();
    });

    test("every import follows the tree's rule", () => {
      expect(violations(graph, tree.rule)).toEqual([]);
    });
  });
}

test("no file of src/ is much over 450 lines", () => {
  const dir = fileURLToPath(new URL("../src/", import.meta.url));
  const long = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "abi.ts") // abi.ts is generated
    .map((f) => [f, readFileSync(join(dir, f), "utf8").split("\n").length] as const)
    .filter(([, n]) => n > 470);
  expect(long).toEqual([]);
});

test("the src/ rule rejects an upward import and a file in no layer", () => {
  const rule = TREES.find((t) => t.dir === "src")!.rule;
  expect(rule("marshal.ts", "gumbel.ts")).not.toBeNull();
  expect(rule("checks.ts", "types.ts")).not.toBeNull();
  expect(rule("gumbel.ts", "nowhere.ts")).not.toBeNull();
  expect(rule("gumbel.ts", "marshal.ts")).toBeNull();
});

describe("the checks themselves", () => {
  const assembly = importGraph(fileURLToPath(new URL("../assembly/", import.meta.url)));

  test("the graph sees multi-line imports and re-exports", () => {
    // inline/exp.ts imports its constants in an `import {\n ... \n} from "./consts"` statement.
    expect(assembly.get("inline/exp.ts")).toContain("inline/consts.ts");
    expect(assembly.get("index.ts")).toContain("gumbel_max.ts");
    expect(assembly.get("index.ts")).toContain("inline/scratch.ts");
  });

  test("findCycle finds a cycle and names it, and passes a layered graph", () => {
    const g = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));
    expect(findCycle(g({ "a.ts": ["b.ts"], "b.ts": ["c.ts"], "c.ts": [] }))).toBeNull();
    expect(findCycle(g({ "a.ts": ["b.ts"], "b.ts": ["c.ts"], "c.ts": ["a.ts"] }))).toEqual(["a.ts", "b.ts", "c.ts", "a.ts"]);
    expect(findCycle(g({ "a.ts": ["a.ts"] }))).toEqual(["a.ts", "a.ts"]);
    // A diamond is not a cycle.
    expect(findCycle(g({ "a.ts": ["b.ts", "c.ts"], "b.ts": ["d.ts"], "c.ts": ["d.ts"], "d.ts": [] }))).toBeNull();
  });

  test("the assembly rule rejects the imports it exists to forbid", () => {
    const rule = TREES.find((t) => t.dir === "assembly")!.rule;
    expect(rule("inline/straight.ts", "gumbel_max.ts")).not.toBeNull();
    expect(rule("inline/straight.ts", "../src/gumbel.ts")).not.toBeNull();
    expect(rule("gumbel_softmax.ts", "gumbel_max.ts")).not.toBeNull();
    expect(rule("gumbel_softmax.ts", "inline/sample.ts")).toBeNull();
    expect(rule("index.ts", "gumbel_max.ts")).toBeNull();
  });
});
