// The public API, exported by every entry point.

export { GumbelWasm } from "./gumbel.js";
export { simdSupported, type WasmSource } from "./loader.js";
export type { InitOptions } from "./init.js";
export type { Kernels } from "./abi.js";
export type {
  Backend, BackwardOptions, FloatInput, GappedSTOptions, GumbelMaxOptions, GumbelRaoOptions, GumbelSoftmaxOptions, ModeOptions,
  OutOption, ProbsOption, SampleOptions, ShapeOptions, StraightForward, StraightOptions, StreamOptions, TauOptions, U64, PerRow,
  SampleTokensOptions, ColsOption, KeepDimsOption, LogSumExpOptions, SoftmaxOptions,
} from "./types.js";
export { Tensor, type DType } from "./memory.js";
export { GumbelRng } from "./rng.js";
export { Categorical, Gumbel, probsTolerance, type CategoricalParams, type GumbelParams } from "./distributions.js";
export {
  RelaxedBernoulli, RelaxedOneHotCategorical,
  type HardSample, type RelaxedBernoulliParams, type RelaxedBernoulliSampleOptions, type RelaxedCategoricalParams, type RelaxedLogProbGrad,
} from "./relaxed.js";
export { anneal, expf32, type Schedule } from "./anneal.js";
export { TOKEN_STREAM_LAYOUT } from "./tokens.js";
