// Token sampling for LLM services: per row, a temperature, then the top-k, top-p (nucleus) and
// min-p filters in this order (Hugging Face transformers' order), then an exact draw from the
// softmax of the tokens kept (token stream layout 2). The row's algorithm is inline/tokens.ts
// (shared with sample_tokens_axis, the same sampler along a non-last axis).

import { rowMax, rowPtr } from "./inline/row";
import { P_TEMP, PARAM_BYTES, sampleTokenRow, tokenFault, tokenRowWork } from "./inline/tokens";
import { setFault } from "./inline/validate";

export { PARAM_BYTES } from "./inline/tokens";

/** The bytes of work space a row of `cols` needs: the scaled row, candidates and selection pairs. */
export function sample_tokens_work(cols: i32): i32 {
  return tokenRowWork(cols);
}

/**
 * dst[r] = a token of row r: its temperature, then the top-k, top-p and min-p filters, then
 * an exact draw from the softmax of the tokens kept. params: PARAM_BYTES (8 words) per row, work:
 * sample_tokens_work(cols) bytes for the whole call (calls running side by side each need
 * their own). Validates every row first (NaN, +Inf, all -Inf, and lmax / T overflowing
 * float32) and returns the first bad row, or -1, having written nothing.
 * @rows logits:cols dst:1 params:8 work:own
 * @validates
 */
export function sample_tokens(logits: usize, dst: usize, rows: i32, cols: i32, params: usize, work: usize): i32 {
  // One row (a request) is validated by the sampler's own pass: one read of the row.
  if (rows == 1 && load<f32>(params, P_TEMP) != 0) {
    const k = sampleTokenRow(logits, cols, params, work);
    if (k < 0) return 0;
    setFault(0);
    store<i32>(dst, k);
    return -1;
  }
  for (let r = 0; r < rows; r++) {
    const f = tokenFault(rowMax(rowPtr(logits, r, cols), cols), load<f32>(params + <usize>r * PARAM_BYTES, P_TEMP));
    if (f == 0) continue;
    setFault(f);
    return r;
  }
  setFault(0);
  for (let r = 0; r < rows; r++) {
    store<i32>(dst + (<usize>r << 2), sampleTokenRow(rowPtr(logits, r, cols), cols, params + <usize>r * PARAM_BYTES, work));
  }
  return -1;
}
