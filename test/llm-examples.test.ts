// The LLM examples (examples/llm): the onnxruntime-node batch decoder, the sampling service and
// its load test, checked against an independent reference: the tiny model's logits computed in
// JS by tiny-model.mjs (float64 sums; onnxruntime's float32 ones agree to about 2e-6).
// - onnxruntime.mjs, run as a user runs it (a child process, --json): tokens in range and never
//   pad/unk, the greedy request is the argmax of the reference at every step, the top-k and
//   min-p requests stay inside their filters, request 0 alone equals request 0 in the batch.
// - service.mjs, started in this process: the same request and seed give the same tokens alone
//   and amid concurrent requests (which must really have shared its ticks), another seed gives
//   another sequence, greedy follows the reference argmax, bad input is a 400 naming the field
//   (a bad row never fails the others' tick) and the service keeps working, unknown routes 404.
// - load.mjs, briefly (300 requests, a child process, --json): a sane report.
//
//   npx vitest run test/llm-examples.test.ts
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
// @ts-expect-error: plain .mjs modules without types
import { writeTinyModel } from "../examples/llm/tiny-model.mjs";
// @ts-expect-error: plain .mjs modules without types
import { startService } from "../examples/llm/service.mjs";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "gumbel-llm-examples-"));
const VOCAB = 32000;
/** How far apart the reference and onnxruntime may put a logit (float64 vs float32 sums of 8 terms). */
const TOL = 1e-4;

interface Settings {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
}
interface Answer {
  status: number;
  body: { tokens: number[]; seed: number; meanBatch: number; error?: string };
}
interface Service {
  url: string;
  close(): Promise<void>;
}

/** The reference logits of the token after `t` (same vocab, rank and weight seed as the examples). */
let reference: (t: number) => Float32Array;
let service: Service;

beforeAll(async () => {
  reference = (writeTinyModel(join(dir, "reference"), { vocab: VOCAB, rank: 8 }) as { logits: (t: number) => Float32Array }).logits;
  service = (await startService({ port: 0 })) as Service;
}, 30_000);

afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const max = (row: Float32Array) => row.reduce((m, x) => (x > m ? x : m), -Infinity);

/**
 * Checks that each token of `tokens` obeys `settings` against the reference logits of the token
 * before it (the prompt's last token first): in range, not pad/unk, and inside the filters.
 */
function checkTokens(last: number, tokens: number[], s: Settings, what: string) {
  let prev = last;
  tokens.forEach((t, i) => {
    const where = `${what}, token ${i} (after ${prev})`;
    expect(Number.isInteger(t) && t >= 2 && t < VOCAB, `${where}: ${t} is a token id other than pad/unk`).toBe(true);
    const row = reference(prev);
    const top = max(row);
    const l = row[t]!;
    if (s.temperature === 0) expect(l, `${where}: greedy takes the argmax (${row.indexOf(top)})`).toBeGreaterThanOrEqual(top - TOL);
    if (s.topK) {
      const kth = Float32Array.from(row).sort().reverse()[s.topK - 1]!;
      expect(l, `${where}: inside the top ${s.topK}`).toBeGreaterThanOrEqual(kth - TOL);
    }
    if (s.minP) expect((l - top) / (s.temperature ?? 1), `${where}: inside min-p ${s.minP}`).toBeGreaterThanOrEqual(Math.log(s.minP) - TOL);
    prev = t;
  });
}

