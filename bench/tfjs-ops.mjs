// gumbel-wasm/tfjs's ops against the same formulas composed from tfjs ops, on tfjs's wasm and cpu
// backends, forward alone and forward + backward (the VJP w.r.t. the logits, and for the relaxed
// densities w.r.t. logits and value, with a given upstream gradient), in one process: tinybench, every implementation of a case
// in each round, the order rotated round by round, medians over the rounds (bench/rounds.mjs).
//
// Shapes: the categorical VAE of Jang et al. (batch 100, 20 latent variables of 10 classes:
// logits 100 x 20 x 10) and an LLM-sized row set (8 x 32000).
//
// Composed in tfjs, as a tfjs user writes each one (intermediates freed by tf.tidy):
//   noise      g = -log(-log(u)), u = tf.randomUniform(shape, 2^-32, 1 - 2^-24) (bench/tfjs.mjs)
//   gumbelSoftmax  softmax((l + g) / tau)
//   gumbelRao  forward D = oneHot(argMax(l + g)); backward: S = 10 conditional draws
//              z_i = logsumexp(l) + g'_i, z_k = -logaddexp(-z_i, -(l_k + g'_k)), computed outside
//              tf.grad (tfjs-core has no stop_gradient: the reference code's no_grad), then
//              tf.grad of mean_s softmax((l + (z_s - l)) / tau)
//   gappedST   forward D; backward: l' = where(D, max l, min(l, max l - 1)) outside tf.grad, then
//              tf.grad of softmax((l + (l' - l)) / tau)
//   relaxedCategoricalLogProb  lgamma(K) + (K-1) log tau + sum l - (tau+1) sum log y - K logsumexp(l - tau log y)
//   relaxedBernoulliLogProb    log tau - a - b - softplus(u) - softplus(-u), a = log y, b = log1p(-y), u = l - tau (a - b)
// Ours: tfOps(gw) without a seed (the instance's stream, as in training). Each call ends with
// dataSync() of its outputs, so nothing is left pending, and frees them.
//
// tfjs-core registers no gradients; @tensorflow/tfjs-core/dist/register_all_gradients.js does,
// but it is ES source with extensionless imports, which Node resolves only with the small
// resolve hook below (the tests load it through vitest).
//
//   node bench/tfjs-ops.mjs [--rounds 5] [--time 150] [--out bench/results/tfjs-ops.json]

import { register } from "node:module";
import { cpus } from "node:os";
import { init } from "gumbel-wasm";
import { tfOps } from "gumbel-wasm/tfjs";
import { benchOptions, median, rotatedRounds, writeResults, xorshift } from "./rounds.mjs";
import { loadTf, startBackend } from "./tfjs.mjs";

register(
  "data:text/javascript," +
    encodeURIComponent(`export async function resolve(s, c, next) {
      try { return await next(s, c); } catch (e) {
        if (!/^\\.\\.?\\//.test(s) || !c.parentURL?.includes("/@tensorflow/tfjs-core/dist/")) throw e;
        try { return await next(s + ".js", c); } catch { return next(s + "/index.js", c); }
      }
    }`),
);

const { rounds: ROUNDS, time: TIME, out: OUT } = benchOptions("tfjs-ops");
const tf = await loadTf();
await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
const gw = await init();
const ops = tfOps(gw);

const TAU = 0.5;
const SAMPLES = 10;
const U_MIN = 2 ** -32;
const U_MAX = 1 - 2 ** -24;
let seed = 1;
const gumbel = (shape) => tf.neg(tf.log(tf.neg(tf.log(tf.randomUniform(shape, U_MIN, U_MAX, "float32", seed++)))));
const oneHotOf = (x, cols) => tf.cast(tf.oneHot(tf.argMax(x, -1), cols), "float32");

/** lgamma(K) for an integer K, as a constant of the composed density (not timed). */
const lgammaInt = (k) => {
  let s = 0;
  for (let i = 2; i < k; i++) s += Math.log(i);
  return s;
};

/** Runs `f` in a tidy, reads every tensor it returns and frees them. */
const run = (f) => () => {
  const ts = tf.tidy(f);
  for (const t of Array.isArray(ts) ? ts : [ts]) {
    t.dataSync();
    t.dispose();
  }
};

