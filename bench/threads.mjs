// Threads: how the async calls scale over the worker pool, and where splitting a batch starts
// to pay (the threshold below which async calls stay on the calling thread).
//
//   node bench/threads.mjs [--rounds 5] [--time 150] [--out bench/results/threads.json]
//
// Implementations, as tinybench tasks in one process, rounds rotated like bench/run.mjs:
// - "sync": the synchronous call on one thread (the baseline);
// - "1 worker", "2 threads": the async call on a pool of that many workers (threadThreshold 0,
//   so every batch of two rows or more is split). These machines have 2 cores: the scaling
//   stops at 2;
// - "2 threads, default threshold": what users get: batches under the threshold stay on the
//   calling thread.
// Every output is checked against the synchronous one, bit for bit, before timing.
// Part 1: soft Gumbel-Softmax and gumbelMax at 64x32000, 8x128256 and 4096x10.
// Part 2: soft Gumbel-Softmax at 256 columns from 2 to 1024 rows (512 to 262144 elements):
// the ratio "2 threads / sync" crosses 1 where splitting starts to pay.
// Part 3: the other async calls: sampleTokens (temperature 0.7 with top-p 0.9, and top-k 50),
// topK (k = 50: the noise on the workers, the selection on the calling thread), Gumbel-Rao
// forward (with soft) and backward (10 samples), Gapped ST forward (with soft) and backward,
// softmaxJvp. `--part 1` (2, 3) runs one part alone: the other parts' results in the output
// file stay as they were (`dates` says when each part was measured).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { init } from "gumbel-wasm";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    time: { type: "string", default: "150" },
    out: { type: "string", default: fileURLToPath(new URL("results/threads.json", import.meta.url)) },
    part: { type: "string", default: "all" },
  },
});
const ROUNDS = Number(args.rounds);
const TIME = Number(args.time);

const sync = await init({ backend: "simd" });

/** A pool of one worker: the cost of handing a batch over, without parallelism. */
async function oneWorker() {
  const gw = await init({ backend: "simd", threads: 2, threadThreshold: 0 });
  Object.defineProperty(gw["pool"], "size", { value: 1 }); // split into one part: worker 0 only
  return gw;
}

const impls = {
  sync: { gw: sync, async: false },
  "1 worker": { gw: await oneWorker(), async: true },
  "2 threads": { gw: await init({ backend: "simd", threads: 2, threadThreshold: 0 }), async: true },
  "2 threads, default threshold": { gw: await init({ backend: "simd", threads: 2 }), async: true },
};

function makeInput(gw, rows, cols) {
  const t = gw.tensor(rows, cols);
  const d = t.data;
  let s = 12345;
  for (let i = 0; i < d.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = (s / 2 ** 32) * 6 - 3;
  }
  return t;
}

const f32 = (gw, rows, cols) => gw.tensor(rows, cols);
const i32 = (gw, rows) => gw.tensor(rows, 1, "int32");
/**
 * Each op: its call by name (its async form adds "Async"), its output tensor (or none: the
 * result is compared) and its arguments for call i (a stream offset of its own), on the input
 * x, a second input v (dy, or the tangent) and an output tensor for `soft`.
 */
const OPS = {
  soft: { fn: "gumbelSoftmax", out: f32, args: (x, v, o, s, off) => [x, { seed: 1, offset: off, tau: 0.5, out: o }] },
  max: { fn: "gumbelMax", out: i32, args: (x, v, o, s, off) => [x, { seed: 1, offset: off, out: o }] },
  "tokens top-p": { fn: "sampleTokens", out: i32, args: (x, v, o, s, off) => [x, { seed: 1, offset: off, temperature: 0.7, topP: 0.9, out: o }] },
  "tokens top-k": { fn: "sampleTokens", out: i32, args: (x, v, o, s, off) => [x, { seed: 1, offset: off, topK: 50, out: o }] },
  topK: { fn: "topK", out: null, args: (x, v, o, s, off) => [x, 50, { seed: 1, offset: off }] },
  rao: { fn: "gumbelRao", out: f32, soft: true, args: (x, v, o, s, off) => [x, { seed: 1, offset: off, tau: 0.5, samples: 10, out: o, soft: s }] },
  "rao backward": { fn: "gumbelRaoBackward", out: f32, args: (x, v, o, s, off) => [x, v, { seed: 1, offset: off, tau: 0.5, samples: 10, out: o }] },
  gst: { fn: "gappedST", out: f32, soft: true, args: (x, v, o, s, off) => [x, { seed: 1, offset: off, tau: 0.5, out: o, soft: s }] },
  "gst backward": { fn: "gappedSTBackward", out: f32, args: (x, v, o, s, off) => [x, v, { seed: 1, offset: off, tau: 0.5, out: o }] },
  jvp: { fn: "softmaxJvp", out: f32, args: (x, v, o) => [x, v, { tau: 0.5, out: o }] },
};

/** The bits of a result (a tensor or a typed array), copied. */
const bitsOf = (r) => {
  const d = r.data ?? r;
  return new Uint32Array(d.buffer, d.byteOffset, d.length).slice();
};

