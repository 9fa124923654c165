// sample_tokens along a non-last axis: the vocabulary of line (o, j) is class c at
// o * cols + c * inner + j of slice o (cols = classes * inner). One token per line, with the
// line's own temperature and filters, drawn exactly as sample_tokens draws a row holding the
// line's values (inline/tokens.ts), from the line's own first stream element jr.
//
// The token algorithm needs its line as a row: its block maxima, selections and draws make
// several passes over it and index it at random. So each line is read once into a line buffer in the part's
// workspace (`work:own`): four adjacent lines at a time where SIMD is there, one v128 load per
// class (contiguous, lines j .. j+3 in the four lanes), one at a time otherwise. That is a
// buffer of one line per lane, never a transposed copy of the tensor (inner == 1, which the
// façade runs as sample_tokens, works too: each row copied once).
//
// Parameters come in planes so that they move with the slices when the launcher splits them:
// field f of line l (PARAM_BYTES / 4 fields, as sample_tokens' records) at
// params + (f * lines + l) * 4, `lines` the whole call's line count (unchanged by the split).

import { rowPtr } from "./inline/row";
import { PARAM_BYTES, sampleTokenRow, tokenFault, tokenRowWork } from "./inline/tokens";
import { lineMax, lineMax4, setFault } from "./inline/validate";

export { PARAM_BYTES } from "./inline/tokens";

/** The fields of a record (words). */
const FIELDS: i32 = PARAM_BYTES >> 2;

/** 16-byte aligned size of a line buffer of `classes` floats. */
// @ts-ignore: decorator
@inline
function lineBytes(classes: i32): usize {
  return (<usize>classes * 4 + 15) & ~(<usize>15);
}

/**
 * The bytes of work space sample_tokens_axis needs for lines of `classes`: four line buffers,
 * one record, and sample_tokens' work space for a row of `classes`.
 */
export function sample_tokens_axis_work(classes: i32): i32 {
  return <i32>(lineBytes(classes) * 4) + PARAM_BYTES + tokenRowWork(classes);
}

/**
 * The validation pass of sample_tokens_axis alone: every line (o, j) in order, l = o * inner
 * + j, checked as sample_tokens checks a row (NaN, +Inf, all -Inf, and its largest logit over
 * its temperature, params' first plane, overflowing float32). Returns the first bad line or
 * -1; check_fault() says why.
 * @rows logits:cols params:inner
 * @validates
 */
export function sample_tokens_axis_check(logits: usize, rows: i32, cols: i32, inner: i32, params: usize): i32 {
  const classes = cols / inner;
  const step = <usize>inner << 2;
  for (let o = 0; o < rows; o++) {
    const base = rowPtr(logits, o, cols);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= inner; j += 4) {
        let m = lineMax4(base + (<usize>j << 2), classes, step); // four lines' maxima at once
        const l = o * inner + j;
        let tv = v128.load(params + (<usize>l << 2));
        // The four lines in order, lane 0 each time (one copy of the check in the binary).
        for (let i = 0; i < 4; i++) {
          if (lineBad(l + i, f32x4.extract_lane(m, 0), f32x4.extract_lane(tv, 0))) return badLine;
          m = i32x4.shuffle(m, m, 1, 2, 3, 0);
          tv = i32x4.shuffle(tv, tv, 1, 2, 3, 0);
        }
      }
    }
    for (; j < inner; j++) {
      const l = o * inner + j;
      if (lineBad(l, lineMax(base + (<usize>j << 2), classes, step), load<f32>(params + (<usize>l << 2)))) return badLine;
    }
  }
  setFault(0);
  return -1;
}

/** The line lineBad last found bad. */
let badLine: i32 = -1;

/** Whether line l of maximum m at temperature t is bad (then its fault is set and badLine is l). */
function lineBad(l: i32, m: f32, t: f32): bool {
  const f = tokenFault(m, t);
  if (f == 0) return false;
  setFault(f);
  badLine = l;
  return true;
}

