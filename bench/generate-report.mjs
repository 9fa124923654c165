// The table and the figure of bench/generate.mjs' report (bench/results/generate.json), which
// calls them at the end of a run; from the command line, prints the table and redraws the figure:
//
//   node bench/generate-report.mjs [bench/results/generate.json] [bench/results/generate.svg]

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { COLOURS, esc, fmt, machineLine, marker, num } from "./chart.mjs";

/** The model step of a real LLM, in ms, for the share the sampler would take beside it. */
export const STEP_MS = 20;
export const NO_TOPP = "none: its TopPLogitsWarper is unimplemented in 4.3.1";

const who = (sampler) => (sampler === "processor" ? "SampleTokensProcessor" : sampler);
/** A share in %: two decimals under 0.1 %, one under 10 %. */
const pct = (x) => (x === undefined ? "" : `${(100 * x).toFixed(Math.abs(x) < 0.001 ? 2 : Math.abs(x) < 0.1 ? 1 : 0)} %`);
/** ms: three decimals under 0.1 ms. */
const ms = (x) => (x === undefined ? "" : Math.abs(x) < 0.1 ? x.toFixed(3) : fmt(x));

/** The markdown table of a report, with its footnotes. */
export function markdownTable(report) {
  const step = report.config.stepMs;
  const lines = [
    `| V | configuration | sampler | tokens/s | ms / token | sampler ms / token | sampler share | share beside a ${step} ms step | SampleTokensProcessor vs transformers.js |`,
    "|---:|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  let below = false;
  for (const { vocab, configs } of report.cases) {
    for (const r of configs) {
      const ratio = r.processorVsTransformersJs === undefined ? "" : `${r.processorVsTransformersJs.toFixed(1)}x`;
      const mark = r.samplerMsPerToken < 0 ? " †" : "";
      below ||= mark !== "";
      const sampler = [ms(r.samplerMsPerToken), pct(r.samplerShare), pct(r.shareBesideStep)].map((c) => (c ? c + mark : c));
      lines.push(`| ${vocab} | ${r.configuration} | ${who(r.sampler)} | ${Math.round(r.tokensPerSecond)} | ${fmt(r.msPerToken)} | ${sampler.join(" | ")} | ${ratio} |`);
      if (r.id === "proc-topp") lines.push(`| ${vocab} | top-p 0.9 | transformers.js | — | — | — | — | — | ${NO_TOPP} |`);
    }
  }
  const argmax = report.cases.map((c) => `${fmt(c.greedyArgmaxUs)} µs at V = ${c.vocab}`).join(", ");
  lines.push(
    "",
    `${report.cpu} (${report.cores} cores), Node ${report.node}; @huggingface/transformers ${report.transformersJs}, onnxruntime-node ` +
      `${report.onnxruntimeNode} (one intra-op thread); batch 1, a prompt of ${report.config.promptTokens} tokens, ${report.config.maxNewTokens} new tokens a call, ` +
      `tiny bigram model (rank ${report.config.rank}); medians over ${report.config.rounds} rounds. Sampler = (configuration - greedy) per round. ` +
      `The greedy floor includes generate()'s greedy argmax over the row (${argmax}), which the processor's runs pay too and transformers.js's sampler replaces.`,
  );
  if (below) lines.push("† below zero: transformers.js's top-k costs no more than the greedy argmax it replaces.");
  return lines.join("\n");
}

/**
 * ms per token as horizontal bars, one panel per V (a linear scale each): "model + generate()"
 * (the greedy floor) and the sampler on top of it.
 */
export function renderGenerateChart(report) {
  const W = 820;
  const LABEL_W = 270;
  const PLOT_W = 400;
  const BAR_H = 16;
  const ROW_H = 24;
  const TOP = 84;
  const PANEL_GAP = 36;
  const floorColour = COLOURS[9];
  const samplerColour = { "transformers.js": COLOURS[3], processor: COLOURS[1] };
  const rows = (configs) => {
    const out = [];
    for (const c of configs) {
      out.push(c);
      if (c.id === "proc-topp") out.push({ configuration: "top-p 0.9", sampler: "transformers.js", none: true });
    }
    return out;
  };
  const panelH = (n) => 22 + n * ROW_H + 30;
  const heights = report.cases.map((c) => panelH(rows(c.configs).length));
  const H = TOP + heights.reduce((a, b) => a + b, 0) + PANEL_GAP * (report.cases.length - 1) + 56;
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="20" y="26" font-size="16" font-weight="bold">${esc("generate() on a tiny model: ms per new token (lower is better)")}</text>`,
    `<text x="20" y="46" fill="#333">${esc(machineLine(report))}</text>`,
    `<text x="20" y="62" fill="#666" font-size="10">${esc(
      `transformers.js ${report.transformersJs}, onnxruntime-node ${report.onnxruntimeNode}; bigram LM (rank ${report.config.rank}), batch 1, ${report.config.maxNewTokens} new tokens a call; bars: the greedy floor + what sampling adds`,
    )}</text>`,
  ];
  let y0 = TOP;
  report.cases.forEach((c, p) => {
    const list = rows(c.configs);
    const greedy = c.configs.find((r) => r.id === "greedy").msPerToken;
    const top = Math.max(...c.configs.map((r) => r.msPerToken));
    const step = niceStep(top / 5);
    const axisMax = Math.ceil(top / step) * step;
    const xAt = (v) => LABEL_W + (PLOT_W * v) / axisMax;
    const g = [`<g transform="translate(0,${y0})">`, `<text x="20" y="12" font-weight="bold">V = ${c.vocab}</text>`];
    const plotTop = 22;
    const plotBottom = plotTop + list.length * ROW_H;
    for (let v = 0; v <= axisMax + step / 2; v += step) {
      const x = num(xAt(v));
      g.push(`<line x1="${x}" x2="${x}" y1="${plotTop}" y2="${plotBottom}" stroke="${v === 0 ? "#888" : "#e4e4e4"}"/>`);
      g.push(`<text x="${x}" y="${plotBottom + 13}" text-anchor="middle" fill="#444">${Number(v.toPrecision(3))}</text>`);
    }
    g.push(`<text x="${LABEL_W + PLOT_W / 2}" y="${plotBottom + 27}" text-anchor="middle" fill="#444">ms per token</text>`);
    list.forEach((r, k) => {
      const y = plotTop + k * ROW_H + (ROW_H - BAR_H) / 2;
      const mid = y + BAR_H / 2;
      const name = r.sampler === "none" ? "no sampler" : r.sampler === "processor" ? "gumbel-wasm processor" : "transformers.js";
      g.push(`<text x="${LABEL_W - 8}" y="${num(mid)}" dy="3.5" text-anchor="end">${esc(`${r.configuration.replace(/`/g, "")}: ${name}`)}</text>`);
      if (r.none) {
        g.push(`<text x="${LABEL_W + 6}" y="${num(mid)}" dy="3.5" fill="#888" font-style="italic">${esc(NO_TOPP)}</text>`);
        return;
      }
      const floor = Math.min(greedy, r.msPerToken);
      const tip = `V = ${c.vocab}, ${r.configuration}, ${name}: ${fmt(r.msPerToken)} ms per token, ${Math.round(r.tokensPerSecond)} tokens/s`;
      g.push(`<rect x="${LABEL_W}" y="${num(y)}" width="${num(xAt(floor) - LABEL_W)}" height="${BAR_H}" fill="${floorColour}"><title>${esc(tip)}</title></rect>`);
      if (r.sampler !== "none" && r.msPerToken > floor) {
        g.push(
          `<rect x="${num(xAt(floor))}" y="${num(y)}" width="${num(xAt(r.msPerToken) - xAt(floor))}" height="${BAR_H}" fill="${samplerColour[r.sampler]}"><title>${esc(tip)}</title></rect>`,
        );
      }
      const ratio = r.processorVsTransformersJs ? ` · ${r.processorVsTransformersJs.toFixed(1)}x transformers.js` : "";
      g.push(`<text x="${num(xAt(r.msPerToken) + 5)}" y="${num(mid)}" dy="3.5" fill="#222">${esc(`${fmt(r.msPerToken)} ms · ${Math.round(r.tokensPerSecond)} tok/s${ratio}`)}</text>`);
    });
    g.push(`</g>`);
    out.push(g.join("\n"));
    y0 += heights[p] + PANEL_GAP;
  });
  // Legend.
  const ly = H - 26;
  const items = [
    [floorColour, "model step + generate() (the greedy floor)"],
    [samplerColour["transformers.js"], "transformers.js's sampler"],
    [samplerColour.processor, "gumbel-wasm SampleTokensProcessor"],
  ];
  let lx = 20;
  for (const [colour, label] of items) {
    out.push(marker("square", lx + 6, ly, colour, label, { r: 6 }), `<text x="${lx + 17}" y="${ly}" dy="4">${esc(label)}</text>`);
    lx += 30 + label.length * 6;
  }
  out.push(`</svg>`, "");
  return out.join("\n");
}

/** 1, 2 or 5 times a power of ten, at least `x`. */
function niceStep(x) {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= x);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv[2] ?? fileURLToPath(new URL("results/generate.json", import.meta.url));
  const svg = process.argv[3] ?? `${json.replace(/\.json$/, "")}.svg`;
  const report = JSON.parse(readFileSync(json, "utf8"));
  console.log(markdownTable(report));
  writeFileSync(svg, renderGenerateChart(report));
  process.stderr.write(`wrote ${svg}\n`);
}
