// Installs a folder's own package (bench/, examples/learn/) with `npm ci`, install scripts off,
// when its node_modules is missing or older than its lock file: the peers and data kept out of
// the root install.

import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * @param {URL} folder the package's folder (ends with /)
 * @param {string} label who speaks in the messages ("bench", "examples")
 * @param {string} what what is installed, for the message
 */
export function installFolder(folder, label, what) {
  const here = fileURLToPath(folder);
  const lock = `${here}package-lock.json`;
  const installed = `${here}node_modules/.package-lock.json`;
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  process.stderr.write(`${label}: installing ${what} ...\n`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: here, stdio: "inherit", shell: process.platform === "win32" });
  if (r.status !== 0) {
    process.stderr.write(`${label}: \`npm ci\` in ${here} failed\n`);
    process.exit(r.status ?? 1);
  }
}
