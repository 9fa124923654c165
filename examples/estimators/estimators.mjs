// Gradient estimators for a categorical variable, measured against gradients known exactly.
//
// The problem: a categorical z ~ softmax(theta) over K = 10 classes and the loss
// f(y) = ||y - t||^2 of its one-hot vector y = e_z (a fixed target t in (0, 1)^K). The objective
// is L(theta) = E_z[f(e_z)] = sum_k p_k c_k with c_k = f(e_k) = 1 - 2 t_k + ||t||^2, and its
// gradient, by enumeration of the K classes, is dL/dtheta_j = p_j (c_j - L). The loss is
// quadratic on purpose: with a linear loss <c, y> the upstream gradient would not depend on the
// sample and straight-through would be exact.
//
// Every estimate is computed with the library: categorical draws by gw.gumbelMax, relaxed
// samples by gw.gumbelSoftmax, gradients by gw.softmaxBackward, gw.gumbelRaoBackward and
// gw.gappedSTBackward, all from one seed at explicit offsets (replayable: estimate i draws the
// noise elements seed, offset i*K .. i*K + K-1; the second draw of RLOO the same elements
// from offset 2^40; Gumbel-Rao's conditional draws sit on its own sub-streams). The estimators
// therefore share their categorical draws (common random numbers): estimate i of every row
// has the same z.
//
// This module only computes; ./run.mjs is the command (table, JSON, figure), and
// test/estimators.test.ts runs a short version in CI.

import { relaxedObjective } from "./relaxed.mjs";

export const K = 10;
/** Seed of the problem's logits and target (fixed: the problem does not change with --seed). */
export const PROBLEM_SEED = 14;
/** A mean further than this many standard errors from a gradient, in any coordinate, is bias. */
export const Z_LIMIT = 4;
export const GS_TAUS = [0.1, 0.5, 1, 2, 5];
export const ST_TAUS = [0.1, 0.5, 1];
/** Offset of RLOO's second draws (estimate i: elements REGION + i*K ...). */
export const REGION = 2 ** 40;
export const DEFAULT_SAMPLES = 1_000_000;
export const QUICK_SAMPLES = 20_000;
export const DEFAULT_SEED = 2021;
const CHUNK = 16_384;

/**
 * The problem: logits theta (float32 values of 4u - 2), target t (float32 uniforms), and in
 * float64 the class probabilities, per-class losses, objective and its exact gradient.
 * @param {any} gw an instance from init()
 */
