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

import { mkdirSync, writeFileSync } from "node:fs";
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

/** Tasks for one (op, shape): per implementation a function doing `batch` calls. */
function prepare(op, rows, cols) {
  const n = rows * cols;
  const batch = Math.max(1, Math.round(2e6 / n));
  const prepared = {};
  for (const [name, { gw, async }] of Object.entries(impls)) {
    const x = makeInput(gw, rows, cols);
    const out = op === "max" ? gw.tensor(rows, 1, "int32") : gw.tensor(rows, cols);
    const opts = (i) => (op === "max" ? { seed: 1, offset: i * n, out } : { seed: 1, offset: i * n, tau: 0.5, out });
    const callSync = (i) => (op === "max" ? gw.gumbelMax(x, opts(i)) : gw.gumbelSoftmax(x, opts(i)));
    const callAsync = (i) => (op === "max" ? gw.gumbelMaxAsync(x, opts(i)) : gw.gumbelSoftmaxAsync(x, opts(i)));
    prepared[name] = {
      out,
      run: async
        ? async () => {
            for (let i = 0; i < batch; i++) await callAsync(i);
          }
        : () => {
            for (let i = 0; i < batch; i++) callSync(i);
          },
      check: async () => {
        if (async) await callAsync(7);
        else callSync(7);
        return new Uint32Array(out.data.buffer, out.data.byteOffset, out.data.length).slice();
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
    if (got.length !== ref.length || got.some((v, i) => v !== ref[i])) throw new Error(`${op} ${rows}x${cols}: ${name} differs from sync`);
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
  for (const p of Object.values(prepared)) p.out.free();
  return row;
}

const results = { date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, scaling: [], threshold: [] };
const D = "2 threads, default threshold";
const fmt = (r) =>
  `| ${r.op} | ${r.rows}x${r.cols} | ${r.n} | ${(r.ms.sync * 1000).toFixed(1)} | ${(r.ms["1 worker"] * 1000).toFixed(1)} | ${(r.ms["2 threads"] * 1000).toFixed(1)} | ${r.speedup["1 worker"].toFixed(2)}x | ${r.speedup["2 threads"].toFixed(2)}x | ${r.speedup[D].toFixed(2)}x |`;
const header =
  "| op | shape | elements | sync us | 1 worker us | 2 threads us | 1 worker vs sync | 2 threads vs sync | 2 threads (default threshold) vs sync |\n|---|---|---:|---:|---:|---:|---:|---:|---:|";

console.log("## Scaling\n");
console.log(header);
for (const [rows, cols] of [[64, 32000], [8, 128256], [4096, 10]]) {
  for (const op of ["soft", "max"]) {
    const r = await measure(op, rows, cols);
    results.scaling.push(r);
    console.log(fmt(r));
  }
}
console.log("\n## Threshold (soft, 256 columns)\n");
console.log(header);
for (const rows of [2, 8, 32, 64, 128, 256, 1024]) {
  const r = await measure("soft", rows, 256);
  results.threshold.push(r);
  console.log(fmt(r));
}
console.log(`\n${results.cpu}, ${results.cores} cores, Node ${results.node}. Ratios: medians over ${ROUNDS} rounds of sync time / time, same round.`);
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
console.error(`wrote ${args.out}`);
for (const { gw } of Object.values(impls)) await gw.close();
