// Writes assembly/inline/wide.ts: four-vector versions of the f32x4 functions listed in WIDE,
// with the four computations interleaved statement by statement.
//
// Why: V8 neither unrolls wasm loops nor interleaves independent chains, and one f32x4
// polynomial chain per loop iteration waits on instruction latency. Four chains side by side
// keep the core busy (the noise transform went from 6.8 to 3.9 ns per element on the bench
// machine). Writing each function four times by hand would give four copies of every formula
// to keep in step; this script derives them from the one f32x4 source instead, so the maths
// lives in exp.ts, transform.ts and row.ts only.
//
// It reads each listed function (and the f32x4 functions it calls, inlined), which must be
// written one statement per line as `const a = ...;`, `let a = ...;`, `a = ...;` and a final
// `return ...;`. Every local gets a lane suffix (_0 .. _3); the statements are emitted lane
// after lane for each statement in turn. Same operations in the same order per lane, so the
// results are bit-identical to the one-vector function (test/approx.test.ts checks this, and
// test/widen.test.ts that this file is up to date).
//
// `node tools/widen.mjs` (run by `npm run build:wasm`); `--check` exits 1 if the file is stale.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { writeOrCheck } from "./generated.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const OUT = "assembly/inline/wide.ts";

/** Functions to widen: the generated `<name>x4(src, dst, ...shared)` reads four vectors at src. */
const WIDE = [
  { file: "assembly/inline/transform.ts", name: "gumbelFromBits4" },
  { file: "assembly/inline/row.ts", name: "expShift4" },
  { file: "assembly/inline/row.ts", name: "expShiftNear4" },
];
/** Functions that may be inlined into them. */
const INLINE = [
  { file: "assembly/inline/transform.ts", name: "expOfLog4" },
  { file: "assembly/inline/transform.ts", name: "negLog4" },
  { file: "assembly/inline/transform.ts", name: "logR4" },
  { file: "assembly/inline/transform.ts", name: "logKn4" },
  { file: "assembly/inline/transform.ts", name: "logQA4" },
  { file: "assembly/inline/transform.ts", name: "logQB4" },
  { file: "assembly/inline/exp.ts", name: "expf4" },
  { file: "assembly/inline/exp.ts", name: "expfNear4" },
  { file: "assembly/inline/exp.ts", name: "expPoly4" },
];
const LANES = 4;

/** A function's parameters and statements, parsed from its source file. */
function parse(file, name) {
  const src = readFileSync(root + file, "utf8");
  const head = new RegExp(`^(?:export )?function ${name}\\(([^)]*)\\): v128 \\{$`, "m").exec(src);
  if (!head) throw new Error(`${file}: no 'function ${name}(...): v128 {' on one line`);
  const end = src.indexOf("\n}", head.index);
  const body = src
    .slice(head.index + head[0].length, end)
    .split("\n")
    .map((line) => line.replace(/\/\/.*$/, "").trim())
    .filter(Boolean);
  const params = head[1].split(",").map((p) => p.split(":")[0].trim());
  const statements = body.map((line) => {
    const m = /^(?:(const|let) )?([a-zA-Z_]\w*) = (.*);$/.exec(line) ?? /^(return) (.*);$/.exec(line);
    if (!m) throw new Error(`${file} ${name}: cannot widen the statement '${line}'`);
    return m[1] === "return" ? { ret: m[2] } : { decl: m[1], target: m[2], expr: m[3] };
  });
  if (!statements.at(-1).ret) throw new Error(`${file} ${name}: must end with a return`);
  return { params, statements };
}

const inlinable = new Map(INLINE.map((f) => [f.name, parse(f.file, f.name)]));

/** Splits `s` at the commas outside parentheses. */
function splitArgs(s) {
  const out = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") depth--;
    else if (s[i] === "," && depth === 0) {
      out.push(s.slice(from, i).trim());
      from = i + 1;
    }
  }
  out.push(s.slice(from).trim());
  return out;
}

const word = (name) => new RegExp(`(?<![\\w.])${name}(?!\\w)`, "g");

/**
 * Flattens `fn` into statements `{ target, expr }` (every local renamed with `prefix`), with
 * calls to inlinable functions replaced by their statements. Returns the name of the result.
 */
