// The classes along a non-last axis (`shape` + `axis`, strided kernels, no transposing copy)
// against what a user would otherwise write to get the same outputs, in one process, rounds
// rotated, medians of per-round ratios (bench/rounds.mjs):
// - softmax along axis 1 of [32, 1000, 32], [256, 10, 256] and [8, 128, 1024]:
//   strided   ours, `gw.softmax(x, { shape, axis: 1, out })`, tensors in and out;
//   js-T      JS loops transposing x to classes-last into a preallocated tensor, `gw.softmax(t,
//             { cols, out })`, then JS loops transposing the result back into a preallocated
//             Float32Array (the tensors' views: nothing copied in or out of wasm besides the
//             two transposes);
//   tfjs-wasm `tf.transpose -> tf.softmax -> tf.transpose` (tf.softmax takes the last axis only)
//             on @tensorflow/tfjs-backend-wasm, inside tf.tidy, read back with dataSync();
//   floor     ours on the same data already classes-last (`cols`): no transpose at all.
// - gumbelMax along axis 1 of [32, 1000, 32] and [256, 10, 256]: strided against JS transpose
//   + `gw.gumbelMax(t, { cols, seed, out })` (its indices come out in the strided call's [A, B]
//   order: no transpose back), and the floor (already classes-last). The same seed gives other
//   indices on the two paths (an element's noise is that of its row-major index, and the layouts
//   differ); both draw one Gumbel-Max sample per line from the same law.
//
//   npm run build && node bench/setup.mjs && node bench/axis.mjs [--rounds 5] [--time 150] [--out bench/results/axis.json]

import { cpus } from "node:os";
import { init } from "gumbel-wasm";

import { benchOptions, median, rotatedRounds, writeResults, xorshift } from "./rounds.mjs";
import { loadTf, startBackend } from "./tfjs.mjs";

const { rounds: ROUNDS, time: TIME, out: OUT } = benchOptions("axis");
const gw = await init({ backend: "simd", seed: 1 });
const tf = await loadTf();
const tfInfo = await startBackend(tf, "wasm");

const SOFT_SHAPES = [[32, 1000, 32], [256, 10, 256], [8, 128, 1024]];
const MAX_SHAPES = [[32, 1000, 32], [256, 10, 256]];

/** [A, C, B] (classes C on axis 1) -> [A, B, C]: reads in order, writes strided. */
function toLast(src, dst, A, C, B) {
  for (let a = 0; a < A; a++) {
    const base = a * C * B;
    for (let c = 0; c < C; c++) {
      const s = base + c * B;
      for (let b = 0; b < B; b++) dst[base + b * C + c] = src[s + b];
    }
  }
}
/** [A, B, C] -> [A, C, B]: reads strided, writes in order. */
function fromLast(src, dst, A, C, B) {
  for (let a = 0; a < A; a++) {
    const base = a * C * B;
    for (let c = 0; c < C; c++) {
      const d = base + c * B;
      for (let b = 0; b < B; b++) dst[d + b] = src[base + b * C + c];
    }
  }
}

function normals(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sqrt(-2 * Math.log(xorshift())) * Math.cos(2 * Math.PI * xorshift());
  return x;
}

