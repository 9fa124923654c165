// The demo page: controls, SVG charts, and `window.demo` for the page's test. The numbers come
// from model.js, which Node runs too.
import { init } from "gumbel-wasm";
import { DRAWS, NOISE_HI, NOISE_LO, NOISE_N, PEAK_ROWS, PRESETS, TAUS, compute, parseLogits } from "./model.js";

const $ = (id) => document.getElementById(id);
const gw = await init();
$("backend").textContent = gw.backend === "simd" ? "SIMD" : "(scalar: this browser has no WebAssembly SIMD)";

/** The page's settings, read from its controls. */
function settings() {
  return {
    logits: parseLogits($("logits").value),
    tau: TAUS[Number($("tau").value)],
    seed: BigInt($("seed").value || 0),
    draws: DRAWS[Number($("draws").value) - 1],
  };
}

let state = null;

// ---------------------------------------------------------------- drawing (SVG)

const W = 520;
const H = 220;
const PAD = { l: 40, r: 10, t: 10, b: 28 };
const plotW = W - PAD.l - PAD.r;
const plotH = H - PAD.t - PAD.b;

function svg(body) {
  return `<svg viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="system-ui, sans-serif">${body}</svg>`;
}

function axes(yMax, yLabel) {
  let s = `<line x1="${PAD.l}" y1="${PAD.t + plotH}" x2="${W - PAD.r}" y2="${PAD.t + plotH}" stroke="#888"/>`;
  s += `<line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${PAD.t + plotH}" stroke="#888"/>`;
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = PAD.t + plotH - (plotH * i) / 4;
    s += `<text x="${PAD.l - 4}" y="${y + 4}" text-anchor="end" fill="#555">${yLabel(v)}</text>`;
    if (i) s += `<line x1="${PAD.l}" y1="${y}" x2="${W - PAD.r}" y2="${y}" stroke="#eee"/>`;
  }
  return s;
}

/** Bars per class, with tick marks at reference values. */
function classBars(values, ticks, yMax, color) {
  const n = values.length;
  const bw = plotW / n;
  let s = axes(yMax, (v) => v.toFixed(2));
  values.forEach((v, k) => {
    const h = (plotH * Math.min(v, yMax)) / yMax;
    const x = PAD.l + k * bw + bw * 0.15;
    s += `<rect class="bar" x="${x}" y="${PAD.t + plotH - h}" width="${bw * 0.7}" height="${h}" fill="${color}"><title>class ${k}: ${v.toFixed(4)}</title></rect>`;
    const ty = PAD.t + plotH - (plotH * ticks[k]) / yMax;
    s += `<line x1="${x - 3}" x2="${x + bw * 0.7 + 3}" y1="${ty}" y2="${ty}" stroke="#d1495b" stroke-width="2.5"/>`;
    s += `<text x="${x + bw * 0.35}" y="${H - 10}" text-anchor="middle" fill="#555">${k}</text>`;
  });
  return svg(s);
}

/** A histogram (counts over [lo, hi)) with an optional density curve. */
function histogram(counts, lo, hi, total, curve) {
  const n = counts.length;
  const bw = plotW / n;
  const width = (hi - lo) / n;
  const dens = counts.map((c) => c / total / width);
  const yMax = Math.max(...dens, ...(curve ? [curve.max] : [])) * 1.1 || 1;
  let s = axes(yMax, (v) => v.toFixed(2));
  dens.forEach((d, i) => {
    const h = (plotH * d) / yMax;
    s += `<rect class="bin" x="${PAD.l + i * bw}" y="${PAD.t + plotH - h}" width="${Math.max(bw - 0.5, 0.5)}" height="${h}" fill="#3a7ca5"/>`;
  });
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    s += `<text x="${PAD.l + (plotW * i) / 4}" y="${H - 10}" text-anchor="middle" fill="#555">${+v.toFixed(2)}</text>`;
  }
  if (curve) {
    const pts = [];
    for (let i = 0; i <= 200; i++) {
      const x = lo + ((hi - lo) * i) / 200;
      pts.push(`${PAD.l + (plotW * i) / 200},${PAD.t + plotH - (plotH * curve.f(x)) / yMax}`);
    }
    s += `<polyline points="${pts.join(" ")}" fill="none" stroke="#d1495b" stroke-width="2"/>`;
  }
  return svg(s);
}

// The Gumbel(0, 1) density, drawn for the eye only (never compared).
const gumbelPdf = (x) => Math.exp(-(x + Math.exp(-x)));

function render() {
  const s = state;
  $("tauOut").textContent = String(s.tau);
  $("drawsOut").textContent = s.draws.toLocaleString("en");
  $("sample").innerHTML = classBars(Array.from(s.sample), Array.from(s.probs), 1, "#3a7ca5");
  $("peak").innerHTML = histogram(s.peak, 0, 1, PEAK_ROWS);
  $("hard").innerHTML = classBars(s.hard.map((c) => c / s.draws), Array.from(s.probs), Math.max(...s.probs, ...s.hard.map((c) => c / s.draws)) * 1.15, "#5b8e7d");
  $("noise").innerHTML = histogram(s.noise, NOISE_LO, NOISE_HI, NOISE_N, { f: gumbelPdf, max: Math.exp(-1) });
  const tv = s.hard.reduce((a, c, k) => a + Math.abs(c / s.draws - s.probs[k]), 0) / 2;
  $("status").textContent =
    `backend ${gw.backend}; crossOriginIsolated ${globalThis.crossOriginIsolated === true}; ` +
    `hard samples' total variation from softmax: ${tv.toFixed(4)} over ${s.draws.toLocaleString("en")} draws`;
}

function update() {
  try {
    state = compute(gw, settings());
    render();
    document.body.dataset.error = "";
  } catch (e) {
    $("status").textContent = String(e.message ?? e);
    document.body.dataset.error = String(e.message ?? e);
  }
  document.body.dataset.version = String(Number(document.body.dataset.version ?? 0) + 1);
}

$("preset").addEventListener("change", () => {
  $("logits").value = PRESETS[$("preset").value];
  update();
});
for (const id of ["logits", "tau", "seed", "draws"]) $(id).addEventListener("input", update);
$("next").addEventListener("click", () => {
  $("seed").value = String(Number($("seed").value) + 1);
  update();
});
$("logits").value = PRESETS.paper;
update();

window.demo = {
  /** The settings and the numbers on the page, exactly. */
  state: () => {
    const { probs, sample, ...rest } = state;
    return { backend: gw.backend, crossOriginIsolated: globalThis.crossOriginIsolated === true, ...rest };
  },
};
