// The figure of a run (hand-written SVG, no dependency; the style of bench/chart.mjs): three
// panels on log scales, everything relative to the exact gradient's norm.
//   1. bias against variance, one point per estimator, with the noise floor sqrt(tr Cov / N):
//      what N estimates cannot tell from zero bias lies on or under it;
//   2. variance against tau for the relaxed and straight-through families (the tau-free
//      estimators as horizontal lines);
//   3. bias against tau, the same way (exact where known, else measured).
//
//   node examples/estimators/figure.mjs [results.json] [estimators.svg]

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { esc, marker as benchMarker, num } from "../../bench/chart.mjs";

/** The markers of bench/chart.mjs, a little larger; hollow for a measured value (filled: exact). */
const marker = (/** @type {string} */ kind, /** @type {number} */ x, /** @type {number} */ y, /** @type {string} */ colour, /** @type {string} */ tip, hollow = false) =>
  benchMarker(kind, x, y, colour, tip, { r: 3.6, hollow });

const HERE = dirname(fileURLToPath(import.meta.url));

/** Okabe-Ito colours and a marker per family. */
const FAMILY = {
  REINFORCE: { colour: "#000000", marker: "circle", label: "REINFORCE (+ baselines)" },
  ST: { colour: "#D55E00", marker: "square", label: "straight-through" },
  GS: { colour: "#0072B2", marker: "circle", label: "Gumbel-Softmax" },
  "ST-GS": { colour: "#56B4E9", marker: "diamond", label: "ST Gumbel-Softmax" },
  "GR-10": { colour: "#009E73", marker: "triangle", label: "Gumbel-Rao S = 10" },
  "GR-100": { colour: "#E69F00", marker: "down", label: "Gumbel-Rao S = 100" },
  GST: { colour: "#CC79A7", marker: "square", label: "Gapped ST (kappa 1)" },
};
const PANEL = { w: 330, h: 300 };
const PLOT = { left: 58, right: 14, top: 30, bottom: 46 };
const MARGIN = { top: 70, left: 16, bottom: 100 };

/** @param {number} e */
const decade = (e) => (e < -3 || e > 3 ? `1e${e}` : e < 0 ? (10 ** e).toFixed(-e) : String(10 ** e));
/** @param {number} x */
const sig = (x) => (x === 0 ? "0" : x.toPrecision(3));


/** Whole decades around the values. @param {number[]} values */
function decades(values) {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  const lo = Math.floor(Math.log10(Math.min(...v)));
  return { lo, hi: Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...v)))) };
}

/**
 * One panel's frame: log axes with decade grid lines and labels.
 * @param {{ lo: number, hi: number }} xr @param {{ lo: number, hi: number }} yr
 * @param {string} title @param {string} xLabel @param {string} yLabel @param {number[] | null} xTicks
 */
