// The README's JavaScript examples run as written (against the built package, imported by its
// own name), so the documentation cannot drift from the API. Each runs from a folder of its own
// where `./examples/` is the repository's.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, test } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, ".readme-test");
const readme = readFileSync(join(root, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the README has runnable examples", () => {
  expect(blocks.length).toBeGreaterThanOrEqual(2);
});

test.each(blocks.map((b, i) => [i, b] as const))("README example %i runs without error", (i, code) => {
  mkdirSync(dir, { recursive: true });
  // Examples import the repository's example modules as `./examples/...`, as from its root.
  if (!existsSync(join(dir, "examples"))) symlinkSync(join(root, "examples"), join(dir, "examples"), "dir");
  const file = join(dir, `example-${i}.mjs`);
  writeFileSync(file, code);
  const run = spawnSync(process.execPath, [file], { cwd: root, encoding: "utf8" });
  // A thrown error exits non-zero; a failed console.assert only prints to stderr.
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
});
