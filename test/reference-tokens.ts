// The float64 reference of sampleTokens' filters, written from their definitions (sharing no
// code with src/ or assembly/), and the logits and settings the token tests share.

import { philoxRef, testRandom } from "./reference.js";

export interface Filters {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
}

/**
 * The tokens each filter keeps, in float64 from the definitions (Hugging Face's order:
 * top-k, then top-p among the survivors, then min-p; equal logits kept or dropped together).
 */
export function keptRef(l: ArrayLike<number>, f: Filters): boolean[] {
  const n = l.length;
  const t = f.temperature ?? 1;
  const keep = Array.from(l, (v) => v !== -Infinity);
  let lmax = -Infinity;
  for (let k = 0; k < n; k++) lmax = Math.max(lmax, l[k]!);
  if (f.topK && f.topK < n) {
    const sorted = Array.from(l).sort((a, b) => b - a);
    const kth = sorted[f.topK - 1]!;
    for (let k = 0; k < n; k++) if (l[k]! < kth) keep[k] = false;
  }
  if (f.topP !== undefined && f.topP < 1) {
    const mass = Array.from(l, (v, k) => (keep[k] ? Math.exp((v - lmax) / t) : 0));
    const z = mass.reduce((a, b) => a + b, 0);
    // Kept iff the kept tokens of strictly larger logit weigh less than p: walk the kept
    // tokens by decreasing logit, a group of equal logits at a time.
    const order = Array.from({ length: n }, (_, k) => k).filter((k) => keep[k]).sort((a, b) => l[b]! - l[a]!);
    let above = 0;
    for (let i = 0; i < order.length; ) {
      let j = i;
      let group = 0;
      while (j < order.length && l[order[j]!] === l[order[i]!]) group += mass[order[j++]!]!;
      const stays = above < f.topP * z;
      for (let q = i; q < j; q++) keep[order[q]!] = stays;
      above += group;
      i = j;
    }
  }
  if (f.minP) {
    for (let k = 0; k < n; k++) if ((l[k]! - lmax) / t < Math.log(f.minP)) keep[k] = false;
  }
  return keep;
}

/** The exact probabilities of the filtered distribution: softmax(l / T) over the kept tokens. */
export function filteredProbs(l: ArrayLike<number>, f: Filters): number[] {
  const keep = keptRef(l, f);
  const t = f.temperature ?? 1;
  let lmax = -Infinity;
  for (let k = 0; k < l.length; k++) lmax = Math.max(lmax, l[k]!);
  const e = Array.from(l, (v, k) => (keep[k] ? Math.exp((v - lmax) / t) : 0));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** logits / T in float32 with the tokens the reference drops at -Inf: what gumbelMax should see. */
export function maskedRow(l: ArrayLike<number>, f: Filters): Float32Array {
  const keep = keptRef(l, f);
  const t = Math.fround(f.temperature ?? 1);
  return Float32Array.from(l, (v, k) => (keep[k] ? Math.fround(v / t) : -Infinity));
}

/** LLM-like logits: a few large, a long tail, some masked. */
export function llmLogits(n: number, seed: number, masked = 0): Float32Array {
  const rnd = testRandom(seed);
  const x = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const u = rnd();
    x[k] = -4 + 3 * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * u);
    if (rnd() < 0.002) x[k]! += 12;
    if (masked && rnd() < masked) x[k] = -Infinity;
  }
  return x;
}

/** The filter settings the token tests run (each filter alone, combined, and at its edges). */
export const FILTER_CASES: Filters[] = [
  {},
  { temperature: 0.7 },
  { topK: 1 },
  { topK: 50 },
  { topK: 50, temperature: 1.3 },
  { topP: 0.9 },
  { topP: 0.5, temperature: 0.6 },
  { minP: 0.05 },
  { topK: 40, topP: 0.8, minP: 0.02, temperature: 0.9 },
  { topK: 2000, topP: 0.99 },
  { topP: 0.999, temperature: 3 },
];

/**
 * Token stream layout 2: draw i (0, 1, ...) of a row whose first stream element is j, under
 * `seed`: the Philox block at counter (j low word, j high word, 0, 1 + i).
 */
export function tokenBlockRef(seed: bigint, j: bigint, i: number): number[] {
  const m = 0xffffffffn;
  return philoxRef([Number(j & m), Number((j >> 32n) & m), 0, 1 + i], [Number(seed & m), Number((seed >> 32n) & m)]);
}

/** The 53-bit uniform of a draw: word 0's 32 bits, then word 1's top 21. */
export function u53Ref(block: number[]): number {
  return (block[0]! * 2 ** 21 + Math.floor(block[1]! / 2 ** 11)) * 2 ** -53;
}

/**
 * The inverse CDF in float64: the first kept token (index order) whose cumulative weight
 * exp((l - lmax) / T) exceeds u times the kept total, and how close u * total lies to a
 * boundary of the cumulative sums (relative to the total): where it is below about 1e-6 the
 * float32 weights of the library may pick the neighbour.
 */
export function inverseCdfRef(l: ArrayLike<number>, keep: boolean[], t: number, u: number): { token: number; margin: number } {
  let lmax = -Infinity;
  for (let k = 0; k < l.length; k++) lmax = Math.max(lmax, l[k]!);
  const w = Array.from(l, (v, k) => (keep[k] ? Math.exp((v - lmax) / t) : 0));
  const z = w.reduce((a, b) => a + b, 0);
  const target = u * z;
  let acc = 0;
  let token = -1;
  let margin = Infinity;
  for (let k = 0; k < l.length; k++) {
    if (w[k] === 0) continue;
    acc += w[k]!;
    margin = Math.min(margin, Math.abs(acc - target) / z);
    if (token < 0 && acc > target) token = k;
  }
  return { token, margin };
}
