// A small LLM sampling service on Node's `http` module, with continuous batching: one model
// session (examples/llm/tiny-model.mjs's bigram, vocab 32000, in onnxruntime-node) and a tick
// loop. Each tick takes every active request (those that just arrived and those still
// generating), runs the model once for the batch and samples every row in ONE `sampleTokens` call
// with the row's own settings, its seed and offset = (index of the token being generated) * vocab;
// then it answers the requests that are done. A request's tokens depend only on the request and
// its seed, never on which other requests shared its ticks.
//
//   npm run example:service                       # listens on http://127.0.0.1:8080
//   node examples/llm/service.mjs [--port 8080]   # --port 0: any free port (printed)
//   curl -s 127.0.0.1:8080/generate -d '{"prompt": "w5 w7", "maxTokens": 8, "temperature": 0.7, "topP": 0.9, "seed": 42}'
//
// POST /generate, a JSON object:
//   prompt       token ids (integers in [0, vocab)) or a string of words "w5 w7" (word i is "w<i>")
//   maxTokens    how many tokens to generate, an integer in [1, 1024]
//   temperature, topK, topP, minP   sampleTokens' filters (optional; README "Sampling tokens")
//   seed         the request's stream (optional: a random one, returned, so the answer can be replayed)
// answers { tokens, seed, ticks, meanBatch (rows of the ticks it was in, on average), ms }.
// GET /stats answers { requests, answered, failed (answered with an error), active, ticks, rows,
// meanBatch, modelMs and sampleMs (the time in the model and in sampleTokens, summed over ticks) }.
// A bad body or field: 400 with a message naming it (checked on arrival, with sampleTokens' own
// checks, so one bad request never fails a tick); an unknown route: 404.
//
// In-process (tests, examples/llm/load.mjs):
//   import { startService } from "./service.mjs";
//   const service = await startService({ port: 0 });   // service.url: "http://127.0.0.1:<port>"
//   await service.close();

import { randomInt } from "node:crypto";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { init } from "gumbel-wasm";
import { RANK, VOCAB, openModel, runModel, sampleRows } from "./batch.mjs";
import { word } from "./tiny-model.mjs";

/** The fields of a /generate body. */
const FIELDS = ["prompt", "maxTokens", "temperature", "topK", "topP", "minP", "seed"];
const FILTERS = ["temperature", "topK", "topP", "minP"];
/** The largest body read, in bytes. */
const MAX_BODY = 1 << 20;
/** A one-token row: sampleTokens checks a request's settings on it when the request arrives. */
const PROBE = new Float32Array(1);

/**
 * Starts the service on 127.0.0.1 (loopback only).
 * @param {{ port?: number, vocab?: number, rank?: number, maxTokens?: number, maxBatch?: number, maxActive?: number }} [options]
 *   port: 0 for any free port; vocab, rank: the tiny model's; maxTokens: the largest maxTokens a
 *   request may ask; maxBatch: the most rows a tick samples (the rest wait for the next tick);
 *   maxActive: the most requests held at once (more are answered 503)
 * @returns {Promise<{ url: string, stats(): object, close(): Promise<void> }>}
 */
