// Writes src/abi.ts: the kernel ABI, read from the kernel sources, so that the TS side states
// no kernel signature and no shared constant by hand.
//
// - `Kernels`: every function assembly/index.ts exports (following `export { a as b } from`
//   re-exports to the function itself), with its AssemblyScript parameter names, `number` for
//   every numeric type, and its own doc comment.
// - `ABI`: one spec per kernel: argument names and AssemblyScript types, the result, and for
//   kernels that work on rows, how their arguments follow the rows (RowLayout below), which
//   is what it takes to hand a slice of rows to a call (a worker, one row's temperature).
// - The constants the façade shares with the kernels: every `export const NAME: i32 = <int>;`
//   of a kernel file (assembly/*.ts other than index.ts), its own or re-exported from inline/.
//   No kernel file is imported by another (test/layers.test.ts), so whatever a kernel file
//   exports is there for the façade.
//
// What names alone cannot say is written in the kernel's doc comment, one tag a line:
//
//   @rows logits:cols dst:1        the pointer arguments, each with its size per row in
//                                  4-byte elements: `cols`, `inner` (a strided kernel's
//                                  reduction: one value per line), a number (`1`, `8`), or `-` when it
//                                  does not move with the rows (workspace, per-call data).
//                                  `own`: a workspace that does not move with the rows either,
//                                  but of which each slice of rows running beside another needs
//                                  a block of its own (the call says how large); one per layout.
//                                  Every pointer (usize) argument is listed. The row count is
//                                  the argument `rows`, the row length `cols`.
//   @rows n dst:1                  a bare name: the argument that counts the rows instead of
//                                  `rows` (streams: one element per row, no `cols`).
//   @rows.forward ... / @rows.backward ...
//                                  several layouts, by name, when the same kernel moves
//                                  different pointers with its rows in different modes.
//   @validates                     validates every row first: returns -1, or the first bad row
//                                  having written nothing (check_fault() says why).
//
// The generator fails on a kernel with a `rows` argument and no @rows, on a tag naming an
// argument the kernel does not have, on a pointer argument missing from a layout, and on any
// other @tag in a kernel's doc comment.
//
// `node tools/abi.mjs` (run by `npm run build:wasm`); `--check` exits 1 if the file is stale.

import { readFileSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import { writeOrCheck } from "./generated.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const OUT = "src/abi.ts";
const ENTRY = "assembly/index.ts";
/** Wrap generated lines past this width. */
const WIDTH = 110;
/** Layout properties may not take these names. */
const RESERVED = new Set(["args", "types", "result"]);

/** The source files read by this run: file -> text (preset by generate's `overrides`). */
const sources = new Map();
function read(file) {
  if (!sources.has(file)) sources.set(file, readFileSync(root + file, "utf8"));
  return sources.get(file);
}

/** `./x` from `assembly/y.ts` -> `assembly/x.ts`. */
function resolve(from, spec) {
  return posix.normalize(posix.join(posix.dirname(from), spec)) + ".ts";
}

/** The `/** ... *\/` comment right before `index` (only blank space between), as its lines. */
function docBefore(src, index) {
  const before = src.slice(0, index).trimEnd();
  if (!before.endsWith("*/")) return null;
  const start = before.lastIndexOf("/**");
  if (start < 0 || before.slice(start, -2).includes("*/")) return null;
  return before
    .slice(start + 3, -2)
    .split("\n")
    .map((line) => line.replace(/^\s*\*?\s?/, "").trimEnd())
    .filter((line, i, all) => line || (i > 0 && i < all.length - 1));
}

/** The re-export statements of a file: `export { a as b, c } from "./x";`. */
function reExports(file) {
  const out = [];
  for (const m of read(file).matchAll(/^export \{([^}]*)\} from "([^"]+)";$/gm)) {
    for (const spec of m[1].split(",").map((s) => s.trim()).filter(Boolean)) {
      const [local, exported = local] = spec.split(/\s+as\s+/);
      out.push({ exported, local, from: resolve(file, m[2]), at: m.index });
    }
  }
  return out;
}

