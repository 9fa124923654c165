// The independent float64 reference: plain TypeScript, written from the definitions, sharing
// no code with src/ or assembly/. Tests compare the wasm kernels against it.

// ---------------------------------------------------------------- Philox4x32-10

const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9n;
const W1 = 0xbb67ae85n;
const MASK32 = 0xffffffffn;

/** One Philox4x32-10 block (Salmon et al. 2011), in BigInt arithmetic. */
export function philoxRef(ctr: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = ctr.map(BigInt) as [bigint, bigint, bigint, bigint];
  let [k0, k1] = key.map(BigInt) as [bigint, bigint];
  for (let round = 0; round < 10; round++) {
    const p0 = M0 * c0;
    const p1 = M1 * c2;
    [c0, c1, c2, c3] = [(p1 >> 32n) ^ c1 ^ k0, p1 & MASK32, (p0 >> 32n) ^ c3 ^ k1, p0 & MASK32];
    k0 = (k0 + W0) & MASK32;
    k1 = (k1 + W1) & MASK32;
  }
  return [c0, c1, c2, c3].map(Number);
}

/** Stream elements offset .. offset+n-1 for a seed: word (j & 3) of block (j >> 2). */
export function streamBitsRef(seed: bigint, offset: bigint, n: number): Uint32Array {
  const out = new Uint32Array(n);
  const key = [Number(seed & MASK32), Number(seed >> 32n)];
  let cached = -1n;
  let block: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = offset + BigInt(i);
    const b = j >> 2n;
    if (b !== cached) {
      block = philoxRef([Number(b & MASK32), Number((b >> 32n) & MASK32), 0, 0], key);
      cached = b;
    }
    out[i] = block[Number(j & 3n)]!;
  }
  return out;
}

/** The exact Gumbel variate of a 32-bit word: w = (x + 1/2) 2^-32, g = -log(-log1p(-w)). */
export function gumbelOfBits(x: number): number {
  const w = (x + 0.5) / 4294967296;
  return -Math.log(-Math.log1p(-w));
}

// ---------------------------------------------------------------- softmax family

function rowsOf(x: ArrayLike<number>, cols: number): number {
  if (x.length % cols !== 0) throw new Error("reference: cols does not divide length");
  return x.length / cols;
}

/** log sum_k exp(x_k / tau) per row. */
export function logSumExpRef(x: ArrayLike<number>, cols: number, tau = 1): Float64Array {
  const rows = rowsOf(x, cols);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let k = 0; k < cols; k++) m = Math.max(m, x[r * cols + k]! / tau);
    let s = 0;
    for (let k = 0; k < cols; k++) s += Math.exp(x[r * cols + k]! / tau - m);
    out[r] = m + Math.log(s);
  }
  return out;
}

export function logSoftmaxRef(x: ArrayLike<number>, cols: number, tau = 1): Float64Array {
  const lse = logSumExpRef(x, cols, tau);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! / tau - lse[Math.floor(i / cols)]!;
  return out;
}

export function softmaxRef(x: ArrayLike<number>, cols: number, tau = 1): Float64Array {
  return logSoftmaxRef(x, cols, tau).map(Math.exp);
}

/** softmax((logits + noise) / tau), the sum taken in float64. */
export function gumbelSoftmaxRef(logits: ArrayLike<number>, noise: ArrayLike<number>, cols: number, tau: number): Float64Array {
  const s = new Float64Array(logits.length);
  for (let i = 0; i < s.length; i++) s[i] = logits[i]! + noise[i]!;
  return softmaxRef(s, cols, tau);
}

/** Index of the first maximum of each row. */
export function argmaxRef(x: ArrayLike<number>, cols: number): Int32Array {
  const rows = rowsOf(x, cols);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = -Infinity;
    let idx = -1;
    for (let k = 0; k < cols; k++) {
      const v = x[r * cols + k]!;
      if (v > best) {
        best = v;
        idx = k;
      }
    }
    out[r] = idx;
  }
  return out;
}

// ---------------------------------------------------------------- gradients

