// assembly/inline/wide.ts is generated from the one-vector functions by tools/widen.mjs; the
// committed file must be what the generator writes from the current sources. (That the wide
// functions give the same bits as the one-vector ones is checked by the SIMD == scalar tests:
// approx.test.ts and backends.test.ts.)
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { generate } from "../tools/widen.mjs";

test("assembly/inline/wide.ts is up to date with tools/widen.mjs", () => {
  const committed = readFileSync(new URL("../assembly/inline/wide.ts", import.meta.url), "utf8");
  expect(generate()).toBe(committed);
});

test("the generated functions interleave four lanes statement by statement", () => {
  const text: string = generate();
  for (const name of ["gumbelFromBits4x4", "expShift4x4"]) expect(text).toContain(`export function ${name}(`);
  // Every statement appears once per lane, lanes 0..3 in a row.
  const lines = text.split("\n").filter((l) => /^ {2}const \w+_[0-3] = /.test(l));
  for (let i = 0; i < lines.length; i += 4) {
    const names = lines.slice(i, i + 4).map((l) => /const (\w+)_([0-3]) =/.exec(l)!);
    expect(names.map((m) => m[2])).toEqual(["0", "1", "2", "3"]);
    expect(new Set(names.map((m) => m[1])).size).toBe(1);
  }
});
