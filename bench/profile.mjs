// Where the time goes: each kernel and building block alone, on the raw exports (no façade),
// in ns per element, for the SIMD and scalar binaries. `node bench/profile.mjs [cols]`.
// A kernel's cost is roughly the sum of its parts: gumbelSoftmax = noise + add/argmax +
// exp-sum + scale; gumbelMax = noise + add/argmax; noise = Philox bits + transform (two logs).
import { init } from "gumbel-wasm";

const cols = Number(process.argv[2] ?? 1000);
const rows = Math.max(1, Math.floor(2 ** 18 / cols));
const n = rows * cols;

/** Median of 7 timings of `reps` calls, in ns per element. */
function measure(call) {
  const reps = Math.max(3, Math.ceil(2e7 / n / 10));
  for (let i = 0; i < reps; i++) call(i);
  const t = [];
  for (let round = 0; round < 7; round++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) call(i);
    t.push(((performance.now() - t0) * 1e6) / reps / n);
  }
  return t.sort((a, b) => a - b)[3];
}

const table = {};
for (const backend of ["simd", "scalar"]) {
  const gw = await init({ backend });
  const k = gw.kernels;
  const x = gw.tensor(rows, cols);
  for (let i = 0; i < n; i++) x.data[i] = Math.sin(i * 0.7) * 2;
  const y = gw.softmax(x, { tau: 0.5 });
  const bits = gw.tensor(rows, cols, "int32");
  const words = gw.randomBits(n, { seed: 1 }); // before taking bits.data: the call may grow the memory
  bits.data.set(words);
  const o = gw.tensor(rows, cols);
  const idx = gw.tensor(rows, 1, "int32");
  const s = (i) => [1, 0, (i * n) % 2 ** 32, 0];
  const parts = {
    "Philox bits (random_bits)": (i) => k.random_bits(o.byteOffset, n, ...s(i)),
    "bits -> Gumbel (two logs)": () => k.gumbel_from_bits(bits.byteOffset, o.byteOffset, n),
    "log (one)": () => k.log_f32(y.byteOffset, o.byteOffset, n),
    "exp (one)": () => k.exp_f32(x.byteOffset, o.byteOffset, n),
    "noise (gumbel_noise)": (i) => k.gumbel_noise(o.byteOffset, n, ...s(i)),
    "validation pass (check_rows)": () => k.check_rows(x.byteOffset, rows, cols),
    "softmax (max, exp-sum, scale)": () => k.softmax(x.byteOffset, o.byteOffset, rows, cols, 0.5),
    "gumbel_softmax soft": (i) => k.gumbel_softmax(x.byteOffset, o.byteOffset, 0, rows, cols, 0.5, 0, ...s(i)),
    "gumbel_max": (i) => k.gumbel_max(x.byteOffset, idx.byteOffset, rows, cols, ...s(i)),
    "softmax_grad with dtau": () => k.softmax_grad(y.byteOffset, x.byteOffset, o.byteOffset, idx.byteOffset, rows, cols, 0.5),
    "softmax_grad without dtau": () => k.softmax_grad(y.byteOffset, x.byteOffset, o.byteOffset, 0, rows, cols, 0.5),
  };
  for (const [name, call] of Object.entries(parts)) {
    table[name] ??= {};
    table[name][backend] = measure(call);
  }
}
console.log(`ns per element, ${rows} x ${cols}, Node ${process.version}\n`);
console.log("| part | SIMD | scalar |\n|---|---:|---:|");
for (const [name, r] of Object.entries(table)) console.log(`| ${name} | ${r.simd.toFixed(2)} | ${r.scalar.toFixed(2)} |`);