/**
 * dst[o * inner + j] = a token of line (o, j) (class c at logits[o * cols + c * inner + j]):
 * its temperature, then the top-k, top-p and min-p filters, then an exact draw from the
 * softmax of the tokens kept, from the line's first stream element jr (with one stream for
 * the tensor, counter + the flat index of the line's class 0). params: planes
 * of `lines` words (field f of line l at params + (f * lines + l) * 4, the fields of
 * sample_tokens' records); work: sample_tokens_axis_work(cols / inner) bytes (calls running
 * side by side each need their own). Validates every line first (sample_tokens_axis_check)
 * and returns the first bad line, or -1, having written nothing.
 * @rows logits:cols dst:inner params:inner work:own
 * @validates
 */
export function sample_tokens_axis(
  logits: usize, dst: usize, rows: i32, cols: i32, inner: i32, params: usize, lines: i32, work: usize,
): i32 {
  const bad = sample_tokens_axis_check(logits, rows, cols, inner, params);
  if (bad >= 0) return bad;
  const classes = cols / inner;
  const lb = lineBytes(classes);
  const rec = work + lb * 4;
  const rowWork = rec + <usize>PARAM_BYTES;
  const plane = <usize>lines << 2;
  const cstep = <usize>inner << 2;
  for (let o = 0; o < rows; o++) {
    const base = rowPtr(logits, o, cols);
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      for (; j + 4 <= inner; j += 4) {
        // Lines j .. j+3 into the four line buffers: one contiguous load per class (lines in
        // the lanes), four classes at a time turned into four lines' values by a 4x4 transpose.
        let p = base + (<usize>j << 2);
        let c = 0;
        for (; c + 4 <= classes; c += 4, p += cstep << 2) {
          const v0 = v128.load(p);
          const v1 = v128.load(p + cstep);
          const v2 = v128.load(p + 2 * cstep);
          const v3 = v128.load(p + 3 * cstep);
          const a = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          const b = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          const d = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          const e = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          const q = work + (<usize>c << 2);
          v128.store(q, i32x4.shuffle(a, b, 0, 1, 4, 5));
          v128.store(q + lb, i32x4.shuffle(a, b, 2, 3, 6, 7));
          v128.store(q + 2 * lb, i32x4.shuffle(d, e, 0, 1, 4, 5));
          v128.store(q + 3 * lb, i32x4.shuffle(d, e, 2, 3, 6, 7));
        }
        for (; c < classes; c++, p += cstep) {
          const v = v128.load(p);
          const q = work + (<usize>c << 2);
          v128.store32_lane(q, v, 0);
          v128.store32_lane(q + lb, v, 1);
          v128.store32_lane(q + 2 * lb, v, 2);
          v128.store32_lane(q + 3 * lb, v, 3);
        }
        const l = o * inner + j;
        for (let i = 0; i < 4; i++) {
          store<i32>(dst + (<usize>(l + i) << 2), sampleLine(work + <usize>i * lb, classes, params, plane, l + i, rec, rowWork));
        }
      }
    }
    for (; j < inner; j++) {
      let p = base + (<usize>j << 2);
      for (let c = 0; c < classes; c++, p += cstep) store<f32>(work + (<usize>c << 2), load<f32>(p));
      const l = o * inner + j;
      store<i32>(dst + (<usize>l << 2), sampleLine(work, classes, params, plane, l, rec, rowWork));
    }
  }
  return -1;
}

/** Line l (its values in `line`): its record gathered from the planes into rec, then sampled. */
// @ts-ignore: decorator
@inline
function sampleLine(line: usize, classes: i32, params: usize, plane: usize, l: i32, rec: usize, rowWork: usize): i32 {
  const at = params + (<usize>l << 2);
  for (let f = 0; f < FIELDS; f++) store<u32>(rec + (<usize>f << 2), load<u32>(at + <usize>f * plane));
  return sampleTokenRow(line, classes, rec, rowWork);
}
