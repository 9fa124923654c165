// The probe every runtime runs (Node, Deno, Bun, workerd, Chromium): seeded calls on the
// package as that runtime loads it, returned as exact bits so that runtimes can be compared
// bit for bit. `init` is the package's, passed in so the same probe serves every entry point.

const LOGITS = [2, 1, 0.5, -0.5, -1, 0, 3, -Infinity, 1.5, 0.25];

/** The bits of float32 values, as hex words. */
function hex(values) {
  const f = Float32Array.from(values);
  return Array.from(new Uint32Array(f.buffer), (w) => w.toString(16).padStart(8, "0")).join(" ");
}

/** What one instance gives for fixed seeds: noise, Gumbel-Softmax soft and hard, Gumbel-Max. */
function sample(gw) {
  const cols = LOGITS.length;
  const batch = new Float32Array(4 * cols);
  for (let r = 0; r < 4; r++) batch.set(LOGITS.map((v) => (v === -Infinity ? v : v * (r + 1))), r * cols);
  const soft = gw.gumbelSoftmax(batch, { cols, tau: 0.5, seed: 42, offset: 7 });
  const hard = gw.gumbelSoftmax(batch, { cols, tau: 0.5, seed: 42, offset: 7, hard: true });
  const max = gw.gumbelMax(batch, { cols, seed: 9n, offset: 2n ** 40n });
  const noise = gw.gumbelNoise(37, { seed: 2n ** 64n - 1n, offset: 3 });
  const lse = gw.logSumExp(batch, { cols, tau: 0.7 });
  const t = gw.tensor(64, 1000);
  for (let i = 0; i < t.length; i++) t.data[i] = Math.fround(((i * 7919) % 1000) / 250 - 2);
  const wide = gw.gumbelMax(t, { seed: 123 });
  const wideSum = gw.gumbelSoftmax(t, { seed: 5, tau: 0.9 });
  let acc = 0;
  for (let i = 0; i < wideSum.length; i += 97) acc += wideSum.data[i];
  const out = {
    soft: hex(soft),
    hard: hex(hard),
    max: Array.from(max).join(" "),
    noise: hex(noise),
    lse: hex(lse),
    wideMax: Array.from(wide.data).join(" "),
    wideSoft: hex([acc]),
  };
  t.free();
  wide.free();
  wideSum.free();
  return out;
}

/** A 32-bit hash of float32 bits (integer arithmetic only: the same in every engine). */
function digest(values) {
  const w = new Uint32Array(Float32Array.from(values).buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/**
 * The async calls on a pool of two workers, on batches large enough to be split: the bits
 * must not depend on the thread count (where the runtime has no shared memory or workers, the
 * instance runs on one thread and says why).
 */
async function threaded(init) {
  const gw = await init({ threads: 2 });
  const rows = 40;
  const cols = 2000;
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(((i * 7919) % 2003) / 400 - 2.5);
  const soft = await gw.gumbelSoftmaxAsync(x, { cols, tau: 0.6, seed: 11 });
  const max = await gw.gumbelMaxAsync(x, { cols, seed: 12n, offset: 2n ** 32n - 7n });
  const noise = await gw.gumbelNoiseAsync(rows * cols + 5, { seed: 13, offset: 3 });
  const temperature = Array.from({ length: rows }, (_, r) => [0, 0.5, 1, 1.5][r % 4]);
  const tokens = await gw.sampleTokensAsync(x, { cols, temperature, topK: 40, topP: 0.9, seeds: temperature.map((_, r) => r + 1) });
  const top = await gw.topKAsync(x, 3, { cols, seed: 14 });
  const rao = await gw.gumbelRaoBackwardAsync(x, x, { cols, tau: 0.5, samples: 2, seed: 15 });
  const out = {
    threads: gw.threads, note: gw.threadNote, soft: digest(soft), max: Array.from(max).join(" "), noise: digest(noise),
    tokens: Array.from(tokens).join(" "), topK: Array.from(top).join(" "), raoBackward: digest(rao),
  };
  await gw.close();
  return out;
}

/**
 * Runs the probe on the default binary and on the scalar one, with WebAssembly.validate
 * made to refuse SIMD (the fallback a runtime without SIMD takes), and on two threads.
 */
export async function check(init) {
  const gw = await init();
  const scalar = await init({ backend: "scalar" });
  const validate = WebAssembly.validate;
  let fallback;
  try {
    WebAssembly.validate = () => false;
    fallback = await init();
  } finally {
    WebAssembly.validate = validate;
  }
  const { threads, note, ...pool } = await threaded(init);
  return {
    backend: gw.backend,
    fallbackBackend: fallback.backend,
    default: sample(gw),
    scalar: sample(scalar),
    fallback: sample(fallback),
    threads,
    threadNote: note,
    threaded: pool,
  };
}
