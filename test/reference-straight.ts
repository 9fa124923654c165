// Float64 references for the straight-through estimators, written plainly from the papers'
// reference code (no code shared with src/ or assembly/), on the noise of test/reference.ts:
// - Gumbel-Rao: `conditional_gumbel` and `gumbel_rao` of github.com/nshepperd/gumbel-rao-pytorch
//   (Paulus, Maddison and Krause, ICLR 2021), in its exponential form:
//     E ~ Exp(1), Z = sum_k exp(l_k),
//     z_i = log Z - log E_i (the sampled class), z_k = -log(E_k / exp(l_k) + E_i / Z),
//     surrogate = mean_s softmax(z_s / tau).
// - Gapped ST: `gst_mover` of github.com/chijames/GST, model/basic.py (Fan et al., ICML 2022),
//   step by step: move, move2, the mean subtracted, softmax.
import { gumbelOfBits, philoxRef, softmaxVjpRef } from "./reference.js";

const MASK32 = 0xffffffffn;
const F32_MAX = 3.4028234663852886e38;

/** Elements offset .. offset+n-1 of sub-stream `sub`: word (j & 3) of block (j >> 2, sub). */
export function subStreamBitsRef(seed: bigint, offset: bigint, n: number, sub: number): Uint32Array {
  const out = new Uint32Array(n);
  const key = [Number(seed & MASK32), Number(seed >> 32n)];
  // Block by block, each word put where its element falls.
  for (let b = offset >> 2n; n > 0 && b <= (offset + BigInt(n - 1)) >> 2n; b++) {
    const words = philoxRef([Number(b & MASK32), Number((b >> 32n) & MASK32), sub, 0], key);
    words.forEach((word, w) => {
      const i = Number((b << 2n) + BigInt(w) - offset);
      if (i >= 0 && i < n) out[i] = word;
    });
  }
  return out;
}

/** The Exp(1) variate behind a word's Gumbel value: E = exp(-g) = -log1p(-w). */
export function exponentialOfBits(x: number): number {
  return Math.exp(-gumbelOfBits(x));
}

/** The scale the kernels apply for tau: float32(1 / float32(tau)), capped at the largest float32. */
function invTau(tau: number): number {
  return Math.min(Math.fround(1 / Math.fround(tau)), F32_MAX);
}

/** softmax(x * inv) of one row in float64, the max subtracted; -Inf entries give 0. */
function softmaxRow(x: ArrayLike<number>, inv: number): Float64Array {
  let m = -Infinity;
  for (let k = 0; k < x.length; k++) m = Math.max(m, x[k]!);
  const y = new Float64Array(x.length);
  let s = 0;
  for (let k = 0; k < x.length; k++) {
    y[k] = x[k] === -Infinity ? 0 : Math.exp((x[k]! - m) * inv);
    s += y[k]!;
  }
  return y.map((v) => v / s);
}

/**
 * The class Gumbel-Max samples in each row from the float64 reference noise (elements
 * offset + r*cols + k of sub-stream 0), and its margin over the runner-up (float32 sums may
 * round a near-tie the other way).
 */
export function gumbelMaxRef(logits: ArrayLike<number>, cols: number, seed: bigint, offset: bigint): { index: Int32Array; margin: Float64Array } {
  const rows = logits.length / cols;
  const index = new Int32Array(rows);
  const margin = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const bits = subStreamBitsRef(seed, offset + BigInt(r * cols), cols, 0);
    let best = -Infinity;
    let second = -Infinity;
    let idx = -1;
    for (let k = 0; k < cols; k++) {
      const t = logits[r * cols + k]! + gumbelOfBits(bits[k]!);
      if (t > best) {
        second = best;
        best = t;
        idx = k;
      } else if (t > second) second = t;
    }
    index[r] = idx;
    margin[r] = best - second;
  }
  return { index, margin };
}

/**
 * One conditional soft sample y = softmax(z / tau) of one row l given its sampled class i, from
 * the row's random words (one per class) of the draw's sub-stream. Logits are shifted by their
 * maximum first (no overflow in exp; softmax is shift-invariant).
 */
