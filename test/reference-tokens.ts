// The float64 reference of sampleTokens' filters, written from their definitions (sharing no
// code with src/ or assembly/).

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
