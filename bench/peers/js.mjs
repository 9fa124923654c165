// The hand-written JavaScript baseline: what a user writes in an afternoon. Plain loops over
// Float32Array, Math.log / Math.exp (float64), and a seeded xorshift32 generator.
//
// A peer module exports `create()`, which resolves to an implementation (see the typedefs in
// ../run.mjs) or to null when the peer cannot run here (a missing optional dependency).

const TWO_M32 = 2 ** -32;

/**
 * xorshift32 (Marsaglia 2003, shifts 13/17/5). The state is never 0, so u = x * 2^-32 lies in
 * (0, 1) and -log(-log(u)) is always finite.
 */
class XorShift32 {
  /** @param {number} seed */
  constructor(seed) {
    this.x = seed >>> 0 || 0x9e3779b9;
  }

  /** @returns {number} a uniform in (0, 1) */
  next() {
    let x = this.x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.x = x >>> 0;
    return this.x * TWO_M32;
  }
}

/**
 * out[i] = g_i, n standard Gumbel values.
 * @param {XorShift32} rng @param {Float32Array} out
 */
export function gumbelNoise(rng, out) {
  for (let i = 0; i < out.length; i++) out[i] = -Math.log(-Math.log(rng.next()));
}

/**
 * out[r] = argmax_k (logits[r, k] + g[r, k]).
 * @param {XorShift32} rng @param {Float32Array} logits @param {number} cols @param {Int32Array} out
 */
export function gumbelMax(rng, logits, cols, out) {
  const rows = out.length;
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let best = -Infinity;
    let idx = -1;
    for (let k = 0; k < cols; k++) {
      const v = logits[base + k] - Math.log(-Math.log(rng.next()));
      if (v > best) {
        best = v;
        idx = k;
      }
    }
    out[r] = idx;
  }
}

/**
 * out = softmax((logits + g) / tau) per row (max subtracted), or with `hard` the one-hot of
 * argmax(logits + g).
 * @param {XorShift32} rng @param {Float32Array} logits @param {number} cols @param {number} tau
 * @param {boolean} hard @param {Float32Array} out
 */
export function gumbelSoftmax(rng, logits, cols, tau, hard, out) {
  const n = logits.length;
  const invTau = 1 / tau;
  for (let base = 0; base < n; base += cols) {
    const end = base + cols;
    let m = -Infinity;
    let idx = base;
    for (let i = base; i < end; i++) {
      const v = logits[i] - Math.log(-Math.log(rng.next()));
      out[i] = v;
      if (v > m) {
        m = v;
        idx = i;
      }
    }
    if (hard) {
      out.fill(0, base, end);
      out[idx] = 1;
      continue;
    }
    let sum = 0;
    for (let i = base; i < end; i++) {
      const e = Math.exp((out[i] - m) * invTau);
      out[i] = e;
      sum += e;
    }
    const s = 1 / sum;
    for (let i = base; i < end; i++) out[i] *= s;
  }
}

/**
 * Backward pass of y = softmax(x / tau): dx = y * (dy - <dy, y>) / tau and, per row when
 * `dtau` is not null, dtau = -<dx, log y> (the same outputs as gumbel-wasm's softmaxBackward
 * with and without dtau).
 * @param {Float32Array} y @param {Float32Array} dy @param {number} cols @param {number} tau
 * @param {Float32Array} dx @param {Float32Array | null} dtau
 */
export function softmaxBackward(y, dy, cols, tau, dx, dtau) {
  const invTau = 1 / tau;
  for (let r = 0, base = 0; base < dx.length; r++, base += cols) {
    const end = base + cols;
    let dot = 0;
    for (let i = base; i < end; i++) dot += dy[i] * y[i];
    if (dtau === null) {
      // dlogits only: no log
      for (let i = base; i < end; i++) dx[i] = y[i] * (dy[i] - dot) * invTau;
      continue;
    }
    let dt = 0;
    for (let i = base; i < end; i++) {
      const d = y[i] * (dy[i] - dot) * invTau;
      dx[i] = d;
      if (y[i] > 0) dt -= d * Math.log(y[i]);
    }
    dtau[r] = dt;
  }
}

/** @returns {Promise<import("../run.mjs").Impl>} */
export async function create() {
  return {
    id: "js",
    label: "JS baseline",
    stream: "xorshift32",
    short: "JS",
    compare: true,
    prepare(op, input) {
      const { rows, cols, n, tau } = input;
      const rng = new XorShift32(1);
      switch (op) {
        case "noise": {
          const out = new Float32Array(n);
          return { call: () => gumbelNoise(rng, out), output: () => ({ values: out }) };
        }
        case "max": {
          const out = new Int32Array(rows);
          return { call: () => gumbelMax(rng, input.logits, cols, out), output: () => ({ values: out }) };
        }
        case "soft":
        case "hard": {
          const out = new Float32Array(n);
          const hard = op === "hard";
          return {
            call: () => gumbelSoftmax(rng, input.logits, cols, tau, hard, out),
            output: () => ({ values: out }),
          };
        }
        case "backward":
        case "backward-dx": {
          const dx = new Float32Array(n);
          const dtau = op === "backward" ? new Float32Array(rows) : null;
          return {
            call: () => softmaxBackward(input.y, input.dy, cols, tau, dx, dtau),
            output: () => (dtau ? { values: dx, dtau } : { values: dx }),
          };
        }
        default:
          return null;
      }
    },
  };
}
