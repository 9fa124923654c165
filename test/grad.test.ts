// Gradients: the VJP w.r.t. logits, the gradient w.r.t. tau and the JVP, against central
// finite differences of the float64 reference; dtau computed only when asked (`dtau: true` or
// a `dtauOut`), bad values of `dtau` refused, and the result's type following the options.
import { describe, expect, test } from "vitest";
import type { Tensor } from "../src/node.js";
import { centralDiff, gumbelSoftmaxRef, softmaxDtauRef, softmaxRef, softmaxVjpRef, testRandom } from "./reference.js";
import { expectSameBits } from "./kernels.js";
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

/**
 * Whether dtau (from float32 y) matches the float64 reference from the logits x, per row: within
 * 2^-17 sum_k |dlogits_k| (1 + |x_k - max x| / tau) (the bound the README states), plus the VJP's
 * own tolerance times the largest |log y|.
 */
function dtauClose(got: ArrayLike<number>, x: Float32Array, v: Float32Array, cols: number, tau: number): string {
  const want = softmaxDtauRef(x, v, cols, tau);
  const dx = softmaxVjpRef(softmaxRef(x, cols, tau), v, cols, tau);
  for (let r = 0; r < want.length; r++) {
    let m = -Infinity;
    for (let k = 0; k < cols; k++) m = Math.max(m, x[r * cols + k]!);
    let bound = 0;
    let big = 0;
    let vmax = 0;
    for (let k = 0; k < cols; k++) {
      const i = r * cols + k;
      if (x[i] === -Infinity) continue;
      const s = Math.abs(x[i]! - m) / tau;
      bound += Math.abs(dx[i]!) * (1 + s);
      big = Math.max(big, Math.abs(dx[i]!));
      vmax = Math.max(vmax, Math.abs(v[i]!));
    }
    const tol = 2 ** -17 * bound + (1e-5 * big + (2 ** -20 * vmax) / tau) * (1 + Math.log(cols)) + 1e-7;
    if (!(Math.abs(got[r]! - want[r]!) <= tol)) return `row ${r}: dtau ${got[r]}, float64 ${want[r]} (tolerance ${tol})`;
  }
  return "";
}

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
const SENTINEL = 12345;

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
      const { dlogits, dtau } = gw.softmaxBackward(y, v, { cols, tau, dtau: true });
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
    const { dlogits, dtau } = gw.softmaxBackward(y, v, { cols, tau: 0.5, dtau: true });
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

  describe("dtau on demand", () => {
    test.each([1, 3, 4, 5, 17, 64, 1000])("asked (dtau: true, dtauOut, both) or not: dlogits the same bits, dtau float64's or undefined, cols = %i", async (cols) => {
      const gw = await load(backend);
      const rows = 3;
      for (const tau of [0.4, 1, 3]) {
        const x = randomArray(cols + 7, rows * cols, 3);
        if (cols > 1) x[1] = -Infinity; // a mask: y = 0, log y never taken
        const y = gw.softmax(x, { cols, tau });
        const v = randomArray(cols + 8, rows * cols, 1);
        const none = gw.softmaxBackward(y, v, { cols, tau });
        expect(Object.keys(none)).toEqual(["dlogits", "dtau"]); // the shape kept: destructuring works as before
        expect(none.dtau).toBe(undefined);
        expect(gw.softmaxBackward(y, v, { cols, tau, dtau: false }).dtau).toBe(undefined);
        expect(gw.softmaxBackward(y, v, { cols, tau, dtau: undefined, dtauOut: undefined }).dtau).toBe(undefined);
        expect(gradClose(none.dlogits, softmaxVjpRef(y, v, cols, tau), v, tau)).toBe(true);
        const asked = gw.softmaxBackward(y, v, { cols, tau, dtau: true });
        expect(asked.dtau.length).toBe(rows);
        expect(dtauClose(asked.dtau, x, v, cols, tau)).toBe("");
        const into = new Float32Array(rows).fill(SENTINEL);
        const viaOut = gw.softmaxBackward(y, v, { cols, tau, dtauOut: into });
        expect(viaOut.dtau).toBe(into);
        const into2 = new Float32Array(rows).fill(SENTINEL);
        const both = gw.softmaxBackward(y, v, { cols, tau, dtau: true, dtauOut: into2 });
        expect(both.dtau).toBe(into2);
        for (const r of [asked, viaOut, both]) expect(bits(r.dlogits)).toEqual(bits(none.dlogits));
        expect(bits(into)).toEqual(bits(asked.dtau));
        expect(bits(into2)).toEqual(bits(asked.dtau));
        // the async form: the same bits, with and without dtau
        const an = await gw.softmaxBackwardAsync(y, v, { cols, tau });
        expect(an.dtau).toBe(undefined);
        expect(bits(an.dlogits)).toEqual(bits(none.dlogits));
        const aa = await gw.softmaxBackwardAsync(y, v, { cols, tau, dtau: true });
        expect([bits(aa.dlogits), bits(aa.dtau)]).toEqual([bits(none.dlogits), bits(asked.dtau)]);
      }
    });

    test("tensor input: no dtau tensor is made unless asked; a dtauOut tensor is written in place", async () => {
      const gw = await load(backend);
      const cols = 6;
      const y = gw.tensorFrom(gw.softmax(randomArray(1, 4 * cols, 2), { cols }), cols);
      const v = randomArray(2, 4 * cols, 1);
      const inUse = gw.heap.bytesInUse;
      const jvp = gw.softmaxJvp(y, v); // one output, rows x cols
      const oneOutput = gw.heap.bytesInUse - inUse;
      jvp.free();
      const none = gw.softmaxBackward(y, v);
      expect(none.dtau).toBe(undefined);
      expect(gw.heap.bytesInUse - inUse).toBe(oneOutput);
      const asked = gw.softmaxBackward(y, v, { dtau: true });
      expect(asked.dtau.shape).toEqual([4]); // one value per row: the class axis dropped
      const kept = gw.softmaxBackward(y, v, { dtau: true, keepDims: true });
      expect(kept.dtau.shape).toEqual([4, 1]);
      kept.dtau.free();
      kept.dlogits.free();
      expect(bits(asked.dlogits.data)).toEqual(bits(none.dlogits.data));
      const dtauOut = gw.tensor(4, 1);
      const viaOut = gw.softmaxBackward(y, v, { dtauOut });
      expect(viaOut.dtau).toBe(dtauOut);
      expect(bits(dtauOut.data)).toEqual(bits(asked.dtau.data));
      for (const t of [y, none.dlogits, asked.dlogits, asked.dtau, viaOut.dlogits, dtauOut]) t.free();
      expect(gw.heap.bytesInUse).toBe(inUse - 4 * cols * 4);
    });

    test("bad values of dtau: a TypeError naming softmaxBackward and dtau; nothing written or allocated; the async form rejects the same", async () => {
      const gw = await load(backend);
      const y = gw.tensorFrom(gw.softmax(randomArray(3, 6, 2), { cols: 3 }), 3);
      const v = randomArray(4, 6, 1);
      const not = (got: string) => new RegExp(`^softmaxBackward: dtau must be a boolean, got ${got}$`);
      const dtauOutArray = new Float32Array(2).fill(SENTINEL);
      const dtauOutTensor = gw.tensor(2, 1);
      dtauOutTensor.data.fill(SENTINEL);
      const onlyWithTrue = /^softmaxBackward: dtauOut is only written with dtau: true \(or dtau omitted\), got dtau: false$/;
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ dtau: "yes" }, not('the string "yes"')],
        [{ dtau: 1 }, not("number 1")],
        [{ dtau: 0 }, not("number 0")],
        [{ dtau: null }, not("null")],
        [{ dtau: "true", dtauOut: dtauOutArray }, not('the string "true"')],
        [{ dtau: new Float32Array(2) }, /^softmaxBackward: dtau must be a boolean, got a Float32Array \(did you mean "dtauOut"\?\)$/],
        [{ dtau: dtauOutTensor }, /^softmaxBackward: dtau must be a boolean, got an object \(Tensor\) \(did you mean "dtauOut"\?\)$/],
        [{ dtau: false, dtauOut: dtauOutArray }, onlyWithTrue],
        [{ dtau: false, dtauOut: dtauOutTensor }, onlyWithTrue],
      ];
      for (const [extra, re] of cases) {
        for (const input of [y, y.data.slice()]) {
          const out = new Float32Array(6).fill(SENTINEL);
          const opts = { cols: 3, tau: 0.7, out, ...extra } as never;
          const inUse = gw.heap.bytesInUse;
          let err: unknown;
          try {
            gw.softmaxBackward(input, v, opts);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(TypeError);
          expect((err as Error).message).toMatch(re);
          await expect(gw.softmaxBackwardAsync(input, v, opts)).rejects.toThrow(re);
          expect(gw.heap.bytesInUse).toBe(inUse);
          for (const b of [out, dtauOutArray, dtauOutTensor.data]) expect(Array.from(b).every((z) => z === SENTINEL)).toBe(true);
        }
      }
      y.free();
      dtauOutTensor.free();
    });

    test("the result's type follows the options (each @ts-expect-error line is a type error)", async () => {
      const gw = await load(backend);
      const y = gw.softmax(Float32Array.from([1, 2, 3, 0, 0, 1]), { cols: 3 });
      const t = gw.tensorFrom(y, 3);
      const out = gw.tensor(2, 3); // tensor input: dlogits into it, no fresh tensor to free
      const flag = Math.random() < 2; // a boolean only the run time knows
      const none: undefined = gw.softmaxBackward(y, y, { cols: 3 }).dtau;
      const bare = gw.softmaxBackward(t, y);
      const noOptions: undefined = bare.dtau;
      bare.dlogits.free();
      const off: undefined = gw.softmaxBackward(y, y, { cols: 3, dtau: false }).dtau;
      const asked: Float32Array = gw.softmaxBackward(y, y, { cols: 3, dtau: true }).dtau;
      const askedT: Tensor = gw.softmaxBackward(t, y, { out, dtau: true }).dtau;
      const viaOut: Tensor = gw.softmaxBackward(y, y, { cols: 3, dtauOut: gw.tensor(2, 1) }).dtau;
      const viaArray: Float32Array = gw.softmaxBackward(t, y, { out, dtauOut: new Float32Array(2) }).dtau;
      const maybe: Float32Array | undefined = gw.softmaxBackward(y, y, { cols: 3, dtau: flag }).dtau;
      const buffer = flag ? new Float32Array(2) : undefined; // a dtauOut that may be undefined
      const maybeOut: Float32Array | undefined = gw.softmaxBackward(y, y, { cols: 3, dtauOut: buffer }).dtau;
      const asyncT: Tensor = (await gw.softmaxBackwardAsync(t, y, { out, dtau: true })).dtau;
      const asyncNone: undefined = (await gw.softmaxBackwardAsync(y, y, { cols: 3 })).dtau;
      // @ts-expect-error not asked: undefined, not an array
      const wrong: Float32Array = gw.softmaxBackward(y, y, { cols: 3 }).dtau;
      // @ts-expect-error only the run time knows
      const wrong2: Float32Array = gw.softmaxBackward(y, y, { cols: 3, dtau: flag }).dtau;
      // @ts-expect-error the same
      const wrong4: Float32Array = gw.softmaxBackward(y, y, { cols: 3, dtauOut: buffer }).dtau;
      // @ts-expect-error not asked (async)
      const wrong3: Tensor = (await gw.softmaxBackwardAsync(t, y, { out })).dtau;
      expect(() => {
        // @ts-expect-error dtau is a boolean
        gw.softmaxBackward(y, y, { cols: 3, dtau: "yes" });
      }).toThrow(TypeError);
      expect(() => {
        // @ts-expect-error dtauOut with dtau: false
        gw.softmaxBackward(y, y, { cols: 3, dtau: false, dtauOut: new Float32Array(2) });
      }).toThrow(TypeError);
      expect(() => {
        // @ts-expect-error the array to write into is dtauOut
        gw.softmaxBackward(y, y, { cols: 3, dtau: new Float32Array(2) });
      }).toThrow(TypeError);
      // @ts-expect-error
      await expect(gw.softmaxBackwardAsync(y, y, { cols: 3, dtau: false, dtauOut: new Float32Array(2) })).rejects.toThrow(TypeError);
      expect([none, noOptions, off, wrong3]).toEqual([undefined, undefined, undefined, undefined]);
      expect([asked, viaArray, maybe, maybeOut, wrong, wrong2, wrong4, asyncNone].map((a) => a?.constructor.name)).toEqual([
        "Float32Array", "Float32Array", "Float32Array", "Float32Array", undefined, "Float32Array", "Float32Array", undefined, // flag is true
      ]);
      for (const r of [askedT, viaOut, asyncT]) {
        expect(r.length).toBe(2);
        r.free();
      }
      t.free();
      out.free();
    });
  });

  describe("dlogits alone (no dtau): the memory-speed path", () => {
    /**
     * The kernel's float32 operations, replayed exactly in plain TS (each float32 operation is
     * the double one rounded once, Math.fround): dot = <v, y> with element k in accumulator
     * k & 3, (a0 + a2) + (a1 + a3); then (y * (v - dot)) * float32(1 / tau).
     */
    function float32Ref(y: Float32Array, v: Float32Array, cols: number, tau: number): Float32Array {
      const f = Math.fround;
      const it = f(1 / f(tau));
      const out = new Float32Array(y.length);
      for (let b = 0; b < y.length; b += cols) {
        const a = [0, 0, 0, 0];
        for (let k = 0; k < cols; k++) a[k & 3] = f(a[k & 3]! + f(v[b + k]! * y[b + k]!));
        const dot = f(f(a[0]! + a[2]!) + f(a[1]! + a[3]!));
        for (let k = 0; k < cols; k++) out[b + k] = f(f(y[b + k]! * f(v[b + k]! - dot)) * it);
      }
      return out;
    }

    /** Rows of softmax output with masked classes (y = 0), and an upstream gradient with zeros of both signs. */
    function operands(gw: Awaited<ReturnType<typeof load>>, rows: number, cols: number, tau: number) {
      const x = randomArray(cols * 31 + rows, rows * cols, 3);
      for (let i = 1; i < x.length; i += 5) x[i] = -Infinity; // masks: y = 0 there
      for (let r = 0; r < rows; r++) x[r * cols] = 0.25; // no row entirely masked
      const y = gw.softmax(x, { cols, tau });
      const v = randomArray(cols * 37 + rows, rows * cols, 2);
      for (let i = 2; i < v.length; i += 7) v[i] = i & 1 ? -0 : 0;
      return { y, v };
    }

    const COLS = [...Array.from({ length: 40 }, (_, i) => i + 1), 63, 64, 65, 66, 67, 1000, 1003];

    test.each([1, 3, 5, 9])("%i rows, cols 1..40 and 63..67, 1000, 1003: the exact float32 replay, the float64 formula, masked classes 0, the dtau path's dlogits", async (rows) => {
      const gw = await load(backend);
      for (const cols of COLS) {
        const tau = 0.35 + cols / 50;
        const { y, v } = operands(gw, rows, cols, tau);
        const { dlogits } = gw.softmaxBackward(y, v, { cols, tau });
        const where = `${rows}x${cols}`;
        expectSameBits(dlogits, float32Ref(y, v, cols, tau), `${where} against the float32 replay`);
        expect(gradClose(dlogits, softmaxVjpRef(y, v, cols, tau), v, tau)).toBe(true);
        for (let i = 0; i < y.length; i++) if (y[i] === 0 && dlogits[i] !== 0) throw new Error(`${where}: masked class ${i} got ${dlogits[i]}`);
        expectSameBits(dlogits, gw.softmaxBackward(y, v, { cols, tau, dtau: true }).dlogits, `${where} against the dtau path`);
        expectSameBits(gw.softmaxJvp(y, v, { cols, tau }), dlogits, `${where} JVP`);
      }
    });

    test("the raw kernel in place (dst = v, dst = y, as gapped_st's backward does): the same bits; rows = 0 writes nothing", async () => {
      const gw = await load(backend);
      const tau = 0.8;
      for (const [rows, cols] of [[7, 4], [5, 10], [3, 16], [3, 17], [2, 1003], [9, 3]] as const) {
        const { y, v } = operands(gw, rows, cols, tau);
        const want = gw.softmaxBackward(y, v, { cols, tau }).dlogits;
        const yt = gw.tensor(rows, cols);
        const vt = gw.tensor(rows, cols);
        for (const inPlace of ["v", "y"] as const) {
          yt.data.set(y);
          vt.data.set(v);
          const dst = inPlace === "v" ? vt : yt;
          gw.kernels.softmax_grad(yt.byteOffset, vt.byteOffset, dst.byteOffset, 0, rows, cols, tau);
          expectSameBits(dst.data, want, `${rows}x${cols} in place of ${inPlace}`);
        }
        vt.data.fill(SENTINEL);
        gw.kernels.softmax_grad(yt.byteOffset, yt.byteOffset, vt.byteOffset, 0, 0, cols, tau);
        expect(vt.data.every((x) => x === SENTINEL)).toBe(true);
        yt.free();
        vt.free();
      }
    });
  });
});
