// SVG chart of a benchmark report: one small panel per operation, x = shape, y = ns per element
// on a log scale shared by all panels, one line per implementation, and a legend. No dependency.
//
//   node bench/chart.mjs [bench/results/latest.json] [bench/results/chart.svg]
//
// run.mjs calls writeChart() at the end of every run, next to the JSON it wrote.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

// Layout, in px.
const PANEL_W = 300;
const PANEL_H = 230;
const COLS = 3;
const MARGIN = { top: 76, left: 20, right: 20, bottom: 16 };
const PLOT = { left: 52, right: 14, top: 26, bottom: 58 }; // inside a panel

/** Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), then greys. */
export const COLOURS = ["#000000", "#0072B2", "#56B4E9", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#8C6D00", "#666666", "#AAAAAA"];
const MARKERS = ["circle", "square", "diamond", "triangle", "down", "circle", "square", "diamond", "triangle", "down"];

/** @param {string} s text escaped for SVG */
export function esc(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** @param {number} x a coordinate, to 0.1 */
export function num(x) {
  return Number(x.toFixed(1)).toString();
}

/** @param {number} x three significant digits, at most 2 decimals (as in the table) */
export function fmt(x) {
  const d = Math.max(0, Math.min(2, 2 - Math.floor(Math.log10(Math.abs(x) || 1))));
  return x.toFixed(d);
}

/** A decade's label: 0.1, 1, 10, 100, 1k, 10k... @param {number} e */
function decadeLabel(e) {
  if (e < 0) return (10 ** e).toFixed(-e);
  if (e < 3) return String(10 ** e);
  if (e < 6) return `${10 ** (e - 3)}k`;
  return `${10 ** (e - 6)}M`;
}

/**
 * A marker centred on (x, y): filled, or hollow (white inside, `colour` outline); `r` its size.
 * @param {string} kind @param {number} x @param {number} y @param {string} colour @param {string} tip
 * @param {{ r?: number, hollow?: boolean }} [style]
 */
export function marker(kind, x, y, colour, tip, { r = 3.2, hollow = false } = {}) {
  const style = hollow ? `fill="#fff" stroke="${colour}" stroke-width="1.4"` : `fill="${colour}" stroke="#fff" stroke-width="0.8"`;
  const title = `<title>${esc(tip)}</title>`;
  switch (kind) {
    case "square":
      return `<rect x="${num(x - r)}" y="${num(y - r)}" width="${num(2 * r)}" height="${num(2 * r)}" ${style}>${title}</rect>`;
    case "diamond": {
      const d = r * 1.35;
      return `<polygon points="${num(x)},${num(y - d)} ${num(x + d)},${num(y)} ${num(x)},${num(y + d)} ${num(x - d)},${num(y)}" ${style}>${title}</polygon>`;
    }
    case "triangle":
    case "down": {
      const s = kind === "down" ? -1 : 1;
      const d = r * 1.3;
      return `<polygon points="${num(x)},${num(y - s * d)} ${num(x + d)},${num(y + s * d * 0.8)} ${num(x - d)},${num(y + s * d * 0.8)}" ${style}>${title}</polygon>`;
    }
    default:
      return `<circle cx="${num(x)}" cy="${num(y)}" r="${num(r)}" ${style}>${title}</circle>`;
  }
}

/**
 * Where and how a report was made, for a chart's subtitle: date, CPU, cores, Node, rounds.
 * @param {{ date?: string, cpu?: string, cores?: number, node?: string, config?: { rounds?: number, quick?: boolean } }} report
 */
export function machineLine(report) {
  const date = typeof report.date === "string" ? report.date.replace("T", " ").replace(/\.\d+Z$/, " UTC") : "";
  const cores = report.cores ? `, ${report.cores} cores` : "";
  const quick = report.config?.quick ? ", quick run" : "";
  const rounds = report.config?.rounds ? `, median of ${report.config.rounds} rounds` : "";
  return `${date} · ${report.cpu ?? "unknown CPU"}${cores} · Node ${report.node ?? "?"}${rounds}${quick}`;
}

/**
 * The chart of a report written by run.mjs.
 * @param {any} report the parsed JSON
 * @returns {string} an SVG document
 */
export function renderChart(report) {
  /** @type {{ op: string, shape: string, impls: Record<string, { nsPerElement: number }> }[]} */
  const results = report.results ?? [];
  const ops = [...new Set(results.map((r) => r.op))];
  const shapes = [...new Set(results.map((r) => r.shape))];
  /** @type {{ id: string, label: string }[]} */
  const impls = (report.implementations ?? []).filter((/** @type {{ id: string }} */ i) =>
    results.some((r) => r.impls[i.id]),
  );
  const style = new Map(impls.map((impl, k) => [impl.id, { colour: COLOURS[k % COLOURS.length], marker: MARKERS[k % MARKERS.length] }]));

  // Shared log scale over every value, whole decades.
  const values = results.flatMap((r) => Object.values(r.impls).map((m) => m.nsPerElement)).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values, 10))));

  const legendInGrid = ops.length % COLS !== 0;
  const gridRows = Math.ceil((ops.length + (legendInGrid ? 1 : 0)) / COLS);
  const legendRowH = 18;
  const legendBelowH = legendInGrid ? 0 : 16 + Math.ceil(impls.length / 2) * legendRowH;
  const width = MARGIN.left + COLS * PANEL_W + MARGIN.right;
  const height = MARGIN.top + gridRows * PANEL_H + legendBelowH + MARGIN.bottom;
  const plotW = PANEL_W - PLOT.left - PLOT.right;
  const plotH = PANEL_H - PLOT.top - PLOT.bottom;
  /** @param {number} k */
  const xAt = (k) => PLOT.left + (shapes.length === 1 ? plotW / 2 : (plotW * (k + 0.5)) / shapes.length);
  /** @param {number} v */
  const yAt = (v) => PLOT.top + plotH * (1 - (Math.log10(v) - lo) / (hi - lo));

  /** @type {string[]} */
  const out = [];
  out.push(
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
  );

  // Title and the machine.
  out.push(
    `<text x="${MARGIN.left}" y="26" font-size="16" font-weight="bold">gumbel-wasm: ns per element, log scale (lower is better)</text>`,
    `<text x="${MARGIN.left}" y="46" fill="#333">${esc(machineLine(report))}</text>`,
    `<text x="${MARGIN.left}" y="62" fill="#666" font-size="10">${esc("x: shape (rows x cols); 1x10 measures call overhead")}</text>`,
  );

  ops.forEach((op, p) => {
    const ox = MARGIN.left + (p % COLS) * PANEL_W;
    const oy = MARGIN.top + Math.floor(p / COLS) * PANEL_H;
    const g = [`<g transform="translate(${ox},${oy})">`];
    const title = report.opLabels?.[op] ?? op;
    g.push(`<text x="${PLOT.left + plotW / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
    g.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#bbb"/>`);
    // Grid: decades labelled, 2x and 5x faint.
    for (let e = lo; e <= hi; e++) {
      const y = num(yAt(10 ** e));
      g.push(`<line x1="${PLOT.left}" x2="${PLOT.left + plotW}" y1="${y}" y2="${y}" stroke="#ccc"/>`);
      g.push(`<text x="${PLOT.left - 5}" y="${y}" dy="3.5" text-anchor="end" fill="#444">${decadeLabel(e)}</text>`);
      if (e < hi) {
        for (const m of [2, 5]) {
          const ym = num(yAt(m * 10 ** e));
          g.push(`<line x1="${PLOT.left}" x2="${PLOT.left + plotW}" y1="${ym}" y2="${ym}" stroke="#eee"/>`);
        }
      }
    }
    g.push(
      `<text transform="translate(14,${PLOT.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#444">ns / element</text>`,
    );
    shapes.forEach((shape, k) => {
      const x = num(xAt(k));
      const yb = PLOT.top + plotH;
      g.push(`<line x1="${x}" x2="${x}" y1="${yb}" y2="${yb + 4}" stroke="#888"/>`);
      g.push(`<text transform="translate(${x},${yb + 10}) rotate(-35)" text-anchor="end" dy="4" fill="#444">${esc(shape)}</text>`);
    });
    // One line per implementation; a gap where it does not run that shape or op.
    for (const impl of impls) {
      const s = /** @type {{ colour: string, marker: string }} */ (style.get(impl.id));
      /** @type {[number, number, number, string][]} */
      const pts = [];
      shapes.forEach((shape, k) => {
        const v = results.find((r) => r.op === op && r.shape === shape)?.impls[impl.id]?.nsPerElement;
        if (v && v > 0 && Number.isFinite(v)) pts.push([k, xAt(k), yAt(v), `${impl.label}, ${title}, ${shape}: ${fmt(v)} ns/elt`]);
      });
      if (!pts.length) continue;
      const baseline = impl.id === report.baseline;
      let d = "";
      pts.forEach(([k, x, y], j) => (d += `${j > 0 && pts[j - 1][0] === k - 1 ? "L" : "M"}${num(x)},${num(y)}`));
      g.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="${baseline ? 2.4 : 1.3}" stroke-linejoin="round"/>`);
      for (const [, x, y, tip] of pts) g.push(marker(s.marker, x, y, s.colour, tip));
    }
    g.push(`</g>`);
    out.push(g.join("\n"));
  });

  // Legend: in the free grid cell, or under the grid.
  /** @type {string[]} */
  const legend = [];
  const lx = legendInGrid ? MARGIN.left + (ops.length % COLS) * PANEL_W + PLOT.left : MARGIN.left + PLOT.left;
  const ly = legendInGrid ? MARGIN.top + Math.floor(ops.length / COLS) * PANEL_H + PLOT.top + 4 : MARGIN.top + gridRows * PANEL_H + 12;
  const perCol = legendInGrid ? impls.length : Math.ceil(impls.length / 2);
  impls.forEach((impl, k) => {
    const s = /** @type {{ colour: string, marker: string }} */ (style.get(impl.id));
    const x = lx + Math.floor(k / perCol) * 330;
    const y = ly + (k % perCol) * legendRowH;
    const baseline = impl.id === report.baseline;
    legend.push(
      `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${s.colour}" stroke-width="${baseline ? 2.4 : 1.3}"/>`,
      marker(s.marker, x + 12, y, s.colour, impl.label),
      `<text x="${x + 32}" y="${y}" dy="4"${baseline ? ' font-weight="bold"' : ""}>${esc(impl.label + (baseline ? " (baseline)" : ""))}</text>`,
    );
  });
  out.push(`<g>${legend.join("\n")}</g>`, `</svg>`, "");
  return out.join("\n");
}

/**
 * Reads a report and writes its chart.
 * @param {string} jsonPath @param {string} svgPath
 */
export function writeChart(jsonPath, svgPath) {
  writeFileSync(svgPath, renderChart(JSON.parse(readFileSync(jsonPath, "utf8"))));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv[2] ?? `${HERE}/results/latest.json`;
  const svg = process.argv[3] ?? `${HERE}/results/chart.svg`;
  try {
    writeChart(json, svg);
    process.stderr.write(`wrote ${svg}\n`);
  } catch (err) {
    process.stderr.write(`chart: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
