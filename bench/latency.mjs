// The 1x10 calls as latency: what one call costs from JavaScript, tensor in and tensor out, and
// where that time goes. In one process, rounds interleaved (the order rotated by one each round):
//
//   node bench/latency.mjs [--ops soft,hard,max,noise] [--rounds 7] [--time 100]
//                          [--base DIR] [--out bench/results/latency.json]
//
// Tasks, per op: ours (this build, the SIMD binary, as bench/run.mjs's baseline `simd-tensor`
// calls it: `gw.gumbelSoftmax(x, { tau: 0.5, seed: 1, offset: i * 10, out })`), the hand-written
// JS peer (bench/peers/js.mjs, the same as run.mjs's), and with `--base DIR` the same call on
// another build (a checkout of an earlier commit with its dist/ and build/ made: before/after in
// one process; both builds must give the same bits, checked before timing). Then the breakdown
// of the soft call, this build: the kernel alone (the raw export with the call's arguments), the
// façade (the call minus the kernel, round by round), entering wasm (an export that does
// nothing), and the kernel's chain of latencies, each part timed as a chain (every call reads
// what the previous one wrote): one Philox group (4 blocks), the noise transform of 16 words,
// 16 exps, the validation pass of the row.
//
// A sample is a batch of 1000 calls; a round (bench/rounds.mjs: one tinybench run, the order
// rotated) gives each task its median sample / 1000. The table gives the median over rounds and
// the range; ratios are taken round by round.

import { cpus } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { init } from "gumbel-wasm";
import { create as createJs } from "./peers/js.mjs";
import { median, rotatedRounds, writeResults } from "./rounds.mjs";

const { values: args } = parseArgs({
  options: {
    ops: { type: "string", default: "soft,hard,max,noise" },
    rounds: { type: "string", default: "7" },
    time: { type: "string", default: "150" },
    base: { type: "string" },
    out: { type: "string", default: fileURLToPath(new URL("results/latency.json", import.meta.url)) },
  },
});
const OPS = args.ops.split(",");
const ROUNDS = Number(args.rounds);
const TIME = Number(args.time);
const BATCH = 1000;
const COLS = 10;
const TAU = 0.5;

const logits = Float32Array.from({ length: COLS }, (_, k) => Math.sin(k * 1.7) * 2);
let sink = 0;

/** The 1x10 calls of one build, as bench/run.mjs's `simd-tensor` makes them. */
async function ours(gw) {
  const x = gw.tensor(1, COLS);
  x.data.set(logits);
  const o = gw.tensor(1, COLS);
  const idx = gw.tensor([1], "int32");
  return {
    soft: { call: (i) => gw.gumbelSoftmax(x, { tau: TAU, seed: 1, offset: i * COLS, out: o }), out: () => o.data },
    hard: { call: (i) => gw.gumbelSoftmax(x, { tau: TAU, hard: true, seed: 1, offset: i * COLS, out: o }), out: () => o.data },
    max: { call: (i) => gw.gumbelMax(x, { seed: 1, offset: i * COLS, out: idx }), out: () => idx.data },
    noise: { call: (i) => gw.gumbelNoise(COLS, { seed: 1, offset: i * COLS, out: o }), out: () => o.data },
    x,
    o,
  };
}

const gw = await init({ backend: "simd" });
const mine = await ours(gw);
const baseGw = args.base ? await (await import(pathToFileURL(resolve(args.base, "dist/node.js")).href)).init({ backend: "simd" }) : null;
const theirs = baseGw ? await ours(baseGw) : null;
const js = await createJs();
const input = { rows: 1, cols: COLS, n: COLS, tau: TAU, logits, y: logits, dy: logits };

// The same bits from both builds, for a few offsets (the checks below run before any timing).
const problems = [];
for (const op of OPS) {
  for (const i of [0, 1, 2, 3, 12345]) {
    mine[op].call(i);
    const a = Array.from(mine[op].out());
    if (theirs) {
      theirs[op].call(i);
      const b = Array.from(theirs[op].out());
      if (a.some((v, k) => !Object.is(v, b[k]))) problems.push(`${op}, call ${i}: the two builds differ: ${a} vs ${b}`);
    }
    if (op === "soft" && Math.abs(a.reduce((s, v) => s + v, 0) - 1) > 1e-5) problems.push(`soft, call ${i}: sums to ${a.reduce((s, v) => s + v, 0)}`);
  }
}
for (const p of problems) console.error(`CHECK FAILED: ${p}`);

