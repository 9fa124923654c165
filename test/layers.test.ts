// The layers of the source trees, read from their import statements (test/imports.ts): no
// import cycle anywhere, and each tree's own rule on who may import whom.
//
// assembly/: leaves first. `inline/` (the inlined building blocks and the module state they
// share) imports only from `inline/`; a kernel file (assembly/*.ts, one operation each)
// imports only from `inline/`, never from another kernel file; `index.ts` only re-exports.
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

const TREES: Tree[] = [
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
    const rule = TREES[0]!.rule;
    expect(rule("inline/straight.ts", "gumbel_max.ts")).not.toBeNull();
    expect(rule("inline/straight.ts", "../src/gumbel.ts")).not.toBeNull();
    expect(rule("gumbel_softmax.ts", "gumbel_max.ts")).not.toBeNull();
    expect(rule("gumbel_softmax.ts", "inline/sample.ts")).toBeNull();
    expect(rule("index.ts", "gumbel_max.ts")).toBeNull();
  });
});
