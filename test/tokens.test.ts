// sampleTokens: the filters against a float64 reference written from their definitions; token
// stream layout 2 against a float64 reference of its inverse CDF (draw 0 of a row: the Philox
// block at counter (j, 0, 1)); frequencies against the exact filtered distribution
// (chi-square); replay, per-row streams and batch independence; the two binaries' tokens;
// per-row parameters; errors. test/tokens-law.test.ts runs every path of the sampler against
// the exact law, tiny probabilities included.
import { describe, expect, test } from "vitest";
import { init, TOKEN_STREAM_LAYOUT } from "../src/node.js";
import { chiSquareTest, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";
import { FILTER_CASES, filteredProbs, inverseCdfRef, keptRef, llmLogits, tokenBlockRef, u53Ref, type Filters } from "./reference-tokens.js";

const CASES = FILTER_CASES;

describe.each(backends)("%s", (backend) => {
  test.each([10, 63, 200, 4096, 32000])("layout 2: a listed draw is the float64 inverse CDF of draw 0 over the kept tokens, %i columns", async (cols) => {
    // Rows drawn from a list in index order: greedy, unfiltered rows of 256 tokens or fewer,
    // every top-k (then top-p and min-p on its list), min-p alone when its tokens lie in few
    // blocks. Each row alone (seeds, offsets), so that its paths can be read.
    const gw = await load(backend);
    const rows = cols >= 4096 ? 3 : 12;
    const LISTED = 1 | 2 | 8 | 16; // greedy, row list, min-p list, top-k
    let checked = 0;
    for (const [i, f] of [...CASES, { temperature: 0 }].entries()) {
      const x = llmLogits(rows * cols, 100 + i + cols, i % 3 === 0 ? 0.1 : 0);
      for (let r = 0; r < rows; r++) {
        const row = x.subarray(r * cols, (r + 1) * cols);
        const seed = 5n + BigInt(i), j = 2n ** 33n + 7n + BigInt(r * cols);
        gw.kernels.token_paths();
        const got = gw.sampleTokens(row, { cols, ...f, seeds: [seed], offsets: [j] })[0]!;
        const paths = gw.kernels.token_paths();
        const keep = keptRef(row, f);
        expect([i, r, keep[got]]).toEqual([i, r, true]);
        if ((paths & ~LISTED) !== 0) continue;
        if (f.temperature === 0) {
          expect(got).toBe(row.indexOf(Math.max(...row)));
          continue;
        }
        const ref = inverseCdfRef(row, keep, Math.fround(f.temperature ?? 1), u53Ref(tokenBlockRef(seed, j, 0)));
        if (ref.margin < 1e-5) continue;
        expect([i, r, got]).toEqual([i, r, ref.token]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(cols <= 200 ? 60 : 12);
    expect(TOKEN_STREAM_LAYOUT).toBe(2); // what this test pins, as the package says
  });

  test.each([
    ["no filter", {}],
    ["temperature 0.5", { temperature: 0.5 }],
    ["top-k 4", { topK: 4 }],
    ["top-p 0.7", { topP: 0.7 }],
    ["top-k 6 then top-p 0.6", { topK: 6, topP: 0.6 }],
    ["min-p 0.2 at T 1.5", { minP: 0.2, temperature: 1.5 }],
    ["all three", { topK: 8, topP: 0.9, minP: 0.1, temperature: 0.8 }],
  ] as [string, Filters][])("frequencies match the exact filtered distribution: %s", async (_, f) => {
    const gw = await load(backend);
    const row = [2.1, 1.7, 1.6, 1.2, 0.9, 0.8, 0.5, 0.1, -0.3, -Infinity, -0.8, -1.5];
    const cols = row.length, n = 30000;
    const x = new Float32Array(n * cols);
    for (let r = 0; r < n; r++) x.set(row, r * cols);
    const got = gw.sampleTokens(x, { cols, ...f, seed: 2024 });
    const counts = new Array(cols).fill(0);
    for (const k of got) counts[k]++;
    const probs = filteredProbs(Float32Array.from(row), f);
    const res = chiSquareTest(counts, probs);
    expect(res.p).toBeGreaterThan(1e-4);
    // The unfiltered softmax is refused whenever a filter drops something.
    const full = filteredProbs(Float32Array.from(row), { temperature: f.temperature });
    if (probs.some((p, k) => p === 0 && full[k]! > 0)) expect(chiSquareTest(counts, full).p).toBeLessThan(1e-6);
  });

  test("top-p applies to the tokens top-k kept (renormalised), not to the whole row", async () => {
    const gw = await load(backend);
    // p = softmax: top-2 keeps {0, 1} with masses 0.5 : 0.3 -> 0.625 : 0.375 within them. topP 0.6:
    // among top-2, token 0 alone reaches 0.6, so only token 0; over the whole row 0.5 < 0.6 keeps both.
    const p = [0.5, 0.3, 0.2];
    const row = p.map(Math.log);
    const n = 2000;
    const x = new Float32Array(n * 3);
    for (let r = 0; r < n; r++) x.set(row, 3 * r);
    const got = gw.sampleTokens(x, { cols: 3, topK: 2, topP: 0.6, seed: 1 });
    expect(new Set(got)).toEqual(new Set([0]));
    const noK = gw.sampleTokens(x, { cols: 3, topP: 0.6, seed: 1 });
    expect(new Set(noK)).toEqual(new Set([0, 1]));
  });

  test("ties at a cut are kept together; -Inf never drawn; temperature 0 is greedy", async () => {
    const gw = await load(backend);
    const row = [1, 3, 2, 3, -Infinity, 2, 2, 0];
    const n = 4000;
    const x = new Float32Array(n * row.length);
    for (let r = 0; r < n; r++) x.set(row, r * row.length);
    const k3 = gw.sampleTokens(x, { cols: row.length, topK: 3, seed: 8 });
    // The 3rd largest is 2: every 2 stays with the two 3s.
    expect(new Set(k3)).toEqual(new Set([1, 3, 2, 5, 6]));
    const all = gw.sampleTokens(x, { cols: row.length, temperature: 50, seed: 8 });
    expect(all.includes(4)).toBe(false);
    expect(new Set(all).size).toBe(7);
    expect(Array.from(gw.sampleTokens(row, { cols: row.length, temperature: 0, topK: 2, seed: 1 }))).toEqual([1]);
    expect(Array.from(gw.sampleTokens(row, { cols: row.length, minP: 1, seed: 3 })).every((k) => k === 1 || k === 3)).toBe(true);
  });

  test("seeds: a row's token does not depend on the other rows of its batch", async () => {
    const gw = await load(backend);
    const cols = 5000;
    const rows = [llmLogits(cols, 1), llmLogits(cols, 2), llmLogits(cols, 3)];
    const seeds = [11n, 2n ** 63n + 5n, 999];
    const offsets = [0, 3 * cols, 2 ** 40];
    const opts = [{ topK: 20 }, { topP: 0.8, temperature: 1.4 }, { minP: 0.01 }];
    const each = rows.map((l, r) => gw.sampleTokens(l, { cols, ...opts[r], seeds: [seeds[r]!], offsets: [offsets[r]!] })[0]);
    const batch = new Float32Array(3 * cols);
    rows.forEach((l, r) => batch.set(l, r * cols));
    const together = gw.sampleTokens(batch, {
      cols,
      seeds,
      offsets,
      topK: opts.map((o) => o.topK ?? 0),
      topP: opts.map((o) => o.topP ?? 1),
      minP: opts.map((o) => o.minP ?? 0),
      temperature: opts.map((o) => o.temperature ?? 1),
    });
    expect(Array.from(together)).toEqual(each);
    // Reversed batch order: the same tokens, reversed.
    const rev = new Float32Array(3 * cols);
    rows.forEach((l, r) => rev.set(l, (2 - r) * cols));
    const back = gw.sampleTokens(rev, {
      cols,
      seeds: [...seeds].reverse(),
      offsets: [...offsets].reverse(),
      topK: opts.map((o) => o.topK ?? 0).reverse(),
      topP: opts.map((o) => o.topP ?? 1).reverse(),
      minP: opts.map((o) => o.minP ?? 0).reverse(),
      temperature: opts.map((o) => o.temperature ?? 1).reverse(),
    });
    expect(Array.from(back).reverse()).toEqual(each);
    // Replay: the same call, the same tokens; other offsets, other draws.
    const again = { cols, seeds, offsets, topP: 0.99, temperature: 2 };
    expect(Array.from(gw.sampleTokens(batch, again))).toEqual(Array.from(gw.sampleTokens(batch, again)));
    const draws = new Set(Array.from({ length: 20 }, (_, s) => gw.sampleTokens(rows[1]!, { cols, temperature: 3, seed: 1, offset: s * cols })[0]));
    expect(draws.size).toBeGreaterThan(5);
    // seeds: [s] with offset o is seed s at offset o; one seed with per-row offsets is each
    // row alone at its offset.
    expect(gw.sampleTokens(rows[0]!, { cols, seeds: [11n], offset: 12345 })[0]).toBe(gw.sampleTokens(rows[0]!, { cols, seed: 11n, offset: 12345 })[0]);
    const o = gw.sampleTokens(batch, { cols, seed: 4, offsets: [7, 7, 7], temperature: 3 });
    for (let r = 0; r < 3; r++) expect(o[r]).toBe(gw.sampleTokens(rows[r]!, { cols, seed: 4, offset: 7, temperature: 3 })[0]);
    // One stream for the batch: row r starts at offset + r * cols.
    const shared = gw.sampleTokens(batch, { cols, seed: 9, offset: 2n ** 40n, temperature: 3 });
    for (let r = 0; r < 3; r++) expect(shared[r]).toBe(gw.sampleTokens(rows[r]!, { cols, seeds: [9], offsets: [2n ** 40n + BigInt(r * cols)], temperature: 3 })[0]);
  });


  test("without a seed: the instance's stream, advancing as gumbelMax's does", async () => {
    const a = await init({ backend, seed: 31 });
    const b = await init({ backend, seed: 31 });
    const x = llmLogits(4 * 700, 5);
    // A call moves the stream past every element of its input, as gumbelMax does.
    const first = Array.from(a.sampleTokens(x, { cols: 700, temperature: 4 }));
    b.gumbelMax(x, { cols: 700 });
    expect(Array.from(a.sampleTokens(x, { cols: 700, temperature: 4 }))).toEqual(Array.from(b.sampleTokens(x, { cols: 700, temperature: 4 })));
    expect(Array.from(a.sampleTokens(x, { cols: 700, temperature: 4 }))).not.toEqual(first);
  });


  test("tensors in, an int32 tensor out; out arrays and tensors written", async () => {
    const gw = await load(backend);
    const x = gw.tensorFrom(llmLogits(2 * 300, 6), 300);
    const t = gw.sampleTokens(x, { topK: 10, seed: 1 });
    expect(t.dtype).toBe("int32");
    // One token per row: the class axis dropped (0.6.0; [2, 1] before, or with keepDims).
    expect(t.shape).toEqual([2]);
    const kept = gw.sampleTokens(x, { topK: 10, seed: 1, keepDims: true });
    expect(kept.shape).toEqual([2, 1]);
    expect(Array.from(kept.data)).toEqual(Array.from(t.data));
    kept.free();
    const arr = new Int32Array(2);
    expect(gw.sampleTokens(x.data, { cols: 300, topK: 10, seed: 1, out: arr })).toBe(arr);
    expect(Array.from(arr)).toEqual(Array.from(t.data));
    t.free();
    x.free();
  });

  test("bad input: a named error, nothing written", async () => {
    const gw = await load(backend);
    const x = [0, 1, 2, 3, 4, 5];
    const out = new Int32Array([-7, -7]);
    const bad: [object, RegExp][] = [
      [{ cols: 3, temperature: -1 }, /temperature must be 0 \(greedy\) or positive/],
      [{ cols: 3, temperature: [1, NaN] }, /temperature\[1\]/],
      [{ cols: 3, topK: 1.5 }, /topK must be an integer/],
      [{ cols: 3, topK: [1, -1] }, /topK\[1\]/],
      [{ cols: 3, topP: 0 }, /topP must be in \(0, 1\]/],
      [{ cols: 3, topP: [0.5, 1.5] }, /topP\[1\]/],
      [{ cols: 3, minP: -0.1 }, /minP must be in \[0, 1\]/],
      [{ cols: 3, minP: "0.1" }, /minP must be a number/],
      [{ cols: 3, topP: [0.5] }, /topP has 1 values, expected one per row \(2\)/],
      [{ cols: 3, seed: 1, seeds: [1, 2] }, /give seed or seeds, not both/],
      [{ cols: 3, offsets: [1, 2] }, /offsets needs a seed or seeds/],
      [{ cols: 3, seeds: [1, 2], offset: 1, offsets: [1, 2] }, /give offset or offsets, not both/],
      [{ cols: 3, seeds: [1] }, /seeds has 1 values/],
      [{ cols: 3, seeds: [1, -2] }, /seeds\[1\] must be an integer/],
      [{ cols: 3, seeds: [1, 2], offsets: [0, 2n ** 64n - 2n] }, /runs past the end of the stream/],
      [{ cols: 4 }, /cols = 4 does not divide/],
      [{ cols: 3, out: new Float32Array(2) }, /out must be an Int32Array/],
    ];
    for (const [opts, msg] of bad) {
      expect(() => gw.sampleTokens(x, { ...opts, out: (opts as { out?: Int32Array }).out ?? out })).toThrow(msg);
      expect(Array.from(out)).toEqual([-7, -7]);
    }
    expect(() => gw.sampleTokens([0, NaN, 1, 2], { cols: 2, out, seed: 1 })).toThrow(/logits\[0, 1\] is NaN/);
    expect(() => gw.sampleTokens([0, 1, -Infinity, -Infinity], { cols: 2, out, seed: 1 })).toThrow(/row 1 of logits is all -Inf/);
    expect(() => gw.sampleTokens([0, 1, 3e38, 0], { cols: 2, out, temperature: 0.1, seed: 1 })).toThrow(/row 1 of logits divided by its temperature .* overflows float32/);
    expect(Array.from(out)).toEqual([-7, -7]);
  });

  // Batches of up to 1024 rows are validated by the sampler's own pass, their tokens staged until
  // every row is drawn; larger batches are validated first. Either way: the first bad row's
  // error, nothing written, and good rows' tokens those of each row drawn alone.
  test.each([
    { rows: 3, cols: 300 },
    { rows: 5, cols: 20 },
    { rows: 1030, cols: 40 },
  ])("$rows x $cols: a bad row anywhere (greedy rows too) is named, nothing written; rows as if drawn alone", async ({ rows, cols }) => {
    const gw = await load(backend);
    const rnd = testRandom(rows + cols);
    const base = Float32Array.from({ length: rows * cols }, () => 3 * rnd() - 1.5);
    const temperature = Array.from({ length: rows }, (_, r) => (r % 3 === 1 ? 0 : 0.8));
    const seeds = Array.from({ length: rows }, (_, r) => 1000 + r);
    const opts = { cols, temperature, seeds, topP: 0.9 };
    const got = gw.sampleTokens(base, opts);
    for (const r of [...new Set([0, 1, rows >> 1, 1023, 1024, rows - 1])].filter((q) => q < rows)) {
      const alone = gw.sampleTokens(base.subarray(r * cols, (r + 1) * cols), { cols, temperature: temperature[r], seeds: [seeds[r]!], topP: 0.9 });
      expect(got[r], `row ${r}`).toBe(alone[0]);
    }
    for (const r of [...new Set([0, 1, rows >> 1, rows - 1])]) {
      const faults: [(x: Float32Array) => void, RegExp, number[]][] = [
        [(x) => (x[r * cols + 7] = NaN), new RegExp(`logits\\[${r}, 7\\] is NaN`), temperature],
        [(x) => x.fill(-Infinity, r * cols, (r + 1) * cols), new RegExp(`row ${r} of logits is all -Inf`), temperature],
        [(x) => (x[r * cols + 3] = 3e38), new RegExp(`row ${r} of logits divided by its temperature`), temperature.map((t, q) => (q === r ? 0.1 : t))],
      ];
      for (const [spoil, msg, temps] of faults) {
        const x = base.slice();
        spoil(x);
        // A typed array (staged by the library outside wasm memory) and a tensor on wasm memory,
        // which the kernel writes itself: both untouched.
        const out = new Int32Array(rows).fill(-7);
        expect(() => gw.sampleTokens(x, { ...opts, temperature: temps, out })).toThrow(msg);
        expect(out.every((v) => v === -7)).toBe(true);
        const t = gw.tensor([rows], "int32");
        t.data.fill(-7);
        expect(() => gw.sampleTokens(x, { ...opts, temperature: temps, out: t })).toThrow(msg);
        expect(t.data.every((v) => v === -7)).toBe(true);
        t.free();
      }
    }
  });

  test("large vocabularies: 128256 columns, every path, a token the reference keeps", async () => {
    const gw = await load(backend);
    const cols = 128256;
    const x = llmLogits(cols, 77, 0.01);
    let all = 0;
    for (const f of [{}, { topK: 50 }, { topP: 0.95 }, { minP: 0.1 }, { minP: 1e-4, temperature: 3 }, { topK: 10000, temperature: 2 }, { topP: 0.9, temperature: 5 }, { topP: 0.5, temperature: 0.7 }] as Filters[]) {
      const keep = keptRef(x, f);
      for (let s = 0; s < 4; s++) {
        gw.kernels.token_paths();
        const got = gw.sampleTokens(x, { cols, ...f, seed: 3 + s, offset: 1 })[0]!;
        all |= gw.kernels.token_paths();
        expect([f, keep[got]]).toEqual([f, true]);
      }
    }
    // Rejection, min-p's list, top-k, top-p from bounds, top-p exact (the cut in its bucket).
    for (const bit of [4, 8, 16, 32, 256, 4096]) expect([bit, all & bit]).toEqual([bit, bit]);
  });
});

test("flat rows: top-p keeps most of the vocabulary (the exact mass first)", async () => {
  const gw = await load("simd");
  const cols = 20000;
  const rnd = testRandom(12);
  const x = Float32Array.from({ length: cols }, () => rnd());
  for (const topP of [0.3, 0.95]) {
    const keep = keptRef(x, { topP });
    const count = keep.filter(Boolean).length;
    expect(count).toBeGreaterThan(cols * 0.2);
    let inside = 0;
    for (let s = 0; s < 40; s++) {
      gw.kernels.token_paths();
      const k = gw.sampleTokens(x, { cols, topP, seed: s })[0]!;
      expect(gw.kernels.token_paths() & 256).toBe(256);
      expect(keep[k]).toBe(true);
      if (k < cols / 2) inside++;
    }
    expect(inside).toBeGreaterThan(8);
    expect(inside).toBeLessThan(32);
  }
});

test("simd and scalar binaries draw the same tokens, every path", async () => {
  const [a, b] = await Promise.all([load("simd"), load("scalar")]);
  for (const cols of [100, 3000, 32000, 128256]) {
    const rows = cols >= 32000 ? 2 : 8;
    const x = llmLogits(rows * cols, 5 + cols, 0.02);
    const rnd = testRandom(cols);
    const flat = Float32Array.from({ length: rows * cols }, () => rnd() * 2);
    for (const f of [...CASES, { topP: 0.6, minP: 0.001 }, { minP: 1e-5, temperature: 2 }] as Filters[]) {
      for (const logits of [x, flat]) {
        const o = { cols, ...f, seed: 2n ** 50n + 3n, offset: 2n ** 32n - 5n };
        expect([cols, f, Array.from(a.sampleTokens(logits, o))]).toEqual([cols, f, Array.from(b.sampleTokens(logits, o))]);
      }
    }
  }
});