function flatten(fn, args, prefix, out, counter) {
  const rename = new Map();
  const local = (name) => {
    if (!rename.has(name)) rename.set(name, `${prefix}${name}`);
    return rename.get(name);
  };
  const sub = (expr) => {
    for (const [from, to] of rename) expr = expr.replace(word(from), to);
    return expr;
  };
  fn.params.forEach((p, i) => {
    if (args[i] === undefined) throw new Error(`missing argument ${p}`);
    out.push({ target: local(p), expr: args[i] });
  });
  const expand = (expr) => {
    for (;;) {
      const call = /(?<![\w.])(\w+)\(/g;
      let m;
      let done = true;
      while ((m = call.exec(expr))) {
        const callee = inlinable.get(m[1]);
        if (!callee) continue;
        let depth = 1;
        let i = m.index + m[0].length;
        for (; depth > 0; i++) depth += expr[i] === "(" ? 1 : expr[i] === ")" ? -1 : 0;
        const callArgs = splitArgs(expr.slice(m.index + m[0].length, i - 1)).map(expand);
        const result = flatten(callee, callArgs, `${m[1]}_${counter.n++}_`, out, counter);
        expr = expr.slice(0, m.index) + result + expr.slice(i);
        done = false;
        break;
      }
      if (done) return expr;
    }
  };
  for (const s of fn.statements) {
    if (s.ret) {
      const ret = local("result");
      out.push({ target: ret, expr: expand(sub(s.ret)) });
      return ret;
    }
    const expr = expand(sub(s.expr));
    out.push({ target: local(s.target), expr });
  }
  throw new Error("unreachable");
}

/**
 * Gives every assignment its own name (`a`, then `a_v1`, ... for `let a = x; a = f(a)`) and
 * propagates plain copies (`const a = b`), so each lane's statements read like the source.
 */
function ssa(statements) {
  const version = new Map();
  const alias = new Map();
  const current = (name) => alias.get(name) ?? (version.get(name) ? `${name}_v${version.get(name)}` : name);
  const out = [];
  for (let { target, expr } of statements) {
    for (const name of new Set([...version.keys(), ...alias.keys()])) expr = expr.replace(word(name), current(name));
    if (/^\w+$/.test(expr)) {
      alias.set(target, expr);
      continue;
    }
    alias.delete(target);
    version.set(target, version.has(target) ? version.get(target) + 1 : 0);
    out.push({ target: current(target), expr });
  }
  return out;
}

function widen({ file, name }) {
  const fn = parse(file, name);
  const [input, ...shared] = fn.params;
  const flat = [];
  const counter = { n: 0 };
  const args = [input, ...shared].map((p, i) => (i === 0 ? "__in" : p));
  flatten(fn, args, "", flat, counter);
  const stmts = ssa(flat);
  // Locals are everything assigned; the shared parameters stay as they are.
  const locals = new Set(stmts.map((s) => s.target));
  const resultName = stmts.at(-1).target;
  const lane = (expr, l) => {
    for (const name of locals) expr = expr.replace(word(name), `${name}_${l}`);
    return expr.replace(word("__in"), `in_${l}`);
  };
  const lines = [];
  for (let l = 0; l < LANES; l++) lines.push(`  const in_${l} = v128.load(src, ${16 * l});`);
  for (const s of stmts) {
    for (let l = 0; l < LANES; l++) lines.push(`  const ${s.target}_${l} = ${lane(s.expr, l)};`);
  }
  for (let l = 0; l < LANES; l++) lines.push(`  v128.store(dst, ${resultName}_${l}, ${16 * l});`);
  const sig = ["src: usize", "dst: usize", ...shared.map((p) => `${p}: v128`)].join(", ");
  return [
    `/** ${name} of the four vectors at src, written to dst (which may be src). From ${file}. */`,
    "// @ts-ignore: decorator",
    "@inline",
    `export function ${name}x4(${sig}): void {`,
    ...lines,
    "}",
  ].join("\n");
}

/** The text of the generated file. */
export function generate() {
  const imports = new Map();
  const bodies = WIDE.map(widen);
  const text = bodies.join("\n\n");
  for (const f of [...WIDE, ...INLINE]) {
    const src = readFileSync(root + f.file, "utf8");
    const m = /^import \{([^}]*)\} from "\.\/consts";$/m.exec(src);
    if (m) for (const name of m[1].split(",").map((s) => s.trim()).filter(Boolean)) imports.set(name, true);
  }
  const used = [...imports.keys()].filter((name) => word(name).test(text)).sort();
  return [
    "// Generated by tools/widen.mjs from the f32x4 functions it names: do not edit by hand.",
    "// Four vectors at a time, the four computations interleaved statement by statement, so that",
    "// V8's code overlaps their latencies. Bit-identical to the one-vector functions.",
    "",
    `import { ${used.join(", ")} } from "./consts";`,
    "",
    text,
    "",
  ].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeOrCheck(root, OUT, generate(), "node tools/widen.mjs");
}
