// The worker pool under the flags services run Node with (DESIGN, contract 9). Real `node`
// child processes, one per set of flags (on the command line, in NODE_OPTIONS, `-e`, `--eval`
// and stdin scripts with `--input-type`, `--require` and `--import` preloads), import the built
// package (dist/node.js, whose workers run dist/worker-node.js), start
// init({ threads: 2, threadThreshold: 0 }) and compare async calls with the synchronous calls
// bit for bit. Where workers genuinely cannot start (the permission model without
// --allow-worker, a preload that throws in workers, a copy of the package without its worker
// file), init resolves on one thread with a note saying why, and the async calls still give
// the right bits; a worker lost later costs a call nothing either.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { init } from "../dist/node.js";
import { WorkerLost, type Pool } from "../dist/pool.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const built = pathToFileURL(join(root, "dist/node.js")).href;
let dir = "";
/** Paths of the fixtures written to `dir`. */
const at = (name: string) => join(dir, name);

/**
 * The child's script: a CommonJS script and a module alike (`-e` with or without
 * --input-type), so no top-level await. `after` runs once init() has resolved.
 */
function probe(entry: string, after = ""): string {
  return `(async () => {
  const { init } = await import(${JSON.stringify(entry)});
  const v8 = await import("node:v8");
  const gw = await init({ threads: 2, threadThreshold: 0 });
  ${after}
  const rows = 6, cols = 1500, n = rows * cols;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.fround(((i * 7919) % 2003) / 400 - 2.5);
  const seed = 2n ** 63n + 7n, offset = 2 ** 32 - 100;
  const bits = (a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)).join(" ");
  const got = [
    await gw.gumbelSoftmaxAsync(x, { cols, tau: 0.5, seed, offset }),
    await gw.gumbelMaxAsync(x, { cols, seed, offset }),
    await gw.softmaxAsync(x, { cols, tau: 0.8 }),
    await gw.gumbelNoiseAsync(n + 3, { seed, offset }),
    await gw.sampleTokensAsync(x, { cols, temperature: 0.7, topK: 40, seed, offset }),
    await gw.topKAsync(x, 3, { cols, seed, offset }),
    await gw.gumbelRaoBackwardAsync(x, x, { cols, samples: 2, seed, offset }),
    await gw.gappedSTAsync(x, { cols, seed, offset }),
    await gw.softmaxJvpAsync(x, x, { cols }),
  ];
  const want = [
    gw.gumbelSoftmax(x, { cols, tau: 0.5, seed, offset }),
    gw.gumbelMax(x, { cols, seed, offset }),
    gw.softmax(x, { cols, tau: 0.8 }),
    gw.gumbelNoise(n + 3, { seed, offset }),
    gw.sampleTokens(x, { cols, temperature: 0.7, topK: 40, seed, offset }),
    gw.topK(x, 3, { cols, seed, offset }),
    gw.gumbelRaoBackward(x, x, { cols, samples: 2, seed, offset }),
    gw.gappedST(x, { cols, seed, offset }),
    gw.softmaxJvp(x, x, { cols }),
  ];
  const same = got.every((g, i) => bits(g) === bits(want[i]));
  const flags = {
    heapMb: Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20),
    gc: typeof globalThis.gc,
    title: process.title,
    preloads: globalThis.__gumbelPreloads ?? [],
  };
  console.log(JSON.stringify({ threads: gw.threads, threadNote: gw.threadNote, same, flags }));
  await gw.close();
})().catch((e) => { console.error(e); process.exit(1); });
`;
}

/** Two child processes at a time (the machine has two cores, shared). */
const slots: Array<() => void> = [];
let running = 0;
async function limited<T>(job: () => Promise<T>): Promise<T> {
  while (running >= 2) await new Promise<void>((resolve) => slots.push(resolve));
  running++;
  try {
    return await job();
  } finally {
    running--;
    slots.shift()?.();
  }
}

