// Lines in lanes: a strided kernel (classes `inner` elements apart) puts lines j .. j+3 in the
// four f32x4 lanes, loaded contiguously. The group of fewer than four lines left over when
// inner % 4 != 0 loads its lanes one by one, pads the others with 0 and never stores them: lane
// for lane the same operations, so the same bits as the lines one at a time. `full` (n == 4) is
// a constant where these are inlined, so the choice folds away.

/** Lanes 0 .. n-1 from p (n = 1 .. 4; 32-bit lanes, float or int, moved as bits), the others 0. */
// @ts-ignore: decorator
@inline
export function loadLanes(p: usize, n: i32, full: bool): v128 {
  if (full) return v128.load(p);
  let v = i32x4.splat(0);
  v = i32x4.replace_lane(v, 0, load<i32>(p));
  if (n > 1) v = i32x4.replace_lane(v, 1, load<i32>(p, 4));
  if (n > 2) v = i32x4.replace_lane(v, 2, load<i32>(p, 8));
  return v;
}

/** loadLanes' inverse: lanes 0 .. n-1 to p (32-bit lanes, float or int). */
// @ts-ignore: decorator
@inline
export function storeLanes(p: usize, v: v128, n: i32, full: bool): void {
  if (full) {
    v128.store(p, v);
    return;
  }
  store<i32>(p, i32x4.extract_lane(v, 0));
  if (n > 1) store<i32>(p, i32x4.extract_lane(v, 1), 4);
  if (n > 2) store<i32>(p, i32x4.extract_lane(v, 2), 8);
}
