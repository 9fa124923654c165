// The Gumbel(loc, scale) distribution elementwise, for the Gumbel class of the façade: with
// z = (x - loc) / scale,
//   log pdf = -(z + exp(-z)) - log(scale),  pdf = exp(log pdf),
//   cdf = exp(-exp(-z)),  log cdf = -exp(-z),
//   quantile(p) = loc - scale * log(-log(p)),  and a sample loc + scale * g from Gumbel(0, 1) noise g.
// The limits hold exactly: x = -Inf gives pdf 0 and cdf 0; x = +Inf pdf 0 and cdf 1; quantile(0)
// = -Inf, quantile(1) = +Inf; NaN stays NaN. One scalar loop in both builds (the same bits).

import { NEG_INF, POS_INF, vf } from "./inline/consts";
import { expf, expf4 } from "./inline/exp";
import { logf } from "./inline/log";

/** gumbel_dist's op codes. */
export const DIST_LOG_PDF: i32 = 0;
export const DIST_PDF: i32 = 1;
export const DIST_CDF: i32 = 2;
export const DIST_LOG_CDF: i32 = 3;
export const DIST_QUANTILE: i32 = 4;
export const DIST_SAMPLE: i32 = 5;

/** exp(-z), with exp(+Inf) = +Inf and exp(-Inf) = 0 from expf's clamps; NaN stays NaN. */
// @ts-ignore: decorator
@inline
function expNeg(z: f32): f32 {
  return z != z ? z : expf(-z);
}

/** log of a positive value, with log(+Inf) = +Inf (logf takes finite values only). */
// @ts-ignore: decorator
@inline
function logPos(x: f32): f32 {
  return x == Infinity ? x : logf(x);
}

/**
 * dst[i] = op(src[i]) for Gumbel(loc, scale), op one of DIST_* (DIST_SAMPLE: src holds
 * Gumbel(0, 1) noise). dst may be src.
 */
export function gumbel_dist(op: i32, src: usize, dst: usize, n: i32, loc: f32, scale: f32): void {
  const logScale = logf(scale);
  let i = 0;
  if (ASC_FEATURE_SIMD && op != DIST_QUANTILE) {
    // The same operations lane by lane as the scalar loop below (expf4 is expf per lane).
    const lv = f32x4.splat(loc);
    const sv = f32x4.splat(scale);
    const lsv = f32x4.splat(logScale);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(src + o);
      let r: v128;
      if (op == DIST_SAMPLE) {
        r = f32x4.add(lv, f32x4.mul(sv, x));
      } else {
        const z = f32x4.div(f32x4.sub(x, lv), sv);
        // expNeg: NaN lanes keep z (as the scalar path), others exp(-z).
        const e = v128.bitselect(expf4(f32x4.neg(z)), z, f32x4.eq(z, z));
        if (op == DIST_LOG_CDF) r = f32x4.neg(e);
        else if (op == DIST_CDF) r = expf4(f32x4.neg(e));
        else {
          const lp0 = f32x4.sub(f32x4.neg(f32x4.add(z, e)), lsv);
          const lp = v128.bitselect(vf(NEG_INF), lp0, f32x4.eq(e, vf(POS_INF)));
          r = op == DIST_PDF ? expf4(lp) : lp;
        }
      }
      v128.store(dst + o, r);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(src + o);
    let r: f32;
    if (op == DIST_SAMPLE) {
      r = loc + scale * x;
    } else if (op == DIST_QUANTILE) {
      // p in [0, 1] (the façade checks): the ends are the infinite limits.
      if (x == 0) r = -Infinity;
      else if (x == 1) r = Infinity;
      else if (x != x) r = x;
      else r = loc - scale * logPos(-logf(x));
    } else {
      const z = (x - loc) / scale;
      const e = expNeg(z);
      if (op == DIST_LOG_CDF) r = -e;
      else if (op == DIST_CDF) r = expf(-e);
      else {
        // z = +Inf: e = 0, z + e = +Inf; z very negative (or -Inf): e = +Inf. Log pdf = -Inf both ways.
        const lp: f32 = e == Infinity ? <f32>-Infinity : -(z + e) - logScale;
        r = op == DIST_PDF ? expf(lp) : lp;
      }
    }
    store<f32>(dst + o, r);
  }
}
