// src/abi.ts is generated from the kernel sources by tools/abi.mjs. Checked here: the committed
// file is what the generator writes now; every binary in build/ exports exactly the kernels of
// the spec, each with the spec's argument count and types; the generator refuses bad
// annotations; and whatever the façade still writes by hand (constants, the Kernels interface,
// the row layouts of src/gumbel.ts) agrees with the generated file, until it imports it instead.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import * as abi from "../src/abi.js";
import { ABI, type KernelSpec, type PerRow, type RowLayout } from "../src/abi.js";
// @ts-expect-error: a plain .mjs script without types
import { generate } from "../tools/abi.mjs";

const root = new URL("../", import.meta.url);
const text = (path: string) => readFileSync(new URL(path, root), "utf8");
const specs = ABI as Record<string, KernelSpec & Record<string, unknown>>;
const names = Object.keys(ABI).sort();

test("src/abi.ts is up to date with tools/abi.mjs", () => {
  expect(generate()).toBe(text("src/abi.ts"));
});

/** A function's wasm parameter and result types, read from the binary's sections. */
interface FuncType {
  params: string[];
  results: string[];
}

/** Exported functions -> their wasm types (type, import, function and export sections). */
function exportTypes(bytes: Uint8Array): Map<string, FuncType> {
  const VAL: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128" };
  let p = 8; // magic and version
  const u32 = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return v;
    }
  };
  const name = () => {
    const n = u32();
    p += n;
    return new TextDecoder().decode(bytes.subarray(p - n, p));
  };
  const limits = () => {
    const flags = u32();
    u32();
    if (flags & 1) u32();
  };
  const types: FuncType[] = [];
  const funcs: number[] = []; // function index -> type index (imports first)
  const exports = new Map<string, FuncType>();
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = u32();
    const end = p + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        p++; // 0x60
        const params = Array.from({ length: u32() }, () => VAL[bytes[p++]!]!);
        const results = Array.from({ length: u32() }, () => VAL[bytes[p++]!]!);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        name();
        name();
        const kind = bytes[p++]!;
        if (kind === 0) funcs.push(u32());
        else if (kind === 1) (p++, limits());
        else if (kind === 2) limits();
        else p += 2; // global: type, mutability
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcs.push(u32());
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const field = name();
        const kind = bytes[p++]!;
        const index = u32();
        if (kind === 0) exports.set(field, types[funcs[index]!]!);
      }
    }
    p = end;
  }
  return exports;
}

/** The wasm type of an AssemblyScript parameter type. */
const WASM_TYPE: Record<string, string> = { i32: "i32", u32: "i32", usize: "i32", bool: "i32", f32: "f32", f64: "f64", u64: "i64", i64: "i64" };

const binaries = readdirSync(new URL("build/", root)).filter((f) => f.endsWith(".wasm")).sort();

test("build/ holds the four binaries", () => {
  expect(binaries).toEqual(["gumbel-scalar-shared.wasm", "gumbel-scalar.wasm", "gumbel-simd-shared.wasm", "gumbel-simd.wasm"]);
});

describe.each(binaries)("build/%s exports exactly the kernels of the spec", (file) => {
  const bytes = readFileSync(new URL(`build/${file}`, root));
  const module = new WebAssembly.Module(bytes);

  test("the same names: none missing, none extra but memory", () => {
    const exported = WebAssembly.Module.exports(module);
    expect(exported.filter((e) => e.kind === "function").map((e) => e.name).sort()).toEqual(names);
    expect(exported.filter((e) => e.kind !== "function")).toEqual([{ name: "memory", kind: "memory" }]);
  });

  test("each with the spec's argument count (Function.length) and types", async () => {
    const shared = file.includes("shared");
    const imports: WebAssembly.Imports = shared ? { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true }) } } : {};
    const { exports } = await WebAssembly.instantiate(module, imports);
    const types = exportTypes(bytes);
    for (const name of names) {
      const spec = specs[name]!;
      expect((exports[name] as (...args: number[]) => unknown).length, name).toBe(spec.args.length);
      expect(types.get(name)!.params, name).toEqual(spec.types.map((t) => WASM_TYPE[t] ?? `unmapped ${t}`));
      expect(types.get(name)!.results.length, name).toBe(spec.result === "void" ? 0 : 1);
    }
  });
});

