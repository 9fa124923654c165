// Benchmark harness: every implementation, every operation, every shape, in one process.
//
//   node bench/run.mjs [--quick] [--shapes 256x1000,1x10] [--ops soft,max] [--impls js,...]
//                      [--rounds 5] [--time 100] [--out bench/results/latest.json]
//
// For each (op, shape): inputs are made once, every implementation is prepared (and its
// output checked once), then `rounds` tinybench runs follow, one Bench per round with the
// implementations as tasks in an order rotated by one each round. A task runs a batch of
// calls per sample (so that a sample of 1x10 is not just timer noise); a round's figure is
// the median sample divided by the batch size. Reported: per implementation the median over
// rounds, and the median over rounds of its time divided by the baseline's time in the same
// round (ours, SIMD, tensors). Progress goes to stderr, the markdown table to stdout, the
// JSON to --out and an SVG chart next to it (./chart.mjs).

import { readFileSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { Bench } from "tinybench";
import { writeChart } from "./chart.mjs";
import { createOurs } from "./ours.mjs";

/** @typedef {"noise" | "max" | "soft" | "hard" | "backward" | "backward-dx"} OpName */

/**
 * One (op, shape) problem: shared read-only inputs, the same for every implementation.
 * @typedef {object} Input
 * @property {number} rows
 * @property {number} cols
 * @property {number} n            rows * cols
 * @property {number} tau          temperature of soft, hard and the backward ops
 * @property {Float32Array} logits N(0, 1) logits
 * @property {Float32Array} y      softmax(logits / tau), for the backward ops
 * @property {Float32Array} dy     N(0, 1) upstream gradient, for the backward ops
 */

/**
 * What an implementation's output looks like after a call.
 * @typedef {object} Output
 * @property {Float32Array | Int32Array} values  the main result (noise, indices, samples, dlogits)
 * @property {Float32Array} [dtau]               backward only (not backward-dx): one value per row
 */

/**
 * One implementation made ready for one (op, shape).
 * @typedef {object} Prepared
 * @property {(i: number) => void} call   one call; i counts calls (ours draws from offset i * n)
 * @property {() => Output} output        the result of the last call
 * @property {() => void} [dispose]       frees what prepare allocated
 */

/**
 * An implementation: ours (./ours.mjs) or a peer (./peers/*.mjs, each exporting `create()`).
 * @typedef {object} Impl
 * @property {string} id        short key, for --impls and the JSON
 * @property {string} label     column header
 * @property {string} [short]   name in "speed-up vs" headers (default: label)
 * @property {string} stream    implementations with the same stream must give identical bits
 * @property {boolean} [compare] show a "speed-up of ours vs this" column
 * @property {boolean} [floor]   a floor, not an implementation (the copy of the operands): timed
 *                               in the same rounds, its output not checked, and the table gives
 *                               ours / floor
 * @property {string} [details] versions, binary, threads...: printed and kept in the JSON
 * @property {(op: OpName, input: Input) => Prepared | null} prepare  null: op not supported
 */

/** A bad command line: reported without a stack trace. */
class UsageError extends Error {}

const HERE = dirname(fileURLToPath(import.meta.url));
const TAU = 0.5;

/** @type {Record<OpName, string>} */
const OP_LABELS = {
  noise: "gumbelNoise",
  max: "gumbelMax",
  soft: `gumbelSoftmax soft τ=${TAU}`,
  hard: "gumbelSoftmax hard",
  backward: "softmaxBackward with dtau",
  "backward-dx": "softmaxBackward dlogits only",
};
const ALL_OPS = /** @type {OpName[]} */ (Object.keys(OP_LABELS));
const ALL_SHAPES = ["1x10", "4096x10", "256x1000", "64x32000", "8x128256"];
const QUICK_SHAPES = ["1x10", "256x1000", "8x128256"];

/**
 * Time budgets. `time` and `warmupTime` are per task and round (ms); `iterations` is
 * tinybench's minimum number of samples; a sample batches calls until it covers about
 * `batchElements` elements. A slow task, one call per sample and that call longer than
 * `slowCallMs` (tfjs-cpu on a million elements or more: 0.1 to 1 s a call), would spend
 * iterations + warmupIterations calls per round: it takes `slowIterations` samples per round
 * instead, without warmup (the check and the probe call before the rounds warmed it up).
 * Ours and the JS baseline stay well under `slowCallMs` on every default shape.
 */
const PROFILES = {
  full: {
    rounds: 5, time: 150, warmupTime: 20, iterations: 4, warmupIterations: 2,
    slowCallMs: 150, slowIterations: 2, batchElements: 16384,
  },
  quick: {
    rounds: 3, time: 40, warmupTime: 10, iterations: 3, warmupIterations: 1,
    slowCallMs: 100, slowIterations: 1, batchElements: 16384,
  },
};

// ------------------------------------------------------------------ small helpers

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** @param {number} x @param {number} [digits] three significant digits, at most 2 decimals */
function fmt(x, digits = 3) {
  if (!Number.isFinite(x)) return "—";
  const d = Math.max(0, Math.min(2, digits - 1 - Math.floor(Math.log10(Math.abs(x) || 1))));
  return x.toFixed(d);
}

/** @param {string} s @returns {{ rows: number, cols: number, name: string }} */
function parseShape(s) {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m) throw new UsageError(`bad shape ${JSON.stringify(s)}: expected ROWSxCOLS, e.g. 256x1000`);
  const rows = Number(m[1]);
  const cols = Number(m[2]);
  if (rows < 1 || cols < 1) throw new UsageError(`bad shape ${s}: rows and cols must be positive`);
  return { rows, cols, name: `${rows}x${cols}` };
}

