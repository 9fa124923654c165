// The kernel ABI: what assembly/index.ts exports, and how each kernel's arguments follow its rows
// (to split a batch across workers, or into runs of one temperature). Byte offsets and counts in,
// nothing allocated; kernels that read logits validate every row first and return -1, or the
// first bad row (then `check_fault()` says why) having written nothing.

export interface Kernels {
  readonly memory: WebAssembly.Memory;
  heap_base(): number;
  random_bits(dst: number, n: number, k0: number, k1: number, jLo: number, jHi: number): void;
  uniform(dst: number, n: number, k0: number, k1: number, jLo: number, jHi: number): void;
  gumbel_noise(dst: number, n: number, k0: number, k1: number, jLo: number, jHi: number): void;
  check_rows(x: number, rows: number, cols: number): number;
  check_fault(): number;
  row_max(x: number, dst: number, rows: number, cols: number): void;
  softmax(x: number, dst: number, rows: number, cols: number, tau: number): number;
  log_softmax(x: number, dst: number, rows: number, cols: number, tau: number): number;
  log_sum_exp(x: number, dst: number, rows: number, cols: number, tau: number): number;
  gumbel_softmax(
    logits: number, dst: number, soft: number, rows: number, cols: number, tau: number, hard: number,
    k0: number, k1: number, jLo: number, jHi: number,
  ): number;
  gumbel_max(logits: number, dst: number, rows: number, cols: number, k0: number, k1: number, jLo: number, jHi: number): number;
  softmax_grad(y: number, v: number, dst: number, dtau: number, rows: number, cols: number, tau: number): void;
  /** Straight-through kernels: the forward when dy is 0 (aux: soft or 0), else the backward. */
  gumbel_rao(
    logits: number, dy: number, dst: number, aux: number, rows: number, cols: number, tau: number, samples: number,
    k0: number, k1: number, jLo: number, jHi: number,
  ): number;
  gapped_st(
    logits: number, dy: number, dst: number, soft: number, rows: number, cols: number, tau: number, kappa: number,
    k0: number, k1: number, jLo: number, jHi: number,
  ): number;
  exp_f32(src: number, dst: number, n: number): void;
  log_f32(src: number, dst: number, n: number): void;
  /** float64 exp (op 0) or log (op 1) of the relaxed distributions' kernels, for tests. */
  math_f64(op: number, src: number, dst: number, n: number): void;
  gumbel_dist(op: number, src: number, dst: number, n: number, loc: number, scale: number): void;
  sample_tokens(logits: number, dst: number, rows: number, cols: number, params: number, work: number): number;
  sample_tokens_work(cols: number): number;
  relaxed_categorical_log_prob(
    logits: number, y: number, tau: number, dst: number, dlogits: number, dtau: number, rows: number, cols: number,
  ): void;
  relaxed_bernoulli(op: number, logits: number, tau: number, x: number, dst: number, aux1: number, aux2: number, n: number, size: number): void;
  gumbel_from_bits(src: number, dst: number, n: number): void;
  noise_upper(src: number, dst: number, n: number): void;
  philox4x32_10(ctr: number, key: number, dst: number, blocks: number): void;
  set_scratch(p: number): void;
  scratch_bytes(): number;
}

/** A kernel's name. */
export type KernelName = Exclude<keyof Kernels, "memory">;

/**
 * How a kernel's arguments follow its rows: the pointer arguments and their bytes per row in
 * units of cols ("cols") or of one element (1), the rows argument, the temperature argument (or
 * -1), the stream counter's words (advanced by cols per row) and whether the kernel validates
 * its rows first.
 */
export interface RowSpec {
  readonly kernel: KernelName;
  /** Its index in SPECS (the launcher keeps each kernel's function there). */
  readonly id: number;
  /** How many arguments the kernel takes. */
  readonly arity: number;
  readonly ptrs: ReadonlyArray<readonly [arg: number, perRow: "cols" | 1]>;
  readonly rows: number;
  readonly tau: number;
  readonly stream: readonly [lo: number, hi: number] | null;
  readonly validates: boolean;
}

