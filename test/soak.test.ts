// The soak (test/soak/soak.mjs, in its own process with --expose-gc): 10^6 mixed calls with
// random shapes, some invalid, on one instance. The JS heap, the wasm memory and the allocator's
// live bytes must stay flat, and sampled outputs must equal a fresh instance's, bit for bit.
// SOAK_CALLS changes the count (npm test runs the full 10^6: about 7 s here).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const run = promisify(execFile);
const CALLS = Number(process.env.SOAK_CALLS ?? 1e6);

interface Sample {
  call: number;
  heap: number;
  wasm: number;
  live: number;
}

test(`soak: ${CALLS} mixed calls keep the JS heap, the wasm memory and live allocations flat, and outputs exact`, async () => {
  const script = fileURLToPath(new URL("./soak/soak.mjs", import.meta.url));
  const { stdout } = await run(process.execPath, ["--expose-gc", script, String(CALLS)], { timeout: 300_000, maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout) as { calls: number; errors: number; compared: number; mismatches: number; samples: Sample[] };
  expect(r.calls).toBe(CALLS);
  expect(r.errors).toBeGreaterThan(CALLS / 200); // the invalid calls were made and refused
  expect(r.compared).toBeGreaterThanOrEqual(Math.floor(CALLS / 5000) - 5); // every 5000th call, bar a few invalid ones
  expect(r.mismatches).toBe(0);
  const [first, ...rest] = r.samples;
  expect(rest.length).toBeGreaterThan(0);
  for (const s of rest) {
    expect(s.wasm, `wasm memory at call ${s.call}`).toBe(first!.wasm);
    expect(s.live, `live bytes at call ${s.call}`).toBe(first!.live);
    expect(s.heap - first!.heap, `JS heap growth at call ${s.call}`).toBeLessThan(4 * 2 ** 20);
  }
}, 320_000);
