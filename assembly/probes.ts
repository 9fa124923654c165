// Probes: the inlined building blocks (exp, log, the bits-to-Gumbel transform, the screen's
// noise bound, raw Philox blocks) exported elementwise, for the accuracy and known-answer tests
// and for users who want them. Each has a SIMD main loop and a scalar remainder that computes
// the same bits.

import { expf, expf4, expfNear, expfNear4 } from "./inline/exp";
import { exp64, log64 } from "./inline/math64";
import { logf, logf4 } from "./inline/log";
import { philoxBlock, philoxBlock4 } from "./inline/philox";
import { noiseUpper, noiseUpper4 } from "./inline/screen";
import { gumbelFromBits, gumbelFromBits4 } from "./inline/transform";
import { gumbelFromBits4x4 } from "./inline/wide";
import { paths } from "./inline/draw";

/** dst[i] = exp(src[i]). */
export function exp_f32(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, expf4(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, expf(load<f32>(src + o)));
  }
}

/**
 * dst[i] = exp(src[i]) for src[i] in [-87, 0] by the cheaper form the softmax passes use when
 * every argument is known to lie there (one scaling factor, no clamps): the same bits as
 * exp_f32 on that interval (tested), undefined outside it.
 */
export function exp_near_f32(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, expfNear4(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, expfNear(load<f32>(src + o)));
  }
}

/** dst[i] = log(src[i]) for positive finite src[i]. */
export function log_f32(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, logf4(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, logf(load<f32>(src + o)));
  }
}

/** dst[i] = Gumbel noise from the 32-bit word src[i] (see inline/transform.ts). */
export function gumbel_from_bits(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i << 2;
      gumbelFromBits4x4(src + o, dst + o);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, gumbelFromBits4(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, gumbelFromBits(load<u32>(src + o)));
  }
}

// @ts-ignore: decorator
@inline
function lanes(p: usize, stride: usize): v128 {
  let v = i32x4.splat(0);
  v = i32x4.replace_lane(v, 0, load<u32>(p));
  v = i32x4.replace_lane(v, 1, load<u32>(p + stride));
  v = i32x4.replace_lane(v, 2, load<u32>(p + 2 * stride));
  v = i32x4.replace_lane(v, 3, load<u32>(p + 3 * stride));
  return v;
}

/**
 * Philox4x32-10 on arbitrary counters and keys (for known-answer tests): block b reads its
 * counter from ctr[4b .. 4b+3] and its key from key[2b .. 2b+1], writes dst[4b .. 4b+3].
 */
export function philox4x32_10(ctr: usize, key: usize, dst: usize, blocks: i32): void {
  let b = 0;
  if (ASC_FEATURE_SIMD) {
    for (; b + 4 <= blocks; b += 4) {
      const c = ctr + (<usize>b << 4);
      const k = key + (<usize>b << 3);
      philoxBlock4(
        lanes(c, 16), lanes(c + 4, 16), lanes(c + 8, 16), lanes(c + 12, 16),
        lanes(k, 8), lanes(k + 4, 8),
        dst + (<usize>b << 4),
      );
    }
  }
  for (; b < blocks; b++) {
    const c = ctr + (<usize>b << 4);
    const k = key + (<usize>b << 3);
    philoxBlock(
      load<u32>(c), load<u32>(c, 4), load<u32>(c, 8), load<u32>(c, 12),
      load<u32>(k), load<u32>(k, 4),
      dst + (<usize>b << 4),
    );
  }
}

/** dst[i] = the screen's upper bound of the Gumbel noise of word src[i] (inline/screen.ts). */
export function noise_upper(src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dst + o, noiseUpper4(v128.load(src + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, noiseUpper(load<u32>(src + o)));
  }
}

/** dst[i] = op ? log64(src[i]) : exp64(src[i]) on float64 arrays (for the accuracy tests). */
export function math_f64(op: i32, src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const x = load<f64>(src + (<usize>i << 3));
    store<f64>(dst + (<usize>i << 3), op ? log64(x) : exp64(x));
  }
}

/**
 * The token sampler's paths taken since the last call (bits: inline/tokens.ts' PATH_*), then
 * cleared: for the tests that make every path run.
 */
export function token_paths(): i32 {
  const p = paths;
  paths = 0;
  return p;
}