/** Splits `s` at the commas outside parentheses. */
function splitTop(s) {
  const out = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") depth--;
    else if (s[i] === "," && depth === 0) {
      out.push(s.slice(from, i));
      from = i + 1;
    }
  }
  out.push(s.slice(from));
  return out.map((p) => p.trim()).filter(Boolean);
}

/** `export function name(...): type {` in file, or null. */
function findFunction(file, name) {
  const src = read(file);
  const head = new RegExp(`^export function ${name}\\(`, "m").exec(src);
  if (!head) return null;
  let depth = 1;
  let i = head.index + head[0].length;
  for (; depth > 0; i++) depth += src[i] === "(" ? 1 : src[i] === ")" ? -1 : 0;
  const ret = /^\s*:\s*(\w+)\s*\{/.exec(src.slice(i));
  if (!ret) throw new Error(`${file} ${name}: no return type`);
  const params = splitTop(src.slice(head.index + head[0].length, i - 1)).map((p) => {
    const m = /^(\w+)\s*:\s*(\w+)(?:\s*=.*)?$/.exec(p);
    if (!m) throw new Error(`${file} ${name}: cannot read the parameter '${p}'`);
    return { name: m[1], type: m[2] };
  });
  return { file, name, params, result: ret[1], doc: docBefore(src, head.index) };
}

/** `export const NAME: i32 = <int>;` in file, or null. */
function findConst(file, name) {
  const src = read(file);
  const m = new RegExp(`^export const ${name}: i32 = (-?\\d+);`, "m").exec(src);
  if (!m) return null;
  return { file, name, value: Number(m[1]), doc: docBefore(src, m.index), at: m.index };
}

/** What `name`, exported by `file`, is: follows re-exports down to the declaration. */
function lookup(file, name, find) {
  const own = find(file, name);
  if (own) return own;
  const re = reExports(file).find((r) => r.exported === name);
  return re ? lookup(re.from, re.local, find) : null;
}

/** The kernels of the entry file, in its order, and the kernel files it re-exports from. */
function entry() {
  const src = read(ENTRY);
  const items = [];
  for (const r of reExports(ENTRY)) items.push({ at: r.at, name: r.exported, file: r.from, local: r.local });
  for (const m of src.matchAll(/^export function (\w+)\(/gm)) items.push({ at: m.index, name: m[1], file: ENTRY, local: m[1] });
  items.sort((a, b) => a.at - b.at);
  const kernels = items.map((it) => {
    const fn = lookup(it.file, it.local, findFunction);
    if (!fn) throw new Error(`${ENTRY}: '${it.name}' is not a function of ${it.file}`);
    return { ...fn, name: it.name, source: it.file };
  });
  const files = [...new Set(items.map((it) => it.file))].filter((f) => f !== ENTRY && posix.dirname(f) === "assembly");
  return { kernels, files };
}

/** The doc comment's text and its tags: @rows[.name] and @validates. */
function tags(k) {
  const text = [];
  const rows = [];
  let validates = false;
  for (const line of k.doc ?? []) {
    const m = /^@([\w.]+)\s*(.*)$/.exec(line);
    if (!m) {
      text.push(line);
      continue;
    }
    const [, tag, rest] = m;
    if (tag === "validates" && !rest) validates = true;
    else if (tag === "rows" || tag.startsWith("rows.")) rows.push({ name: tag === "rows" ? "rows" : tag.slice(5), spec: rest });
    else throw new Error(`${k.file} ${k.name}: unknown tag '@${tag}' (known: @rows, @rows.<layout>, @validates)`);
  }
  while (text.length && !text.at(-1)) text.pop();
  return { text, rows, validates };
}

/** A kernel's spec: arguments, result, layouts. */
function spec(k) {
  const where = `${k.file} ${k.name}`;
  const { text, rows, validates } = tags(k);
  const args = k.params.map((p) => p.name);
  const index = (name) => args.indexOf(name);
  const has = (name) => args.includes(name);
  if (has("rows") && !rows.length) throw new Error(`${where}: a 'rows' argument but no @rows tag in its doc comment`);
  if (validates && !rows.length) throw new Error(`${where}: @validates without @rows`);
  if (validates && k.result !== "i32") throw new Error(`${where}: @validates, but returns ${k.result}, not the bad row (i32)`);
  if (rows.length > 1 && rows.some((r) => r.name === "rows")) throw new Error(`${where}: several layouts must all be named (@rows.<name>)`);
  const layouts = rows.map(({ name, spec: s }) => {
    if (!/^[a-z]\w*$/.test(name) || RESERVED.has(name)) throw new Error(`${where}: bad layout name '${name}'`);
    if (rows.filter((r) => r.name === name).length > 1) throw new Error(`${where}: two layouts named '${name}'`);
    let count = "rows";
    let work = null;
    const ptrs = [];
    const listed = new Set();
    for (const token of s.split(/\s+/).filter(Boolean)) {
      const m = /^(\w+)(?::(cols|inner|\d+|-|own))?$/.exec(token);
      if (!m) throw new Error(`${where}: cannot read '${token}' in @rows (name:cols, name:inner, name:<n>, name:-, name:own or a count name)`);
      const [, arg, unit] = m;
      if (!has(arg)) throw new Error(`${where}: @rows names '${arg}', which is not an argument of ${k.name}(${args.join(", ")})`);
      if (unit === undefined) {
        if (count !== "rows") throw new Error(`${where}: two row counts in @rows`);
        count = arg;
        continue;
      }
      if (k.params[index(arg)].type !== "usize") throw new Error(`${where}: '${arg}' in @rows is not a pointer (usize)`);
      if (listed.has(arg)) throw new Error(`${where}: '${arg}' twice in @rows`);
      listed.add(arg);
      if (unit === "-") continue;
      if (unit === "own") {
        if (work !== null) throw new Error(`${where}: two workspaces ('own') in one layout`);
        work = index(arg);
        continue;
      }
      if (unit === "cols" && !has("cols")) throw new Error(`${where}: '${arg}:cols' but no 'cols' argument`);
      if (unit === "inner" && !has("inner")) throw new Error(`${where}: '${arg}:inner' but no 'inner' argument`);
      ptrs.push([index(arg), unit === "cols" || unit === "inner" ? unit : Number(unit)]);
    }
    if (!has(count)) throw new Error(`${where}: no 'rows' argument: name the one that counts the rows (@rows n ...)`);
    for (const p of k.params) {
      if (p.type === "usize" && !listed.has(p.name)) throw new Error(`${where}: the pointer '${p.name}' is missing from @rows${name === "rows" ? "" : "." + name} (give it a unit, or '-')`);
    }
    const pair = (a, b) => {
      if (has(a) !== has(b)) throw new Error(`${where}: '${a}' and '${b}' go together`);
      return has(a) ? [index(a), index(b)] : null;
    };
    ptrs.sort((a, b) => a[0] - b[0]);
    return {
      name,
      rows: index(count),
      cols: count === "rows" && has("cols") ? index("cols") : null,
      inner: has("inner") ? index("inner") : null,
      tau: has("tau") && k.params[index("tau")].type === "f32" ? index("tau") : null,
      key: pair("k0", "k1"),
      stream: pair("jLo", "jHi"),
      ptrs,
      work,
      validates,
    };
  });
  if (!["void", "i32", "u32", "f32", "usize"].includes(k.result)) throw new Error(`${where}: result type ${k.result} is not mapped`);
  return { name: k.name, params: k.params, result: k.result === "void" ? "void" : "number", text, layouts };
}

/** The shared constants: those of each kernel file, in the entry's order, then source order. */
function constants(files) {
  const out = [];
  for (const file of files) {
    const found = [];
    for (const m of read(file).matchAll(/^export const (\w+): i32 = /gm)) {
      const c = findConst(file, m[1]);
      if (!c) throw new Error(`${file}: export const ${m[1]}: i32 must be an integer literal (the façade gets a copy)`);
      found.push(c);
    }
    for (const r of reExports(file)) {
      const c = lookup(r.from, r.local, findConst);
      if (c) found.push({ ...c, name: r.exported });
    }
    found.sort((a, b) => (a.file === b.file ? a.at - b.at : a.file < b.file ? -1 : 1));
    for (const c of found) {
      const dup = out.find((o) => o.name === c.name);
      if (dup && dup.value !== c.value) throw new Error(`${c.name}: ${c.value} in ${c.file}, ${dup.value} in ${dup.file}`);
      if (!dup) out.push(c);
    }
  }
  return out;
}

/** A doc comment at `indent`: one line when it fits, else a block. */
function comment(lines, indent) {
  if (!lines?.length) return [];
  if (lines.length === 1 && indent.length + lines[0].length + 7 <= WIDTH) return [`${indent}/** ${lines[0]} */`];
  return [`${indent}/**`, ...lines.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)), `${indent} */`];
}