interface Report {
  threads: number;
  threadNote: string;
  same: boolean;
  flags: { heapMb: number; gc: string; title: string; preloads: string[] };
}

/** Runs `node args` (the script on stdin if `input`), with NODE_OPTIONS only as given; parses its last line. */
function node(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<Report> {
  return limited(
    () =>
      new Promise<Report>((resolve, reject) => {
        const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: undefined, ...options.env };
        const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"], timeout: 30_000 });
        let stdout = "", stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
          const last = stdout.trim().split("\n").at(-1) ?? "";
          if (code !== 0 || !last.startsWith("{")) {
            reject(new Error(`node ${args.filter((a) => a.length < 200).join(" ")} exited with ${code}:\n${stderr.slice(-2000)}`));
          } else resolve(JSON.parse(last) as Report);
        });
        child.stdin.end(options.input ?? "");
      }),
  );
}

/** The permission model's flag on this Node (renamed from --experimental-permission in Node 23). */
const permission = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gumbel-wasm-flags-"));
  writeFileSync(at("probe.mjs"), probe(built));
  const record = (how: string) => `(globalThis.__gumbelPreloads ??= []).push(${JSON.stringify(how)});\n`;
  writeFileSync(at("pre.cjs"), record("require"));
  writeFileSync(at("pre.mjs"), record("import"));
  // A preload that assumes the main thread (some do): it throws in every worker.
  writeFileSync(
    at("hostile.cjs"),
    `if (!require("node:worker_threads").isMainThread) throw new Error("this preload refuses worker threads");\n`,
  );
  // Copies of the package: one without its worker file (a bundle that left it behind), one
  // whose worker file goes away after init.
  for (const name of ["pkg-noworker", "pkg-later"]) {
    mkdirSync(at(`${name}/build`), { recursive: true });
    cpSync(join(root, "dist"), at(`${name}/dist`), { recursive: true });
    for (const b of ["simd", "scalar", "simd-shared", "scalar-shared"]) {
      cpSync(join(root, `build/gumbel-${b}.wasm`), at(`${name}/build/gumbel-${b}.wasm`));
    }
    writeFileSync(at(`${name}/package.json`), `{ "type": "module" }\n`);
  }
  rmSync(at("pkg-noworker/dist/worker-node.js"));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Check = (flags: Report["flags"]) => void;
/** The old generation's limit (plus young generation and a little): not the default, here about 4100 MiB. */
const heap = (mb: number): Check => (f) => expect(f.heapMb).toSatisfy((v: number) => v >= mb && v < mb + 250);
const gc: Check = (f) => expect(f.gc).toBe("function");
const title: Check = (f) => expect(f.title).toBe("gumbel-flags");
const preloads = (...kinds: string[]): Check => (f) => expect(f.preloads).toEqual(kinds);

/**
 * One row: the flags before the script, how the script is given, NODE_OPTIONS, and checks that
 * the flags were in force in the child (so that a row cannot pass by running without them).
 */
interface Row {
  flags: () => string[];
  script?: "file" | "-e" | "--eval" | "stdin";
  nodeOptions?: () => string;
  checks?: Check[];
}

function runRow(row: Row): Promise<Report> {
  const flags = row.flags();
  const env: Record<string, string> = row.nodeOptions ? { NODE_OPTIONS: row.nodeOptions() } : {};
  switch (row.script ?? "file") {
    case "file":
      return node([...flags, at("probe.mjs")], { env });
    case "stdin":
      return node(flags, { env, input: probe(built) });
    default:
      return node([...flags, row.script!, probe(built)], { env });
  }
}

