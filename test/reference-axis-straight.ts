// Line-by-line references for the straight-through estimators along a non-last axis: the
// layout outer x classes x inner (element (o, c, j) at (o * classes + c) * inner + j), and the
// row references of test/reference-straight.ts applied to each line with the noise mapped by
// flat index (sub-stream 1 + s of the element's own index for Gumbel-Rao's draw s).
import { softmaxVjpRef, testRandom } from "./reference.js";
import { gappedSTRowRef, gumbelRaoDrawRef, subStreamBitsRef } from "./reference-straight.js";
import type { Layout } from "./reference-axis.js";

export type Op = "rao" | "gst";

/** What a reference call needs: tau, Gumbel-Rao's samples or Gapped ST's kappa (-1: adaptive), the stream. */
export interface RefOpts {
  tau: number;
  param: number;
  seed: bigint;
  offset: bigint;
}

const F32_MAX = 3.4028234663852886e38;

export { layoutOf, type Layout } from "./reference-axis.js";

export const flat = (L: Layout, o: number, c: number, j: number) => (o * L.classes + c) * L.inner + j;
export const size = (L: Layout) => L.outer * L.classes * L.inner;

/** Every line (o, j) of the layout, in line order (o * inner + j). */
export function lines(L: Layout): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let o = 0; o < L.outer; o++) for (let j = 0; j < L.inner; j++) out.push([o, j]);
  return out;
}

export function lineOf(x: ArrayLike<number>, L: Layout, o: number, j: number): number[] {
  return Array.from({ length: L.classes }, (_, c) => x[flat(L, o, c, j)]!);
}

/** Logits in (-scale, scale), a share of them masked, never class 0 of a line (so every line keeps one). */
export function randomLogits(seed: number, L: Layout, scale: number, masked = 0): Float32Array {
  const rnd = testRandom(seed);
  const x = Float32Array.from({ length: size(L) }, () => (rnd() * 2 - 1) * scale);
  for (const [o, j] of lines(L)) {
    for (let c = 1; c < L.classes; c++) if (rnd() < masked) x[flat(L, o, c, j)] = -Infinity;
  }
  return x;
}

export function randomArray(seed: number, n: number): Float32Array {
  const rnd = testRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
}

/** The scale the kernels apply for tau, and the tau it stands for. */
export function kernelTau(tau: number): number {
  return 1 / Math.min(Math.fround(1 / Math.fround(tau)), F32_MAX);
}

/** The class argmax(x + g) of each line (the lowest on ties), g the noise at the element's flat index. */
export function sampledRef(x: Float32Array, g: Float32Array, L: Layout): number[] {
  return lines(L).map(([o, j]) => {
    let best = -Infinity;
    let idx = -1;
    for (let c = 0; c < L.classes; c++) {
      const t = Math.fround(x[flat(L, o, c, j)]! + g[flat(L, o, c, j)]!);
      if (t > best) {
        best = t;
        idx = c;
      }
    }
    return idx;
  });
}

/** The references' surrogate of each line given its sampled class, in the input's layout: [y] (GST) or [y_s] (Gumbel-Rao). */
export function drawsRef(op: Op, x: Float32Array, L: Layout, o: RefOpts, index: number[]): Float64Array[] {
  const n = size(L);
  const S = op === "rao" ? o.param : 1;
  const draws = Array.from({ length: S }, () => new Float64Array(n));
  const bits = op === "rao" ? Array.from({ length: S }, (_, s) => subStreamBitsRef(o.seed, o.offset, n, 1 + s)) : [];
  lines(L).forEach(([oo, j], line) => {
    const l = lineOf(x, L, oo, j);
    for (let s = 0; s < S; s++) {
      const y = op === "rao"
        ? gumbelRaoDrawRef(l, index[line]!, o.tau, lineOf(bits[s]!, L, oo, j))
        : gappedSTRowRef(l, index[line]!, o.tau, o.param < 0 ? "adaptive" : o.param);
      y.forEach((v, c) => (draws[s]![flat(L, oo, c, j)] = v));
    }
  });
  return draws;
}

export function softRef(draws: Float64Array[]): Float64Array {
  const out = new Float64Array(draws[0]!.length);
  for (const d of draws) d.forEach((v, e) => (out[e]! += v / draws.length));
  return out;
}

/** (1/S) sum_s y_s (v - <v, y_s>) / tau, line by line. */
export function gradRef(draws: Float64Array[], v: Float32Array, L: Layout, tau: number): Float64Array {
  const out = new Float64Array(v.length);
  for (const y of draws) {
    for (const [o, j] of lines(L)) {
      const g = softmaxVjpRef(lineOf(y, L, o, j), lineOf(v, L, o, j), L.classes, kernelTau(tau));
      g.forEach((gc, c) => (out[flat(L, o, c, j)]! += gc / draws.length));
    }
  }
  return out;
}

