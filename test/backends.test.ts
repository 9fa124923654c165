// One source, two binaries: the SIMD and scalar builds give the same bits for every call, at
// every length 0..67 (where f32x4 groups, tails and scalar remainders meet) and on a large batch.
import { beforeAll, describe, expect, test } from "vitest";
import type { GumbelWasm } from "../src/node.js";
import { firstBitDifference } from "./kernels.js";
import { testRandom } from "./reference.js";
import { load } from "./setup.js";

let simd: GumbelWasm;
let scalar: GumbelWasm;
beforeAll(async () => {
  [simd, scalar] = await Promise.all([load("simd"), load("scalar")]);
});

type Out = Float32Array | Int32Array | Uint32Array;

/** Runs the same call on both binaries and requires identical bits. */
function same(label: string, call: (gw: GumbelWasm) => Out | Out[]): void {
  const a = [call(simd)].flat();
  const b = [call(scalar)].flat();
  for (let i = 0; i < a.length; i++) {
    const d = firstBitDifference(a[i]!, b[i]!);
    if (d !== -1) throw new Error(`${label}: output ${i} differs at element ${d}: ${a[i]![d]} vs ${b[i]![d]}`);
  }
}

function logits(seed: number, n: number, masked = 0): Float32Array {
  const rnd = testRandom(seed);
  const x = Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * 4);
  for (let i = 0; i < n; i++) if (rnd() < masked && i % 7 !== 0) x[i] = -Infinity;
  return x;
}

