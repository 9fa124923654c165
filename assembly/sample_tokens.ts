// Token sampling for LLM services: per row, a temperature, then the top-k, top-p (nucleus) and
// min-p filters in this order (Hugging Face transformers' order), then an exact draw from the
// softmax of the tokens kept (token stream layout 2). The row's algorithm is inline/tokens.ts
// (shared with sample_tokens_axis, the same sampler along a non-last axis).

import { rowMax, rowPtr } from "./inline/row";
import { P_TEMP, PARAM_BYTES, sampleTokenRow, tokenFault, tokenRowWork } from "./inline/tokens";
import { SCRATCH_STAGE, STAGE_ROWS, scratch } from "./inline/scratch";
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
 * their own). Validates every row (NaN, +Inf, all -Inf, and lmax / T overflowing float32) and
 * returns the first bad row, or -1; a bad row leaves dst untouched.
 * @rows logits:cols dst:1 params:8 work:own
 * @validates
 */
export function sample_tokens(logits: usize, dst: usize, rows: i32, cols: i32, params: usize, work: usize): i32 {
  // Up to STAGE_ROWS rows are validated by the sampler's own pass (sampleTokenRow), their
  // tokens waiting in the scratch until every row is drawn. With more rows a bad row in a later
  // batch would be found after earlier batches were written, so such calls validate every row first.
  if (rows > STAGE_ROWS) {
    for (let r = 0; r < rows; r++) {
      const f = tokenFault(rowMax(rowPtr(logits, r, cols), cols), load<f32>(params + <usize>r * PARAM_BYTES, P_TEMP));
      if (f == 0) continue;
      setFault(f);
      return r;
    }
  }
  const stage = scratch(SCRATCH_STAGE);
  for (let r0 = 0; r0 < rows; r0 += STAGE_ROWS) {
    const n = min<i32>(STAGE_ROWS, rows - r0);
    for (let r = 0; r < n; r++) {
      const k = sampleTokenRow(rowPtr(logits, r0 + r, cols), cols, params + <usize>(r0 + r) * PARAM_BYTES, work);
      if (k < 0) return r0 + r; // nothing written: only the first batch can hold a bad row
      store<i32>(stage + (<usize>r << 2), k);
    }
    memory.copy(dst + (<usize>r0 << 2), stage, <usize>n << 2);
  }
  setFault(0);
  return -1;
}