export function makeProblem(gw) {
  const u = gw.uniform(2 * K, { seed: PROBLEM_SEED, offset: 0 });
  const theta = Float32Array.from(u.subarray(0, K), (v) => 4 * v - 2);
  const target = Float32Array.from(u.subarray(K));
  // Reference values in float64 (Math.exp is fine here: a reference, not the library's output).
  const top = Math.max(...theta);
  const e = Array.from(theta, (v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / sum);
  const tt = Array.from(target).reduce((a, v) => a + v * v, 0);
  const c = Array.from(target, (v) => 1 - 2 * v + tt);
  const loss = p.reduce((a, v, k) => a + v * c[k], 0);
  const gradient = p.map((v, j) => v * (c[j] - loss));
  return { K, theta, target, p, c, loss, gradient };
}

/**
 * @typedef {object} Estimator
 * @property {string} key
 * @property {string} label
 * @property {string} family
 * @property {number} [tau]
 * @property {number} [samples] Gumbel-Rao's S
 * @property {number} draws categorical draws per estimate
 * @property {"discrete" | "relaxed" | null} unbiasedFor what theory says it is unbiased for
 * @property {string} definition
 */

/** @returns {Estimator[]} every row of the table, in order */
export function estimators() {
  /** @type {Estimator[]} */
  const list = [
    { key: "reinforce", label: "REINFORCE", family: "REINFORCE", draws: 1, unbiasedFor: "discrete", definition: "f(e_z) (e_z - p)" },
    {
      key: "reinforce-mean",
      label: "REINFORCE, baseline E[f]",
      family: "REINFORCE",
      draws: 1,
      unbiasedFor: "discrete",
      definition: "(f(e_z) - L) (e_z - p), L the exact mean loss (an oracle constant baseline)",
    },
    {
      key: "rloo",
      label: "REINFORCE, leave-one-out (2 draws)",
      family: "REINFORCE",
      draws: 2,
      unbiasedFor: "discrete",
      definition: "(1/2) sum_i (f(e_zi) - f(e_zi')) (e_zi - p) over two draws, i.e. (f(e_z1) - f(e_z2)) (e_z1 - e_z2) / 2",
    },
    {
      key: "st",
      label: "straight-through",
      family: "ST",
      draws: 1,
      unbiasedFor: null,
      definition: "J_softmax(theta)^T grad f(e_z): the one-hot's gradient passed to p = softmax(theta) (Bengio et al. 2013)",
    },
  ];
  for (const tau of GS_TAUS)
    list.push({
      key: `gs-${tau}`,
      label: `Gumbel-Softmax, tau ${tau}`,
      family: "GS",
      tau,
      draws: 1,
      unbiasedFor: "relaxed",
      definition: "J_y^T grad f(y), y = softmax((theta + g) / tau): the pathwise gradient of E f(y)",
    });
  for (const tau of ST_TAUS)
    list.push({
      key: `stgs-${tau}`,
      label: `ST Gumbel-Softmax, tau ${tau}`,
      family: "ST-GS",
      tau,
      draws: 1,
      unbiasedFor: null,
      definition: "J_y^T grad f(e_z): forward the one-hot e_z = argmax, backward through the soft sample y",
    });
  for (const S of [10, 100])
    for (const tau of ST_TAUS)
      list.push({
        key: `gr${S}-${tau}`,
        label: `Gumbel-Rao S = ${S}, tau ${tau}`,
        family: `GR-${S}`,
        tau,
        samples: S,
        draws: 1,
        unbiasedFor: null,
        definition: `mean over S = ${S} draws of g given z of J_y^T grad f(e_z) (Paulus et al. 2021): ST-GS's expectation, less variance`,
      });
  for (const tau of ST_TAUS)
    list.push({
      key: `gst-${tau}`,
      label: `Gapped ST, tau ${tau}`,
      family: "GST",
      tau,
      draws: 1,
      unbiasedFor: null,
      definition: "J_y^T grad f(e_z), y the gapped surrogate softmax(l' / tau), kappa = 1 (Fan et al. 2022): a function of z alone",
    });
  return list;
}

/** Per-coordinate running mean and sum of squared deviations, merged chunk by chunk (Chan et al.). */
export class Moments {
  /** @param {number} cols */
  constructor(cols) {
    this.cols = cols;
    this.n = 0;
    this.mean = new Float64Array(cols);
    this.m2 = new Float64Array(cols);
  }

  /** @param {ArrayLike<number>} data rows x cols, row-major @param {number} rows */
  add(data, rows) {
    const { cols } = this;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += data[r * cols + j];
      const m = s / rows;
      let q = 0;
      for (let r = 0; r < rows; r++) {
        const d = data[r * cols + j] - m;
        q += d * d;
      }
      const n = this.n + rows;
      const delta = m - this.mean[j];
      this.mean[j] += (delta * rows) / n;
      this.m2[j] += q + (delta * delta * this.n * rows) / n;
    }
    this.n += rows;
  }

  /** Per-coordinate variance of one estimate. */
  variance() {
    return Array.from(this.m2, (v) => v / (this.n - 1));
  }

  /** Per-coordinate standard error of the mean. */
  standardErrors() {
    return this.variance().map((v) => Math.sqrt(v / this.n));
  }
}

/**
 * How far a mean is from a reference gradient: the bias vector, its norm, and the z-scores
 * (mean - reference) / standard error per coordinate.
 * @param {{ mean: ArrayLike<number>, se: ArrayLike<number> }} row
 * @param {ArrayLike<number>} reference
 */
export function compare(row, reference) {
  const bias = Array.from(row.mean, (v, j) => v - reference[j]);
  const z = bias.map((b, j) => (row.se[j] > 0 ? b / row.se[j] : b === 0 ? 0 : Infinity * Math.sign(b)));
  return { bias, biasNorm: Math.hypot(...bias), z, maxZ: Math.max(...z.map(Math.abs)) };
}

/** True when every coordinate of the mean is within Z_LIMIT standard errors of the reference. */
export function consistent(row, reference, limit = Z_LIMIT) {
  return compare(row, reference).maxZ < limit;
}

/**
 * Expectations known exactly, per row key: REINFORCE's (the gradient), straight-through's and
 * Gapped ST's (by enumeration of z: both are functions of z alone), Gumbel-Softmax's (the
 * relaxed objective's gradient, by quadrature: ./relaxed.mjs).
 * @param {any} gw @param {ReturnType<typeof makeProblem>} problem @param {Estimator[]} rows
 * @returns {Record<string, { value: number[], source: string }>}
 */