/** @param {string} msg */
function progress(msg) {
  process.stderr.write(`${msg}\n`);
}

/** mulberry32: a seeded uniform in [0, 1) for the inputs. @param {number} seed */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n standard normals (Box-Muller). @param {number} n @param {number} seed */
function normals(n, seed) {
  const u = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const t = 2 * Math.PI * u();
    a[i] = r * Math.cos(t);
    if (i + 1 < n) a[i + 1] = r * Math.sin(t);
  }
  return a;
}

/** softmax(x / tau) of each row, in float64. @param {Float32Array} x @param {number} cols @param {number} tau */
function softmaxRows(x, cols, tau) {
  const y = new Float32Array(x.length);
  for (let b = 0; b < x.length; b += cols) {
    let m = -Infinity;
    for (let k = 0; k < cols; k++) m = Math.max(m, x[b + k]);
    let s = 0;
    const e = new Float64Array(cols);
    for (let k = 0; k < cols; k++) s += e[k] = Math.exp((x[b + k] - m) / tau);
    for (let k = 0; k < cols; k++) y[b + k] = e[k] / s;
  }
  return y;
}

/** @param {{ rows: number, cols: number }} shape @returns {Input} */
function makeInput({ rows, cols }) {
  const n = rows * cols;
  const logits = normals(n, 12345);
  return { rows, cols, n, tau: TAU, logits, y: softmaxRows(logits, cols, TAU), dy: normals(n, 67890) };
}

// ------------------------------------------------------------------ checks

/**
 * Checks one output against what the op must give; returns the problems found.
 * @param {OpName} op @param {Input} input @param {Output} out @returns {string[]}
 */