describe("SIMD == scalar, bit for bit", () => {
  test("random streams: every n in 0..67 at offsets 0..5, and 2^32-crossing offsets", () => {
    expect(simd.backend).toBe("simd");
    expect(scalar.backend).toBe("scalar");
    for (let n = 0; n <= 67; n++) {
      for (let offset = 0; offset <= 5; offset++) {
        same(`noise n=${n} offset=${offset}`, (gw) => gw.gumbelNoise(n, { seed: 3, offset }) as Float32Array);
        same(`uniform n=${n} offset=${offset}`, (gw) => gw.uniform(n, { seed: 3, offset }) as Float32Array);
        same(`bits n=${n} offset=${offset}`, (gw) => gw.randomBits(n, { seed: 3, offset }));
      }
    }
    same("noise across 2^34", (gw) => gw.gumbelNoise(100, { seed: 1, offset: 2 ** 34 - 50 }) as Float32Array);
  });

  test("rows of mixed -0 and +0 (maxima reduced in different orders by the two builds)", () => {
    for (let cols = 1; cols <= 40; cols++) {
      const rnd = testRandom(cols);
      const x = Float32Array.from({ length: 3 * cols }, () => (rnd() < 0.5 ? -0 : 0));
      const o = { cols, tau: 1 };
      same(`softmax zeros ${cols}`, (gw) => gw.softmax(x, o));
      same(`logSoftmax zeros ${cols}`, (gw) => gw.logSoftmax(x, o));
      same(`logSumExp zeros ${cols}`, (gw) => gw.logSumExp(x, o));
      same(`gumbelMax zeros ${cols}`, (gw) => gw.gumbelMax(x, { cols, seed: 4 }));
    }
  });

  test("row kernels: every cols in 1..67 (3 rows, some masks), soft and hard, gradients", () => {
    for (let cols = 1; cols <= 67; cols++) {
      const n = 3 * cols;
      const x = logits(cols, n, 0.2);
      const y = simd.softmax(x, { cols, tau: 0.7 });
      const v = logits(cols + 500, n);
      const o = { cols, tau: 0.7 };
      const s = { cols, tau: 0.45, seed: 2n ** 64n - 1n, offset: cols };
      same(`softmax ${cols}`, (gw) => gw.softmax(x, o));
      same(`logSoftmax ${cols}`, (gw) => gw.logSoftmax(x, o));
      same(`logSumExp ${cols}`, (gw) => gw.logSumExp(x, o));
      same(`gumbelSoftmax ${cols}`, (gw) => gw.gumbelSoftmax(x, s));
      same(`hard ${cols}`, (gw) => {
        const soft = new Float32Array(n);
        return [gw.gumbelSoftmax(x, { ...s, hard: true, soft }), soft];
      });
      same(`gumbelMax ${cols}`, (gw) => gw.gumbelMax(x, { cols, seed: s.seed, offset: s.offset }));
      same(`backward ${cols}`, (gw) => {
        const r = gw.softmaxBackward(y, v, { ...o, dtau: true });
        return [r.dlogits, r.dtau];
      });
      same(`backward without dtau ${cols}`, (gw) => gw.softmaxBackward(y, v, o).dlogits);
      same(`jvp ${cols}`, (gw) => gw.softmaxJvp(y, v, o));
    }
  });

  test("short rows taken four at a time across lanes (SIMD) equal the row-by-row scalar path: cols 1..17, 9 rows", () => {
    for (let cols = 1; cols <= 17; cols++) {
      const n = 9 * cols;
      const x = logits(cols + 900, n, 0.2);
      for (let r = 0; r < 9; r++) x[r * cols] = 0.5; // no row entirely masked
      const s = { cols, tau: 0.6, seed: 77, offset: 3 * cols + 1 };
      same(`gumbelSoftmax ${cols}`, (gw) => gw.gumbelSoftmax(x, s));
      same(`hard ${cols}`, (gw) => gw.gumbelSoftmax(x, { ...s, hard: true }));
      same(`gumbelMax ${cols}`, (gw) => gw.gumbelMax(x, { cols, seed: s.seed, offset: s.offset }));
      same(`hard + soft ${cols}`, (gw) => {
        const soft = new Float32Array(n);
        return [gw.gumbelSoftmax(x, { ...s, hard: true, soft }), soft];
      });
    }
  });

  test("one short row (SIMD: one Philox group and the softmax in registers) at every place in its group: cols 1..20, offsets 0..7", () => {
    for (let cols = 1; cols <= 20; cols++) {
      const x = logits(cols + 2000, cols, 0.3);
      x[cols >> 1] = 1.5; // not entirely masked
      const zeros = Float32Array.from({ length: cols }, (_, k) => (k & 1 ? -0 : 0));
      for (let offset = 0; offset <= 7; offset++) {
        for (const tau of [0.05, 0.5, 3]) {
          const s = { cols, tau, seed: 99, offset: offset + (offset > 5 ? 2 ** 32 - 8 : 0) };
          same(`gumbelSoftmax 1x${cols} offset ${s.offset} tau ${tau}`, (gw) => gw.gumbelSoftmax(x, s));
          same(`gumbelSoftmax zeros 1x${cols} offset ${s.offset} tau ${tau}`, (gw) => gw.gumbelSoftmax(zeros, s));
        }
      }
    }
  });

  test("a large batch: 64 x 1003 and 4 x 40000 (gumbelMax's chunks), with masks", () => {
    for (const [rows, cols] of [[64, 1003], [4, 40_000]] as const) {
      const x = logits(rows, rows * cols, 0.1);
      const s = { cols, tau: 0.5, seed: 12345, offset: 7 };
      const o = { cols, tau: 0.5 };
      same(`gumbelSoftmax ${rows}x${cols}`, (gw) => gw.gumbelSoftmax(x, s));
      same(`gumbelMax ${rows}x${cols}`, (gw) => gw.gumbelMax(x, { cols, seed: s.seed, offset: s.offset }));
      same(`logSoftmax ${rows}x${cols}`, (gw) => gw.logSoftmax(x, o));
      const y = simd.softmax(x, o);
      const dy = x.map((v) => (Number.isFinite(v) ? v : 0));
      same(`backward ${rows}x${cols}`, (gw) => {
        const r = gw.softmaxBackward(y, dy, { ...o, dtau: true });
        return [r.dlogits, r.dtau];
      });
      same(`backward without dtau ${rows}x${cols}`, (gw) => gw.softmaxBackward(y, dy, o).dlogits);
    }
  });

  test("probs: true (the log pass, then the logits kernels): cols 1..67 and 9 rows, with zeros; a large batch", () => {
    for (const [rows, cols] of [...Array.from({ length: 67 }, (_, i) => [9, i + 1] as const), [64, 1003], [4, 40_000]] as const) {
      const p = logits(cols + 1300, rows * cols, 0.2).map((v) => (v === -Infinity ? (cols & 1 ? 0 : -0) : Math.exp(v) * 1e-20));
      for (let r = 0; r < rows; r++) p[r * cols] = 2 ** -140; // a subnormal, and no row of zeros
      const s = { cols, tau: 0.6, probs: true, seed: 77, offset: 5 };
      same(`gumbelSoftmax probs ${rows}x${cols}`, (gw) => gw.gumbelSoftmax(p, s));
      same(`hard + soft probs ${rows}x${cols}`, (gw) => {
        const soft = new Float32Array(rows * cols);
        return [gw.gumbelSoftmax(p, { ...s, hard: true, soft }), soft];
      });
      same(`gumbelMax probs ${rows}x${cols}`, (gw) => gw.gumbelMax(p, { cols, probs: true, seed: 77, offset: 5 }));
    }
  });

  test("the check really compares bits: a one-ulp change is caught", () => {
    const a = Float32Array.from([1, 2, 3]);
    const b = Float32Array.from([1, 2, 3]);
    b[2] = 3.0000002;
    expect(firstBitDifference(a, b)).toBe(2);
    expect(firstBitDifference(Float32Array.from([0]), Float32Array.from([-0]))).toBe(0);
  });
});

describe("row_max kernel (the pointer-level API)", () => {
  test("equals the reference maximum on every cols in 1..67, with -Inf masks, on both binaries", () => {
    for (const gw of [simd, scalar]) {
      for (let cols = 1; cols <= 67; cols++) {
        const rows = 3;
        const x = gw.tensorFrom(logits(cols * 3, rows * cols, 0.3), cols);
        const out = gw.tensor(rows, 1);
        gw.kernels.row_max(x.byteOffset, out.byteOffset, rows, cols);
        for (let r = 0; r < rows; r++) {
          expect(out.data[r]).toBe(Math.max(...x.data.subarray(r * cols, (r + 1) * cols)));
        }
        x.free();
        out.free();
      }
    }
  });
});
