// The exact gradient of the relaxed (Gumbel-Softmax) objective R(theta) = E ||y - t||^2, where
// y = softmax((theta + g) / tau) and g is i.i.d. Gumbel(0, 1), by quadrature (deterministic, no
// sampling): the reference that Gumbel-Softmax's pathwise gradient is unbiased for.
//
// Method. Write X_j = exp((theta_j + g_j) / tau), S = sum_j X_j, y_k = X_k / S. With
// 1/S = int_0^inf e^{-sS} ds and 1/S^2 = int_0^inf s e^{-sS} ds, independence of the g_j and
// u = log s:
//
//   A_k = E[y_k]   = int N1_k(u) prod_{j != k} N0_j(u) du
//   B_k = E[y_k^2] = int N2_k(u) prod_{j != k} N0_j(u) du
//
// where Na_j(u) = E[w^a e^{-w}], w = e^u X_j (so every factor lies in [0, (a/e)^a]: nothing
// overflows). Since dw/dtheta_j = w / tau, dNa_j/dtheta_j = (a Na_j - N(a+1)_j) / tau, which gives
// dA_k/dtheta_m and dB_k/dtheta_m as integrals of the same kind, and
//
//   dR/dtheta_m = sum_k dB_k/dtheta_m - 2 sum_k t_k dA_k/dtheta_m.
//
// Each Na_j(u) is an integral over g against the Gumbel density exp(-g - e^{-g}); both
// integrals run over the real line with the trapezoid rule, which converges geometrically for
// integrands analytic in a strip (here |Im g| < tau pi / 2 and |Im u| < pi / 2): steps of
// 0.2 min(tau, 1) in g and 0.25 in u put the discretisation error near e^-39 relative, and the
// ranges cut tails below 1e-16 (see `checks`: sum_k A_k = 1 and the shift invariance
// sum_m dR/dtheta_m = 0 hold to about 1e-13). Float64 and Math.exp: this is the reference,
// outside the library (nothing here is on a path from the library's inputs to its outputs).

/**
 * @param {ArrayLike<number>} theta logits
 * @param {ArrayLike<number>} target t
 * @param {number} tau
 * @param {{ refine?: number }} [options] refine: divide both steps by this (a convergence check)
 * @returns {{ value: number, gradient: number[], mean: number[], checks: { sumMean: number, sumGradient: number } }}
 *   value R(theta), its gradient, E[y], and the two identities' residuals
 */
export function relaxedObjective(theta, target, tau, options = {}) {
  const K = theta.length;
  const refine = options.refine ?? 1;
  const top = Math.max(...Array.from(theta));
  const th = Array.from(theta, (v) => v - top); // shift-invariant: max 0
  const low = Math.min(...th);
  const second = th.length > 1 ? [...th].sort((a, b) => b - a)[1] : 0;

  // Inner grid over g: the Gumbel density is below e^-50 under -4, and the tail above 40 holds
  // less than e^-40 of the mass (each integrand is at most 1.1 times the density).
  const hg = (0.2 * Math.min(tau, 1)) / refine;
  const G = [];
  const logPhi = [];
  for (let g = -4; g <= 40; g += hg) {
    G.push(g);
    logPhi.push(-g - Math.exp(-g));
  }
  // Outer grid over u = log s: N1 and N2 vanish like e^{min(tau, 1) u} as u -> -inf (the tail
  // index of X is tau), and every N0_j like exp(-c e^{u tau / (1 + tau)}) as u -> +inf, from
  // u = -theta_j / tau on (a product over all classes but one: the second largest logit sets it).
  const rate = Math.min(tau, 1);
  const uLo = -40 / rate + low / tau - 5;
  const uHi = 6 * (1 + 1 / tau) + 5 - second / tau;
  const hu = 0.25 / refine;

  const N = [0, 1, 2, 3].map(() => new Float64Array(K));
  const A = new Float64Array(K);
  const B = new Float64Array(K);
  const dA = Array.from({ length: K }, () => new Float64Array(K)); // dA[k][m] = dA_k/dtheta_m
  const dB = Array.from({ length: K }, () => new Float64Array(K));
  const others = new Float64Array(K); // prod_{j != k} N0_j
  for (let u = uLo; u <= uHi; u += hu) {
    // The four moments of every class at this u.
    for (let j = 0; j < K; j++) {
      let n0 = 0;
      let n1 = 0;
      let n2 = 0;
      let n3 = 0;
      const shift = u + th[j] / tau;
      for (let i = 0; i < G.length; i++) {
        const lw = shift + G[i] / tau; // log w
        if (lw > 7) break; // e^{-w} < e^{-1096}: nothing further on
        const w = Math.exp(lw);
        const f = Math.exp(logPhi[i] - w);
        if (f === 0) continue;
        n0 += f;
        n1 += f * w;
        n2 += f * w * w;
        n3 += f * w * w * w;
      }
      N[0][j] = n0 * hg;
      N[1][j] = n1 * hg;
      N[2][j] = n2 * hg;
      N[3][j] = n3 * hg;
    }
    for (let k = 0; k < K; k++) {
      let prod = 1;
      for (let j = 0; j < K; j++) if (j !== k) prod *= N[0][j];
      others[k] = prod;
    }
    for (let k = 0; k < K; k++) {
      const n1 = N[1][k];
      const n2 = N[2][k];
      A[k] += n1 * others[k];
      B[k] += n2 * others[k];
      dA[k][k] += ((n1 - n2) / tau) * others[k];
      dB[k][k] += ((2 * n2 - N[3][k]) / tau) * others[k];
      for (let m = 0; m < K; m++) {
        if (m === k) continue;
        // prod over j != k, m of N0_j, with m's factor replaced by its derivative -N1_m / tau.
        let prod = 1;
        for (let j = 0; j < K; j++) if (j !== k && j !== m) prod *= N[0][j];
        const d = (-N[1][m] / tau) * prod;
        dA[k][m] += n1 * d;
        dB[k][m] += n2 * d;
      }
    }
  }
  let value = 0;
  let sumMean = 0;
  const gradient = new Array(K).fill(0);
  for (let k = 0; k < K; k++) {
    A[k] *= hu;
    B[k] *= hu;
    sumMean += A[k];
    value += B[k] - 2 * target[k] * A[k] + target[k] * target[k];
  }
  for (let m = 0; m < K; m++) {
    let d = 0;
    for (let k = 0; k < K; k++) d += (dB[k][m] - 2 * target[k] * dA[k][m]) * hu;
    gradient[m] = d;
  }
  return {
    value,
    gradient,
    mean: Array.from(A),
    checks: { sumMean: sumMean - 1, sumGradient: gradient.reduce((a, b) => a + b, 0) },
  };
}