function checkOutput(op, input, out) {
  const { rows, cols, n } = input;
  const v = out.values;
  const problems = [];
  const expectLength = op === "max" ? rows : n;
  if (v.length !== expectLength) return [`output has ${v.length} elements, expected ${expectLength}`];
  switch (op) {
    case "noise": {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(v[i])) return [`noise[${i}] = ${v[i]}`];
        s += v[i];
        s2 += v[i] * v[i];
      }
      // Gumbel(0, 1): mean = Euler's gamma, variance = pi^2 / 6.
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      if (n >= 10000 && (Math.abs(mean - 0.5772157) > 0.05 || Math.abs(variance - Math.PI ** 2 / 6) > 0.1)) {
        problems.push(`noise mean ${mean.toFixed(4)} / variance ${variance.toFixed(4)}, expected 0.5772 / 1.6449`);
      }
      break;
    }
    case "max": {
      for (let r = 0; r < rows; r++) {
        if (!Number.isInteger(v[r]) || v[r] < 0 || v[r] >= cols) return [`index[${r}] = ${v[r]} is not in [0, ${cols})`];
      }
      problems.push(...checkArgmaxLaw(input, Array.from(v)));
      break;
    }
    case "soft": {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let k = 0; k < cols; k++) {
          const y = v[r * cols + k];
          if (!(y >= 0 && y <= 1)) return [`y[${r}, ${k}] = ${y} is not in [0, 1]`];
          s += y;
        }
        if (Math.abs(s - 1) > 1e-3) return [`row ${r} sums to ${s}`];
      }
      break;
    }
    case "hard": {
      const idx = [];
      for (let r = 0; r < rows; r++) {
        let ones = 0;
        let at = -1;
        for (let k = 0; k < cols; k++) {
          const y = v[r * cols + k];
          if (y === 1) (ones++, (at = k));
          else if (y !== 0) return [`y[${r}, ${k}] = ${y} in a hard sample`];
        }
        if (ones !== 1) return [`row ${r} has ${ones} ones`];
        idx.push(at);
      }
      problems.push(...checkArgmaxLaw(input, idx));
      break;
    }
    case "backward":
    case "backward-dx": {
      // backward gives dtau too; backward-dx must not compute it (that is the point of the op).
      if (op === "backward" && !out.dtau) return ["no dtau"];
      if (op === "backward-dx" && out.dtau) return ["dtau computed, though backward-dx asks for dlogits only"];
      const { y, dy, tau } = input;
      let worst = 0;
      let scale = 0;
      for (let r = 0; r < rows; r++) {
        const b = r * cols;
        let dot = 0;
        for (let k = 0; k < cols; k++) dot += dy[b + k] * y[b + k];
        let dt = 0;
        let dtScale = 0;
        for (let k = 0; k < cols; k++) {
          const ref = (y[b + k] * (dy[b + k] - dot)) / tau;
          worst = Math.max(worst, Math.abs(v[b + k] - ref));
          scale = Math.max(scale, Math.abs(ref));
          if (y[b + k] > 0) {
            dt -= ref * Math.log(y[b + k]);
            dtScale += Math.abs(ref * Math.log(y[b + k]));
          }
        }
        if (out.dtau && !(Math.abs(out.dtau[r] - dt) <= 1e-3 * dtScale + 1e-6)) {
          return [`dtau[${r}] = ${out.dtau[r]}, reference ${dt}`];
        }
      }
      if (!(worst <= 1e-3 * scale + 1e-7)) problems.push(`dlogits off by ${worst} (largest |dlogits| ${scale})`);
      break;
    }
  }
  return problems;
}

/**
 * Gumbel-Max law: the drawn index has the softmax(logits) distribution, so the mean over rows
 * of logits[r, idx_r] must match its expectation (a z-test, |z| < 5, for 64 rows or more).
 * @param {Input} input @param {number[]} idx
 */
function checkArgmaxLaw(input, idx) {
  const { rows, cols, logits } = input;
  if (rows < 64) return [];
  const p = softmaxRows(logits, cols, 1);
  let obs = 0;
  let exp = 0;
  let variance = 0;
  for (let r = 0; r < rows; r++) {
    let m1 = 0;
    let m2 = 0;
    for (let k = 0; k < cols; k++) {
      const l = logits[r * cols + k];
      m1 += p[r * cols + k] * l;
      m2 += p[r * cols + k] * l * l;
    }
    obs += logits[r * cols + idx[r]];
    exp += m1;
    variance += m2 - m1 * m1;
  }
  const z = (obs - exp) / Math.sqrt(variance);
  return Math.abs(z) < 5 ? [] : [`drawn logits are not softmax-distributed (z = ${z.toFixed(1)})`];
}

/** @param {ArrayLike<number>} a @param {ArrayLike<number>} b */
function sameBits(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

// ------------------------------------------------------------------ setup

/**
 * Ours first (the baseline), then every peer in ./peers. A peer's create() resolves to one
 * implementation, several, or null (cannot run here: skipped with a note). A peer that throws
 * (e.g. a wasm backend that does not load) is a failed check, reported like the others; the
 * run goes on without it.
 * @returns {Promise<{ impls: Impl[], failures: string[] }>}
 */
async function loadImpls() {
  const impls = await createOurs();
  /** @type {string[]} */
  const failures = [];
  const dir = `${HERE}/peers`;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".mjs")).sort()) {
    try {
      const mod = await import(`./peers/${file}`);
      const got = await mod.create();
      if (got) impls.push(...(Array.isArray(got) ? got : [got]));
      else progress(`peer ${file}: not available here, skipped`);
    } catch (err) {
      const msg = `peer ${file} did not load: ${err instanceof Error ? err.message : String(err)}`;
      progress(`CHECK FAILED: ${msg}`);
      failures.push(msg);
    }
  }
  return { impls, failures };
}