function frame(xr, yr, title, xLabel, yLabel, xTicks) {
  const w = PANEL.w - PLOT.left - PLOT.right;
  const h = PANEL.h - PLOT.top - PLOT.bottom;
  /** @param {number} v */
  const X = (v) => PLOT.left + (w * (Math.log10(v) - xr.lo)) / (xr.hi - xr.lo);
  /** @param {number} v */
  const Y = (v) => PLOT.top + h * (1 - (Math.log10(v) - yr.lo) / (yr.hi - yr.lo));
  const g = [
    `<text x="${PLOT.left + w / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${w}" height="${h}" fill="#fafafa" stroke="#bbb"/>`,
  ];
  for (let e = yr.lo; e <= yr.hi; e++) {
    const y = num(Y(10 ** e));
    g.push(`<line x1="${PLOT.left}" x2="${PLOT.left + w}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    g.push(`<text x="${PLOT.left - 5}" y="${y}" dy="3.5" text-anchor="end" fill="#444">${decade(e)}</text>`);
  }
  const ticks = xTicks ?? Array.from({ length: xr.hi - xr.lo + 1 }, (_, i) => 10 ** (xr.lo + i));
  const every = xTicks ? 1 : Math.ceil(ticks.length / 6); // decade labels: at most about 6
  ticks.forEach((t, i) => {
    const x = num(X(t));
    g.push(`<line x1="${x}" x2="${x}" y1="${PLOT.top}" y2="${PLOT.top + h}" stroke="#ddd"/>`);
    if ((ticks.length - 1 - i) % every === 0)
      g.push(`<text x="${x}" y="${PLOT.top + h + 14}" text-anchor="middle" fill="#444">${xTicks ? t : decade(Math.round(Math.log10(t)))}</text>`);
  });
  g.push(`<text x="${PLOT.left + w / 2}" y="${PLOT.top + h + 32}" text-anchor="middle" fill="#444">${esc(xLabel)}</text>`);
  g.push(`<text transform="translate(14,${PLOT.top + h / 2}) rotate(-90)" text-anchor="middle" fill="#444">${esc(yLabel)}</text>`);
  return { g, X, Y, w, h };
}

/**
 * @param {any} report the JSON run.mjs writes
 * @returns {string} an SVG document
 */
export function renderFigure(report) {
  const norm = report.problem.gradientNorm;
  /** @type {any[]} */
  const rows = report.rows;
  const N = report.samples;
  /** @param {any} r */
  const relVar = (r) => r.traceVar / norm ** 2;
  // Bias: exact where known (by enumeration or quadrature), else measured; REINFORCE's exact
  // bias is 0, so it is drawn at its measured value (noise), which the floor line explains.
  /** @param {any} r */
  const exact = (r) => Boolean(r.expectation && r.expectation.exactBias > 0);
  /** @param {any} r */
  const relBias = (r) => (exact(r) ? r.expectation.exactBias : r.biasNorm) / norm;
  /** @param {any} r */
  const tip = (r) =>
    `${r.label}: bias ${sig(r.biasNorm / norm)} (max |z| ${sig(r.maxZ)}), variance ${sig(relVar(r))} of |grad|^2`;

  const width = MARGIN.left + 3 * PANEL.w + 16;
  const height = MARGIN.top + PANEL.h + MARGIN.bottom;
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="16" font-weight="bold">Gradient estimators for a categorical of K = ${report.problem.K}: bias and variance</text>`,
    `<text x="${MARGIN.left}" y="42" fill="#333">${esc(
      `loss ||e_z - t||^2, exact gradient by enumeration; N = ${N.toLocaleString("en")} estimates per row, seed ${report.seed}` +
        (report.machine ? ` · ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}, ${Math.round(report.seconds)} s` : ""),
    )}</text>`,
    `<text x="${MARGIN.left}" y="58" fill="#666" font-size="10">${esc(
      "bias = |E[estimate] - grad| / |grad| (exact where known, else measured); variance = trace of the covariance of one estimate / |grad|^2",
    )}</text>`,
  ];

  // Panel 1: bias against variance.
  {
    const xs = rows.map(relVar);
    const ys = rows.map(relBias);
    const floor = (/** @type {number} */ v) => Math.sqrt(v / N);
    const xr = decades(xs);
    const yr = decades([...ys, ...xs.map(floor)]);
    const f = frame(xr, yr, "bias against variance", "variance (relative)", "bias (relative)", null);
    // The noise floor: a mean of N estimates is typically sqrt(tr Cov / N) from its expectation.
    // y = sqrt(x / N), clipped to the box (x = N y^2 at its top and bottom).
    const x0 = Math.max(10 ** xr.lo, N * 10 ** (2 * yr.lo));
    const x1 = Math.min(10 ** xr.hi, N * 10 ** (2 * yr.hi));
    if (x0 < x1) {
      const xm = x0 * (x1 / x0) ** 0.3; // the label, under the line's lower part
      f.g.push(
        `<line x1="${num(f.X(x0))}" y1="${num(f.Y(floor(x0)))}" x2="${num(f.X(x1))}" y2="${num(f.Y(floor(x1)))}" stroke="#888" stroke-dasharray="5,3"><title>sqrt(variance / N): the typical distance of a mean of N estimates from its expectation</title></line>`,
        `<text x="${num(f.X(xm))}" y="${num(f.Y(floor(xm)) + 16)}" fill="#666" font-size="10">noise floor sqrt(var / N)</text>`,
      );
    }
    rows.forEach((r, i) => {
      const s = FAMILY[/** @type {keyof typeof FAMILY} */ (r.family)];
      const x = f.X(xs[i]);
      const y = f.Y(Math.max(ys[i], 10 ** yr.lo));
      f.g.push(marker(s.marker, x, y, s.colour, tip(r), !exact(r)));
      // Labels for the rows without a tau, and for Gumbel-Softmax's temperatures (the other
      // families' temperatures are in panels 2 and 3).
      const short = { reinforce: "RF", "reinforce-mean": "RF-b", rloo: "RLOO", st: "ST" }[/** @type {string} */ (r.key)];
      const text = short ?? (r.family === "GS" ? `τ ${r.tau}` : "");
      const below = r.key === "reinforce-mean";
      if (text) f.g.push(`<text x="${num(x + 5)}" y="${num(below ? y + 12 : y - 4)}" font-size="9" fill="${s.colour}">${esc(text)}</text>`);
    });
    out.push(`<g transform="translate(${MARGIN.left},${MARGIN.top})">${f.g.join("\n")}</g>`);
  }

  // Panels 2 and 3: against tau.
  const families = ["GS", "ST-GS", "GR-10", "GR-100", "GST"];
  const flat = rows.filter((r) => r.tau === undefined);
  const taus = [...new Set(rows.filter((r) => r.tau !== undefined).map((r) => r.tau))].sort((a, b) => a - b);
  const panels = /** @type {const} */ ([
    ["variance against tau", "variance (relative)", relVar],
    ["bias against tau", "bias (relative)", relBias],
  ]);
  panels.forEach(([title, yLabel, value], p) => {
    const all = rows.filter((r) => !(p === 1 && r.family === "REINFORCE")).map(value);
    const xr = { lo: Math.log10(taus[0]) - 0.15, hi: Math.log10(taus[taus.length - 1]) + 0.15 };
    const yr = decades(all);
    const f = frame(xr, yr, title, "temperature tau", yLabel, taus);
    // Rows without a tau as horizontal lines (REINFORCE's bias is 0: not on a log scale), their
    // labels moved under the line when the one above is too close.
    let lastY = -Infinity;
    const lines = flat.filter((r) => !(p === 1 && r.family === "REINFORCE")).sort((a, b) => value(b) - value(a));
    for (const r of lines) {
      const s = FAMILY[/** @type {keyof typeof FAMILY} */ (r.family)];
      const yv = f.Y(Math.max(value(r), 10 ** yr.lo));
      const y = num(yv);
      f.g.push(
        `<line x1="${PLOT.left}" x2="${PLOT.left + f.w}" y1="${y}" y2="${y}" stroke="${s.colour}" stroke-width="1" stroke-dasharray="${r.key === "st" ? "6,3" : "2,2"}"><title>${esc(tip(r))}</title></line>`,
      );
      const short = r.key === "reinforce" ? "REINFORCE" : r.key === "reinforce-mean" ? "REINFORCE, baseline E[f]" : r.key === "rloo" ? "REINFORCE, leave-one-out" : "straight-through";
      const under = yv - lastY < 12;
      lastY = under ? yv + 12 : yv;
      f.g.push(`<text x="${PLOT.left + f.w - 3}" y="${y}" dy="${under ? 10 : -3}" text-anchor="end" font-size="9" fill="${s.colour}">${esc(short)}</text>`);
    }
    if (p === 1) f.g.push(`<text x="${PLOT.left + 4}" y="${PLOT.top + f.h - 5}" font-size="9" fill="#000">${esc("REINFORCE: bias 0 (exactly unbiased)")}</text>`);
    for (const fam of families) {
      const s = FAMILY[/** @type {keyof typeof FAMILY} */ (fam)];
      const pts = rows.filter((r) => r.family === fam).sort((a, b) => a.tau - b.tau);
      if (!pts.length) continue;
      const d = pts.map((r, i) => `${i ? "L" : "M"}${num(f.X(r.tau))},${num(f.Y(Math.max(value(r), 10 ** yr.lo)))}`).join("");
      f.g.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="1.4"/>`);
      for (const r of pts) f.g.push(marker(s.marker, f.X(r.tau), f.Y(Math.max(value(r), 10 ** yr.lo)), s.colour, tip(r), p === 1 && !exact(r)));
    }
    out.push(`<g transform="translate(${MARGIN.left + (p + 1) * PANEL.w},${MARGIN.top})">${f.g.join("\n")}</g>`);
  });

  // Legend under the panels, in three columns.
  const keys = Object.keys(FAMILY);
  const ly = MARGIN.top + PANEL.h + 6;
  keys.forEach((k, i) => {
    const s = FAMILY[/** @type {keyof typeof FAMILY} */ (k)];
    const x = MARGIN.left + PLOT.left + (i % 3) * 300;
    const y = ly + Math.floor(i / 3) * 18;
    out.push(marker(s.marker, x + 6, y, s.colour, s.label), `<text x="${x + 16}" y="${y}" dy="4">${esc(s.label)}</text>`);
  });
  out.push(
    `<text x="${MARGIN.left + PLOT.left}" y="${ly + 66}" fill="#666" font-size="10">${esc(
      "Filled markers: exact bias (enumeration of z, or quadrature of the relaxed objective); hollow: measured (|mean - grad|, noise included).",
    )}</text>`,
    `<text x="${MARGIN.left + PLOT.left}" y="${ly + 80}" fill="#666" font-size="10">${esc(
      "Panel 1: RF, RF-b, RLOO: REINFORCE without baseline, with the exact mean, leave-one-out; on or under the dashed line, N estimates cannot tell the bias from 0.",
    )}</text>`,
    `</svg>`,
    "",
  );
  return out.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv[2] ?? join(HERE, "results.json");
  const svg = process.argv[3] ?? join(HERE, "estimators.svg");
  writeFileSync(svg, renderFigure(JSON.parse(readFileSync(json, "utf8"))));
  process.stderr.write(`wrote ${svg}\n`);
}
