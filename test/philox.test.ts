// The generator: Random123's published known-answer vectors, the stream layout against an
// independent BigInt implementation, exact replay and batch-splitting invariance.
import { describe, expect, test } from "vitest";
import type { GumbelWasm } from "../src/node.js";
import { philoxRef, streamBitsRef, testRandom } from "./reference.js";
import { backends, load } from "./setup.js";

// Random123 tests/kat_vectors, philox4x32 10 rounds: counter, key, expected output.
const KAT: Array<[number[], number[], number[]]> = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

/** Runs the raw philox4x32_10 kernel on a list of (counter, key) blocks. */
function philoxKernel(gw: GumbelWasm, blocks: Array<[number[], number[]]>): number[][] {
  const n = blocks.length;
  const ctr = gw.tensor(n, 4, "int32");
  const key = gw.tensor(n, 2, "int32");
  const out = gw.tensor(n, 4, "int32");
  try {
    blocks.forEach(([c, k], b) => {
      ctr.data.set(c, 4 * b);
      key.data.set(k, 2 * b);
    });
    gw.kernels.philox4x32_10(ctr.byteOffset, key.byteOffset, out.byteOffset, n);
    const words = new Uint32Array(out.data.buffer, out.byteOffset, 4 * n);
    return blocks.map((_, b) => Array.from(words.subarray(4 * b, 4 * b + 4)));
  } finally {
    ctr.free();
    key.free();
    out.free();
  }
}

describe.each(backends)("%s binary", (backend) => {
  test("Philox4x32-10 passes Random123's known-answer vectors (alone and in SIMD groups)", async () => {
    const gw = await load(backend);
    for (const [c, k, want] of KAT) expect(philoxKernel(gw, [[c, k]])).toEqual([want]);
    // Seven blocks: one group of four lanes plus three in the remainder loop.
    const seven = [0, 1, 2, 0, 1, 2, 0].map((i) => [KAT[i]![0], KAT[i]![1]] as [number[], number[]]);
    expect(philoxKernel(gw, seven)).toEqual([0, 1, 2, 0, 1, 2, 0].map((i) => KAT[i]![2]));
  });

  test("the reference implementation agrees with the vectors, and the kernel with it on random blocks", async () => {
    for (const [c, k, want] of KAT) expect(philoxRef(c, k)).toEqual(want);
    const gw = await load(backend);
    const rnd = testRandom(3);
    const word = () => Math.floor(rnd() * 4294967296);
    const blocks = Array.from({ length: 37 }, () => [[word(), word(), word(), word()], [word(), word()]] as [number[], number[]]);
    expect(philoxKernel(gw, blocks)).toEqual(blocks.map(([c, k]) => philoxRef(c, k)));
  });

  test("randomBits(seed, offset) is word (j & 3) of block (j >> 2), keyed by the seed's two words", async () => {
    const gw = await load(backend);
    const cases: Array<[bigint, bigint, number]> = [
      [0n, 0n, 67],
      [42n, 3n, 50],
      [2n ** 64n - 1n, 5n, 33],
      [0x123456789abcdefn, 2n ** 34n - 7n, 40], // the block counter's low word wraps inside a SIMD group
      [9n, 2n ** 34n - 16n, 100], // ... between the two halves of a group of 32 (eight blocks)
      [5n, 2n ** 34n - 28n, 100], // ... in the last lane of a group of 32
      [1n, 2n ** 35n + 8n, 257], // groups of 32 after the low word wrapped
      [7n, 2n ** 64n - 40n, 40], // the last elements of the stream
    ];
    for (const [seed, offset, n] of cases) {
      expect(gw.randomBits(n, { seed, offset })).toEqual(streamBitsRef(seed, offset, n));
    }
    // Numbers and bigints name the same seed and offset.
    expect(gw.randomBits(9, { seed: 2 ** 40 + 5, offset: 2 ** 33 })).toEqual(
      gw.randomBits(9, { seed: 2n ** 40n + 5n, offset: 2n ** 33n }),
    );
  });

  test("exact replay, different seeds differ, and any split of a stream gives the same elements", async () => {
    const gw = await load(backend);
    const whole = gw.gumbelNoise(1000, { seed: 11, offset: 5 }) as Float32Array;
    expect(gw.gumbelNoise(1000, { seed: 11, offset: 5 })).toEqual(whole);
    const other = gw.gumbelNoise(1000, { seed: 12, offset: 5 }) as Float32Array;
    let same = 0;
    for (let i = 0; i < 1000; i++) if (other[i] === whole[i]) same++;
    expect(same).toBeLessThan(5);
    const parts: number[] = [];
    for (const [a, b] of [[0, 1], [1, 4], [4, 21], [21, 22], [22, 600], [600, 1000]] as const) {
      parts.push(...(gw.gumbelNoise(b - a, { seed: 11, offset: 5 + a }) as Float32Array));
    }
    expect(Float32Array.from(parts)).toEqual(whole);
  });
});
