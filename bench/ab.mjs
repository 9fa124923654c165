// A/B of two builds of the package in one process: the same calls on each, interleaved round by
// round (bench/rounds.mjs), as ratios B / A. For changes that must not move the speed (a
// refactor): give A the checkout before, B the one after, each built (`npm run build`).
// `--cases backward`: softmaxBackward for dlogits only (tensors in and out) at the backward
// bench's shapes instead, for a change that should move it.
//
//   node bench/ab.mjs --a ../before --b . [--cases default|backward] [--rounds 7] [--time 200]

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { median, rotatedRounds, xorshift } from "./rounds.mjs";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string", default: "." },
    cases: { type: "string", default: "default" },
    rounds: { type: "string", default: "7" },
    time: { type: "string", default: "200" },
  },
});
if (!values.a) throw new Error("bench/ab.mjs: --a <checkout> is required (the build to compare against)");
const load = async (dir) => (await import(pathToFileURL(resolve(dir, "dist/node.js")).href)).init({ backend: "simd", seed: 1 });
const A = await load(values.a);
const B = await load(values.b);

/** Calls per timed sample, so that a sample of a short call is not just timer noise. */
const BATCH = 64;

function cases(gw) {
  const make = (rows, cols) => {
    const x = gw.tensor(rows, cols);
    for (let i = 0; i < x.length; i++) x.data[i] = Math.sqrt(-2 * Math.log(xorshift())) * Math.cos(2 * Math.PI * xorshift());
    return { x, out: gw.tensor(rows, cols), idx: gw.tensor(rows, 1, "int32"), arr: Float32Array.from(x.data) };
  };
  const small = make(1, 10);
  const big = make(256, 1000);
  let j = 0;
  return {
    "gumbelSoftmax 1x10, tensors": () => {
      for (let i = 0; i < BATCH; i++) gw.gumbelSoftmax(small.x, { tau: 0.5, seed: 1, offset: j++ * 10, out: small.out });
    },
    "gumbelSoftmax 1x10, arrays": () => {
      for (let i = 0; i < BATCH; i++) gw.gumbelSoftmax(small.arr, { cols: 10, tau: 0.5, seed: 1, offset: j++ * 10 });
    },
    "gumbelMax 1x10, tensors": () => {
      for (let i = 0; i < BATCH; i++) gw.gumbelMax(small.x, { seed: 1, offset: j++ * 10, out: small.idx });
    },
    "gumbelSoftmax 256x1000, tensors": () => gw.gumbelSoftmax(big.x, { tau: 0.5, seed: 1, offset: j++ * 256000, out: big.out }),
    "gumbelMax 256x1000, tensors": () => gw.gumbelMax(big.x, { seed: 1, offset: j++ * 256000, out: big.idx }),
  };
}

/** softmaxBackward, dlogits only, on tensors: shape -> [call, elements]. */
function backwardCases(gw) {
  const out = {};
  for (const [rows, cols] of [[4096, 10], [256, 1000], [64, 32000], [8, 128256]]) {
    const y = gw.tensor(rows, cols);
    const dy = gw.tensor(rows, cols);
    for (let i = 0; i < y.length; i++) dy.data[i] = xorshift() - 0.5;
    y.data.set(gw.softmax(dy, { tau: 0.5 }).data);
    const o = gw.tensor(rows, cols);
    out[`softmaxBackward dlogits only ${rows}x${cols}, tensors`] = () => gw.softmaxBackward(y, dy, { tau: 0.5, out: o });
  }
  return out;
}

if (!["default", "backward"].includes(values.cases)) throw new Error(`bench/ab.mjs: --cases is default or backward, got ${values.cases}`);
const make = values.cases === "backward" ? backwardCases : cases;
const a = make(A);
const b = make(B);
const rounds = Number(values.rounds);
const rows = [];
for (const name of Object.keys(a)) {
  const per = await rotatedRounds({ A: a[name], B: b[name] }, rounds, Number(values.time));
  const batch = name.includes("1x10") ? BATCH : 1;
  const ratio = median(per.map((r) => r.B / r.A));
  rows.push({ name, a: (median(per.map((r) => r.A)) / batch) * 1e6, b: (median(per.map((r) => r.B)) / batch) * 1e6, ratio });
  process.stderr.write(`${name}: B/A ${ratio.toFixed(3)}\n`);
}
console.log("| call | A ns | B ns | B / A |\n|---|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.name} | ${r.a.toFixed(0)} | ${r.b.toFixed(0)} | ${r.ratio.toFixed(3)} |`);
console.log(`\nA: ${resolve(values.a)}; B: ${resolve(values.b)}; medians over ${rounds} rounds, order alternating; Node ${process.version}`);
