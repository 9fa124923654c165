// A load test of the sampling service (examples/llm/service.mjs): starts it (as a child process,
// or in this process with --in-process), sends it --requests requests, at most --concurrency at a
// time, over loopback (127.0.0.1 only), and reports requests per second, latency (p50, p99),
// tokens per second and the mean batch size of the service's ticks. Requests mix the settings of
// examples/llm/batch.mjs (nucleus, greedy, top-k, min-p), each with its own seed, and ask for
// tokens/2 to 3 tokens/2 new tokens, so requests join and leave the batch at every tick. The timed
// load follows a warm-up (one wave of --concurrency requests, not counted).
//
// It also checks the reproducibility contract over the wire: one request, sent alone before the
// load and again amid it (half the requests sent, or half of --seconds gone), must get the same
// tokens; the run fails (exit code 1) if not, or if any request fails.
//
//   npm run example:load
//   node examples/llm/load.mjs [--requests 2000] [--concurrency 64] [--tokens 16] [--seconds 50] [--in-process] [--json FILE]
//
// --seconds bounds the time spent sending: past it no new request is sent (the report says so);
// each request times out after 30 s. Progress, with the time left, goes to stderr.

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { SETTINGS, VOCAB } from "./batch.mjs";
import { startService } from "./service.mjs";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "64" },
    tokens: { type: "string", default: "16" },
    seconds: { type: "string", default: "50" },
    "in-process": { type: "boolean", default: false },
    json: { type: "string" },
  },
});
/** An integer option in [lo, hi], or a RangeError naming it. */
function integer(name, lo, hi) {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`--${name} must be an integer in [${lo}, ${hi}], got ${values[name]}`);
  return v;
}
const total = integer("requests", 1, 1_000_000);
const concurrency = integer("concurrency", 1, 1024);
const tokens = integer("tokens", 1, 512);
const seconds = integer("seconds", 1, 3600);
const TIMEOUT_MS = 30_000;

/** The i-th request of the load: SETTINGS in turn, its own seed, prompt and length. */
function loadRequest(i) {
  const { name, ...settings } = SETTINGS[i % SETTINGS.length];
  const lo = Math.ceil(tokens / 2);
  return { ...settings, prompt: [2 + ((i * 7919) % (VOCAB - 2))], maxTokens: lo + ((i * 5) % (tokens + 1)), seed: 1000 + i };
}
/** The request sent alone and amid the load. */
const PROBE = { prompt: [4242], maxTokens: 32, temperature: 0.8, topP: 0.95, seed: 20261201 };