function wasmSizes() {
  /** @type {Record<string, { bytes: number, gzip: number }>} */
  const sizes = {};
  for (const backend of ["simd", "scalar"]) {
    const buf = readFileSync(new URL(`../build/gumbel-${backend}.wasm`, import.meta.url));
    sizes[backend] = { bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
  }
  return sizes;
}

function parseCli() {
  /** @type {ReturnType<typeof parseArgsStrict>} */
  let values;
  try {
    values = parseArgsStrict();
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(
      "usage: node bench/run.mjs [--quick] [--shapes 256x1000,1x10] [--ops noise,max,soft,hard,backward,backward-dx]\n" +
        "                          [--impls simd-tensor,js,tfjs-wasm,...] [--rounds N] [--time MS] [--out FILE]\n" +
        "  writes FILE (default bench/results/latest.json) and a chart next to it\n" +
        "  (bench/results/chart.svg for the default, else FILE with .svg for .json)\n",
    );
    process.exit(0);
  }
  const profile = { ...(values.quick ? PROFILES.quick : PROFILES.full) };
  if (values.rounds !== undefined) profile.rounds = Math.max(1, Number.parseInt(values.rounds, 10) || 1);
  if (values.time !== undefined) profile.time = Math.max(1, Number(values.time) || 1);
  const shapes = (values.shapes ?? (values.quick ? QUICK_SHAPES : ALL_SHAPES).join(",")).split(",").map(parseShape);
  const ops = /** @type {OpName[]} */ ((values.ops ?? ALL_OPS.join(",")).split(",").map((s) => s.trim()));
  for (const op of ops) {
    if (!ALL_OPS.includes(op)) throw new UsageError(`unknown op ${JSON.stringify(op)}: one of ${ALL_OPS.join(", ")}`);
  }
  const implIds = values.impls?.split(",").map((s) => s.trim()) ?? null;
  const out = values.out ?? `${HERE}/results/latest.json`;
  // The chart goes next to the JSON: bench/results/chart.svg for the default, else FILE.svg.
  const chart = values.out === undefined ? `${HERE}/results/chart.svg` : `${out.replace(/\.json$/i, "")}.svg`;
  return { profile, shapes, ops, implIds, out, chart, quick: values.quick };
}

function parseArgsStrict() {
  return parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      shapes: { type: "string" },
      ops: { type: "string" },
      impls: { type: "string" },
      rounds: { type: "string" },
      time: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  }).values;
}

// ------------------------------------------------------------------ measuring

/** The sink every task feeds one output element into, printed at the end. */
let sink = 0;

/** Calls per sample for an input: about `batchElements` elements. @param {Input} input @param {typeof PROFILES.full} profile */
function batchSize(input, profile) {
  return Math.max(1, Math.round(profile.batchElements / input.n));
}

/**
 * Times the prepared implementations of one (op, shape).
 * @param {{ impl: Impl, prep: Prepared, slow: boolean }[]} entries  baseline first
 * @param {Input} input @param {OpName} op @param {typeof PROFILES.full} profile @param {string} title
 * @returns {number[][]} ms per call, [entry][round]
 */
function measure(entries, input, op, profile, title) {
  const batch = batchSize(input, profile);
  const mid = op === "max" ? input.rows >> 1 : input.n >> 1;
  /** @type {number[][]} */
  const perRound = entries.map(() => []);
  const counters = entries.map(() => 1); // call 0 was the check
  for (let round = 0; round < profile.rounds; round++) {
    // One Bench per task (tinybench's budgets are per Bench): tasks run one after the other
    // either way, in an order rotated by one each round.
    for (let j = 0; j < entries.length; j++) {
      const e = (j + round) % entries.length;
      const { prep, slow } = entries[e];
      const bench = new Bench({
        name: `${title} round ${round + 1}`,
        throws: true,
        ...(slow
          ? { time: 0, iterations: profile.slowIterations, warmup: false }
          : {
              time: profile.time,
              iterations: profile.iterations,
              warmupTime: profile.warmupTime,
              warmupIterations: profile.warmupIterations,
            }),
      });
      bench.add(String(e), () => {
        let i = counters[e];
        for (let k = 0; k < batch; k++) prep.call(i++);
        counters[e] = i;
        sink += prep.output().values[mid];
      });
      const [task] = bench.runSync();
      const r = task.result;
      if (r.state !== "completed") throw new Error(`${title}: task ${entries[e].impl.id} ended ${r.state}`);
      perRound[e].push(r.latency.p50 / batch);
    }
  }
  return perRound;
}

