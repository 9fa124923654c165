// What the demo page computes, without the page: every number comes from gumbel-wasm (no
// Math.exp or Math.log between the controls and a sample), so for the same settings Chromium
// and Node give the same bits; the page's test checks exactly that.

/** Temperatures on the slider (a fixed list: no Math.exp between the slider and tau). */
export const TAUS = [0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10];
export const DRAWS = [10, 100, 1000, 10000, 100000];
export const PRESETS = {
  paper: "2, 0.5, 0, -0.5, -1",
  two: "1.5, -1, 1.4, -2, -1, 0",
  flat: "0.1, 0, 0.05, -0.05, 0, 0.1, -0.1, 0",
  masked: "3, 2.5, -inf, 1, -inf, 0, 2, -inf",
};
/** Each panel draws from its own part of the seed's stream. */
export const OFFSET = { sample: 0n, peak: 1n << 32n, hard: 2n << 32n, noise: 3n << 32n };
export const PEAK_ROWS = 2000;
export const PEAK_BINS = 25;
export const NOISE_N = 200_000;
export const NOISE_LO = -3;
export const NOISE_HI = 10;
export const NOISE_BINS = 65;

/** "2, 0.5, -inf" -> Float32Array. */
export function parseLogits(text) {
  const xs = text.split(/[\s,]+/).filter(Boolean).map((t) => (/^-inf(inity)?$/i.test(t) ? -Infinity : Number(t)));
  if (xs.length < 2) throw new RangeError("give at least two logits");
  return Float32Array.from(xs);
}

/** The bits of float32 values, as hex words (exact comparison across runtimes). */
export function hex(values) {
  return Array.from(new Uint32Array(Float32Array.from(values).buffer), (w) => w.toString(16).padStart(8, "0")).join(" ");
}

/** Row-replicated logits in a tensor (rows x K). */
function batch(gw, logits, rows) {
  const t = gw.tensor(rows, logits.length);
  const d = t.data;
  for (let r = 0; r < rows; r++) d.set(logits, r * logits.length);
  return t;
}

/**
 * Everything the page shows for these settings: the softmax, one soft sample, the histogram of
 * the largest entry of many soft samples, hard-sample counts and a noise histogram.
 * @param {import("gumbel-wasm").GumbelWasm} gw
 * @param {{ logits: Float32Array, tau: number, seed: bigint, draws: number }} p
 */
export function compute(gw, { logits, tau, seed, draws }) {
  const K = logits.length;
  const probs = gw.softmax(logits, { cols: K });
  const sample = gw.gumbelSoftmax(logits, { cols: K, tau, seed, offset: OFFSET.sample });
  // Largest entry of many soft samples.
  const pb = batch(gw, logits, PEAK_ROWS);
  const soft = gw.gumbelSoftmax(pb, { tau, seed, offset: OFFSET.peak });
  const peak = new Array(PEAK_BINS).fill(0);
  const sd = soft.data;
  for (let r = 0; r < PEAK_ROWS; r++) {
    let m = 0;
    for (let k = 0; k < K; k++) m = Math.max(m, sd[r * K + k]);
    peak[Math.min(PEAK_BINS - 1, Math.floor(m * PEAK_BINS))]++;
  }
  soft.free();
  pb.free();
  // Hard samples.
  const hb = batch(gw, logits, draws);
  const picks = gw.gumbelMax(hb, { seed, offset: OFFSET.hard });
  const hard = new Array(K).fill(0);
  for (const k of picks.data) hard[k]++;
  picks.free();
  hb.free();
  // Noise.
  const g = gw.gumbelNoise(NOISE_N, { seed, offset: OFFSET.noise });
  const noise = new Array(NOISE_BINS).fill(0);
  const w = (NOISE_HI - NOISE_LO) / NOISE_BINS;
  for (const x of g) if (x >= NOISE_LO && x < NOISE_HI) noise[Math.floor((x - NOISE_LO) / w)]++;
  return {
    logits: Array.from(logits), K, tau, seed: String(seed), draws, probs, sample, peak, hard, noise,
    probsBits: hex(probs), sampleBits: hex(sample),
  };
}