function cases(shape) {
  const cols = shape.at(-1);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => xorshift() * 6 - 3);
  const l = tf.tensor(data, shape);
  const w = tf.tensor(Float32Array.from({ length: n }, () => xorshift() * 2 - 1), shape);
  const y = ops.gumbelSoftmax(l, { tau: TAU, seed: 99 });
  const p = tf.tensor(Float32Array.from({ length: n }, () => 0.01 + 0.98 * xorshift()), shape);
  const tau = tf.scalar(TAU);
  // The backward is a VJP with the upstream gradient given (tf.grad(f)(x, dy)): no loss ops
  // of tfjs's around the op, whose cost both sides would share.
  const vjp = (f) => tf.grad(f)(l, w);
  const wRows = tf.tensor(Float32Array.from({ length: n / cols }, () => xorshift() * 2 - 1), shape.slice(0, -1));
  const K = cols;
  const catTf = (a, v) => {
    const logy = tf.log(v);
    const head = tf.add(tf.scalar(lgammaInt(K)), tf.mul(K - 1, tf.log(tau)));
    const body = tf.sub(tf.sum(a, -1), tf.mul(tf.add(tau, 1), tf.sum(logy, -1)));
    return tf.sub(tf.add(head, body), tf.mul(K, tf.logSumExp(tf.sub(a, tf.mul(tau, logy)), -1)));
  };
  const bernTf = (a, v) => {
    const la = tf.log(v);
    const lb = tf.log1p(tf.neg(v));
    const u = tf.sub(a, tf.mul(tau, tf.sub(la, lb)));
    return tf.sub(tf.sub(tf.sub(tf.sub(tf.log(tau), la), lb), tf.softplus(u)), tf.softplus(tf.neg(u)));
  };
  /** Gumbel-Rao's shifts z_s - l, S x shape, from fresh noise given D (no gradient). */
  const raoShifts = (D) => {
    const g2 = gumbel([SAMPLES, ...shape]);
    const zi = tf.add(tf.logSumExp(l, -1, true), tf.sum(tf.mul(g2, D), -1, true));
    const a = tf.neg(zi);
    const b = tf.neg(tf.add(l, g2));
    const lae = tf.add(tf.maximum(a, b), tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(a, b))))));
    const z = tf.where(tf.cast(tf.broadcastTo(D, [SAMPLES, ...shape]), "bool"), tf.broadcastTo(zi, [SAMPLES, ...shape]), tf.neg(lae));
    return tf.sub(z, l);
  };
  const gapShift = (D) => {
    const m = tf.max(l, -1, true);
    return tf.sub(tf.where(tf.cast(D, "bool"), tf.broadcastTo(m, shape), tf.minimum(l, tf.sub(m, 1))), l);
  };
  const hardD = () => oneHotOf(tf.add(l, gumbel(shape)), cols);
  return [
    ["gumbelSoftmax", "forward", () => ops.gumbelSoftmax(l, { tau: TAU }), () => tf.softmax(tf.div(tf.add(l, gumbel(shape)), TAU))],
    ["gumbelSoftmax", "fwd+bwd", () => vjp((x) => ops.gumbelSoftmax(x, { tau: TAU })), () => {
      const g = gumbel(shape);
      return vjp((x) => tf.softmax(tf.div(tf.add(x, g), TAU)));
    }],
    [`gumbelRao S=${SAMPLES}`, "forward", () => ops.gumbelRao(l, { tau: TAU, samples: SAMPLES }), hardD],
    [`gumbelRao S=${SAMPLES}`, "fwd+bwd", () => vjp((x) => ops.gumbelRao(x, { tau: TAU, samples: SAMPLES })), () => {
      const c = raoShifts(hardD());
      return vjp((x) => tf.mean(tf.softmax(tf.div(tf.add(x, c), TAU)), 0));
    }],
    ["gappedST", "forward", () => ops.gappedST(l, { tau: TAU }), hardD],
    ["gappedST", "fwd+bwd", () => vjp((x) => ops.gappedST(x, { tau: TAU })), () => {
      const c = gapShift(hardD());
      return vjp((x) => tf.softmax(tf.div(tf.add(x, c), TAU)));
    }],
    ["relaxedCategoricalLogProb", "forward", () => ops.relaxedCategoricalLogProb(l, y, TAU), () => catTf(l, y)],
    ["relaxedCategoricalLogProb", "fwd+bwd", () => tf.grads((a, v) => ops.relaxedCategoricalLogProb(a, v, TAU))([l, y], wRows), () => tf.grads((a, v) => catTf(a, v))([l, y], wRows)],
    ["relaxedBernoulliLogProb", "forward", () => ops.relaxedBernoulliLogProb(l, p, TAU), () => bernTf(l, p)],
    ["relaxedBernoulliLogProb", "fwd+bwd", () => tf.grads((a, v) => ops.relaxedBernoulliLogProb(a, v, TAU))([l, p], w), () => tf.grads((a, v) => bernTf(a, v))([l, p], w)],
  ].map(([op, mode, ours, tfjs]) => ({ op, mode, impls: { ours: run(ours), tfjs: run(tfjs) }, inputs: [l, w, wRows, y, p, tau] }));
}

const results = { date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, backends: {}, rows: [] };
console.log("| backend | shape | op | pass | ours ms | tfjs ms | ours is |\n|---|---|---|---|---:|---:|---:|");
for (const backend of ["wasm", "cpu"]) {
  results.backends[backend] = await startBackend(tf, backend);
  for (const shape of [[100, 20, 10], [8, 32000]]) {
    const list = cases(shape);
    for (const c of list) {
      // At least 8 timed calls per task and round (tinybench asks 64, too many at a second a call).
      const perRound = await rotatedRounds(c.impls, ROUNDS, TIME, { iterations: 8, warmupIterations: 2 });
      const row = {
        backend, shape: shape.join("x"), op: c.op, pass: c.mode,
        ours: median(perRound.map((r) => r.ours)), tfjs: median(perRound.map((r) => r.tfjs)),
        speedup: median(perRound.map((r) => r.tfjs / r.ours)),
      };
      results.rows.push(row);
      const x = row.speedup >= 1 ? `${row.speedup.toFixed(1)}x faster` : `${(1 / row.speedup).toFixed(1)}x slower`;
      console.log(`| ${backend} | ${row.shape} | ${row.op} | ${row.pass} | ${row.ours.toFixed(3)} | ${row.tfjs.toFixed(3)} | ${x} |`);
    }
    tf.dispose(list[0].inputs);
  }
}
console.log(`\n${results.cpu} (${results.cores} cores), Node ${results.node}; medians over ${ROUNDS} rounds of ${TIME} ms (and 8 calls at least) per task.`);
for (const [b, d] of Object.entries(results.backends)) console.log(`${b}: ${d}`);
writeResults(OUT, results);