const cases = [];
for (const shape of SOFT_SHAPES) {
  const [A, C, B] = shape;
  const n = A * C * B;
  const x = gw.tensorFrom(normals(n), shape);
  const out = gw.tensor(shape);
  const tIn = gw.tensor(A * B, C);
  const tOut = gw.tensor(A * B, C);
  const back = new Float32Array(n);
  const pre = gw.tensor(A * B, C);
  toLast(x.data, pre.data, A, C, B);
  const preOut = gw.tensor(A * B, C);
  const xt = tf.tensor3d(x.data.slice(), shape);
  let tfLast;
  const impls = {
    strided: () => gw.softmax(x, { shape, axis: 1, out }),
    "js-T": () => {
      toLast(x.data, tIn.data, A, C, B);
      gw.softmax(tIn, { cols: C, out: tOut });
      fromLast(tOut.data, back, A, C, B);
    },
    "tfjs-wasm": () => {
      const y = tf.tidy(() => tf.transpose(tf.softmax(tf.transpose(xt, [0, 2, 1])), [0, 2, 1]));
      tfLast = y.dataSync();
      y.dispose();
    },
    floor: () => gw.softmax(pre, { cols: C, out: preOut }),
  };
  // Same outputs: js-T bit for bit (the same kernel per line, up to the order of the sum), tfjs close.
  for (const f of Object.values(impls)) f();
  const d = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const diffs = { "js-T": d(out.data, back), "tfjs-wasm": d(out.data, tfLast) };
  fromLast(preOut.data, back, A, C, B);
  diffs.floor = d(out.data, back);
  if (Object.values(diffs).some((v) => !(v < 1e-5))) throw new Error(`softmax ${shape}: outputs differ ${JSON.stringify(diffs)}`);
  cases.push({ op: "softmax", shape, n, impls, diffs, dispose: () => ([x, out, tIn, tOut, pre, preOut].forEach((t) => t.free()), xt.dispose()) });
}
for (const shape of MAX_SHAPES) {
  const [A, C, B] = shape;
  const n = A * C * B;
  const x = gw.tensorFrom(normals(n), shape);
  const idx = gw.tensor([A, B], "int32");
  const tIn = gw.tensor(A * B, C);
  const idxT = gw.tensor(A * B, 1, "int32");
  const pre = gw.tensor(A * B, C);
  toLast(x.data, pre.data, A, C, B);
  const idxP = gw.tensor(A * B, 1, "int32");
  let i = 0, j = 0, k = 0;
  const impls = {
    strided: () => gw.gumbelMax(x, { shape, axis: 1, seed: 1, offset: (i++ * n) % 2 ** 40, out: idx }),
    "js-T": () => {
      toLast(x.data, tIn.data, A, C, B);
      gw.gumbelMax(tIn, { cols: C, seed: 1, offset: (j++ * n) % 2 ** 40, out: idxT });
    },
    floor: () => gw.gumbelMax(pre, { cols: C, seed: 1, offset: (k++ * n) % 2 ** 40, out: idxP }),
  };
  for (const f of Object.values(impls)) f();
  for (const t of [idx, idxT, idxP]) if (t.data.some((v) => v < 0 || v >= C)) throw new Error(`gumbelMax ${shape}: index out of range`);
  // The JS transpose reproduces `pre`: js-T and floor draw the same indices at equal offsets.
  cases.push({ op: "gumbelMax", shape, n, impls, dispose: () => [x, idx, tIn, idxT, pre, idxP].forEach((t) => t.free()) });
}

const results = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  node: process.version,
  tfjs: tfInfo,
  rounds: ROUNDS,
  timeMs: TIME,
  unit: "ns per element (median over rounds); ratio = median over rounds of peer / strided",
  rows: [],
};
const t0 = performance.now();
for (const c of cases) {
  const per = (await rotatedRounds(c.impls, ROUNDS, TIME)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, (v * 1e6) / c.n])));
  const row = { op: c.op, shape: c.shape, axis: 1, elements: c.n, ns: {}, ratio: {} };
  for (const name of Object.keys(c.impls)) {
    row.ns[name] = median(per.map((p) => p[name]));
    if (name !== "strided") row.ratio[name] = median(per.map((p) => p[name] / p.strided));
  }
  if (c.diffs) row.maxAbsDiff = c.diffs;
  results.rows.push(row);
  c.dispose();
  process.stderr.write(`${c.op} [${c.shape}] done (${((performance.now() - t0) / 1e3).toFixed(0)} s)\n`);
}

const f = (v) => (v === undefined ? "—" : v.toFixed(2));
const x = (v) => (v === undefined ? "—" : `${v.toFixed(2)}x`);
console.log("| op, shape (axis 1) | strided (ours) | JS transpose + ours | tfjs-wasm transpose/op/transpose | floor: ours, classes already last | JS-T / strided | tfjs / strided | floor / strided |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results.rows) {
  console.log(
    `| ${r.op} [${r.shape.join(", ")}] | ${f(r.ns.strided)} | ${f(r.ns["js-T"])} | ${f(r.ns["tfjs-wasm"])} | ${f(r.ns.floor)} ` +
      `| ${x(r.ratio["js-T"])} | ${x(r.ratio["tfjs-wasm"])} | ${x(r.ratio.floor)} |`,
  );
}
console.log(`\nns per element, medians over ${ROUNDS} rounds of ${TIME} ms per task; ratios: medians of per-round peer / strided (above 1: strided faster).`);
console.log(`${results.cpu} (${results.cores} cores), Node ${results.node}; ${tfInfo}; ${results.date}.`);
writeResults(OUT, results);
