// The import graph of a source tree, for the tests that hold its layers (test/layers.test.ts).
// Imports are read by TypeScript's own pre-processor (`ts.preProcessFile`: import and export
// ... from statements, side-effect imports, `import()`; comments and strings are not mistaken
// for them), so a multi-line import counts like any other. Type-only imports count too.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative, sep } from "node:path";
import ts from "typescript";

/**
 * File -> the files it imports, both as paths relative to the tree's root with `/` separators
 * (`inline/row.ts`). An import that leaves the tree keeps its `..` (`../src/x.ts`); package
 * imports (no leading `.`) are left out.
 */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** Every `.ts` file under `dir` (recursively; `.d.ts` files too) and the files each imports. */
export function importGraph(dir: string): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(dir)) {
    const from = toPosix(relative(dir, file));
    const text = readFileSync(file, "utf8");
    const targets = ts
      .preProcessFile(text, true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((spec) => spec.startsWith(".") && !/\.(wasm|json)$/.test(spec)) // code only, not assets (workerd.ts imports the .wasm)
      .map((spec) => resolve(dir, file, spec));
    graph.set(from, [...new Set(targets)].sort());
  }
  return graph;
}

/** The first import cycle found, as its files in order (the first repeated at the end), or null. */
export function findCycle(graph: ImportGraph): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (node: string): string[] | null => {
    if (onPath.has(node)) return [...path.slice(path.indexOf(node)), node];
    if (done.has(node)) return null;
    path.push(node);
    onPath.add(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    onPath.delete(node);
    done.add(node);
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * The imports a rule forbids, as `from -> to: why` lines. `rule(from, to)` returns null for an
 * allowed import, else the reason.
 */
export function violations(graph: ImportGraph, rule: (from: string, to: string) => string | null): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const why = rule(from, to);
      if (why !== null) out.push(`${from} -> ${to}: ${why}`);
    }
  }
  return out.sort();
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/**
 * The file a relative specifier names, relative to the root: as written, with `.ts` added, a
 * `.js` (NodeNext style) read as `.ts`, or a folder's `index.ts`. Throws when none exists, so
 * that a path the graph cannot follow fails the test instead of dropping an edge.
 */
function resolve(root: string, file: string, spec: string): string {
  const base = join(dirname(file), spec);
  const candidates = [base, `${base}.ts`, base.replace(/\.js$/, ".ts"), join(base, "index.ts")];
  for (const c of candidates) {
    if (c.endsWith(".ts") && isFile(c)) return toPosix(relative(root, c));
  }
  throw new Error(`${relative(root, file)}: cannot resolve the import "${spec}"`);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function toPosix(path: string): string {
  return posix.normalize(path.split(sep).join("/"));
}
