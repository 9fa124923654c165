// A hand-written SVG line chart (no plotting dependency, like bench/chart.mjs): lines with
// markers (or without), reference points drawn as hollow markers, dashed lines, a legend, linear axes.

const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#000000"]; // Okabe-Ito

/** @param {string} s */
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** @param {number} x */
const num = (x) => Number(x.toFixed(1)).toString();

/** Round tick steps covering [lo, hi]. @param {number} lo @param {number} hi @param {number} n */
function ticks(lo, hi, n = 6) {
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * @typedef {{ label: string, points: [number, number][], dashed?: boolean, hollow?: boolean, markers?: boolean, colour?: string }} Series
 * @param {{ title: string, subtitle?: string, note?: string, xLabel: string, yLabel: string, series: Series[],
 *   yMin?: number, yMax?: number, xMin?: number, xMax?: number, width?: number, height?: number, xTicks?: number[],
 *   legend?: "left" | "right" }} chart the legend in the top left or (default) top right corner
 * @returns {string} an SVG document
 */
export function lineChart(chart) {
  const W = chart.width ?? 760;
  const H = chart.height ?? 460;
  const P = { left: 70, right: 30, top: chart.subtitle ? 70 : 50, bottom: 60 + (chart.note ? 16 : 0) };
  const legendH = 18 * chart.series.length + 10;
  const legendW = 48 + 6.6 * Math.max(...chart.series.map((s) => s.label.length));
  const all = chart.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = chart.xMin ?? Math.min(...xs);
  const x1 = chart.xMax ?? Math.max(...xs);
  const pad = (Math.max(...ys) - Math.min(...ys)) * 0.05 || 1;
  const y0 = chart.yMin ?? Math.min(...ys) - pad;
  const y1 = chart.yMax ?? Math.max(...ys) + pad;
  const pw = W - P.left - P.right;
  const ph = H - P.top - P.bottom;
  /** @param {number} x */ const X = (x) => P.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  /** @param {number} y */ const Y = (y) => P.top + ph * (1 - (Math.min(y1, Math.max(y0, y)) - y0) / (y1 - y0 || 1));
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${P.left}" y="24" font-size="16" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  if (chart.subtitle) out.push(`<text x="${P.left}" y="44" fill="#444">${esc(chart.subtitle)}</text>`);
  out.push(`<rect x="${P.left}" y="${P.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#bbb"/>`);
  for (const v of ticks(y0, y1)) {
    out.push(`<line x1="${P.left}" x2="${P.left + pw}" y1="${num(Y(v))}" y2="${num(Y(v))}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${P.left - 6}" y="${num(Y(v))}" dy="4" text-anchor="end" fill="#444">${v}</text>`);
  }
  for (const v of chart.xTicks ?? ticks(x0, x1)) {
    out.push(`<line x1="${num(X(v))}" x2="${num(X(v))}" y1="${P.top}" y2="${P.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${num(X(v))}" y="${P.top + ph + 18}" text-anchor="middle" fill="#444">${v}</text>`);
  }
  out.push(`<text x="${P.left + pw / 2}" y="${P.top + ph + 40}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(18,${P.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`);
  if (chart.note) out.push(`<text x="${P.left}" y="${H - 10}" fill="#666" font-size="11">${esc(chart.note)}</text>`);
  chart.series.forEach((s, k) => {
    const c = s.colour ?? COLOURS[k % COLOURS.length];
    const pts = s.points.map(([x, y]) => `${num(X(x))},${num(Y(y))}`).join(" ");
    if (!s.hollow && s.points.length > 1) {
      out.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`);
    }
    for (const [x, y] of s.markers === false ? [] : s.points) {
      out.push(
        `<circle cx="${num(X(x))}" cy="${num(Y(y))}" r="${s.hollow ? 5 : 3}" fill="${s.hollow ? "#fff" : c}" stroke="${c}" stroke-width="${s.hollow ? 2 : 1}"><title>${esc(`${s.label}: ${x}, ${Number(y.toFixed(2))}`)}</title></circle>`,
      );
    }
    const ly = P.top + 14 + 18 * k;
    const lx = chart.legend === "left" ? P.left + 14 : P.left + pw - legendW - 4;
    if (k === 0) out.push(`<rect x="${lx - 8}" y="${P.top + 4}" width="${num(legendW + 8)}" height="${legendH}" fill="#fff" stroke="#ccc" opacity="0.9"/>`);
    out.push(
      s.hollow
        ? `<circle cx="${lx + 12}" cy="${ly}" r="5" fill="#fff" stroke="${c}" stroke-width="2"/>`
        : `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${c}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`,
      `<text x="${lx + 32}" y="${ly + 4}">${esc(s.label)}</text>`,
    );
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