/** d/dx of sum_k v_k softmax(x / tau)_k, by the formula y (v - <v, y>) / tau. */
export function softmaxVjpRef(y: ArrayLike<number>, v: ArrayLike<number>, cols: number, tau: number): Float64Array {
  const rows = rowsOf(y, cols);
  const out = new Float64Array(y.length);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let k = 0; k < cols; k++) dot += y[r * cols + k]! * v[r * cols + k]!;
    for (let k = 0; k < cols; k++) out[r * cols + k] = (y[r * cols + k]! * (v[r * cols + k]! - dot)) / tau;
  }
  return out;
}

/**
 * d/dtau of <v, softmax(x / tau)> per row in float64, from the logits x: -<dx, (x - max x) / tau>
 * with dx the VJP above (the shift changes nothing, sum(dx) = 0; masked classes add nothing).
 */
export function softmaxDtauRef(x: ArrayLike<number>, v: ArrayLike<number>, cols: number, tau: number): Float64Array {
  const rows = rowsOf(x, cols);
  const dx = softmaxVjpRef(softmaxRef(x, cols, tau), v, cols, tau);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let k = 0; k < cols; k++) m = Math.max(m, x[r * cols + k]!);
    let s = 0;
    for (let k = 0; k < cols; k++) if (x[r * cols + k] !== -Infinity) s += (dx[r * cols + k]! * (x[r * cols + k]! - m)) / tau;
    out[r] = -s;
  }
  return out;
}

/** Central finite difference of f at x along coordinate i (or along a direction). */
export function centralDiff(f: (x: Float64Array) => number, x: Float64Array, dir: Float64Array, h: number): number {
  const a = Float64Array.from(x, (v, i) => v + h * dir[i]!);
  const b = Float64Array.from(x, (v, i) => v - h * dir[i]!);
  return (f(a) - f(b)) / (2 * h);
}

// ---------------------------------------------------------------- float32 accuracy

/** The spacing of float32 numbers at |x| (2^-149 in the subnormal range). */
export function ulp32(x: number): number {
  const a = Math.abs(x);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** |got - want| in float32 ULPs of want. */
export function ulpError(got: number, want: number): number {
  if (got === want) return 0;
  return Math.abs(got - want) / ulp32(want);
}

// ---------------------------------------------------------------- statistics

/** The Gumbel(0, 1) distribution function. */
export function gumbelCdf(x: number): number {
  return Math.exp(-Math.exp(-x));
}

/** Kolmogorov-Smirnov statistic of a sample against a continuous CDF. */
export function ksStatistic(sample: ArrayLike<number>, cdf: (x: number) => number): number {
  const s = Float64Array.from(sample).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Asymptotic p-value of the KS statistic d for n samples (Kolmogorov's series). */
export function ksPValue(d: number, n: number): number {
  const t = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  let p = 0;
  for (let j = 1; j <= 100; j++) p += 2 * (-1) ** (j - 1) * Math.exp(-2 * j * j * t * t);
  return Math.min(1, Math.max(0, p));
}

function lnGamma(z: number): number {
  // Lanczos approximation (g = 7, n = 9), |error| < 1e-13 for z > 0.5.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  z -= 1;
  let x = c[0]!;
  for (let i = 1; i < 9; i++) x += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
}

/** Upper regularized incomplete gamma Q(a, x) (Numerical Recipes' series / continued fraction). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lg = lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - lg);
  }
  let b = x + 1 - a;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - lg) * h;
}

/** Pearson's chi-square test of observed counts against expected probabilities. */
export function chiSquareTest(counts: ArrayLike<number>, probs: ArrayLike<number>): { stat: number; df: number; p: number } {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i]!;
  let stat = 0;
  let df = -1;
  for (let i = 0; i < counts.length; i++) {
    const e = n * probs[i]!;
    if (e === 0) {
      if (counts[i]! !== 0) return { stat: Infinity, df: counts.length - 1, p: 0 };
      continue;
    }
    stat += (counts[i]! - e) ** 2 / e;
    df++;
  }
  return { stat, df, p: gammaQ(df / 2, stat / 2) };
}

/** A seeded float64 generator for test inputs (mulberry32), independent of the library. */
export function testRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