// --- the service: a child process (default) or in this process ---
/** @returns {Promise<{ url: string, stop(): Promise<void> }>} */
async function start() {
  if (values["in-process"]) {
    const service = await startService({ port: 0 });
    return { url: service.url, stop: () => service.close() };
  }
  const child = spawn(process.execPath, [new URL("./service.mjs", import.meta.url).pathname, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("load: the service did not start within 30 s")), 30_000);
    child.on("exit", (code) => reject(new Error(`load: the service exited (code ${code}) before listening`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return { url, stop: async () => (child.kill("SIGTERM"), await exited) };
}

// --- HTTP over loopback ---
/**
 * One request to the service; resolves with its status, JSON body and latency in ms.
 * @param {Agent} agent @param {string} url @param {string} method @param {string} path @param {object} [body]
 */
function call(agent, url, method, path, body) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const data = body === undefined ? "" : JSON.stringify(body);
    const req = httpRequest(`${url}${path}`, { method, agent, timeout: TIMEOUT_MS, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode, body: JSON.parse(text), ms: performance.now() - started });
        } catch {
          reject(new Error(`${method} ${path}: answer not JSON (status ${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** The p-th quantile (nearest rank) of sorted numbers. */
const quantile = (sorted, p) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
/** @param {number} s */
const clock = (s) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`);

const service = await start();
// Loopback only: this test never sends anything to another address.
if (new URL(service.url).hostname !== "127.0.0.1") throw new Error(`load: the service is at ${service.url}, not on 127.0.0.1: refusing to send`);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency + 1 });
try {
  const expect200 = (what, r) => {
    if (r.status !== 200) throw new Error(`load: ${what} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  // The probe alone, while the service is idle.
  const alone = expect200("the probe, alone", await call(agent, service.url, "POST", "/generate", PROBE));
  // Warm-up, not counted: one wave of --concurrency requests (the model's first large batches,
  // the JIT, the connections).
  const warm = await Promise.all(Array.from({ length: concurrency }, (_, i) => call(agent, service.url, "POST", "/generate", loadRequest(total + i))));
  warm.forEach((r, i) => expect200(`warm-up request ${i}`, r));
  const before = expect200("GET /stats", await call(agent, service.url, "GET", "/stats"));

  process.stderr.write(`load: ${total} requests to ${service.url}, ${concurrency} at a time (${values["in-process"] ? "service in this process" : "service in a child process"})\n`);
  const latencies = [];
  let sent = 0;
  let done = 0;
  let errors = 0;
  let newTokens = 0;
  let firstError = "";
  let stoppedEarly = false;
  /** @type {Promise<any> | null} */
  let amid = null;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  // Progress: at every tenth of the requests done, and every second in between.
  let printed = started;
  const tenth = Math.ceil(total / 10);
  function showProgress() {
    printed = performance.now();
    const elapsed = (printed - started) / 1000;
    const left = done > 0 ? clock((elapsed / done) * (total - done)) : "?";
    process.stderr.write(`load: ${done} of ${total} requests (${((100 * done) / total).toFixed(0)}%), ${clock(elapsed)}, about ${left} left\n`);
  }
  const progress = setInterval(() => performance.now() - printed >= 1000 && showProgress(), 250);

  async function worker() {
    while (sent < total) {
      if (performance.now() > deadline) {
        stoppedEarly = true;
        return;
      }
      const i = sent++;
      // The probe again, amid the load: half the requests sent (or half of --seconds gone).
      if (amid === null && (i >= Math.floor(total / 2) || performance.now() > started + seconds * 500)) {
        amid = call(agent, service.url, "POST", "/generate", PROBE);
      }
      try {
        const r = await call(agent, service.url, "POST", "/generate", loadRequest(i));
        if (r.status !== 200) throw new Error(`status ${r.status}: ${JSON.stringify(r.body)}`);
        latencies.push(r.ms);
        newTokens += r.body.tokens.length;
      } catch (e) {
        errors++;
        firstError ||= `request ${i}: ${e.message}`;
      }
      done++;
      if (done % tenth === 0 && done < total) showProgress();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = (performance.now() - started) / 1000;
  clearInterval(progress);
  const after = expect200("GET /stats", await call(agent, service.url, "GET", "/stats"));
  const amidBody = amid ? expect200("the probe, amid the load", await amid) : null;

  latencies.sort((a, b) => a - b);
  const ticks = after.ticks - before.ticks;
  const same = amidBody !== null && amidBody.tokens.length === alone.tokens.length && amidBody.tokens.every((t, k) => t === alone.tokens[k]);
  const report = {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version },
    service: values["in-process"] ? "in process" : "child process",
    requests: total,
    concurrency,
    tokensPerRequest: [Math.ceil(tokens / 2), Math.ceil(tokens / 2) + tokens],
    vocab: VOCAB,
    sent,
    ok: latencies.length,
    errors,
    firstError: firstError || undefined,
    stoppedEarly,
    seconds: wall,
    requestsPerSecond: latencies.length / wall,
    tokensPerSecond: newTokens / wall,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies[latencies.length - 1] },
    ticks,
    meanBatch: ticks > 0 ? (after.rows - before.rows) / ticks : 0,
    // per tick, in the service: the model run (onnxruntime) and the one sampleTokens call
    modelMsPerTick: ticks > 0 ? (after.modelMs - before.modelMs) / ticks : 0,
    sampleMsPerTick: ticks > 0 ? (after.sampleMs - before.sampleMs) / ticks : 0,
    reproducible: {
      request: PROBE,
      alone: { tokens: alone.tokens, meanBatch: alone.meanBatch },
      amidLoad: amidBody && { tokens: amidBody.tokens, meanBatch: amidBody.meanBatch },
      same,
    },
  };

  const f = (x, d = 1) => (x === undefined ? "-" : x.toFixed(d));
  console.log(`${report.ok} of ${total} requests in ${f(wall, 2)} s (${concurrency} at a time, ${report.tokensPerRequest.join(" to ")} new tokens each, vocab ${VOCAB}, service in ${report.service === "in process" ? "this process" : "a child process"})`);
  console.log(`| requests/s | tokens/s | p50 latency | p99 latency | mean batch per tick | model per tick | sampleTokens per tick | errors |`);
  console.log(`|---:|---:|---:|---:|---:|---:|---:|---:|`);
  console.log(
    `| ${f(report.requestsPerSecond)} | ${f(report.tokensPerSecond, 0)} | ${f(report.latencyMs.p50)} ms | ${f(report.latencyMs.p99)} ms | ${f(report.meanBatch)} | ` +
      `${f(report.modelMsPerTick, 2)} ms | ${f(report.sampleMsPerTick, 2)} ms | ${errors} |`,
  );
  if (stoppedEarly) console.log(`stopped sending after ${seconds} s (--seconds): ${sent} of ${total} sent`);
  if (firstError) console.log(`first error: ${firstError}`);
  console.log(
    same
      ? `reproducible: the probe (seed ${PROBE.seed}) got the same ${alone.tokens.length} tokens alone (batch ${f(alone.meanBatch)}) and amid the load (mean batch ${f(amidBody.meanBatch)})`
      : `NOT REPRODUCIBLE: the probe alone got [${alone.tokens}], amid the load [${amidBody?.tokens ?? "no answer"}]`,
  );
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1));
  if (!same || errors > 0) process.exitCode = 1;
} finally {
  agent.destroy();
  await service.stop();
}