describe("the spec", () => {
  test("every layout names arguments the kernel has, of the right kind", () => {
    for (const name of names) {
      const spec = specs[name]!;
      for (const [key, value] of Object.entries(spec)) {
        if (["args", "types", "result"].includes(key)) continue;
        const l = value as RowLayout;
        const arg = (i: number | null | undefined) => (i === null || i === undefined ? null : spec.args[i]);
        expect(arg(l.rows), `${name}.${key}.rows`).toMatch(/^(rows|n)$/);
        expect(arg(l.cols), `${name}.${key}.cols`).toBe(l.rows === spec.args.indexOf("rows") ? "cols" : null);
        if (l.tau !== null) expect(spec.types[l.tau], `${name}.${key}.tau`).toBe("f32");
        if (l.stream) expect(l.stream.map(arg)).toEqual(["jLo", "jHi"]);
        if (l.key) expect(l.key.map(arg)).toEqual(["k0", "k1"]);
        for (const [i] of l.ptrs) expect(spec.types[i], `${name}.${key} pointer ${arg(i)}`).toBe("usize");
        if (l.validates) expect(spec.result).toBe("number");
      }
    }
  });

  test("sample_tokens' params move by PARAM_BYTES per row", () => {
    const params = ABI.sample_tokens.args.indexOf("params");
    const per: PerRow = ABI.sample_tokens.rows.ptrs.find(([i]) => i === params)![1];
    expect(per).toBe(abi.PARAM_BYTES / 4);
    // sample_tokens_axis: records in planes of one word per line, which move by `inner` per slice.
    const axis = ABI.sample_tokens_axis;
    expect(axis.rows.ptrs.find(([i]) => i === axis.args.indexOf("params"))![1]).toBe("inner");
  });

  test("the straight-through kernels' two layouts differ only in aux / soft", () => {
    for (const k of [ABI.gumbel_rao, ABI.gapped_st, ABI.gumbel_rao_axis, ABI.gapped_st_axis]) {
      expect(k.forward.ptrs.map(([i]) => k.args[i])).toEqual(["logits", "dy", "dst", k.args[3]]);
      expect(k.backward.ptrs.map(([i]) => k.args[i])).toEqual(["logits", "dy", "dst"]);
      expect({ ...k.forward, ptrs: null }).toEqual({ ...k.backward, ptrs: null, work: undefined });
    }
  });

  test("workspaces each part of a split needs its own: Gumbel-Rao's backward row, sample_tokens' work", () => {
    const work = (k: KernelSpec) => Object.entries(k).flatMap(([name, l]) => (typeof (l as RowLayout).work === "number" ? [`${name}: ${k.args[(l as RowLayout).work!]}`] : []));
    expect(Object.fromEntries(names.map((n) => [n, work(specs[n]!)] as const).filter(([, w]) => w.length > 0))).toEqual({
      gumbel_rao: ["backward: aux"],
      gumbel_rao_axis: ["backward: aux"],
      sample_tokens: ["rows: work"],
      sample_tokens_axis: ["rows: work"],
    });
  });
});

describe("tools/abi.mjs refuses bad annotations", () => {
  const softmax = text("assembly/softmax.ts");
  const gen = (src: string) => () => generate({ "assembly/softmax.ts": src });
  /** softmax.ts with the first `from` (softmax's own doc comment) replaced. */
  const once = (from: string, to: string) => {
    expect(softmax.indexOf(from)).toBeLessThan(softmax.indexOf("export function softmax("));
    return softmax.replace(from, to);
  };

  test("a kernel with a rows argument and no @rows", () => {
    expect(gen(once(" * @rows x:cols dst:cols\n", ""))).toThrow(/softmax: a 'rows' argument but no @rows/);
  });
  test("an @rows naming an argument the kernel does not have", () => {
    expect(gen(once("@rows x:cols dst:cols", "@rows x:cols out:cols"))).toThrow(/@rows names 'out', which is not an argument of softmax\(x, dst, rows, cols, tau\)/);
  });
  test("a pointer argument left out of @rows", () => {
    expect(gen(once("@rows x:cols dst:cols", "@rows x:cols"))).toThrow(/the pointer 'dst' is missing from @rows/);
  });
  test("a unit that is not cols, a count, - or own", () => {
    expect(gen(once("@rows x:cols dst:cols", "@rows x:cols dst:row"))).toThrow(/cannot read 'dst:row'/);
  });
  test("two workspaces of their own in one layout", () => {
    expect(gen(once("@rows x:cols dst:cols", "@rows x:own dst:own"))).toThrow(/two workspaces \('own'\) in one layout/);
  });
  test("an unknown tag", () => {
    expect(gen(once(" * @validates\n", " * @validate\n"))).toThrow(/unknown tag '@validate'/);
  });
});

// The façade's hand-written copies, wherever they still are in src/ (one test per copy found):
// each must agree with the generated file. Once src/ imports them from abi.ts, none is left.

function srcFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => (statSync(join(dir, n)).isDirectory() ? srcFiles(join(dir, n)) : n.endsWith(".ts") && n !== "abi.ts" ? [join(dir, n)] : []));
}
const srcDir = fileURLToPath(new URL("src/", root));
const façade = srcFiles(srcDir).map((path) => ({ file: path.slice(srcDir.length), text: readFileSync(path, "utf8") }));
const constants = Object.entries(abi as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === "number");