// ------------------------------------------------------------------ main

async function main() {
  const started = performance.now();
  const cli = parseCli();
  const loaded = await loadImpls();
  let impls = loaded.impls;
  if (cli.implIds) {
    const baseId = impls[0].id;
    const unknown = cli.implIds.filter((id) => !impls.some((i) => i.id === id));
    if (unknown.length) throw new UsageError(`unknown implementation(s) ${unknown.join(", ")}: ${impls.map((i) => i.id).join(", ")}`);
    impls = impls.filter((i) => i.id === baseId || cli.implIds?.includes(i.id));
  }
  const base = impls[0];
  const sizes = wasmSizes();
  progress(
    `gumbel-wasm bench: ${impls.length} implementations, ops ${cli.ops.join(",")}, shapes ` +
      `${cli.shapes.map((s) => s.name).join(",")}, ${cli.profile.rounds} rounds x ${cli.profile.time} ms`,
  );

  for (const i of impls) if (i.details) progress(`${i.id}: ${i.details}`);

  /** @type {string[]} */
  const failures = [...loaded.failures];
  /** @type {string[]} */
  const warnings = [];
  const results = [];
  for (const shape of cli.shapes) {
    const input = makeInput(shape);
    for (const op of cli.ops) {
      const title = `${op} ${shape.name}`;
      const t0 = performance.now();
      /** @type {{ impl: Impl, prep: Prepared, slow: boolean }[]} */
      const entries = [];
      for (const impl of impls) {
        const prep = impl.prepare(op, input);
        if (prep) entries.push({ impl, prep, slow: false });
      }
      if (entries[0]?.impl !== base) throw new Error(`${title}: the baseline ${base.id} does not support it`);

      // Check every implementation once (call 0) before timing; same-stream ones must agree.
      /** @type {Map<string, { id: string, out: Output }>} */
      const firstOfStream = new Map();
      // Slow: one call per sample, and that call longer than slowCallMs (see PROFILES).
      const slowCallMs = batchSize(input, cli.profile) === 1 ? cli.profile.slowCallMs : Infinity;
      for (const entry of entries) {
        const { impl, prep } = entry;
        let t = performance.now();
        prep.call(0);
        const firstMs = performance.now() - t;
        if (impl.floor) continue;
        const out = prep.output();
        for (const p of checkOutput(op, input, out)) failures.push(`${title} ${impl.id}: ${p}`);
        const ref = firstOfStream.get(impl.stream);
        if (!ref) firstOfStream.set(impl.stream, { id: impl.id, out: { values: out.values.slice(), dtau: out.dtau?.slice() } });
        else if (!sameBits(ref.out.values, out.values) || (out.dtau && ref.out.dtau && !sameBits(ref.out.dtau, out.dtau))) {
          warnings.push(`${title}: ${impl.id} differs from ${ref.id} (same stream ${impl.stream}, bits expected equal)`);
        }
        // A first call that looks slow is timed once more (the first paid for JIT and memory
        // growth) to decide whether the task is slow (see PROFILES).
        if (firstMs > slowCallMs) {
          t = performance.now();
          prep.call(0);
          entry.slow = Math.min(firstMs, performance.now() - t) > slowCallMs;
        }
      }

      const perRound = measure(entries, input, op, cli.profile, title);
      const baseRounds = perRound[0];
      /** @type {Record<string, object>} */
      const byImpl = {};
      entries.forEach(({ impl }, e) => {
        const ms = perRound[e];
        const ratios = ms.map((t, r) => t / baseRounds[r]);
        byImpl[impl.id] = {
          nsPerElement: (median(ms) * 1e6) / input.n,
          usPerCall: median(ms) * 1e3,
          ratioToBaseline: median(ratios),
          // For a floor: the baseline's time / the floor's, per round (ours is within 2x of
          // copying its operands when this is at most 2).
          ...(impl.floor ? { baselineToFloor: median(ratios.map((x) => 1 / x)) } : {}),
          rounds: { msPerCall: ms, ratioToBaseline: ratios },
          ...(entries[e].slow ? { slow: true } : {}),
        };
      });
      results.push({ op, shape: shape.name, rows: shape.rows, cols: shape.cols, elements: input.n, impls: byImpl });
      entries.forEach(({ prep }) => prep.dispose?.());
      const line = entries.map(
        ({ impl, slow }) => `${impl.id} ${fmt(/** @type {any} */ (byImpl[impl.id]).nsPerElement)}${slow ? " (slow)" : ""}`,
      );
      progress(`${title.padEnd(18)} ${line.join(", ")} ns/elt (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }

  // ---------------------------------------------------------------- report
  const compared = impls.filter((i) => i.compare);
  // A floor is shown where some op has it: ours / floor, the median over rounds of the ratio.
  const floors = impls.filter((i) => i.floor && results.some((r) => /** @type {any} */ (r.impls)[i.id]));
  const shown = impls.filter((i) => !i.floor || floors.includes(i));
  const head = [
    "op",
    "shape",
    ...shown.map((i) => `${i.label} ns/elt`),
    ...compared.map((i) => `speed-up vs ${i.short ?? i.label}`),
    ...floors.map((i) => `${base.label} / ${i.label}`),
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, k) => (k < 2 ? " --- " : " ---: ")).join("|")}|`];
  for (const res of results) {
    /** @type {Record<string, any>} */
    const m = res.impls;
    const cells = [OP_LABELS[/** @type {OpName} */ (res.op)], res.shape];
    for (const i of shown) cells.push(m[i.id] ? fmt(m[i.id].nsPerElement) : "—");
    for (const i of compared) cells.push(m[i.id] ? `${fmt(m[i.id].ratioToBaseline)}x` : "—");
    for (const i of floors) cells.push(m[i.id] ? `${fmt(m[i.id].baselineToFloor)}x` : "—");
    lines.push(`| ${cells.join(" | ")} |`);
  }
  const small = results.filter((r) => r.rows === 1 && r.cols === 10);
  if (small.length) {
    const h = ["op (1x10)", ...shown.map((i) => `${i.label} µs/call`)];
    lines.push("", `| ${h.join(" | ")} |`, `|${h.map((_, k) => (k < 1 ? " --- " : " ---: ")).join("|")}|`);
    for (const res of small) {
      /** @type {Record<string, any>} */
      const m = res.impls;
      lines.push(`| ${[OP_LABELS[/** @type {OpName} */ (res.op)], ...shown.map((i) => (m[i.id] ? fmt(m[i.id].usPerCall) : "—"))].join(" | ")} |`);
    }
  }

  const cpu = cpus()[0]?.model ?? "unknown";
  const elapsed = (performance.now() - started) / 1000;
  const tinybenchVersion = JSON.parse(readFileSync(new URL("node_modules/tinybench/package.json", import.meta.url), "utf8")).version;
  process.stdout.write(
    `\n${lines.join("\n")}\n\n` +
      `ns/elt: median over ${cli.profile.rounds} rounds. speed-up vs X: median over rounds of ` +
      `(X's time / time of ${base.label}) in the same round.\n` +
      `${cpu}, ${cpus().length} cores, Node ${process.version}, ${elapsed.toFixed(0)} s.\n` +
      `wasm: simd ${sizes.simd.bytes} B (${sizes.simd.gzip} B gzipped), scalar ${sizes.scalar.bytes} B ` +
      `(${sizes.scalar.gzip} B gzipped).\n` +
      `sink: ${sink}\n`,
  );
  for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
  for (const f of failures) process.stdout.write(`CHECK FAILED: ${f}\n`);

  const report = {
    date: new Date().toISOString(),
    cpu,
    cores: cpus().length,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    tinybench: tinybenchVersion,
    config: {
      quick: cli.quick,
      ...cli.profile,
      tau: TAU,
      logits: "N(0, 1), mulberry32 seed 12345",
      ops: cli.ops,
      shapes: cli.shapes.map((s) => s.name),
      statistic: "per round: median sample / calls per sample; reported: median over rounds",
    },
    wasm: sizes,
    opLabels: OP_LABELS,
    baseline: base.id,
    implementations: impls.map(({ id, label, stream, details, floor }) => ({ id, label, stream, details, ...(floor ? { floor } : {}) })),
    results,
    checks: { failures, warnings },
    sink,
    seconds: Math.round(elapsed),
  };
  mkdirSync(dirname(cli.out), { recursive: true });
  writeFileSync(cli.out, `${JSON.stringify(report, null, 2)}\n`);
  progress(`wrote ${cli.out}`);
  writeChart(cli.out, cli.chart);
  progress(`wrote ${cli.chart}`);
  if (failures.length) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  if (err instanceof UsageError) process.stderr.write("run with --help for the options\n");
  else process.stderr.write(`${err instanceof Error ? err.stack : ""}\n`);
  process.exitCode = 2;
}