/** name -> { call(i), op } */
const tasks = new Map();
for (const op of OPS) {
  tasks.set(`${op}: ours`, mine[op].call);
  if (theirs) tasks.set(`${op}: base`, theirs[op].call);
  const peer = js.prepare(op, input);
  tasks.set(`${op}: JS`, () => peer.call());
}
// The breakdown of the soft call, this build.
const k = gw.kernels;
const xp = mine.x.byteOffset;
const outPtr = mine.o.byteOffset;
tasks.set("kernel alone (gumbel_softmax)", (i) => k.gumbel_softmax(xp, outPtr, 0, 1, COLS, TAU, 0, 1, 0, i * COLS, 0));
tasks.set("entering wasm (check_fault)", () => k.check_fault());
const chain = gw.tensor(1, 16, "int32");
chain.data.set(gw.randomBits(16, { seed: 5 }));
const key = gw.tensor(1, 8, "int32");
key.data.fill(7);
const cf = gw.tensor(1, 16);
cf.data.set(logits);
tasks.set("chain: Philox group (4 blocks)", () => k.philox4x32_10(chain.byteOffset, key.byteOffset, chain.byteOffset, 4));
tasks.set("chain: noise transform (16 words)", () => k.gumbel_from_bits(chain.byteOffset, chain.byteOffset, 16));
tasks.set("chain: exps (16)", () => k.exp_f32(cf.byteOffset, cf.byteOffset, 16));
tasks.set("chain: validation (check_rows 1x10)", () => k.check_rows(xp, 1, COLS));

const names = [...tasks.keys()];
const impls = Object.fromEntries(
  names.map((name) => {
    const f = tasks.get(name);
    let i = 100;
    return [name, () => {
      for (let b = 0; b < BATCH; b++) f(i++);
      sink += mine.o.data[3];
    }];
  }),
);
const rounds = await rotatedRounds(impls, ROUNDS, TIME, {}, (r) => process.stderr.write(`round ${r + 1}/${ROUNDS}\n`));
/** @type {Record<string, number[]>} ns per call, per round */
const perRound = Object.fromEntries(names.map((n) => [n, rounds.map((round) => (round[n] / BATCH) * 1e6)]));

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const range = (xs) => `${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))}`;
/** Per round a / b. */
const ratio = (a, b) => median(perRound[a].map((v, r) => v / perRound[b][r]));

console.log("| task | ns per call (median) | range over rounds | vs ours |");
console.log("|---|---:|---:|---:|");
for (const n of names) {
  const [opName, who] = n.split(": ");
  const vs = OPS.includes(opName) && who !== "ours" ? `${ratio(n, `${opName}: ours`).toFixed(2)}x` : "";
  console.log(`| ${n} | ${fmt(median(perRound[n]))} | ${range(perRound[n])} | ${vs} |`);
}
const facade = perRound["soft: ours"].map((v, r) => v - perRound["kernel alone (gumbel_softmax)"][r]);
console.log(`| soft: the façade (ours - kernel alone, per round) | ${fmt(median(facade))} | ${range(facade)} | |`);
console.log(
  `\n"vs ours": that task's time / ours' time in the same round (above 1: ours is faster). ${cpus()[0]?.model.trim()}, ` +
    `${cpus().length} cores, Node ${process.version}; ${ROUNDS} rounds, ${TIME} ms per task and round, batches of ${BATCH} calls.`,
);
writeResults(args.out, { date: new Date().toISOString(), cpu: cpus()[0]?.model.trim(), cores: cpus().length, node: process.version, rounds: ROUNDS, time: TIME, base: args.base ?? null, nsPerCall: perRound, problems });
console.error(`sink ${sink}`);
if (problems.length) process.exitCode = 1;
