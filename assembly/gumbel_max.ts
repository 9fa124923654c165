// Gumbel-Max sampling: dst[r] = argmax_k (logits[r, k] + g[r, k]), the lowest such k on ties,
// with the same noise g as gumbel_softmax (stream elements j0 + r*cols + k). The noise sits in
// a small scratch, so no output-sized buffer is needed: several short rows at a time, or a
// long row in chunks.
//
// Exact pruning (long rows whose logits spread wider than the noise can bridge, as LLM logits
// and masked vocabularies do): every noise value is below NOISE_BOUND = 22.875, so a class
// with float32(l_k + NOISE_BOUND) < t can never reach a sum t already found (rounding is
// monotone). Seeded with the sum at the largest logit, groups of 16 classes that cannot reach
// the running best are skipped without drawing their noise. The result is the same index, bit
// for bit, as the full computation: only work that cannot change it is skipped.

import { NOISE_BOUND, sf } from "./inline/consts";
import { addArgmax, anyReaches, firstEqual, rowMax, rowMin } from "./inline/row";
import { writeGumbel } from "./inline/stream";
import { rowPtr } from "./inline/tau";

const CHUNK: i32 = 1024;
/** Below this spread of a row's logits nothing can be pruned (noise spans [-3.13, 22.87]). */
const PRUNE_SPREAD: f32 = 26.0;
/** Pruning works on groups of 16 classes, aligned to the stream's Philox groups. */
const GROUP: i32 = 16;
const noise: usize = memory.data(CHUNK << 2, 16);

export function gumbel_max(logits: usize, dst: usize, rows: i32, cols: i32, k0: u32, k1: u32, jLo: u32, jHi: u32): void {
  const j0 = (<u64>jHi << 32) | <u64>jLo;
  if (cols <= CHUNK) {
    // Short rows: one draw of noise for as many whole rows as fit in the scratch.
    const per = CHUNK / cols;
    for (let r0 = 0; r0 < rows; r0 += per) {
      const r1 = min<i32>(rows, r0 + per);
      writeGumbel(noise, (r1 - r0) * cols, k0, k1, j0 + <u64>r0 * <u64>cols);
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
    const lmax = rowMax(lr, cols);
    if (lmax - rowMin(lr, cols) > PRUNE_SPREAD) {
      store<i32>(dst + (<usize>r << 2), prunedArgmax(lr, cols, jr, k0, k1, lmax));
      continue;
    }
    let best = -Infinity as f32;
    let bestIdx = -1;
    for (let c = 0; c < cols; c += CHUNK) {
      const len = min<i32>(CHUNK, cols - c);
      writeGumbel(noise, len, k0, k1, jr + <u64>c);
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

/** argmax_k(l_k + g_k) of one row, drawing noise only for groups that can reach the best. */
function prunedArgmax(lr: usize, cols: i32, jr: u64, k0: u32, k1: u32, lmax: f32): i32 {
  // Seed the running best with the class of the largest logit.
  let best = firstEqual(lr, cols, lmax);
  writeGumbel(noise, 1, k0, k1, jr + <u64>best);
  let tBest = lmax + load<f32>(noise);
  const bound = sf(NOISE_BOUND);
  // The first group ends where the stream reaches a multiple of 16.
  let len = <i32>((<u64>GROUP - (jr & <u64>(GROUP - 1))) & <u64>(GROUP - 1));
  if (len == 0) len = GROUP;
  for (let g = 0; g < cols; g += len, len = GROUP) {
    len = min<i32>(len, cols - g);
    const lg = lr + (<usize>g << 2);
    if (!anyReaches(lg, len, bound, tBest)) continue;
    writeGumbel(noise, len, k0, k1, jr + <u64>g);
    for (let k = 0; k < len; k++) {
      const t = load<f32>(lg + (<usize>k << 2)) + load<f32>(noise + (<usize>k << 2));
      if (t > tBest || (t == tBest && g + k < best)) {
        tBest = t;
        best = g + k;
      }
    }
  }
  return best;
}
