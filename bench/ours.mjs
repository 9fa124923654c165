// gumbel-wasm itself, as benchmark implementations: the SIMD binary through tensors (zero-copy,
// the baseline every ratio is taken against), the SIMD binary through plain Float32Arrays (the
// convenience API: inputs copied in, results copied out into new arrays), and the scalar binary
// through tensors. Plus, for the backward ops, the copy floor: no computation, only the copies
// (see prepareCopyFloor).

import { init } from "gumbel-wasm";

/** @typedef {import("./run.mjs").Impl} Impl */
/** @typedef {import("./run.mjs").Prepared} Prepared */
/** @typedef {import("./run.mjs").Input} Input */
/** @typedef {import("gumbel-wasm").GumbelWasm} GumbelWasm */
/** @typedef {import("gumbel-wasm").Tensor<any>} AnyTensor */

/** Every call of ours uses this seed; call i starts its stream at offset i * n. */
const SEED = 1;

/**
 * Tensors for one (op, shape): inputs filled once here, outputs given to every call.
 * @param {GumbelWasm} gw @param {import("./run.mjs").OpName} op @param {Input} input
 * @returns {Prepared | null}
 */
function prepareTensors(gw, op, input) {
  const { rows, cols, n, tau } = input;
  /** @type {AnyTensor[]} */
  const owned = [];
  /** @template {AnyTensor} T @param {T} t @returns {T} */
  const keep = (t) => (owned.push(t), t);
  /** @param {Float32Array} a */
  const load = (a) => {
    const t = keep(gw.tensor(rows, cols));
    t.data.set(a);
    return t;
  };
  const dispose = () => owned.forEach((t) => t.free());
  switch (op) {
    case "noise": {
      const o = keep(gw.tensor(1, n));
      return {
        call: (i) => void gw.gumbelNoise(n, { seed: SEED, offset: i * n, out: o }),
        output: () => ({ values: o.data }),
        dispose,
      };
    }
    case "max": {
      const t = load(input.logits);
      const o = keep(gw.tensor(rows, 1, "int32"));
      return {
        call: (i) => void gw.gumbelMax(t, { seed: SEED, offset: i * n, out: o }),
        output: () => ({ values: o.data }),
        dispose,
      };
    }
    case "soft": {
      const t = load(input.logits);
      const o = keep(gw.tensor(rows, cols));
      return {
        call: (i) => void gw.gumbelSoftmax(t, { tau, seed: SEED, offset: i * n, out: o }),
        output: () => ({ values: o.data }),
        dispose,
      };
    }
    case "hard": {
      const t = load(input.logits);
      const o = keep(gw.tensor(rows, cols));
      return {
        call: (i) => void gw.gumbelSoftmax(t, { tau, hard: true, seed: SEED, offset: i * n, out: o }),
        output: () => ({ values: o.data }),
        dispose,
      };
    }
    case "backward": {
      const y = load(input.y);
      const dy = load(input.dy);
      const o = keep(gw.tensor(rows, cols));
      const dt = keep(gw.tensor(rows, 1));
      return {
        call: () => void gw.softmaxBackward(y, dy, { tau, out: o, dtauOut: dt }),
        output: () => ({ values: o.data, dtau: dt.data }),
        dispose,
      };
    }
    case "backward-dx": {
      const y = load(input.y);
      const dy = load(input.dy);
      const o = keep(gw.tensor(rows, cols));
      return { call: () => void gw.softmaxBackward(y, dy, { tau, out: o }), output: () => ({ values: o.data }), dispose };
    }
    default:
      return null;
  }
}

/**
 * Plain arrays through the convenience API: every call copies the inputs into wasm memory and
 * returns new arrays (what a user who never touches tensors gets).
 * @param {GumbelWasm} gw @param {import("./run.mjs").OpName} op @param {Input} input
 * @returns {Prepared | null}
 */
function prepareArrays(gw, op, input) {
  const { cols, n, tau, logits } = input;
  /** @type {Float32Array | Int32Array} */
  let last = new Float32Array(0);
  /** @type {Float32Array | undefined} */
  let lastDtau;
  const output = () => ({ values: last, dtau: lastDtau });
  switch (op) {
    case "noise":
      return {
        call: (i) => void (last = /** @type {Float32Array} */ (gw.gumbelNoise(n, { seed: SEED, offset: i * n }))),
        output,
      };
    case "max":
      return { call: (i) => void (last = gw.gumbelMax(logits, { cols, seed: SEED, offset: i * n })), output };
    case "soft":
      return { call: (i) => void (last = gw.gumbelSoftmax(logits, { cols, tau, seed: SEED, offset: i * n })), output };
    case "hard":
      return {
        call: (i) => void (last = gw.gumbelSoftmax(logits, { cols, tau, hard: true, seed: SEED, offset: i * n })),
        output,
      };
    case "backward":
    case "backward-dx": {
      const dtau = op === "backward";
      return {
        call: () => {
          const r = gw.softmaxBackward(input.y, input.dy, { cols, tau, dtau });
          last = r.dlogits;
          lastDtau = r.dtau;
        },
        output,
      };
    }
    default:
      return null;
  }
}

/**
 * The copy floor of the backward ops: y and dy copied into wasm memory and dx copied out (dtau
 * too for `backward`), one Float32Array.set per operand, and nothing computed. What any kernel
 * that reads y and dy and writes dx in wasm memory costs at least, once the operands move: the
 * README's targets for the backward ("within 2x of copying") are ratios to it. Not an
 * implementation: run.mjs times it in the same rounds but does not check its output.
 * @param {GumbelWasm} gw @param {import("./run.mjs").OpName} op @param {Input} input
 * @returns {Prepared | null}
 */
function prepareCopyFloor(gw, op, input) {
  if (op !== "backward" && op !== "backward-dx") return null;
  const { rows, cols, n } = input;
  const y = gw.tensor(rows, cols);
  const dy = gw.tensor(rows, cols);
  const o = gw.tensor(rows, cols);
  const dt = op === "backward" ? gw.tensor(rows, 1) : null;
  const dx = new Float32Array(n);
  const dtau = new Float32Array(rows);
  return {
    call: () => {
      y.data.set(input.y);
      dy.data.set(input.dy);
      dx.set(o.data);
      if (dt) dtau.set(dt.data);
    },
    output: () => ({ values: dx }),
    dispose: () => [y, dy, o, dt].forEach((t) => t?.free()),
  };
}

/**
 * The three implementations of ours, then the copy floor; the first is the baseline of every ratio.
 * @returns {Promise<Impl[]>}
 */
export async function createOurs() {
  const simd = await init({ backend: "simd" });
  const scalar = await init({ backend: "scalar" });
  return [
    {
      id: "simd-tensor",
      label: "ours SIMD, tensors",
      stream: "gumbel-wasm",
      prepare: (op, input) => prepareTensors(simd, op, input),
    },
    {
      id: "simd-array",
      label: "ours SIMD, arrays",
      stream: "gumbel-wasm",
      prepare: (op, input) => prepareArrays(simd, op, input),
    },
    {
      id: "scalar-tensor",
      label: "ours scalar, tensors",
      stream: "gumbel-wasm",
      short: "scalar",
      compare: true,
      prepare: (op, input) => prepareTensors(scalar, op, input),
    },
    {
      id: "copy",
      label: "copy floor",
      stream: "none",
      floor: true,
      prepare: (op, input) => prepareCopyFloor(simd, op, input),
    },
  ];
}
