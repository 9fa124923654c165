// Float64 references for the relaxed distributions, written plainly from the textbook formulas
// (Maddison et al. 2017, TFP's form with log_softmax) and sharing no code with src/ or
// assembly/. Math.log / Math.exp are fine here: tests are not on the output path.

/** lgamma(k) = log((k-1)!) for an integer k >= 1, as a plain sum of logs. */
export function lgammaIntRef(k: number): number {
  let s = 0;
  for (let i = 2; i < k; i++) s += Math.log(i);
  return s;
}

function logSumExp(v: number[]): number {
  const m = Math.max(...v);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  return m + Math.log(s);
}

/**
 * log p(y) of RelaxedOneHotCategorical(logits, tau) for one row, in TFP's arrangement:
 * lgamma(K) + (K-1) log tau + sum_k log_softmax(l - tau log y)_k - sum_k log y_k over the K
 * unmasked classes. Masked classes need y = 0 (else -Inf). With zeros among the unmasked y
 * (m of them, the set Z): the limit along y_Z = eps -> 0, i.e. sign of m(tau+1) - K tau, or
 * lgamma(K) + (K-1) log tau + sum l - (tau+1) sum_{not Z} log y - K logsumexp_Z(l) when it is 0.
 */
export function relaxedLogProbRef(logits: ArrayLike<number>, y: ArrayLike<number>, tau: number): number {
  const l: number[] = [];
  const v: number[] = [];
  for (let k = 0; k < logits.length; k++) {
    if (logits[k] === -Infinity) {
      if (y[k] !== 0) return -Infinity;
      continue;
    }
    l.push(logits[k]!);
    v.push(y[k]!);
  }
  const K = l.length;
  const zeros = v.map((x, k) => (x === 0 ? k : -1)).filter((k) => k >= 0);
  const m = zeros.length;
  const head = lgammaIntRef(K) + (K - 1) * Math.log(tau);
  if (m === 0) {
    const x = l.map((lk, k) => lk - tau * Math.log(v[k]!));
    const lse = logSumExp(x);
    let s = 0;
    for (let k = 0; k < K; k++) s += x[k]! - lse - Math.log(v[k]!);
    return head + s;
  }
  const e = m * (tau + 1) - K * tau;
  if (e > 0) return Infinity;
  if (e < 0) return -Infinity;
  let c = head;
  for (let k = 0; k < K; k++) {
    c += l[k]!;
    if (v[k] !== 0) c -= (tau + 1) * Math.log(v[k]!);
  }
  return c - K * logSumExp(zeros.map((k) => l[k]!));
}

/**
 * The gradients' limits at a row with zeros (Z nonempty): dlogits = 1 - K softmax_Z(l) on Z,
 * 1 elsewhere, 0 for masked classes; dtau = -Inf.
 */
export function relaxedBoundaryGradRef(logits: ArrayLike<number>, y: ArrayLike<number>): { dlogits: number[]; dtau: number } {
  const K = Array.from(logits).filter((x) => x !== -Infinity).length;
  const zl: number[] = [];
  for (let k = 0; k < logits.length; k++) if (logits[k] !== -Infinity && y[k] === 0) zl.push(logits[k]!);
  const lse = logSumExp(zl);
  const dlogits = Array.from(logits, (l, k) => (l === -Infinity ? 0 : y[k] === 0 ? 1 - K * Math.exp(l - lse) : 1));
  return { dlogits, dtau: -Infinity };
}

function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/**
 * log p(y) of RelaxedBernoulli(l, tau), from the change of variables y = sigmoid((l + L)/tau),
 * L ~ Logistic(0, 1): with w = tau logit(y) - l,
 * log p = log tau - log y - log(1-y) + log sigmoid(w) + log sigmoid(-w); the limits at 0 and 1.
 */
export function relaxedBernoulliLogProbRef(l: number, tau: number, y: number): number {
  if (l === -Infinity) return y === 0 ? 0 : -Infinity; // the point mass at 0
  if (l === Infinity) return y === 1 ? 0 : -Infinity; // the point mass at 1
  if (y === 0 || y === 1) {
    if (tau === 1) return y === 0 ? -l : l;
    return tau < 1 ? Infinity : -Infinity;
  }
  const w = tau * Math.log(y / (1 - y)) - l;
  return Math.log(tau) - Math.log(y) - Math.log(1 - y) + logSigmoid(w) + logSigmoid(-w);
}

/** P(Y <= y) = P(L <= tau logit(y) - l) = sigmoid(tau logit(y) - l). */
export function relaxedBernoulliCdfRef(l: number, tau: number, y: number): number {
  if (l === -Infinity) return 1;
  if (l === Infinity) return y >= 1 ? 1 : 0;
  if (y <= 0) return 0;
  if (y >= 1) return 1;
  return 1 / (1 + Math.exp(-(tau * Math.log(y / (1 - y)) - l)));
}

/** (f(x + h) - f(x - h)) / 2h. */
export function centralDiff1(f: (x: number) => number, x: number, h: number): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

/**
 * Kolmogorov-Smirnov statistic that allows ties (float32 samples pile up at values such as 1):
 * at each distinct value v, |F_n(v) - F(v)| and |F_n(v-) - F(previous value)|.
 */
export function ksStatisticTies(sample: ArrayLike<number>, cdf: (x: number) => number): number {
  const s = Float64Array.from(sample).sort();
  const n = s.length;
  let d = 0;
  let prevF = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && s[j] === s[i]) j++;
    const f = cdf(s[i]!);
    d = Math.max(d, Math.abs(j / n - f), Math.abs(i / n - prevF));
    prevF = f;
    i = j;
  }
  return d;
}

/**
 * The cdf of float32(Y) (round to nearest) at a float32 value v: F at the midpoint between v and
 * the next float32 above it. Near 1 the float32 spacing (6e-8) is coarse on the logit scale.
 */
export function roundedCdf(cdf: (x: number) => number): (v: number) => number {
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  return (v) => {
    if (v >= 1) return cdf(1);
    f[0] = v;
    bits[0] = bits[0]! + 1; // v >= 0: the next float32 up
    return cdf((v + f[0]!) / 2);
  };
}
