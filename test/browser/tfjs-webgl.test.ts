// gumbel-wasm/tfjs on a GPU backend: tfjs's webgl backend in a real Chromium (headless: WebGL 2
// on SwiftShader, the software GPU). The inputs are made by webgl kernels, so each op's
// dataSync() is a real read back from a texture; the results are the gumbel-wasm calls' bits,
// the gradients softmaxBackward's and the estimators' backward's, and the GPU's tensors stay
// flat over many steps.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-webgl";
import { beforeAll, expect, test } from "vitest";
import { init, RelaxedOneHotCategorical, type GumbelWasm } from "../../src/node.js"; // aliased to src/index.ts in the chromium project
import { tfOps, type TfOps } from "../../src/tfjs.js";

let gw: GumbelWasm;
let ops: TfOps;
beforeAll(async () => {
  // Small ops on CPU-side inputs would run on the CPU (WEBGL_CPU_FORWARD): every kernel on the GPU.
  tf.env().set("WEBGL_CPU_FORWARD", false);
  expect(await tf.setBackend("webgl")).toBe(true);
  await tf.ready();
  expect(tf.getBackend()).toBe("webgl");
  gw = await init({ seed: 3 });
  ops = tfOps(gw);
});

const bits = (x: ArrayLike<number>) => new Uint32Array(Float32Array.from(x).buffer);

/** A tensor computed on the GPU (a webgl kernel's output texture), holding `values`. */
function onGpu(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.tensor(values, shape), tf.scalar(1)));
}

test("forward bits and gradients from logits on the GPU (a synchronous read per op and pass)", () => {
  const shape = [4, 3, 8];
  const n = 96;
  const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2);
  const dy = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.9));
  const logits = onGpu(data, shape);
  const dyT = onGpu(dy, shape);
  const o = { cols: 8, tau: 0.5, seed: 9, offset: 40 };
  // On the GPU only: no copy of the values on the CPU side yet (tfjs-backend-webgl's texData).
  const texData = (tf.backend() as unknown as { texData: { get(id: object): { values: unknown; texture: unknown } } }).texData;
  expect(texData.get(logits.dataId).values == null && texData.get(logits.dataId).texture != null).toBe(true);
  for (const hard of [false, true]) {
    const y = ops.gumbelSoftmax(logits, { tau: 0.5, hard, seed: 9, offset: 40 });
    expect(bits(y.dataSync())).toEqual(bits(gw.gumbelSoftmax(data, { ...o, hard })));
  }
  const g = tf.grad((l: tf.Tensor) => ops.gumbelSoftmax(l, { tau: 0.5, hard: true, seed: 9, offset: 40 }))(logits, dyT);
  const soft = gw.gumbelSoftmax(data, o);
  expect(bits(g.dataSync())).toEqual(bits(gw.softmaxBackward(soft, dy, { cols: 8, tau: 0.5 }).dlogits));
  const rao = tf.grad((l: tf.Tensor) => ops.gumbelRao(l, { tau: 0.5, samples: 5, seed: 9, offset: 40 }))(logits, dyT);
  expect(bits(rao.dataSync())).toEqual(bits(gw.gumbelRaoBackward(data, dy, { ...o, samples: 5 })));
  const gst = tf.grad((l: tf.Tensor) => ops.gappedST(l, { tau: 0.5, seed: 9, offset: 40 }))(logits, dyT);
  expect(bits(gst.dataSync())).toEqual(bits(gw.gappedSTBackward(data, dy, o)));
  const value = gw.gumbelSoftmax(data, { cols: 8, tau: 0.7, seed: 1 });
  const lp = ops.relaxedCategoricalLogProb(logits, onGpu(value, shape), onGpu(Float32Array.of(0.7), []));
  expect(bits(lp.dataSync())).toEqual(bits(new RelaxedOneHotCategorical(gw, { logits: data, cols: 8, temperature: 0.7 }).logProb(value)));
  tf.dispose([logits, dyT]);
});

test("tf.memory() stays flat on the GPU backend over 500 steps", () => {
  const logits = onGpu(Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)), [8, 8]);
  const dy = onGpu(Float32Array.from({ length: 64 }, (_, i) => Math.cos(i)), [8, 8]);
  const tau = tf.scalar(0.5);
  const step = () => tf.grads((l: tf.Tensor, t: tf.Tensor) => ops.gumbelSoftmax(l, { tau: t, hard: true }))([logits, tau], dy);
  tf.dispose(step());
  const before = tf.memory();
  for (let i = 0; i < 500; i++) tf.dispose(tf.tidy(step));
  expect(tf.memory().numTensors).toBe(before.numTensors);
  expect(tf.memory().numBytes).toBe(before.numBytes);
  tf.dispose([logits, dy, tau]);
});