export function exactExpectations(gw, problem, rows) {
  const { p, target, theta, gradient } = problem;
  /** @type {Record<string, { value: number[], source: string }>} */
  const out = {};
  for (const row of rows) {
    if (row.family === "REINFORCE") out[row.key] = { value: gradient.slice(), source: "unbiased: the exact gradient" };
    else if (row.key === "st") {
      // E[J^T 2 (e_z - t)] = J^T 2 (p - t), J = diag(p) - p p^T.
      const v = p.map((pk, k) => 2 * (pk - target[k]));
      const pv = p.reduce((a, pk, k) => a + pk * v[k], 0);
      out[row.key] = { value: p.map((pk, j) => pk * (v[j] - pv)), source: "enumeration of z" };
    } else if (row.family === "GST") {
      // Given z = i the surrogate logits are l'_i = max(theta), l'_k = min(theta_k, max - kappa).
      const tau = /** @type {number} */ (row.tau);
      const top = Math.max(...theta);
      const sur = new Float32Array(K * K);
      const dy = new Float32Array(K * K);
      for (let i = 0; i < K; i++)
        for (let k = 0; k < K; k++) {
          sur[i * K + k] = k === i ? top : Math.min(theta[k], top - 1);
          dy[i * K + k] = 2 * ((k === i ? 1 : 0) - target[k]);
        }
      const y = gw.softmax(sur, { cols: K, tau });
      const { dlogits } = gw.softmaxBackward(y, dy, { cols: K, tau });
      const value = new Array(K).fill(0);
      for (let i = 0; i < K; i++) for (let k = 0; k < K; k++) value[k] += p[i] * dlogits[i * K + k];
      out[row.key] = { value, source: "enumeration of z" };
    } else if (row.family === "GS") {
      const r = relaxedObjective(theta, target, /** @type {number} */ (row.tau));
      out[row.key] = { value: r.gradient, source: "relaxed objective, quadrature" };
    }
  }
  return out;
}

/**
 * Runs every estimator on `samples` estimates and summarises each row against the exact
 * gradient (and against its own exact expectation where that is known).
 * @param {any} gw an instance from init()
 * @param {{ samples?: number, seed?: number, keys?: string[], onProgress?: (done: number, total: number) => void }} [options]
 *   keys: only these rows (default all)
 */
