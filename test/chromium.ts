// Which Chromium the browser suites run, found without any system install. In this order:
// 1. CHROMIUM_PATH, when set (it must exist: a wrong path is an error, not a fallback);
// 2. a system Chromium or Chrome at the usual paths (Linux, macOS, Windows);
// 3. a browser in Playwright's own cache (PLAYWRIGHT_BROWSERS_PATH or the default folder);
// 4. the headless Chromium that `npm install` brings inside @sparticuz/chromium's tarball
//    (Linux x64 and arm64; unpacked into the temporary folder on first use, about 2 s).
// Without any of them the browser suites fail with `NO_CHROMIUM`'s message: never a silent skip.

import { existsSync, readdirSync } from "node:fs";
import { homedir, platform } from "node:os";
import { join } from "node:path";

/** The flags every browser suite launches with (plain ones: no serverless defaults, which turn off site isolation). */
export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run",
];

/** Set once the browser is found, so that test workers (which inherit the environment) skip the search. */
const FOUND = "GUMBEL_WASM_CHROMIUM";

/** What a run without any browser says. */
export const NO_CHROMIUM = [
  "No Chromium for the browser tests. Looked for CHROMIUM_PATH, a system Chromium or Chrome, Playwright's",
  "browser cache and the @sparticuz/chromium package (a devDependency, Linux x64/arm64 only). Either run",
  "`npm install` on Linux, or point CHROMIUM_PATH at a Chromium or Chrome binary, or run",
  "`npx playwright-core install chromium`.",
].join("\n");

const SYSTEM: Record<string, string[]> = {
  linux: [
    "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable",
    "/snap/bin/chromium", "/opt/google/chrome/chrome",
  ],
  darwin: [
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  ],
  win32: [
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe",
  ],
};

/** Playwright's browser folder: PLAYWRIGHT_BROWSERS_PATH, else its per-platform default. */
function playwrightCache(): string {
  const env = process.env.PLAYWRIGHT_BROWSERS_PATH;
  if (env && env !== "0") return env;
  if (platform() === "darwin") return join(homedir(), "Library", "Caches", "ms-playwright");
  if (platform() === "win32") return join(process.env.LOCALAPPDATA ?? homedir(), "ms-playwright");
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "ms-playwright");
}

/** The newest Chromium (or headless shell) in Playwright's cache, or null. */
function fromPlaywrightCache(): string | null {
  const dir = playwrightCache();
  if (!existsSync(dir)) return null;
  const inside: Record<string, string[]> = {
    linux: ["chrome-linux/chrome", "chrome-linux64/chrome", "chrome-linux/headless_shell", "chrome-headless-shell-linux64/chrome-headless-shell"],
    darwin: ["chrome-mac/Chromium.app/Contents/MacOS/Chromium", "chrome-mac-arm64/Chromium.app/Contents/MacOS/Chromium"],
    win32: ["chrome-win/chrome.exe", "chrome-win64/chrome.exe"],
  };
  const builds = readdirSync(dir)
    .filter((d) => /^chromium(_headless_shell)?-\d+$/.test(d))
    .sort((a, b) => Number(b.split("-").pop()) - Number(a.split("-").pop()));
  for (const build of builds) {
    for (const rel of inside[platform()] ?? []) {
      const p = join(dir, build, rel);
      if (existsSync(p)) return p;
    }
  }
  return null;
}

/** @sparticuz/chromium's headless Chromium, unpacked from the npm tarball, or null. */
async function fromNpm(): Promise<string | null> {
  if (platform() !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return null;
  let mod: { default: { executablePath(): Promise<string> } };
  try {
    mod = await import("@sparticuz/chromium");
  } catch {
    return null;
  }
  const path = await mod.default.executablePath();
  return existsSync(path) ? path : null;
}

/** Where the browser was found, and how. */
export interface FoundChromium {
  path: string;
  source: "CHROMIUM_PATH" | "system" | "playwright" | "@sparticuz/chromium";
}

/** The browser to launch; throws NO_CHROMIUM's message when there is none. */
export async function findChromium(): Promise<FoundChromium> {
  const env = process.env.CHROMIUM_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`CHROMIUM_PATH=${env} does not exist.\n${NO_CHROMIUM}`);
    return { path: env, source: "CHROMIUM_PATH" };
  }
  const found = process.env[FOUND];
  if (found && existsSync(found.slice(found.indexOf(":") + 1))) {
    const at = found.indexOf(":");
    return { source: found.slice(0, at) as FoundChromium["source"], path: found.slice(at + 1) };
  }
  const result = await search();
  if (!result) throw new Error(NO_CHROMIUM);
  process.env[FOUND] = `${result.source}:${result.path}`;
  return result;
}

/** The search after CHROMIUM_PATH: `system` is the list of usual paths (a parameter for the tests). */
export async function search(system: readonly string[] = SYSTEM[platform()] ?? []): Promise<FoundChromium | null> {
  for (const p of system) if (existsSync(p)) return { path: p, source: "system" };
  const cached = fromPlaywrightCache();
  if (cached) return { path: cached, source: "playwright" };
  const npm = await fromNpm();
  if (npm) return { path: npm, source: "@sparticuz/chromium" };
  return null;
}