/** Every row spec, in the order of their ids. */
export const SPECS: RowSpec[] = [];

function spec(kernel: KernelName, arity: number, ptrs: RowSpec["ptrs"], rows: number, tau: number, stream: RowSpec["stream"], validates: boolean): RowSpec {
  const s: RowSpec = { kernel, id: SPECS.length, arity, ptrs, rows, tau, stream, validates };
  SPECS.push(s);
  return s;
}

/** gumbel_softmax(logits, dst, soft, rows, cols, tau, hard, k0, k1, jLo, jHi) */
export const GUMBEL_SOFTMAX = spec("gumbel_softmax", 11, [[0, "cols"], [1, "cols"], [2, "cols"]], 3, 5, [9, 10], true);
/** gumbel_max(logits, dst, rows, cols, k0, k1, jLo, jHi) */
export const GUMBEL_MAX = spec("gumbel_max", 8, [[0, "cols"], [1, 1]], 2, -1, [6, 7], true);
/** softmax / log_softmax (x, dst, rows, cols, tau) */
export const SOFTMAX = spec("softmax", 5, [[0, "cols"], [1, "cols"]], 2, 4, null, true);
export const LOG_SOFTMAX = spec("log_softmax", 5, [[0, "cols"], [1, "cols"]], 2, 4, null, true);
/** log_sum_exp(x, dst, rows, cols, tau): one value per row */
export const LOG_SUM_EXP = spec("log_sum_exp", 5, [[0, "cols"], [1, 1]], 2, 4, null, true);
/** softmax_grad(y, v, dst, dtau, rows, cols, tau) */
export const SOFTMAX_GRAD = spec("softmax_grad", 7, [[0, "cols"], [1, "cols"], [2, "cols"], [3, 1]], 4, 6, null, false);
/**
 * gumbel_rao / gapped_st (logits, dy, dst, aux, rows, cols, tau, samples | kappa, k0, k1, jLo,
 * jHi). The forward's aux (soft) follows the rows; the backward's (one row of workspace) does not.
 */
export const GUMBEL_RAO = spec("gumbel_rao", 12, [[0, "cols"], [1, "cols"], [2, "cols"], [3, "cols"]], 4, 6, [10, 11], true);
export const GUMBEL_RAO_BACKWARD = spec("gumbel_rao", 12, [[0, "cols"], [1, "cols"], [2, "cols"]], 4, 6, [10, 11], true);
export const GAPPED_ST = spec("gapped_st", 12, [[0, "cols"], [1, "cols"], [2, "cols"], [3, "cols"]], 4, 6, [10, 11], true);
export const GAPPED_ST_BACKWARD = spec("gapped_st", 12, [[0, "cols"], [1, "cols"], [2, "cols"]], 4, 6, [10, 11], true);
/** gumbel_noise / uniform (dst, n, k0, k1, jLo, jHi): streams split by elements, one "row" each. */
export const GUMBEL_NOISE = spec("gumbel_noise", 6, [[0, 1]], 1, -1, [4, 5], false);
export const UNIFORM = spec("uniform", 6, [[0, 1]], 1, -1, [4, 5], false);

/** check_fault() after a refused row. */
export const FAULT_NAN = 1;
export const FAULT_POS_INF = 2;
export const FAULT_ALL_NEG_INF = 3;
export const FAULT_SCALE = 4;
/** sample_tokens' per-row record: temperature, topK, topP, minP (f32/i32), key and counter (u32 x 4). */
export const PARAM_BYTES = 32;
/** gumbel_dist's operations. */
export const DIST_LOG_PDF = 0;
export const DIST_PDF = 1;
export const DIST_CDF = 2;
export const DIST_LOG_CDF = 3;
export const DIST_QUANTILE = 4;
export const DIST_SAMPLE = 5;
/** relaxed_bernoulli's operations. */
export const BERN_SAMPLE = 0;
export const BERN_LOG_PROB = 1;
export const BERN_CDF = 2;
export const BERN_LOGIT = 3;
export const BERN_SIGMOID = 4;
