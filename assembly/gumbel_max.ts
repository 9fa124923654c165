// Gumbel-Max sampling: dst[r] = argmax_k (logits[r, k] + g[r, k]), the lowest such k on ties,
// with the same noise g as gumbel_softmax (stream elements j0 + r*cols + k). The noise sits in
// a small scratch, so no output-sized buffer is needed: several short rows at a time, or a
// long row in chunks.

import { addArgmax } from "./inline/row";
import { KIND_GUMBEL, writeStream } from "./inline/stream";
import { rowPtr } from "./inline/tau";

const CHUNK: i32 = 1024;
const noise: usize = memory.data(CHUNK << 2, 16);

export function gumbel_max(logits: usize, dst: usize, rows: i32, cols: i32, k0: u32, k1: u32, jLo: u32, jHi: u32): void {
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  if (cols <= CHUNK) {
    // Short rows: one draw of noise for as many whole rows as fit in the scratch.
    const per = CHUNK / cols;
    for (let r0 = 0; r0 < rows; r0 += per) {
      const r1 = min<i32>(rows, r0 + per);
      writeStream(KIND_GUMBEL, noise, (r1 - r0) * cols, k0, k1, j0 + <u64>r0 * <u64>cols);
      for (let r = r0; r < r1; r++) {
        const nr = rowPtr(noise, r - r0, cols);
        store<i32>(dst + (<usize>r << 2), addArgmax(rowPtr(logits, r, cols), nr, nr, cols));
      }
    }
    return;
  }
  // Long rows: in chunks, keeping the first maximum across chunks.
  for (let r = 0; r < rows; r++) {
    const lr = rowPtr(logits, r, cols);
    const jr = j0 + <u64>r * <u64>cols;
    let best = -Infinity as f32;
    let bestIdx = -1;
    for (let c = 0; c < cols; c += CHUNK) {
      const len = min<i32>(CHUNK, cols - c);
      writeStream(KIND_GUMBEL, noise, len, k0, k1, jr + <u64>c);
      const i = addArgmax(lr + (<usize>c << 2), noise, noise, len);
      if (i >= 0) {
        const v = load<f32>(noise + (<usize>i << 2));
        if (v > best) {
          best = v;
          bestIdx = c + i;
        }
      }
    }
    store<i32>(dst + (<usize>r << 2), bestIdx);
  }
}