const MATRIX: Record<string, Row> = {
  "no flags": { flags: () => [] },
  "--max-old-space-size=4096": { flags: () => ["--max-old-space-size=4096"], checks: [heap(4096)] },
  "--max-old-space-size=3000": { flags: () => ["--max-old-space-size=3000"], checks: [heap(3000)] },
  "--max-semi-space-size=64": { flags: () => ["--max-semi-space-size=64"] },
  "--stack-size=2000": { flags: () => ["--stack-size=2000"] },
  "--expose-gc": { flags: () => ["--expose-gc"], checks: [gc] },
  "--title": { flags: () => ["--title=gumbel-flags"], checks: [title] },
  "--require": { flags: () => ["--require", at("pre.cjs")], checks: [preloads("require")] },
  "--import": { flags: () => [`--import=${pathToFileURL(at("pre.mjs")).href}`], checks: [preloads("import")] },
  "all of them": {
    flags: () => [
      "--max-old-space-size=3000", "--max-semi-space-size=32", "--stack-size=1500", "--expose-gc", "--title=gumbel-flags",
      `--require=${at("pre.cjs")}`, `--import=${pathToFileURL(at("pre.mjs")).href}`,
    ],
    checks: [heap(3000), gc, title, preloads("require", "import")],
  },
  "NODE_OPTIONS=--max-old-space-size=4096": { flags: () => [], nodeOptions: () => "--max-old-space-size=4096", checks: [heap(4096)] },
  "NODE_OPTIONS with V8 flags, --title and preloads": {
    flags: () => [],
    nodeOptions: () =>
      `--max-old-space-size=3000 --max-semi-space-size=32 --expose-gc --title=gumbel-flags --require "${at("pre.cjs")}" --import "${pathToFileURL(at("pre.mjs")).href}"`,
    checks: [heap(3000), gc, title, preloads("require", "import")],
  },
  "NODE_OPTIONS and the same flags on the command line": {
    flags: () => ["--max-old-space-size=3000", "--expose-gc", "--title=gumbel-flags"],
    nodeOptions: () => "--max-old-space-size=3000 --expose-gc",
    checks: [heap(3000), gc, title],
  },
  "node -e (CommonJS)": { flags: () => [], script: "-e" },
  "node --input-type=module -e": { flags: () => ["--input-type=module"], script: "-e" },
  "node --input-type=module --eval with V8 flags": {
    flags: () => ["--max-old-space-size=3000", "--expose-gc", "--input-type=module"],
    script: "--eval",
    checks: [heap(3000), gc],
  },
  "node --input-type=module < script (stdin) with V8 flags and a preload": {
    flags: () => ["--input-type=module", "--max-old-space-size=3000", "--stack-size=1500", "--require", at("pre.cjs")],
    script: "stdin",
    checks: [heap(3000), preloads("require")],
  },
  "NODE_OPTIONS=--input-type=module, node -e": {
    flags: () => [],
    script: "-e",
    nodeOptions: () => "--input-type=module --max-old-space-size=3000",
    checks: [heap(3000)],
  },
  "the permission model with --allow-worker": { flags: () => [permission, "--allow-worker", "--allow-fs-read=*", "--max-old-space-size=3000"] },
};

describe("the pool starts under every flag a service runs Node with: 2 threads, the same bits as one", () => {
  for (const [name, row] of Object.entries(MATRIX)) {
    test.concurrent(name, async () => {
      const r = await runRow(row);
      expect(r).toMatchObject({ threads: 2, threadNote: "", same: true });
      for (const check of row.checks ?? []) check(r.flags);
    });
  }
});

