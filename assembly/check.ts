// The validation pass as kernels of its own (the façade runs it before splitting a batch
// between threads) and the fault it found: inline/validate.ts's functions, exported under
// these names (the same functions every kernel that reads logits calls), with the fault codes
// for the façade (tools/abi.mjs copies them to src/abi.ts); and row maxima.

import { rowMax, rowPtr } from "./inline/row";

export { checkLines as check_lines, checkRows as check_rows, fault as check_fault } from "./inline/validate";
export { FAULT_ALL_NEG_INF, FAULT_ALL_ZERO, FAULT_NAN, FAULT_NOT_PROB, FAULT_POS_INF, FAULT_SCALE } from "./inline/validate";

/**
 * dst[r] = max_k x[r, k].
 * @rows x:cols dst:1
 */
export function row_max(x: usize, dst: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) store<f32>(dst + (<usize>r << 2), rowMax(rowPtr(x, r, cols), cols));
}