export function gumbelRaoDrawRef(l: readonly number[], i: number, tau: number, bits: ArrayLike<number>): Float64Array {
  const m = Math.max(...l);
  const lt = l.map((v) => v - m);
  let Z = 0;
  for (const v of lt) Z += Math.exp(v);
  const E = Array.from(bits, exponentialOfBits);
  const Ei = E[i]!;
  const z = lt.map((v, k) => (k === i ? Math.log(Z) - Math.log(Ei) : v === -Infinity ? -Infinity : -Math.log(E[k]! / Math.exp(v) + Ei / Z)));
  return softmaxRow(z, invTau(tau));
}

/**
 * Gumbel-Rao's S conditional soft samples y_s = softmax(z_s / tau) per row (draws[s] is
 * rows x cols), given the sampled class of each row. Draw s of row r uses elements
 * offset + r*cols + k of sub-stream 1 + s.
 */
export function gumbelRaoDrawsRef(
  logits: ArrayLike<number>, cols: number, tau: number | ArrayLike<number>, samples: number,
  seed: bigint, offset: bigint, index: ArrayLike<number>,
): Float64Array[] {
  const rows = logits.length / cols;
  const draws = Array.from({ length: samples }, () => new Float64Array(rows * cols));
  for (let r = 0; r < rows; r++) {
    const l = Array.from({ length: cols }, (_, k) => logits[r * cols + k]!);
    const t = typeof tau === "number" ? tau : tau[r]!;
    for (let s = 0; s < samples; s++) {
      const bits = subStreamBitsRef(seed, offset + BigInt(r * cols), cols, 1 + s);
      draws[s]!.set(gumbelRaoDrawRef(l, index[r]!, t, bits), r * cols);
    }
  }
  return draws;
}

/** mean_s draws[s]. */
export function meanOfDraws(draws: Float64Array[]): Float64Array {
  const out = new Float64Array(draws[0]!.length);
  for (const d of draws) for (let j = 0; j < out.length; j++) out[j]! += d[j]! / draws.length;
  return out;
}

/** (1/S) sum_s y_s * (v - <v, y_s>) / tau: the gradient of the averaged surrogate. */
export function gumbelRaoGradRef(draws: Float64Array[], v: ArrayLike<number>, cols: number, tau: number): Float64Array {
  const out = new Float64Array(v.length);
  for (const y of draws) {
    const g = softmaxVjpRef(y, v, cols, 1 / invTau(tau));
    for (let j = 0; j < out.length; j++) out[j]! += g[j]! / draws.length;
  }
  return out;
}

/**
 * Gapped ST's surrogate softmax(l' / tau) of one row l given its sampled class i, following
 * `gst_mover`: p = softmax(l), m = max(l), move = (m - l) * D,
 * gap = kappa or (adaptive) -log(1 - p_i') / p_i' with p_i' = p_i (1 - 1e-5),
 * move2 = clamp(l - m + gap, 0) with move2_i = 0, l' = l + move - move2, l' -= mean(l').
 * Masked (-Inf) classes are left out of the moves and the mean and get probability 0 (the
 * official code masks with a separate argument instead).
 */
export function gappedSTRowRef(l: readonly number[], i: number, tau: number, kappa: number | "adaptive"): Float64Array {
  const p = softmaxRow(l, 1);
  // The code's max_logits = l[argmax p] is max(l), except where p ties in rounding
  // (logits 1e-34 apart): the maximum itself, as the paper defines it.
  const m = Math.max(...l);
  const pi = p[i]! * (1 - 1e-5);
  const gap = kappa === "adaptive" ? (pi === 0 ? 1 : -Math.log1p(-pi) / pi) : kappa;
  const lp = l.map((v, k) => {
    if (v === -Infinity) return v;
    const move = k === i ? m - v : 0;
    const move2 = k === i ? 0 : Math.max(0, v - m + gap);
    return v + (move - move2);
  });
  const finite = lp.filter((v) => v !== -Infinity);
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  return softmaxRow(lp.map((v) => v - mean), invTau(tau));
}

/** gappedSTRowRef of every row, given the sampled class of each. */
export function gappedSTSoftRef(
  logits: ArrayLike<number>, cols: number, tau: number | ArrayLike<number>, kappa: number | "adaptive", index: ArrayLike<number>,
): Float64Array {
  const rows = logits.length / cols;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const l = Array.from({ length: cols }, (_, k) => logits[r * cols + k]!);
    out.set(gappedSTRowRef(l, index[r]!, typeof tau === "number" ? tau : tau[r]!, kappa), r * cols);
  }
  return out;
}
