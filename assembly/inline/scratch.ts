// Each instance's scratch memory: the few small buffers kernels use between passes (Philox
// blocks, noise and bounds of a chunk, transposed short rows). By default a static area; the
// façade gives every instance its own area from the heap (`set_scratch`), which the threaded
// build needs: its instances share one memory, and a static area would be shared by all.

/** Offsets of the buffers inside the area (16-byte aligned). */
export const SCRATCH_NOISE: usize = 0; // gumbel_max: noise of short rows, 1024 floats
export const SCRATCH_WORDS: usize = 4096; // gumbel_max: a chunk's random words, 1024; straight_axis: a chunk's sampled classes
export const SCRATCH_BOUNDS: usize = 8192; // gumbel_max: a chunk's noise bounds, 1024; straight_axis: a chunk's log Z
export const SCRATCH_BLOCK: usize = 12288; // stream: 32 Philox words
export const SCRATCH_VALUE: usize = 12416; // stream: 16 transformed values
export const SCRATCH_WIDE: usize = 12480; // row: 16 results of a wide function
export const SCRATCH_ACROSS: usize = 12544; // across: 16 columns of four rows
export const SCRATCH_ACROSS_IDX: usize = 12800; // across: the four rows' argmax
export const SCRATCH_GROUPS: usize = 12816; // sample: a chunk's bound maxima per sixteen classes, 64 f32x4
export const SCRATCH_STAGE: usize = 13840; // gumbel_max, sample_tokens: the indices of up to STAGE_ROWS rows, until all are drawn
export const STAGE_ROWS: i32 = 1024;
export const SCRATCH_BYTES: usize = 17936;

let base: usize = memory.data(<i32>SCRATCH_BYTES, 16);

/** Where the buffer at `offset` is. */
// @ts-ignore: decorator
@inline
export function scratch(offset: usize): usize {
  return base + offset;
}

/** Moves this instance's scratch to `p` (SCRATCH_BYTES bytes, 16-byte aligned). */
export function set_scratch(p: usize): void {
  base = p;
}

/** The bytes set_scratch needs. */
export function scratch_bytes(): i32 {
  return <i32>SCRATCH_BYTES;
}