describe("a worker that cannot start: init resolves on one thread, saying why; the calls give the same bits", () => {
  const FALLBACK: Record<string, { row: Row; note: RegExp }> = {
    "the permission model without --allow-worker": {
      row: { flags: () => [permission, "--allow-fs-read=*"] },
      note: /^the worker pool could not start: worker \d failed to start: .*\(ERR_ACCESS_DENIED\)$/,
    },
    "a --require preload that throws in workers": {
      row: { flags: () => ["--require", at("hostile.cjs")] },
      note: /^the worker pool could not start: worker \d failed to start: this preload refuses worker threads$/,
    },
    "the same preload in NODE_OPTIONS, under node --input-type=module -e": {
      row: { flags: () => ["--input-type=module"], script: "-e", nodeOptions: () => `--require "${at("hostile.cjs")}"` },
      note: /^the worker pool could not start: worker \d failed to start: this preload refuses worker threads$/,
    },
  };
  for (const [name, { row, note }] of Object.entries(FALLBACK)) {
    test.concurrent(name, async () => {
      const r = await runRow(row);
      expect(r).toMatchObject({ threads: 1, same: true });
      expect(r.threadNote).toMatch(note);
    });
  }

  test.concurrent("a copy of the package without its worker file (a bundle that left it behind)", async () => {
    writeFileSync(at("noworker.mjs"), probe(pathToFileURL(at("pkg-noworker/dist/node.js")).href));
    // --unhandled-rejections=warn: the worker's failed import() still reaches the pool as its error.
    for (const flags of [[], ["--unhandled-rejections=warn"]]) {
      const r = await node([...flags, at("noworker.mjs")]);
      expect(r).toMatchObject({ threads: 1, same: true });
      expect(r.threadNote).toMatch(/^the worker pool could not start: worker \d failed to start: Cannot find module .*worker-node\.js.*\(ERR_MODULE_NOT_FOUND\)$/);
    }
  });

  test.concurrent("a worker that dies after init and cannot be started again: the calls run on the calling thread", async () => {
    // After init: the worker file goes away, then worker 0 dies (ended from outside).
    const after = `
      const { renameSync } = await import("node:fs");
      const file = new URL("./worker-node.js", ${JSON.stringify(pathToFileURL(at("pkg-later/dist/")).href)});
      renameSync(file, new URL("./worker-node.js.gone", file));
      if (gw.threads !== 2) throw new Error("the pool did not start: " + gw.threadNote);
      await gw.pool.slots[0].worker.terminate();
      await new Promise((r) => setTimeout(r, 50));`;
    writeFileSync(at("later.mjs"), probe(pathToFileURL(at("pkg-later/dist/node.js")).href, after));
    const r = await node([at("later.mjs")]);
    expect(r).toMatchObject({ threads: 1, same: true });
    expect(r.threadNote).toMatch(/^the worker pool stopped: worker 0 failed to start: Cannot find module .*\(ERR_MODULE_NOT_FOUND\)$/);
  });
});

describe("a worker that dies in the middle of a call", () => {
  test("its rows run on the calling thread (same bits); the pool keeps its threads and replaces the worker", async () => {
    const gw = await init({ threads: 2, threadThreshold: 0 });
    const one = await init();
    expect(gw.threads).toBe(2);
    const pool = (gw as unknown as { pool: Pool }).pool;
    const slot0 = () => (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<unknown> } | null }> }).slots[0]!.worker;
    const calls = vi.spyOn(pool, "call");
    const rows = 4, cols = 500_000;
    const x = new Float32Array(rows * cols).map((_, i) => Math.fround(((i * 7919) % 2003) / 400 - 2.5));
    const dying = slot0()!;
    const p = gw.gumbelSoftmaxAsync(x, { cols, tau: 0.7, seed: 99 });
    // The job is posted to worker 0 on the next microtask; the worker ends before it answers.
    void dying.terminate();
    const y = await p;
    expect(await (calls.mock.results[0]!.value as Promise<unknown>).catch((e: unknown) => e)).toBeInstanceOf(WorkerLost);
    expect(Buffer.from(y.buffer).equals(Buffer.from(one.gumbelSoftmax(x, { cols, tau: 0.7, seed: 99 }).buffer))).toBe(true);
    expect(gw.threads).toBe(2);
    expect(gw.threadNote).toBe("");
    calls.mockRestore();
    // The next call starts a new worker 0.
    const z = await gw.gumbelMaxAsync(x, { cols, seed: 5 });
    expect(Array.from(z)).toEqual(Array.from(one.gumbelMax(x, { cols, seed: 5 })));
    expect(slot0()).not.toBe(dying);
    expect(slot0()).not.toBeNull();
    await gw.close();
  });
});
