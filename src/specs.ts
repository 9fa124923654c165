// The launches the façade makes, one row spec each, derived from the generated kernel ABI
// (abi.ts): which kernel, how many arguments, and how its arguments follow its rows (to split a
// batch across workers, or into runs of one temperature).

import { ABI, type KernelName, type RowLayout } from "./abi.js";

/** A kernel launch's layout, with the kernel's name, arity and an id for the launcher's table. */
export interface RowSpec {
  readonly kernel: KernelName;
  /** Its index in SPECS (the instance keeps each kernel's function there). */
  readonly id: number;
  /** How many arguments the kernel takes. */
  readonly arity: number;
  /** Pointer arguments that follow the rows, with their size per row in 4-byte elements ("cols" or a count). */
  readonly ptrs: RowLayout["ptrs"];
  /** The rows argument. */
  readonly rows: number;
  /** A strided kernel's `inner` argument (a row is a slice of cols = classes * inner elements), or -1. */
  readonly inner: number;
  /** The temperature argument, or -1. */
  readonly tau: number;
  /** The stream counter's words, advanced by cols per row, or null. */
  readonly stream: RowLayout["stream"];
  /** The launch draws from a stream (its counter in the arguments, or in per-row records). */
  readonly draws: boolean;
  /** The workspace argument each part split off needs a block of its own for (`Call.work` bytes), or -1. */
  readonly work: number;
  /** The kernel validates its rows first. */
  readonly validates: boolean;
}

/** Every row spec, in the order of their ids. */
export const SPECS: RowSpec[] = [];

/** `records`: the kernel reads its streams from per-row records (sample_tokens), not from its arguments. */
function spec(kernel: KernelName, layout: RowLayout | undefined, records = false): RowSpec {
  if (!layout) throw new Error(`gumbel-wasm: kernel ${kernel} has no row layout`); // a build error, caught by every test
  const s: RowSpec = {
    kernel, id: SPECS.length, arity: ABI[kernel].args.length, ptrs: layout.ptrs, rows: layout.rows, inner: layout.inner ?? -1, tau: layout.tau ?? -1,
    stream: layout.stream, draws: records || layout.stream !== null, work: layout.work ?? -1, validates: layout.validates,
  };
  SPECS.push(s);
  return s;
}

export const GUMBEL_SOFTMAX = spec("gumbel_softmax", ABI.gumbel_softmax.rows);
export const GUMBEL_MAX = spec("gumbel_max", ABI.gumbel_max.rows);
/** Along a non-last axis (`inner` > 1): rows are slices of classes * inner elements. */
export const GUMBEL_SOFTMAX_AXIS = spec("gumbel_softmax_axis", ABI.gumbel_softmax_axis.rows);
export const GUMBEL_MAX_AXIS = spec("gumbel_max_axis", ABI.gumbel_max_axis.rows);
export const SOFTMAX = spec("softmax", ABI.softmax.rows);
export const LOG_SOFTMAX = spec("log_softmax", ABI.log_softmax.rows);
export const LOG_SUM_EXP = spec("log_sum_exp", ABI.log_sum_exp.rows);
export const SOFTMAX_GRAD = spec("softmax_grad", ABI.softmax_grad.rows);
/** The softmax family along a non-last axis (strided: an `inner` argument). */
export const SOFTMAX_AXIS = spec("softmax_axis", ABI.softmax_axis.rows);
export const LOG_SOFTMAX_AXIS = spec("log_softmax_axis", ABI.log_softmax_axis.rows);
export const LOG_SUM_EXP_AXIS = spec("log_sum_exp_axis", ABI.log_sum_exp_axis.rows);
export const SOFTMAX_GRAD_AXIS = spec("softmax_grad_axis", ABI.softmax_grad_axis.rows);
/** The straight-through kernels: the forward's aux (soft) follows the rows, the backward's (workspace) does not. */
export const GUMBEL_RAO = spec("gumbel_rao", ABI.gumbel_rao.forward);
export const GUMBEL_RAO_BACKWARD = spec("gumbel_rao", ABI.gumbel_rao.backward);
export const GAPPED_ST = spec("gapped_st", ABI.gapped_st.forward);
export const GAPPED_ST_BACKWARD = spec("gapped_st", ABI.gapped_st.backward);
/** The same along a non-last axis (a row: a slice of classes * inner elements); the backward's workspace: classes * min(inner, STRAIGHT_AXIS_LINES) floats. */
export const GUMBEL_RAO_AXIS = spec("gumbel_rao_axis", ABI.gumbel_rao_axis.forward);
export const GUMBEL_RAO_AXIS_BACKWARD = spec("gumbel_rao_axis", ABI.gumbel_rao_axis.backward);
export const GAPPED_ST_AXIS = spec("gapped_st_axis", ABI.gapped_st_axis.forward);
export const GAPPED_ST_AXIS_BACKWARD = spec("gapped_st_axis", ABI.gapped_st_axis.backward);
/** Streams split by elements: one "row" per element. */
export const GUMBEL_NOISE = spec("gumbel_noise", ABI.gumbel_noise.rows);
export const UNIFORM = spec("uniform", ABI.uniform.rows);
/** The token sampler: options and streams in per-row records (which move with the rows), a workspace per part. */
export const SAMPLE_TOKENS = spec("sample_tokens", ABI.sample_tokens.rows, true);
/** The token sampler along a non-last axis: records in planes of lines (which move with the slices), a workspace per part. */
export const SAMPLE_TOKENS_AXIS = spec("sample_tokens_axis", ABI.sample_tokens_axis.rows, true);
/** The relaxed one-hot categorical density (the distribution classes' async logProb: rows split across the pool). */
export const RELAXED_CATEGORICAL_LOG_PROB = spec("relaxed_categorical_log_prob", ABI.relaxed_categorical_log_prob.rows);
/** The same along a non-last axis (rows = outer slices of classes * inner, one result per line). */
export const RELAXED_CATEGORICAL_LOG_PROB_AXIS = spec("relaxed_categorical_log_prob_axis", ABI.relaxed_categorical_log_prob_axis.rows);