async function post(body: unknown, path = "/generate"): Promise<Answer> {
  const res = await fetch(`${service.url}${path}`, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

describe("examples/llm/onnxruntime.mjs", () => {
  test("a batch of 4 requests: greedy is the argmax, filters hold, request 0 alone equals the batch", async () => {
    const out = join(dir, "onnxruntime.json");
    await run(process.execPath, ["examples/llm/onnxruntime.mjs", "--tokens", "12", "--json", out], { cwd: root, timeout: 30_000 });
    const report = JSON.parse(readFileSync(out, "utf8")) as {
      model: { vocab: number };
      requests: (Settings & { name: string; prompt: number[]; tokens: number[] })[];
      alone: { request: number; tokens: number[]; sameAsBatch: boolean };
    };
    expect(report.model.vocab).toBe(VOCAB);
    expect(report.requests.map((q) => q.name)).toEqual(["nucleus", "greedy", "top-k", "min-p"]);
    for (const q of report.requests) {
      expect(q.tokens).toHaveLength(12);
      checkTokens(q.prompt[q.prompt.length - 1]!, q.tokens, q, q.name);
    }
    expect(report.requests.find((q) => q.name === "greedy")?.temperature).toBe(0);
    expect(report.alone.tokens).toEqual(report.requests[0]!.tokens);
    expect(report.alone.sameAsBatch).toBe(true);
  }, 30_000);
});

describe("examples/llm/service.mjs", () => {
  const probe = { prompt: [4242], maxTokens: 24, temperature: 0.8, topP: 0.95, seed: 20261201 };

  test("the same request and seed: the same tokens alone and amid concurrent requests", async () => {
    const alone = await post(probe);
    expect(alone.status).toBe(200);
    expect(alone.body.meanBatch).toBe(1);
    const others = Array.from({ length: 40 }, (_, i) => ({
      prompt: [100 + i],
      maxTokens: 8 + (i % 24),
      ...[{ temperature: 0.7, topP: 0.9 }, { temperature: 0 }, { topK: 40 }, { minP: 0.05 }][i % 4],
      seed: 500 + i,
    }));
    const answers = await Promise.all([...others.slice(0, 20).map((b) => post(b)), post(probe), ...others.slice(20).map((b) => post(b))]);
    const amid = answers[20]!;
    expect(amid.status).toBe(200);
    expect(amid.body.meanBatch, "the probe shared its ticks with other requests").toBeGreaterThan(1);
    expect(amid.body.tokens).toEqual(alone.body.tokens);
    checkTokens(4242, amid.body.tokens, probe, "probe");
    answers.forEach((a, i) => {
      const b = i < 20 ? others[i]! : i === 20 ? probe : others[i - 1]!;
      expect(a.status).toBe(200);
      expect(a.body.tokens).toHaveLength(b.maxTokens);
      checkTokens(b.prompt[0]!, a.body.tokens, b, `request ${i}`);
    });
  }, 20_000);

  test("another seed gives another sequence", async () => {
    // 64 tokens at temperature 1.5: two seeds agree at a step with probability at most the
    // largest token probability (< 0.7 here), so all 64 agree by chance below 1e-10.
    const body = { prompt: [4242], maxTokens: 64, temperature: 1.5 };
    const [a, b, c] = await Promise.all([post({ ...body, seed: 1 }), post({ ...body, seed: 2 }), post({ ...body, seed: 1 })]);
    expect(a.body.tokens).toHaveLength(64);
    expect(b.body.tokens).not.toEqual(a.body.tokens);
    expect(c.body.tokens).toEqual(a.body.tokens);
  }, 20_000);

  test("greedy follows the reference argmax; the prompt may be words", async () => {
    const a = await post({ prompt: "w5 w7", maxTokens: 20, temperature: 0, seed: 3 });
    expect(a.status).toBe(200);
    checkTokens(7, a.body.tokens, { temperature: 0 }, "greedy");
    // The argmax chain of the reference, step by step, from w7.
    let t = 7;
    const chain = a.body.tokens.map(() => (t = reference(t).indexOf(max(reference(t)))));
    expect(a.body.tokens).toEqual(chain);
  }, 20_000);

  test("bad input: 400 naming the field, and the service keeps working", async () => {
    const good = { prompt: [9], maxTokens: 6, temperature: 0.9, seed: 77 };
    const before = await post(good);
    expect(before.status).toBe(200);
    const bad: [unknown, RegExp][] = [
      ["{nope", /body: not valid JSON/],
      [[1, 2], /body: must be a JSON object/],
      [{ ...good, temprature: 1 }, /unknown field "temprature"/],
      [{ ...good, prompt: [] }, /prompt: must have at least one token/],
      [{ ...good, prompt: [VOCAB] }, /prompt\[0\]: must be a token id/],
      [{ ...good, prompt: "w5 hello" }, /prompt: unknown word "hello"/],
      [{ ...good, maxTokens: 0 }, /maxTokens: must be an integer/],
      [{ ...good, maxTokens: undefined }, /maxTokens/],
      [{ ...good, temperature: "hot" }, /temperature: must be a number/],
      [{ ...good, temperature: -1 }, /temperature must be 0 \(greedy\) or positive/],
      [{ ...good, topP: 2 }, /topP must be in \(0, 1\]/],
      [{ ...good, topK: 1.5 }, /topK must be an integer/],
      [{ ...good, minP: null }, /minP: must be a number/],
      [{ ...good, seed: -1 }, /seed must be an integer/],
    ];
    for (const [body, message] of bad) {
      const a = await post(body);
      expect(a.status, JSON.stringify(body)).toBe(400);
      expect(a.body.error).toMatch(message);
    }
    // A temperature so small that the logits overflow float32 once divided: only seen in a tick.
    // The request gets its 400, the good request sharing its tick its usual tokens.
    const [overflow, beside] = await Promise.all([post({ ...good, temperature: 1e-40 }), post(good)]);
    expect(overflow.status).toBe(400);
    expect(overflow.body.error).toMatch(/temperature .* overflows float32/);
    expect(beside.status).toBe(200);
    expect(beside.body.tokens).toEqual(before.body.tokens);
    expect((await post(good)).body.tokens).toEqual(before.body.tokens);
  }, 20_000);

  test("unknown routes: 404", async () => {
    expect((await post({}, "/v1/generate")).status).toBe(404);
    const res = await fetch(`${service.url}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/no route GET \/nope/);
  });
});

describe("examples/llm/load.mjs", () => {
  test("300 requests: a sane report, and the probe reproducible amid the load", async () => {
    const out = join(dir, "load.json");
    const { stderr } = await run(process.execPath, ["examples/llm/load.mjs", "--requests", "300", "--concurrency", "32", "--json", out], { cwd: root, timeout: 40_000 });
    expect(stderr).toMatch(/left\n/);
    const r = JSON.parse(readFileSync(out, "utf8")) as {
      ok: number;
      errors: number;
      requestsPerSecond: number;
      tokensPerSecond: number;
      latencyMs: { p50: number; p99: number };
      meanBatch: number;
      machine: { cpu: string; cores: number; node: string };
      reproducible: { alone: { tokens: number[] }; amidLoad: { tokens: number[]; meanBatch: number }; same: boolean };
    };
    expect(r.ok).toBe(300);
    expect(r.errors).toBe(0);
    expect(r.requestsPerSecond).toBeGreaterThan(0);
    // 8 to 24 new tokens a request (--tokens 16)
    expect(r.tokensPerSecond / r.requestsPerSecond).toBeGreaterThanOrEqual(8);
    expect(r.tokensPerSecond / r.requestsPerSecond).toBeLessThanOrEqual(24);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
    expect(r.meanBatch).toBeGreaterThan(1);
    expect(r.meanBatch).toBeLessThanOrEqual(33); // 32 clients and the probe
    expect(r.machine.node).toBe(process.version);
    expect(r.reproducible.amidLoad.meanBatch).toBeGreaterThan(1);
    expect(r.reproducible.amidLoad.tokens).toEqual(r.reproducible.alone.tokens);
    expect(r.reproducible.same).toBe(true);
  }, 40_000);
});
