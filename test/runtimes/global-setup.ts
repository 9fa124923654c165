// Once per `vitest run`: the package as users get it. `npm pack` of this checkout (its dist/ and
// build/ as `npm ci` built them), unpacked into a throwaway project's node_modules, with the
// probe that every runtime runs. The tests start real runtimes on that project.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

export interface Fixture {
  /** The throwaway project: package.json, node_modules/gumbel-wasm, check.mjs, run.mjs, worker.mjs. */
  dir: string;
  /** The tarball npm pack wrote. */
  tarball: string;
  /** Files in the tarball (paths inside the package). */
  files: Array<{ path: string; size: number }>;
}

declare module "vitest" {
  export interface ProvidedContext {
    fixture: Fixture;
  }
}

const root = fileURLToPath(new URL("../../", import.meta.url));

export default function setup(project: TestProject): () => void {
  const base = mkdtempSync(join(tmpdir(), "gumbel-wasm-pack-"));
  // --ignore-scripts: pack what is built; `prepare` (the build) ran at `npm ci`.
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", base], {
    cwd: root,
    encoding: "utf8",
  });
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string; size: number }> }>;
  const tarball = join(base, info!.filename);
  const dir = join(base, "project");
  const pkg = join(dir, "node_modules", "gumbel-wasm");
  mkdirSync(pkg, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", pkg, "--strip-components=1"]);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "fixture", private: true, type: "module", dependencies: { "gumbel-wasm": `file:${tarball}` } }),
  );
  for (const file of ["check.mjs", "run.mjs", "worker.mjs", "bundle-entry.mjs"]) copyFileSync(join(root, "test/runtimes", file), join(dir, file));
  project.provide("fixture", { dir, tarball, files: info!.files });
  return () => rmSync(base, { recursive: true, force: true });
}
