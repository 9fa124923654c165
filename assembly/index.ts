// gumbel-wasm kernels. Every export takes byte offsets into this module's memory and element
// counts; none allocates. This file only re-exports: one operation per file.

export { random_bits, uniform, gumbel_noise } from "./random";
export { check_rows, check_lines, check_fault, row_max } from "./check";
export { softmax, log_softmax, log_sum_exp } from "./softmax";
export { gumbel_softmax } from "./gumbel_softmax";
export { gumbel_max } from "./gumbel_max";
export { log_probs } from "./log_probs";
export { gumbel_softmax_axis, gumbel_max_axis, log_probs_axis } from "./gumbel_axis";
export { softmax_grad } from "./softmax_grad";
export { softmax_axis, log_softmax_axis, log_sum_exp_axis, softmax_grad_axis } from "./softmax_axis";
export { gumbel_rao } from "./gumbel_rao";
export { gapped_st } from "./gapped_st";
export { gumbel_rao_axis, gapped_st_axis } from "./straight_axis";
export { exp_f32, exp_near_f32, log_f32, math_f64, gumbel_from_bits, noise_upper, philox4x32_10, token_paths } from "./probes";
export { set_scratch, scratch_bytes } from "./inline/scratch";
export { gumbel_dist } from "./gumbel_dist";
export { sample_tokens, sample_tokens_work } from "./sample_tokens";
export { sample_tokens_axis, sample_tokens_axis_check, sample_tokens_axis_work } from "./sample_tokens_axis";
export { relaxed_categorical_log_prob, relaxed_categorical_log_prob_axis, relaxed_bernoulli } from "./relaxed";

/** First byte after the static data: the façade's allocator owns memory from here on. */
export function heap_base(): usize {
  return __heap_base;
}