/** Tasks for one (op, shape): per implementation a function doing `batch` calls. */
function prepare(op, rows, cols) {
  const n = rows * cols;
  const batch = Math.max(1, Math.round(2e6 / n));
  const { fn, out: makeOut, soft, args } = OPS[op];
  const prepared = {};
  for (const [name, { gw, async }] of Object.entries(impls)) {
    const x = makeInput(gw, rows, cols);
    const v = makeInput(gw, rows, cols);
    const out = makeOut && makeOut(gw, rows, cols);
    const s = soft ? gw.tensor(rows, cols) : undefined;
    const callSync = (i) => gw[fn](...args(x, v, out, s, i * n));
    const callAsync = (i) => gw[`${fn}Async`](...args(x, v, out, s, i * n));
    prepared[name] = {
      tensors: [x, v, out, s].filter(Boolean),
      run: async
        ? async () => {
            for (let i = 0; i < batch; i++) await callAsync(i);
          }
        : () => {
            for (let i = 0; i < batch; i++) callSync(i);
          },
      check: async () => {
        const r = async ? await callAsync(7) : callSync(7);
        return [bitsOf(out ?? r), ...(s ? [bitsOf(s)] : [])];
      },
    };
  }
  return { prepared, batch, n };
}

async function measure(op, rows, cols) {
  const { prepared, batch, n } = prepare(op, rows, cols);
  // Same bits from every implementation.
  const ref = await prepared.sync.check();
  for (const [name, p] of Object.entries(prepared)) {
    const got = await p.check();
    const same = got.every((g, j) => g.length === ref[j].length && g.every((v, i) => v === ref[j][i]));
    if (!same) throw new Error(`${op} ${rows}x${cols}: ${name} differs from sync`);
  }
  const names = Object.keys(prepared);
  const perRound = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    const bench = new Bench({ time: TIME, warmupTime: 20, iterations: 3 });
    for (const name of order) bench.add(name, prepared[name].run);
    await bench.run();
    const round = {};
    for (const task of bench.tasks) round[task.name] = (task.result.latency?.p50 ?? task.result.period) / batch;
    perRound.push(round);
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = { op, rows, cols, n, ms: {}, speedup: {} };
  for (const name of names) {
    row.ms[name] = median(perRound.map((r) => r[name]));
    row.speedup[name] = median(perRound.map((r) => r.sync / r[name]));
  }
  for (const p of Object.values(prepared)) for (const t of p.tensors) t.free();
  return row;
}

const date = new Date().toISOString();
const previous = args.part !== "all" && existsSync(args.out) ? JSON.parse(readFileSync(args.out, "utf8")) : {};
const results = { scaling: [], threshold: [], others: [], ...previous, date, cpu: cpus()[0]?.model, cores: cpus().length, node: process.version };
// A file from before `dates`: its parts are of its one date.
const was = previous.date && { scaling: previous.date, threshold: previous.date };
results.dates = { ...was, ...previous.dates };
const D = "2 threads, default threshold";
const fmt = (r) =>
  `| ${r.op} | ${r.rows}x${r.cols} | ${r.n} | ${(r.ms.sync * 1000).toFixed(1)} | ${(r.ms["1 worker"] * 1000).toFixed(1)} | ${(r.ms["2 threads"] * 1000).toFixed(1)} | ${r.speedup["1 worker"].toFixed(2)}x | ${r.speedup["2 threads"].toFixed(2)}x | ${r.speedup[D].toFixed(2)}x |`;
const header =
  "| op | shape | elements | sync us | 1 worker us | 2 threads us | 1 worker vs sync | 2 threads vs sync | 2 threads (default threshold) vs sync |\n|---|---|---:|---:|---:|---:|---:|---:|---:|";

/** Part `n` (unless --part names another): each [op, rows, cols] measured into results[key]. */
async function part(n, key, title, runs) {
  if (args.part !== "all" && args.part !== String(n)) return;
  results[key] = [];
  results.dates[key] = date;
  console.log(`\n## ${title}\n`);
  console.log(header);
  for (const [op, rows, cols] of runs) {
    const r = await measure(op, rows, cols);
    results[key].push(r);
    console.log(fmt(r));
  }
}
const shapes = (ops, list) => ops.flatMap((op) => list.map(([rows, cols]) => [op, rows, cols]));
const BIG = [[64, 32000], [8, 128256]];

await part(1, "scaling", "Scaling", [[64, 32000], [8, 128256], [4096, 10]].flatMap((shape) => shapes(["soft", "max"], [shape])));
await part(2, "threshold", "Threshold (soft, 256 columns)", shapes(["soft"], [2, 8, 32, 64, 128, 256, 1024].map((rows) => [rows, 256])));
await part(3, "others", "The other async calls", [
  ...shapes(["tokens top-p", "tokens top-k", "topK"], BIG),
  ...shapes(["rao", "rao backward"], [[256, 1000]]),
  ...shapes(["gst", "gst backward", "jvp"], [[64, 32000]]),
]);
console.log(`\n${results.cpu}, ${results.cores} cores, Node ${results.node}. Ratios: medians over ${ROUNDS} rounds of sync time / time, same round.`);
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
console.error(`wrote ${args.out}`);
for (const { gw } of Object.values(impls)) await gw.close();
