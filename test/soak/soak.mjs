// The soak: many mixed calls with random shapes (valid and invalid) on one instance, run as
//   node --expose-gc test/soak/soak.mjs [calls]
// Every 50 000 calls it collects garbage and samples the JS heap, the wasm memory and the
// allocator's live bytes; every 5 000th call is compared, bit for bit, with a fresh instance
// that did nothing else. Prints one JSON line; test/soak.test.ts judges it.
import { init } from "gumbel-wasm";

const CALLS = Number(process.argv[2] ?? 1e6);
if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
const gw = await init({ seed: 1 });
const fresh = await init({ seed: 1 });

let s = 7;
const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const bitsEqual = (a, b) => {
  const x = a.data ?? a;
  const y = b.data ?? b;
  if (x.length !== y.length) return false;
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const v = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
  return true;
};

// Reused inputs: arrays of every shape up to 8 x 64, and tensors.
const pool = Array.from({ length: 8 * 64 }, () => rnd() * 8 - 4);
const samples = [];
let errors = 0;
let compared = 0;
let mismatches = 0;
const t = gw.tensor(8, 64);
t.data.set(pool);
const out = gw.tensor(8, 64);
const idx = gw.tensor(8, 1, "int32");

function call(gwx, op, rows, cols, x, seed, tensors) {
  // Each call its own options: gumbelMax takes no tau, the softmaxes and backward no seed.
  const tau = 0.5 + (seed % 7) / 4;
  const opts = { cols, seed, tau };
  switch (op) {
    case 0: return gwx.gumbelSoftmax(x, opts);
    case 1: return gwx.gumbelMax(x, { cols, seed });
    case 2: return gwx.softmax(x, { cols, tau });
    case 3: return gwx.logSoftmax(x, { cols, tau });
    case 4: return gwx.gumbelNoise(rows * cols, { seed });
    case 5: return gwx.softmaxBackward(x, x, { cols, tau }).dlogits;
    case 6: return gwx.gumbelSoftmax(x, { ...opts, hard: true });
    default:
      return tensors ? gwx.gumbelSoftmax(t, { seed, out }) : gwx.logSumExp(x, { cols, tau });
  }
}

const t0 = performance.now();
for (let i = 0; i < CALLS; i++) {
  const rows = 1 + Math.floor(rnd() * 8);
  const cols = 1 + Math.floor(rnd() * 64);
  const op = Math.floor(rnd() * 8);
  const input = Float32Array.from(pool.slice(0, rows * cols));
  const seed = i;
  if (i % 97 === 0) {
    // An invalid call now and then: a NaN row, a wrong cols, a bad tau.
    const bad = input.slice();
    bad[0] = Number.NaN;
    try {
      if (i % 3 === 0) gw.softmax(bad, { cols });
      else if (i % 3 === 1) gw.gumbelMax(input, { cols: cols + 1, seed });
      else gw.gumbelSoftmax(input, { cols, tau: -1, seed });
    } catch {
      errors++;
    }
    continue;
  }
  const r = op === 7 ? call(gw, 7, 8, 64, input, seed, true) : call(gw, op, rows, cols, input, seed, false);
  if (i % 5000 === 0) {
    compared++;
    const want = op === 7 ? (() => { const ft = fresh.tensorFrom(t.data.slice(), 64); const y = fresh.gumbelSoftmax(ft, { seed }); ft.free(); return y; })() : call(fresh, op, rows, cols, input, seed, false);
    if (!bitsEqual(r, want)) mismatches++;
    if (want.free) want.free();
  }
  if (i % 50000 === 0) {
    globalThis.gc();
    samples.push({ call: i, heap: process.memoryUsage().heapUsed, wasm: gw.memory.buffer.byteLength, live: gw.heap.liveBytes() });
  }
}
globalThis.gc();
samples.push({ call: CALLS, heap: process.memoryUsage().heapUsed, wasm: gw.memory.buffer.byteLength, live: gw.heap.liveBytes() });
console.log(JSON.stringify({ calls: CALLS, seconds: (performance.now() - t0) / 1000, errors, compared, mismatches, samples }));
