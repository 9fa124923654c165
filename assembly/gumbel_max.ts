// Gumbel-Max sampling: dst[r] = argmax_k (logits[r, k] + g[r, k]), the lowest such k on ties,
// with the same noise g as gumbel_softmax (stream elements j0 + r*cols + k). The noise sits in
// a small scratch, so no output-sized buffer is needed: several short rows at a time, or a
// long row in chunks.
//
// Rows of SCREEN_MIN classes or more are drawn one by one by inline/sample.ts (exact screening
// and pruning: the same index as the full computation, bit for bit), which validates each row
// in the passes that read it: calls of up to STAGE_ROWS rows need no validation pass of their own.

import { ACROSS_MAX, addInto, softmaxAcross4 } from "./inline/across";
import { addArgmax, rowPtr } from "./inline/row";
import { CHUNK, SCREEN_MIN, sampleRowsTo } from "./inline/sample";
import { SCRATCH_ACROSS_IDX, SCRATCH_NOISE, scratch } from "./inline/scratch";
import { writeGumbel } from "./inline/stream";
import { checkRows } from "./inline/validate";

/**
 * dst[r] (int32) = argmax_k(logits[r, k] + g[r, k]), g the noise of stream elements
 * j0 + r*cols + k. Returns -1, or the first bad row (nothing written).
 * @rows logits:cols dst:1
 * @validates
 */
export function gumbel_max(logits: usize, dst: usize, rows: i32, cols: i32, k0: u32, k1: u32, jLo: u32, jHi: u32): i32 {
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  // Rows of SCREEN_MIN+ classes: validated by the sampler as it reads them (sampleRowsTo).
  if (cols >= SCREEN_MIN) return sampleRowsTo(logits, rows, cols, j0, k0, k1, dst, false);
  const bad = checkRows(logits, rows, cols);
  if (bad >= 0) return bad; // a NaN, +Inf or all -Inf row: nothing written
  // Short rows: one draw of noise for as many whole rows as fit in the scratch.
  const per = CHUNK / cols;
  for (let r0 = 0; r0 < rows; r0 += per) {
    const r1 = min<i32>(rows, r0 + per);
    writeGumbel(scratch(SCRATCH_NOISE), (r1 - r0) * cols, k0, k1, j0 + <u64>r0 * <u64>cols);
    let r = r0;
    if (ASC_FEATURE_SIMD && cols < ACROSS_MAX) {
      // Four short rows at a time, one per lane: the same first maximum.
      for (; r + 4 <= r1; r += 4) {
        const nr = rowPtr(scratch(SCRATCH_NOISE), r - r0, cols);
        addInto(rowPtr(logits, r, cols), nr, nr, 4 * cols);
        softmaxAcross4(nr, 0, cols, 0);
        v128.store(dst + (<usize>r << 2), v128.load(scratch(SCRATCH_ACROSS_IDX)));
      }
    }
    for (; r < r1; r++) {
      const nr = rowPtr(scratch(SCRATCH_NOISE), r - r0, cols);
      store<i32>(dst + (<usize>r << 2), addArgmax(rowPtr(logits, r, cols), nr, nr, cols));
    }
  }
  return -1;
}
