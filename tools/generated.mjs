// What the generators (widen.mjs, abi.mjs) share when run as a command: write the generated file,
// or with --check, fail when the committed one differs from what they generate now.

import { readFileSync, writeFileSync } from "node:fs";

/** Writes `text` to `root + out`, or with --check exits 1 if the file holds something else. */
export function writeOrCheck(root, out, text, command) {
  if (process.argv.includes("--check")) {
    if (readFileSync(root + out, "utf8") !== text) {
      console.error(`${out} is stale: run ${command}`);
      process.exit(1);
    }
  } else {
    writeFileSync(root + out, text);
  }
}