export function runEstimators(gw, options = {}) {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const seed = options.seed ?? DEFAULT_SEED;
  const problem = makeProblem(gw);
  const rows = estimators().filter((e) => !options.keys || options.keys.includes(e.key));
  const started = performance.now();
  const expectations = exactExpectations(gw, problem, rows);
  const referenceSeconds = (performance.now() - started) / 1000;

  const { theta, target, p, c, loss } = problem;
  const B = Math.min(CHUNK, samples);
  const logits = gw.tensor(B, K);
  const probs = gw.tensor(B, K);
  const pf = gw.softmax(theta, { cols: K }); // float32 p, as a model would have it
  for (let r = 0; r < B; r++) {
    logits.data.set(theta, r * K);
    probs.data.set(pf, r * K);
  }
  const z = gw.tensor(B, 1, "int32");
  const z2 = gw.tensor(B, 1, "int32");
  const dyHard = gw.tensor(B, K); // 2 (e_z - t)
  const dySoft = gw.tensor(B, K); // 2 (y - t)
  const y = gw.tensor(B, K);
  const hard = gw.tensor(B, K);
  const out = gw.tensor(B, K);
  const plain = new Float64Array(B * K);
  const tensors = [logits, probs, z, z2, dyHard, dySoft, y, hard, out];

  /** @type {Map<string, Moments>} */
  const moments = new Map(rows.map((e) => [e.key, new Moments(K)]));
  // Paired differences Gumbel-Rao - ST-GS at the same tau (they share z): same expectation.
  /** @type {Map<string, Moments>} */
  const pairs = new Map();
  for (const e of rows)
    if (e.family.startsWith("GR-") && rows.some((s) => s.key === `stgs-${e.tau}`)) pairs.set(e.key, new Moments(K));
  /** @type {Map<string, Float64Array>} */
  const kept = new Map();
  const diff = new Float64Array(B * K);

  options.onProgress?.(0, samples);
  for (let first = 0; first < samples; first += B) {
    const n = Math.min(B, samples - first);
    /** @param {any} t */
    const v = (t) => t.data.subarray(0, n * t.cols);
    const offset = first * K;
    const stream = { seed, offset };
    gw.gumbelMax(v(logits), { cols: K, ...stream, out: v(z) });
    gw.gumbelMax(v(logits), { cols: K, seed, offset: REGION + offset, out: v(z2) });
    const zs = v(z);
    const zs2 = v(z2);
    const dh = v(dyHard);
    for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) dh[r * K + k] = 2 * ((k === zs[r] ? 1 : 0) - target[k]);

    for (const e of rows) {
      /** @type {ArrayLike<number>} */
      let g;
      const tau = e.tau ?? 1;
      switch (e.family) {
        case "REINFORCE": {
          for (let r = 0; r < n; r++) {
            const i = zs[r];
            const o = r * K;
            if (e.key === "rloo") {
              const i2 = zs2[r];
              const w = (c[i] - c[i2]) / 2;
              for (let k = 0; k < K; k++) plain[o + k] = w * ((k === i ? 1 : 0) - (k === i2 ? 1 : 0));
            } else {
              const w = e.key === "reinforce" ? c[i] : c[i] - loss;
              for (let k = 0; k < K; k++) plain[o + k] = w * ((k === i ? 1 : 0) - pf[k]);
            }
          }
          g = plain;
          break;
        }
        case "ST":
          g = gw.softmaxBackward(v(probs), dh, { cols: K, tau: 1, out: v(out) }).dlogits;
          break;
        case "GS": {
          const ys = gw.gumbelSoftmax(v(logits), { cols: K, tau, ...stream, out: v(y) });
          const ds = v(dySoft);
          for (let j = 0; j < n * K; j++) ds[j] = 2 * (ys[j] - target[j % K]);
          g = gw.softmaxBackward(ys, ds, { cols: K, tau, out: v(out) }).dlogits;
          break;
        }
        case "ST-GS":
          gw.gumbelSoftmax(v(logits), { cols: K, tau, hard: true, soft: v(y), ...stream, out: v(hard) });
          g = gw.softmaxBackward(v(y), dh, { cols: K, tau, out: v(out) }).dlogits;
          break;
        case "GR-10":
        case "GR-100":
          g = gw.gumbelRaoBackward(v(logits), dh, { cols: K, tau, samples: e.samples, ...stream, out: v(out) });
          break;
        case "GST":
          g = gw.gappedSTBackward(v(logits), dh, { cols: K, tau, kappa: 1, ...stream, out: v(out) });
          break;
        default:
          throw new Error(`unknown family ${e.family}`);
      }
      /** @type {Moments} */ (moments.get(e.key)).add(g, n);
      if (e.family === "ST-GS") kept.set(e.key, Float64Array.from(g));
      const pair = pairs.get(e.key);
      if (pair) {
        const base = /** @type {Float64Array} */ (kept.get(`stgs-${e.tau}`));
        for (let j = 0; j < n * K; j++) diff[j] = g[j] - base[j];
        pair.add(diff, n);
      }
    }
    options.onProgress?.(first + n, samples);
  }
  for (const t of tensors) t.free();

  const report = rows.map((e) => {
    const m = /** @type {Moments} */ (moments.get(e.key));
    const variance = m.variance();
    const stats = { mean: Array.from(m.mean), se: m.standardErrors() };
    const vsGradient = compare(stats, problem.gradient);
    const traceVar = variance.reduce((a, b) => a + b, 0);
    const known = expectations[e.key];
    const expectation = known
      ? {
          source: known.source,
          value: known.value,
          exactBias: Math.hypot(...known.value.map((x, j) => x - problem.gradient[j])),
          maxZ: compare(stats, known.value).maxZ,
        }
      : null;
    const pair = pairs.get(e.key);
    const vsSTGS = pair ? compare({ mean: Array.from(pair.mean), se: pair.standardErrors() }, new Array(K).fill(0)).maxZ : null;
    return {
      ...e,
      n: m.n,
      mean: stats.mean,
      se: stats.se,
      variance,
      traceVar,
      mse: traceVar + vsGradient.biasNorm ** 2,
      bias: vsGradient.bias,
      biasNorm: vsGradient.biasNorm,
      z: vsGradient.z,
      maxZ: vsGradient.maxZ,
      biased: vsGradient.maxZ >= Z_LIMIT,
      expectation,
      vsSTGS,
    };
  });
  return {
    problem: {
      K,
      loss: "f(y) = ||y - t||^2",
      theta: Array.from(theta),
      target: Array.from(target),
      p,
      c,
      objective: loss,
      gradient: problem.gradient,
      gradientNorm: Math.hypot(...problem.gradient),
    },
    samples,
    seed,
    zLimit: Z_LIMIT,
    referenceSeconds,
    rows: report,
  };
}
