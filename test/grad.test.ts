// Gradients: the VJP w.r.t. logits, the gradient w.r.t. tau and the JVP, against central
// finite differences of the float64 reference.
import { describe, expect, test } from "vitest";
import { centralDiff, gumbelSoftmaxRef, softmaxRef, softmaxVjpRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

const H = 1e-5;

function randomArray(seed: number, n: number, scale: number): Float32Array {
  const rnd = testRandom(seed);
  return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
}

/**
 * Whether float32 gradients a match b: within 1e-5 of the row's largest |b|, plus the
 * cancellation float32 cannot avoid in v - <v, y> (2^-20 max|v| / tau).
 */
function gradClose(a: ArrayLike<number>, b: ArrayLike<number>, v: ArrayLike<number>, tau: number): boolean {
  let scale = 0;
  let vmax = 0;
  let err = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    vmax = Math.max(vmax, Math.abs(v[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err <= 1e-5 * scale + (2 ** -20 * vmax) / tau;
}

describe.each(backends)("%s binary", (backend) => {
  test.each([1, 2, 5, 10, 33])("VJP and dtau of Gumbel-Softmax match finite differences, cols = %i", async (cols) => {
    const gw = await load(backend);
    const rows = 3;
    for (const tau of [0.3, 1, 2.5]) {
      const logits = randomArray(cols, rows * cols, 2);
      const v = randomArray(cols + 100, rows * cols, 1);
      const seed = 9;
      const g = gw.gumbelNoise(rows * cols, { seed }) as Float32Array;
      const y = gw.gumbelSoftmax(logits, { cols, tau, seed });
      const { dlogits, dtau } = gw.softmaxBackward(y, v, { cols, tau });
      expect(dtau.length).toBe(rows);
      for (let r = 0; r < rows; r++) {
        const l0 = Float64Array.from(logits.subarray(r * cols, (r + 1) * cols));
        const gr = g.subarray(r * cols, (r + 1) * cols);
        const vr = v.subarray(r * cols, (r + 1) * cols);
        const loss = (l: Float64Array, t = tau) => {
          const yr = gumbelSoftmaxRef(l, gr, cols, t);
          let s = 0;
          for (let k = 0; k < cols; k++) s += vr[k]! * yr[k]!;
          return s;
        };
        const fd = l0.map((_, k) => centralDiff((l) => loss(l), l0, Float64Array.from(l0, (_, j) => (j === k ? 1 : 0)), H));
        expect(gradClose(dlogits.subarray(r * cols, (r + 1) * cols), fd, vr, tau)).toBe(true);
        const fdTau = (loss(l0, tau + H) - loss(l0, tau - H)) / (2 * H);
        expect(gradClose([dtau[r]!], [fdTau], vr, tau * tau)).toBe(true);
      }
    }
  });

  test("the VJP equals the float64 formula on large rows, and masked classes get exactly 0", async () => {
    const gw = await load(backend);
    const cols = 1000;
    const x = randomArray(4, 4 * cols, 3);
    x[7] = -Infinity;
    const y = gw.softmax(x, { cols, tau: 0.5 });
    const v = randomArray(5, 4 * cols, 1);
    const { dlogits, dtau } = gw.softmaxBackward(y, v, { cols, tau: 0.5 });
    expect(gradClose(dlogits, softmaxVjpRef(y, v, cols, 0.5), v, 0.5)).toBe(true);
    expect(dlogits[7] === 0).toBe(true); // +0 or -0
    for (const d of dtau) expect(Number.isFinite(d)).toBe(true);
  });

  test.each([1, 3, 10, 67])("JVP matches the directional finite difference, cols = %i", async (cols) => {
    const gw = await load(backend);
    const rows = 4;
    for (const tau of [0.5, 1.7]) {
      const x = randomArray(cols + 3, rows * cols, 2);
      const t = randomArray(cols + 4, rows * cols, 1);
      const y = gw.softmax(x, { cols, tau });
      const jvp = gw.softmaxJvp(y, t, { cols, tau });
      const x64 = Float64Array.from(x);
      const t64 = Float64Array.from(t);
      for (let i = 0; i < rows * cols; i++) {
        const fd = centralDiff((z) => softmaxRef(z, cols, tau)[i]!, x64, t64, H);
        if (Math.abs(jvp[i]! - fd) > 2e-5 * Math.max(1e-2, Math.abs(fd))) throw new Error(`JVP at ${i}: ${jvp[i]} vs ${fd}`);
      }
    }
  });

  test("JVP and VJP are transposes: <u, J t> = <J u, t> (the Jacobian is symmetric)", async () => {
    const gw = await load(backend);
    const cols = 50;
    const x = randomArray(1, cols, 2);
    const y = gw.softmax(x, { cols, tau: 0.8 });
    const u = randomArray(2, cols, 1);
    const t = randomArray(3, cols, 1);
    const jt = gw.softmaxJvp(y, t, { cols, tau: 0.8 });
    const ju = gw.softmaxBackward(y, u, { cols, tau: 0.8 }).dlogits;
    let a = 0;
    let b = 0;
    for (let k = 0; k < cols; k++) {
      a += u[k]! * jt[k]!;
      b += ju[k]! * t[k]!;
    }
    expect(Math.abs(a - b)).toBeLessThan(1e-6);
    expect(Math.abs(a)).toBeGreaterThan(1e-3);
  });
});