export async function startService({ port = 0, vocab = VOCAB, rank = RANK, maxTokens = 1024, maxBatch = 256, maxActive = 4096 } = {}) {
  const gw = await init();
  const model = await openModel({ vocab, rank });
  /** @type {Active[]} the requests generating, in order of arrival */
  let active = [];
  const counts = { requests: 0, answered: 0, failed: 0, ticks: 0, rows: 0, modelMs: 0, sampleMs: 0 };
  /** @type {Promise<void> | null} the tick loop, while it runs */
  let ticking = null;
  let closing = false;

  /**
   * @typedef {{ prompt: number[], maxTokens: number, temperature?: number, topK?: number, topP?: number, minP?: number, seed: number }} Request
   * @typedef {Request & { res: import("node:http").ServerResponse, arrived: number, tokens: number[],
   *   step: number, last: number, ticks: number, rowsSeen: number, done: boolean }} Active
   */

  /** The request in a /generate body, checked; throws an Error whose message names the field. */
  function parseRequest(body) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new TypeError(`body: must be a JSON object with ${FIELDS.join(", ")}`);
    for (const key of Object.keys(body)) if (!FIELDS.includes(key)) throw new TypeError(`unknown field "${key}" (the fields: ${FIELDS.join(", ")})`);
    const prompt = parsePrompt(body.prompt, vocab);
    const n = body.maxTokens;
    if (!Number.isInteger(n) || n < 1 || n > maxTokens) throw new RangeError(`maxTokens: must be an integer in [1, ${maxTokens}], got ${JSON.stringify(n)}`);
    for (const key of [...FILTERS, "seed"]) {
      if (body[key] !== undefined && typeof body[key] !== "number") throw new TypeError(`${key}: must be a number, got ${JSON.stringify(body[key])}`);
    }
    const seed = body.seed ?? randomInt(2 ** 48 - 1);
    const filters = {};
    for (const key of FILTERS) if (body[key] !== undefined) filters[key] = body[key];
    // sampleTokens' own checks (ranges, the seed, the stream's end at the last token), on a
    // one-token row: a bad value is refused here, never in a tick.
    gw.sampleTokens(PROBE, { cols: 1, ...filters, seed, offset: (n - 1) * vocab });
    return { prompt, maxTokens: n, seed, ...filters };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => reply(res, 500, { error: `internal error: ${e.message}` }));
  });
  // Idle keep-alive connections are closed by the client first (fetch's: 4 s), never by us as the
  // client reuses one: a server timeout below the client's (Node's default is 5 s) makes a request
  // sent just as the server closes fail with ECONNRESET, which a busy event loop makes likely.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  /** @param {import("node:http").IncomingMessage} req @param {import("node:http").ServerResponse} res */
  async function handle(req, res) {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/stats" && req.method === "GET") return reply(res, 200, stats());
    if (path !== "/generate") return reply(res, 404, { error: `no route ${req.method} ${path}: the routes are POST /generate and GET /stats` });
    if (req.method !== "POST") return reply(res, 405, { error: `${req.method} /generate: use POST` }, { allow: "POST" });
    counts.requests++;
    const text = await readBody(req);
    if (text === null) return reject(res, 413, `body: larger than ${MAX_BODY} bytes`);
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      return reject(res, 400, `body: not valid JSON (${e.message})`);
    }
    let request;
    try {
      request = parseRequest(body);
    } catch (e) {
      return reject(res, 400, e.message);
    }
    if (closing) return reject(res, 503, "the service is closing");
    if (active.length >= maxActive) return reject(res, 503, `busy: ${active.length} requests active, try again later`);
    /** @type {Active} */
    const q = { ...request, res, arrived: performance.now(), tokens: [], step: 0, last: request.prompt[request.prompt.length - 1], ticks: 0, rowsSeen: 0, done: false };
    res.on("close", () => (q.done = true)); // answered, or the client went away: either way, no more rows
    active.push(q);
    wake();
  }

  function reject(res, status, error) {
    counts.failed++;
    reply(res, status, { error });
  }

  /** Starts the tick loop unless it runs. */
  function wake() {
    ticking ??= (async () => {
      while (active.length > 0 && !closing) {
        await new Promise(setImmediate); // let requests that arrived meanwhile join this tick
        await tick();
      }
    })().finally(() => {
      ticking = null;
      if (active.length > 0 && !closing) wake(); // a request that came in as the loop ended
    });
  }

  /** One tick: the model once for every active request (up to maxBatch), one sampleTokens call. */
  async function tick() {
    active = active.filter((q) => !q.done);
    const batch = active.slice(0, maxBatch);
    if (batch.length === 0) return;
    let logits;
    const t0 = performance.now();
    try {
      logits = await runModel(model, batch.map((q) => q.last));
    } catch (e) {
      for (const q of batch) finish(q, 500, { error: `model: ${e.message}` });
      return;
    }
    const t1 = performance.now();
    let next;
    try {
      next = sampleRows(gw, logits, vocab, batch);
    } catch {
      // A row the settings' checks could not foresee (its largest logit divided by a tiny
      // temperature overflows float32): sample row by row and answer that request alone. The
      // other rows get the same tokens as in one call: each row has its own stream.
      next = batch.map((q, r) => {
        try {
          return sampleRows(gw, logits.subarray(r * vocab, (r + 1) * vocab), vocab, [q])[0];
        } catch (e) {
          finish(q, 400, { error: e.message });
          return -1;
        }
      });
    }
    counts.ticks++;
    counts.rows += batch.length;
    counts.modelMs += t1 - t0;
    counts.sampleMs += performance.now() - t1;
    batch.forEach((q, r) => {
      if (q.done) return; // the client went away, or the row failed
      q.tokens.push(next[r]);
      q.last = next[r];
      q.step++;
      q.ticks++;
      q.rowsSeen += batch.length;
      if (q.step === q.maxTokens) {
        finish(q, 200, { tokens: q.tokens, seed: q.seed, ticks: q.ticks, meanBatch: q.rowsSeen / q.ticks, ms: round(performance.now() - q.arrived) });
      }
    });
  }

  function finish(q, status, body) {
    if (q.done) return;
    q.done = true;
    counts[status === 200 ? "answered" : "failed"]++;
    reply(q.res, status, body);
  }

  function stats() {
    return { ...counts, active: active.filter((q) => !q.done).length, meanBatch: counts.ticks ? counts.rows / counts.ticks : 0 };
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    stats,
    async close() {
      closing = true;
      const closed = new Promise((resolve) => server.close(resolve));
      await ticking;
      for (const q of active) finish(q, 503, { error: "the service is closing" });
      active = [];
      setImmediate(() => server.closeAllConnections()); // after the answers above are written
      await closed;
      await model.close();
    },
  };
}

