// The float64 reference of sampleTokens' filters, written from their definitions (sharing no
// code with src/ or assembly/), and the logits and settings the token tests share.

import { testRandom } from "./reference.js";

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