/** `name(a: number, ...): result;`, its parameters wrapped when the line is too long. */
function method(k) {
  const params = k.params.map((p) => `${p.name}: number`);
  const one = `  ${k.name}(${params.join(", ")}): ${k.result};`;
  if (one.length <= WIDTH) return [one];
  const lines = [`  ${k.name}(`];
  let line = "   ";
  for (const p of params) {
    const piece = ` ${p},`;
    if (line.length + piece.length > WIDTH) {
      lines.push(line);
      line = "   ";
    }
    line += piece;
  }
  lines.push(line, `  ): ${k.result};`);
  return lines;
}

const str = (s) => JSON.stringify(s);
const list = (xs) => `[${xs.join(", ")}]`;

/** `name: { ... },` on one line when it fits, else the pointers on a line of their own. */
function layout(l) {
  const pair = (p) => (p ? list(p) : "null");
  const ptrs = `ptrs: ${list(l.ptrs.map(([a, u]) => list([a, typeof u === "string" ? str(u) : u])))}`;
  const fields = `rows: ${l.rows}, cols: ${l.cols}, inner: ${l.inner}, tau: ${l.tau}, key: ${pair(l.key)}, stream: ${pair(l.stream)}`;
  // `work` only where there is one (the other layouts read as before).
  const work = l.work === null ? "" : `, work: ${l.work}`;
  const one = `    ${l.name}: { ${fields}, ${ptrs}${work}, validates: ${l.validates} },`;
  if (one.length <= WIDTH) return [one];
  return [`    ${l.name}: {`, `      ${fields}, validates: ${l.validates},`, `      ${ptrs}${work},`, "    },"];
}