/** A prompt: token ids, or a string of the tokenizer's words ("w5 w7"). */
function parsePrompt(prompt, vocab) {
  let ids = prompt;
  if (typeof prompt === "string") {
    ids = prompt.split(/\s+/).filter(Boolean).map((w) => {
      const i = w === "<pad>" ? 0 : w === "<unk>" ? 1 : /^w[1-9][0-9]*$/.test(w) ? Number(w.slice(1)) : -1;
      if (i < 0 || i >= vocab || word(i) !== w) throw new RangeError(`prompt: unknown word ${JSON.stringify(w)} (the words are w2 to w${vocab - 1})`);
      return i;
    });
  } else if (!Array.isArray(prompt)) {
    throw new TypeError(`prompt: must be an array of token ids or a string of words, got ${JSON.stringify(prompt) ?? "nothing"}`);
  }
  if (ids.length === 0) throw new RangeError("prompt: must have at least one token");
  ids.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= vocab) throw new RangeError(`prompt[${i}]: must be a token id, an integer in [0, ${vocab}), got ${JSON.stringify(t)}`);
  });
  return ids;
}

/** The body as text, or null when it is larger than MAX_BODY (read to its end, so the answer can be sent). */
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  }
  return size > MAX_BODY ? null : Buffer.concat(chunks).toString("utf8");
}

/** Milliseconds, to 0.01. */
const round = (x) => Math.round(x * 100) / 100;

/** @param {import("node:http").ServerResponse} res */
function reply(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

// From the command line: serve until Ctrl-C.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { port: { type: "string", default: "8080" } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port must be an integer in [0, 65535], got ${values.port}`);
  const service = await startService({ port });
  console.log(`gumbel-wasm sampling service on ${service.url} (POST /generate, GET /stats); Ctrl-C stops it`);
  const stop = () => service.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