interface Mirror {
  what: string;
  check(): void;
}
const mirrors: Mirror[] = [];
for (const { file, text: src } of façade) {
  // `const NAME = 1;` for a generated constant NAME.
  for (const [name, value] of constants) {
    for (const m of src.matchAll(new RegExp(`^\\s*(?:export )?const ${name} = (-?\\d+);`, "gm"))) {
      mirrors.push({ what: `src/${file}: ${name} = ${m[1]}`, check: () => expect(Number(m[1])).toBe(value) });
    }
  }
  // `const OP = { logPdf: 0, ... } as const;`: keys in camelCase of a group's PREFIX_SNAKE names.
  for (const m of src.matchAll(/^const (\w+) = \{([^}]*)\} as const;/gm)) {
    const entries = [...m[2]!.matchAll(/(\w+): (-?\d+)/g)].map((e) => [e[1]!.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase(), Number(e[2])] as const);
    // The group most of whose names the keys give (OP: DIST_*, though `cdf` is a BERN_ name too).
    const prefixes = [...new Set(constants.map(([n]) => n.split("_")[0]!))];
    const hits = (prefix: string) => entries.filter(([k]) => `${prefix}_${k}` in abi).length;
    const prefix = prefixes.reduce((best, p) => (hits(p) > hits(best) ? p : best));
    if (hits(prefix) > 0) {
      mirrors.push({
        what: `src/${file}: ${m[1]} mirrors ${prefix}_*`,
        check: () => expect(Object.fromEntries(entries.map(([k, v]) => [`${prefix}_${k}`, v]))).toEqual(Object.fromEntries(constants.filter(([n]) => n.startsWith(`${prefix}_`)))),
      });
    }
  }
  // `export interface Kernels { ... }`: the same methods with the same parameter names.
  const kernels = /^export interface Kernels \{\n([\s\S]*?)\n\}/m.exec(src);
  if (kernels) {
    const body = kernels[1]!.replace(/\/\*\*[\s\S]*?\*\//g, "");
    const methods = Object.fromEntries(
      [...body.matchAll(/^ {2}(\w+)\(([^)]*)\)/gm)].map((mm) => [mm[1]!, mm[2]!.split(",").map((p) => p.split(":")[0]!.trim()).filter(Boolean)]),
    );
    mirrors.push({
      what: `src/${file}: interface Kernels`,
      check: () => expect(methods).toEqual(Object.fromEntries(names.map((n) => [n, [...specs[n]!.args]]))),
    });
  }
  // `const ROWS_X: RowLayout = { ptrs: [[0, "c"], ...], rows: 3, stream: [9, 10], validates: true };`
  const LAYOUTS: Record<string, ReadonlyArray<RowLayout>> = {
    ROWS_GUMBEL_SOFTMAX: [ABI.gumbel_softmax.rows],
    ROWS_GUMBEL_MAX: [ABI.gumbel_max.rows],
    ROWS_SOFTMAX: [ABI.softmax.rows, ABI.log_softmax.rows],
    ROWS_LOG_SUM_EXP: [ABI.log_sum_exp.rows],
    ROWS_STRAIGHT: [ABI.gumbel_rao.forward, ABI.gapped_st.forward],
    ROWS_STRAIGHT_BACKWARD: [ABI.gumbel_rao.backward, ABI.gapped_st.backward],
    ROWS_SOFTMAX_GRAD: [ABI.softmax_grad.rows],
    ROWS_STREAM: [ABI.random_bits.rows, ABI.uniform.rows, ABI.gumbel_noise.rows],
  };
  for (const m of src.matchAll(/^const (ROWS_\w+): RowLayout = (\{.*\});$/gm)) {
    const table = JSON.parse(m[2]!.replace(/(\w+):/g, '"$1":')) as { ptrs: [number, "c" | 1][] };
    mirrors.push({
      what: `src/${file}: ${m[1]}`,
      check: () => {
        const layouts = LAYOUTS[m[1]!];
        expect(layouts, `${m[1]}: which kernels' layout is it?`).toBeDefined();
        for (const l of layouts!) {
          const { rows, stream, validates } = l;
          expect({ ...table, ptrs: table.ptrs.map(([a, u]) => [a, u === "c" ? "cols" : u]) }).toEqual({ ptrs: l.ptrs, rows, stream, validates });
        }
      },
    });
  }
}

describe("hand-written copies of kernel facts in src/", () => {
  // src/ imports every constant, layout and signature from abi.ts: a copy written back by hand
  // shows up here (and is checked against the generated file meanwhile).
  test("none: src/ imports them from abi.ts", () => {
    expect(mirrors.map((m) => m.what)).toEqual([]);
  });
  for (const m of mirrors) test(m.what, m.check);
});