/**
 * The text of the generated file. `overrides` (file -> text, paths like "assembly/softmax.ts")
 * stand in for files on disk: the tests use it to check that bad annotations fail.
 */
export function generate(overrides = {}) {
  sources.clear();
  for (const [file, text] of Object.entries(overrides)) sources.set(file, text);
  const { kernels, files } = entry();
  const specs = kernels.map(spec);
  const layoutNames = [...new Set(specs.flatMap((s) => s.layouts.map((l) => l.name)))].sort();
  const out = [
    "// Generated by tools/abi.mjs from the kernel sources (assembly/): do not edit. `npm run build:wasm`",
    "// regenerates it; test/abi.test.ts checks that it is current and that every binary exports",
    "// exactly these kernels with these argument counts.",
    "",
    "/**",
    " * The kernels exported by assembly/index.ts: byte offsets and counts in, nothing allocated.",
    " * Those that validate (ABI[name].<layout>.validates) check every row first and return -1,",
    " * or the first bad row (then `check_fault()` says why) having written nothing.",
    " */",
    "export interface Kernels {",
    "  readonly memory: WebAssembly.Memory;",
  ];
  for (const s of specs) out.push(...comment(s.text, "  "), ...method(s));
  out.push(
    "}",
    "",
    "/**",
    " * A pointer argument's size per row, in 4-byte elements: `cols` of them, `inner` of them (a",
    " * strided kernel's reduction: one value per line of the row), or a fixed count.",
    " */",
    'export type PerRow = "cols" | "inner" | number;',
    "",
    "/**",
    " * How a kernel's arguments follow its rows, to hand a slice of rows r0 .. r1-1 to a call: each",
    " * pointer in `ptrs` moves by r0 rows (a pointer that is 0 stays 0), the row count becomes",
    " * r1 - r0, the stream counter moves by r0 * cols elements. Pointers not in `ptrs` (workspace,",
    " * per-call data) stay as they are, but for `work`: each slice that runs beside another gets a",
    " * workspace of its own there.",
    " */",
    "export interface RowLayout {",
    "  /** The argument that counts the rows. */",
    "  readonly rows: number;",
    "  /** The argument that holds the row length; null: one element per row (cols = 1). */",
    "  readonly cols: number | null;",
    "  /**",
    "   * The argument that holds a strided kernel's stride (`inner`), or null: such a kernel's row",
    "   * is a slice of cols = classes * inner elements, class c of line j at c * inner + j.",
    "   */",
    "  readonly inner: number | null;",
    "  /** The temperature argument (f32), or null. */",
    "  readonly tau: number | null;",
    "  /** The stream key's words (k0 low, k1 high), or null. */",
    "  readonly key: readonly [k0: number, k1: number] | null;",
    "  /** The stream counter's words (jLo, jHi), advanced by cols per row, or null. */",
    "  readonly stream: readonly [lo: number, hi: number] | null;",
    "  /** The pointer arguments that move with the rows, in argument order, with their size per row. */",
    "  readonly ptrs: ReadonlyArray<readonly [arg: number, perRow: PerRow]>;",
    "  /**",
    "   * A workspace argument (not moved with the rows) of which slices running side by side each",
    "   * need a block of their own, of the size the call gives; absent when there is none.",
    "   */",
    "  readonly work?: number;",
    "  /** Validates every row first: returns -1, or the first bad row having written nothing. */",
    "  readonly validates: boolean;",
    "}",
    "",
    "/**",
    " * One kernel: its argument names and AssemblyScript types, its result, and for those that",
    " * work on rows, their layout (`rows`; gumbel_rao and gapped_st have two, `forward` and",
    " * `backward`: the forward's aux / soft has a row per row, the backward's is one row of",
    " * workspace or unused, so it does not move).",
    " */",
    "export interface KernelSpec {",
    "  readonly args: readonly string[];",
    "  readonly types: readonly string[];",
    '  readonly result: "number" | "void";',
    ...layoutNames.map((n) => `  readonly ${n}?: RowLayout;`),
    "}",
    "",
    "export const ABI = {",
  );
  for (const s of specs) {
    out.push(
      `  ${s.name}: {`,
      `    args: ${list(s.params.map((p) => str(p.name)))},`,
      `    types: ${list(s.params.map((p) => str(p.type)))},`,
      `    result: ${str(s.result)},`,
      ...s.layouts.flatMap(layout),
      "  },",
    );
  }
  out.push("} as const satisfies Record<string, KernelSpec>;", "", "export type KernelName = keyof typeof ABI;", "");
  out.push("// Constants shared with the kernels: every kernel file's `export const NAME: i32`.");
  let from = null;
  for (const c of constants(files)) {
    if (c.file !== from) out.push("", `// ${c.file}`);
    from = c.file;
    out.push(...comment(c.doc, ""), `export const ${c.name} = ${c.value};`);
  }
  return out.join("\n") + "\n";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeOrCheck(root, OUT, generate(), "node tools/abi.mjs");
}
