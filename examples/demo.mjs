// npm start: a short tour of gumbel-wasm. Run `npm install` first (it builds the wasm).
import { init } from "gumbel-wasm";

const gw = await init();
const classes = ["cat", "dog", "fox", "owl", "yak"];
const logits = Float32Array.from([2.0, 1.0, 0.5, -0.5, -1.0]);
const cols = logits.length;
const fmt = (xs) => Array.from(xs, (v) => v.toFixed(3).padStart(6)).join(" ");
const bar = (p, width = 40) => "#".repeat(Math.round(p * width));

console.log(`gumbel-wasm demo (backend: ${gw.backend})\n`);
console.log(`classes          ${classes.map((c) => c.padStart(6)).join(" ")}`);
console.log(`logits           ${fmt(logits)}`);
console.log(`softmax          ${fmt(gw.softmax(logits, { cols }))}\n`);

console.log("Gumbel-Softmax samples (seed 42): low tau is nearly one-hot, high tau nearly uniform");
for (const tau of [0.1, 0.5, 1, 5]) {
  const y = gw.gumbelSoftmax(logits, { cols, tau, seed: 42 });
  console.log(`  tau = ${String(tau).padEnd(4)}      ${fmt(y)}`);
}
const hard = gw.gumbelSoftmax(logits, { cols, tau: 0.5, seed: 42, hard: true });
console.log(`  hard (ST)       ${fmt(hard)}  -> ${classes[hard.indexOf(1)]}\n`);

// 100 000 categorical draws in one call: one row per draw, each with its own noise.
const draws = 100_000;
const batch = gw.tensor(draws, cols);
for (let r = 0; r < draws; r++) batch.data.set(logits, r * cols);
const picks = gw.gumbelMax(batch, { seed: 7 });
const counts = new Array(cols).fill(0);
for (const k of picks.data) counts[k]++;
const p = gw.softmax(logits, { cols });
console.log(`Gumbel-Max: ${draws.toLocaleString("en")} draws (seed 7) against softmax(logits)`);
classes.forEach((c, k) => {
  const f = counts[k] / draws;
  console.log(`  ${c}  ${f.toFixed(4)} (p = ${p[k].toFixed(4)})  ${bar(f)}`);
});
picks.free();
batch.free();

const noise = gw.gumbelNoise(5, { seed: 1 });
console.log(`\nGumbel(0, 1) noise, seed 1:  ${fmt(noise)} (replays bit for bit on every backend)`);
