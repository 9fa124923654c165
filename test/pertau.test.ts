// One temperature per row: row r must give exactly what a call on that row alone with tau[r]
// gives (same stream elements), for every call that takes tau; bad tau arrays are refused.
import { describe, expect, test } from "vitest";
import { testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

function logits(seed: number, n: number): Float32Array {
  const rnd = testRandom(seed);
  return Float32Array.from({ length: n }, (_, i) => (i % 9 === 4 ? -Infinity : rnd() * 8 - 4));
}

describe.each(backends)("%s", (backend) => {
  for (const cols of [10, 300]) {
    test(`${cols} columns: every call with a tau per row equals the rows one by one`, async () => {
      const gw = await load(backend);
      const rows = 9;
      const x = logits(cols, rows * cols);
      const v = logits(cols + 1, rows * cols).map((t) => (t === -Infinity ? 0 : t));
      const taus = Float32Array.from([0.5, 0.5, 2, 0.1, 0.1, 0.1, 7, 1, 0.5]); // runs of equal values, too
      const seed = 2n ** 50n + 3n;
      const offset = 2 ** 32 - 20; // the counter's low word wraps inside the batch
      const row = (a: Float32Array, r: number) => a.subarray(r * cols, (r + 1) * cols);
      const soft = gw.gumbelSoftmax(x, { cols, tau: taus, seed, offset });
      const hardSoft = new Float32Array(rows * cols);
      const hard = gw.gumbelSoftmax(x, { cols, tau: Array.from(taus), seed, offset, hard: true, soft: hardSoft });
      const sm = gw.softmax(x, { cols, tau: taus });
      const lsm = gw.logSoftmax(x, { cols, tau: taus });
      const lse = gw.logSumExp(x, { cols, tau: taus });
      const y = gw.softmax(x, { cols });
      const back = gw.softmaxBackward(y, v, { cols, tau: taus, dtau: true });
      const backDx = gw.softmaxBackward(y, v, { cols, tau: taus });
      expect(backDx.dtau).toBe(undefined);
      expect(backDx.dlogits).toEqual(back.dlogits);
      const jvp = gw.softmaxJvp(y, v, { cols, tau: taus });
      for (let r = 0; r < rows; r++) {
        const o = { cols, tau: taus[r]!, seed, offset: offset + r * cols };
        expect(row(soft, r)).toEqual(gw.gumbelSoftmax(row(x, r), o));
        const s1 = new Float32Array(cols);
        expect(row(hard, r)).toEqual(gw.gumbelSoftmax(row(x, r), { ...o, hard: true, soft: s1 }));
        expect(row(hardSoft, r)).toEqual(s1);
        expect(row(sm, r)).toEqual(gw.softmax(row(x, r), { cols, tau: taus[r]! }));
        expect(row(lsm, r)).toEqual(gw.logSoftmax(row(x, r), { cols, tau: taus[r]! }));
        expect(lse[r]).toBe(gw.logSumExp(row(x, r), { cols, tau: taus[r]! })[0]);
        const b1 = gw.softmaxBackward(row(y, r), row(v, r), { cols, tau: taus[r]!, dtau: true });
        expect(row(back.dlogits, r)).toEqual(b1.dlogits);
        expect(back.dtau[r]).toBe(b1.dtau[0]);
        expect(row(jvp, r)).toEqual(gw.softmaxJvp(row(y, r), row(v, r), { cols, tau: taus[r]! }));
      }
    });
  }

  test("tau arrays of the wrong length, type or values are refused; a bad row writes nothing", async () => {
    const gw = await load(backend);
    const x = logits(3, 4 * 5);
    expect(() => gw.softmax(x, { cols: 5, tau: [1, 2, 3] })).toThrow(/^softmax: tau has 3 values, expected one per row \(4\)$/);
    expect(() => gw.gumbelSoftmax(x, { cols: 5, tau: [1, 2, -3, 1], seed: 1 })).toThrow(/^gumbelSoftmax: tau\[2\] must be positive and finite in float32, got -3$/);
    expect(() => gw.softmaxJvp(x, x, { cols: 5, tau: [1, Number.NaN, 1, 1] })).toThrow(/^softmaxJvp: tau\[1\] must be positive and finite in float32, got NaN$/);
    expect(() => gw.logSumExp(x, { cols: 5, tau: "1" as never })).toThrow(/^logSumExp: tau must be a number or one number per row, got the string "1"$/);
    expect(() => gw.logSumExp(x, { cols: 5, tau: { length: 4 } as never })).toThrow(/^logSumExp: tau must be a number or one number per row, got an object \(Object\)$/);
    const bad = x.slice();
    bad[3 * 5 + 2] = Number.NaN;
    const out = new Float32Array(20).fill(9);
    expect(() => gw.gumbelSoftmax(bad, { cols: 5, tau: [1, 2, 3, 4], seed: 1, out })).toThrow(/^gumbelSoftmax: logits\[3, 2\] is NaN$/);
    expect(out.every((v) => v === 9)).toBe(true);
  });
});
